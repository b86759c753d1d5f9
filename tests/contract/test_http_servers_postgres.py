"""The variants of PG_VARIANTS (every server, every stack; all 27 with
FWBENCH_CONTRACT_PG_VARIANTS=all) pass the contract suite over real HTTP on PostgreSQL: the
throwaway cluster of `pg_cluster.py`, reset by `apps.seed` before each, as test_http_servers.py
does on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_http_servers import (
    PG_DATABASE,
    PG_POOL,
    Variant,
    passes_the_contract_over_http,
    postgresql_params,
)


@pytest.mark.servers
@pytest.mark.parametrize("variant", postgresql_params())
def test_variant_passes_the_contract_over_http_on_postgresql(
    variant: Variant, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    cluster = request.getfixturevalue("pg_cluster")
    passes_the_contract_over_http(variant, tmp_path, cluster.env(PG_DATABASE, pool=PG_POOL))
