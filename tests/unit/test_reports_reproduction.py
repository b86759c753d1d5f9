"""The papers' claims tested on a run (reports/analysis/reproduction.py), the warm-up findings
(reports/analysis/warmup.py) and the demo that shows both."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reports.analysis import reproduction, statistics, warmup
from reports.analysis.analyse import Analysis, analyse
from reports.analysis.reproduction import Claim, ClaimsError, parse_claims
from reports.cli import main
from reports.constants import (
    PAPERS,
    REPRODUCTION_COLUMNS,
    SELF_CONTRADICTED,
    SERVER_ORDER,
    STACK_ORDER,
    WARMUP_FACTOR,
    WARMUP_MIN_EXCESS_MS,
)
from reports.loading.run_folder import load_run
from reports.synthetic.runs import (
    DEFAULT_VARIANTS,
    DEMO_SCENARIOS,
    P1,
    P2,
    CellModel,
    demo_plan,
    make_run,
)

ROOT = Path(__file__).resolve().parents[2]
A = "fastapi_sqlite3-gunicorn_uvicorn"
B = "flask_sqlite3-gunicorn_gthread"
C = "django_drf-gunicorn_gthread"


# -- the claims file ------------------------------------------------------------------------------

def test_the_claims_file_holds_both_papers_claims_on_known_variants_and_scenarios():
    claims = reproduction.load_claims()
    scenarios = {p.stem for p in (ROOT / "client" / "scenarios").glob("*.json")}
    assert len(claims) >= 12
    assert {c.paper for c in claims} == set(PAPERS)
    assert sum(c.paper == 2 for c in claims) >= 6
    for c in claims:
        assert set(c.scenarios) <= scenarios, c.id
        for variant in c.variants:
            stack, _, server = variant.partition("-")
            assert stack in STACK_ORDER and server in SERVER_ORDER, (c.id, variant)
        assert c.figure, c.id  # the paper's own number
    kinds = {c.kind for c in claims}
    assert {"best", "worst", "better", "ratio"} <= kinds
    assert {c.metric for c in claims} == {"rps", "latency", "outliers"}


def test_every_ratio_claim_agrees_with_the_papers_own_figure():
    """The band of a ratio claim must hold the paper's ratio (else the claim is mis-typed)."""
    for c in reproduction.load_claims():
        if c.kind == "ratio":
            low, high = c.band
            assert low <= c.ratio <= high, c.id


# Folders and files outside the repository that nothing in it may cite (built from parts, so that
# this test does not cite them itself).
OUTSIDE = ("see" + "ds/", "DES" + "IGN.md", "../sh" + "ared")


def test_the_reports_never_cite_files_outside_the_project():
    for path in [*ROOT.joinpath("reports").rglob("*.py"), ROOT / "reports" / "claims.json"]:
        text = path.read_text(encoding="utf-8")
        assert not [name for name in OUTSIDE if name in text], path


@pytest.mark.parametrize(("change", "message"), [
    ({"kind": "fastest"}, "kind must be one of"),
    ({"metric": "p99"}, "kind must be one of"),
    ({"paper": 3}, "paper must be one of"),
    ({"among": []}, "must name a set or list"),
    ({"among": "no_such_set"}, "must name a set or list"),
    ({"scenarios": []}, "'scenarios' must be"),
])
def test_a_malformed_claim_is_refused_with_its_id(change: dict[str, Any], message: str):
    entry = {"id": "x1", "paper": 1, "claim": "A first", "kind": "best", "metric": "latency",
             "scenarios": ["p1_get"], "variant": A, "among": [A, B], **change}
    with pytest.raises(ClaimsError, match=message) as info:
        parse_claims({"claims": [entry]})
    assert "x1" in str(info.value)


def test_ratio_claims_need_a_band_and_ids_are_unique():
    ratio = {"id": "r", "paper": 1, "claim": "N/D about 2", "kind": "ratio", "metric": "latency",
             "scenarios": ["p1_get"], "numerator": B, "denominator": A, "ratio": 2.0}
    with pytest.raises(ClaimsError, match="band"):
        parse_claims({"claims": [ratio]})
    with pytest.raises(ClaimsError, match="band low"):
        parse_claims({"claims": [{**ratio, "band": [3, 1]}]})
    good = parse_claims({"claims": [{**ratio, "band": [1.5, None]}]})
    assert good[0].band == (1.5, math.inf)
    with pytest.raises(ClaimsError, match="duplicate"):
        parse_claims({"claims": [{**ratio, "band": [1, 3]}, {**ratio, "band": [1, 3]}]})


def test_the_corrected_claims_say_what_the_papers_say():
    claims = {c.id: c for c in reproduction.load_claims()}
    # "exceeded 8%": a floor, open above.
    assert claims["p1-hello-orm-cost-fastapi"].band == (1.08, math.inf)
    # "over two times higher than the median result": the median of the five is Flask + SQLAlchemy.
    over = claims["p1-list-sqlmodel-over-2x"]
    assert over.denominator == "flask_sqlalchemy-gunicorn_gthread"
    assert over.ratio == pytest.approx(168.8 / 69.2, abs=1e-3)
    # "Flask-based applications were the slowest" does not say which Flask is last.
    flask = {"flask_sqlite3-gunicorn_gthread", "flask_sqlalchemy-gunicorn_gthread"}
    for c in claims.values():
        if c.paper == 1 and "p1_create" in c.scenarios and c.kind != "ratio":
            assert not (c.variant in flask and set(c.others) & flask), c.id
            assert not (c.kind == "worst" and c.variant in flask), c.id
    beaten = {c.variant for c in claims.values() if c.kind == "better"
              and "p1_create" in c.scenarios and set(c.others) == flask}
    assert beaten == {"fastapi_sqlite3-gunicorn_uvicorn", "fastapi_sqlmodel-gunicorn_uvicorn",
                      "django_drf-gunicorn_gthread"}
    # Gevent against Flask is not in paper 2's words: derived from Table 1, and labelled so.
    derived = [c for c in claims.values() if "gevent" in c.id and c.kind == "ratio"]
    assert sorted(s for c in derived for s in c.scenarios) == ["p2_get_constant",
                                                               "p2_post_constant"]
    assert all(c.text.startswith("Derived from Table 1") for c in derived)
    assert claims["p2-concurrent-daphne-improves-django"].self_contradicted
    assert not claims["p2-constant-daphne-improves-django"].self_contradicted


def test_a_self_contradicted_flag_must_be_a_boolean():
    entry = {"id": "x2", "paper": 2, "claim": "A first", "kind": "best", "metric": "latency",
             "scenarios": ["p2_get_constant"], "variant": A, "among": [A, B]}
    assert parse_claims({"claims": [{**entry, "self_contradicted": True}]})[0].self_contradicted
    assert not parse_claims({"claims": [entry]})[0].self_contradicted
    with pytest.raises(ClaimsError, match="self_contradicted"):
        parse_claims({"claims": [{**entry, "self_contradicted": "yes"}]})


# -- evaluation on repetition values ------------------------------------------------------------

def _frames(means: dict[str, list[float]], scenario: str = "p1_get",
            failed: tuple[str, ...] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """reps and summary for given repetition mean latencies (goodput = 1000/mean)."""
    reps = pd.DataFrame([{"variant": v, "stack": v.split("-")[0], "server": v.split("-")[1],
                          "scenario": scenario, "rep": i + 1, "mean_ms": m,
                          "achieved_rps": 1000 / m, "status": "ok"}
                         for v, values in means.items() for i, m in enumerate(values)])
    keys = reps[["variant", "scenario"]].drop_duplicates()
    summary = keys.assign(status=["failed" if v in failed else "ok" for v in keys["variant"]])
    return reps, summary


def _claim(kind: str = "best", metric: str = "latency", scenario: str = "p1_get",
           **fields: Any) -> Claim:
    base: dict[str, Any] = {"id": f"t-{kind}", "paper": 1, "section": "", "text": "claim",
                            "figure": "", "kind": kind, "metric": metric,
                            "scenarios": (scenario,)}
    if kind != "ratio":
        base.update(variant=A, others=(B, C))
    return Claim(**{**base, **fields})


def _verdict(claim: Claim, frames: tuple[pd.DataFrame, pd.DataFrame]) -> pd.Series:
    out = reproduction.evaluate([claim], *frames)
    assert list(out.columns[:len(REPRODUCTION_COLUMNS)]) == list(REPRODUCTION_COLUMNS)
    assert len(out) == 1
    return out.iloc[0]


FAST = [5.0, 5.1, 4.9, 5.05]
MID = [7.0, 7.1, 6.9, 7.05]
SLOW = [9.0, 9.1, 8.9, 9.05]


def test_best_is_reproduced_only_when_significantly_ahead_of_every_rival():
    row = _verdict(_claim(), _frames({A: FAST, B: MID, C: SLOW}))
    assert row["verdict"] == "reproduced"
    assert "all 2 rival" in row["note"]
    # The interval is A against its closest rival (B): mean A / mean B, below 1.
    assert row["ci95_high"] < 1 and row["ci95_low"] > 0.6
    assert row["observed"].startswith(A) and B in row["observed"]


def test_best_is_contradicted_when_a_rival_is_significantly_ahead():
    row = _verdict(_claim(), _frames({A: MID, B: FAST, C: SLOW}))
    assert row["verdict"] == "contradicted"
    assert B in row["note"] and C not in row["note"]


def test_best_is_inconclusive_when_a_comparison_is_not_significant():
    row = _verdict(_claim(), _frames({A: FAST, B: [5.02, 4.95, 5.1, 5.0], C: SLOW}))
    assert row["verdict"] == "inconclusive"
    assert f"not significant against {B}" in row["note"]


def test_worst_and_better_mirror_best():
    frames = _frames({A: SLOW, B: MID, C: FAST})
    assert _verdict(_claim("worst"), frames)["verdict"] == "reproduced"
    assert _verdict(_claim("best"), frames)["verdict"] == "contradicted"
    assert _verdict(_claim("better", others=(C,)), frames)["verdict"] == "contradicted"
    assert _verdict(_claim("better", variant=C, others=(A,)), frames)["verdict"] == "reproduced"


def test_goodput_claims_rank_higher_as_better():
    # Goodput = 1000 / mean: A has the highest goodput. A latency-direction bug would flip it.
    frames = _frames({A: FAST, B: MID, C: SLOW})
    row = _verdict(_claim(metric="rps"), frames)
    assert row["verdict"] == "reproduced"
    assert row["ci95_low"] > 1  # goodput of A over its closest rival
    assert _verdict(_claim("worst", metric="rps", variant=C, others=(A, B)),
                    frames)["verdict"] == "reproduced"
    assert _verdict(_claim("worst", metric="rps"), frames)["verdict"] == "contradicted"


@pytest.mark.parametrize("reps_a", [1, 2])
def test_fewer_than_three_repetitions_are_inconclusive(reps_a: int):
    row = _verdict(_claim(), _frames({A: FAST[:reps_a], B: SLOW, C: SLOW}))
    assert row["verdict"] == "inconclusive"
    assert "insufficient_reps" in row["note"]
    assert np.isnan(row["ci95_low"])


def test_a_failed_or_missing_variant_or_scenario_is_inconclusive():
    assert "failed" in _verdict(_claim(), _frames({A: FAST, B: MID, C: SLOW},
                                                  failed=(C,)))["note"]
    missing = _verdict(_claim(), _frames({A: FAST, B: MID}))
    assert missing["verdict"] == "inconclusive" and f"{C} not in the run" in missing["note"]
    elsewhere = _verdict(_claim(scenario="p1_list"), _frames({A: FAST, B: MID, C: SLOW}))
    assert elsewhere["verdict"] == "inconclusive" and not elsewhere["scenario_in_run"]
    # A rival that is present and significantly ahead still contradicts, whatever is missing.
    assert _verdict(_claim(), _frames({A: SLOW, B: FAST}))["verdict"] == "contradicted"


@pytest.mark.parametrize(("band", "verdict"), [
    ((1.6, 2.0), "reproduced"),  # the interval (about 1.75-1.85) lies inside
    ((1.8, 2.5), "inconclusive"),  # straddles the lower edge
    ((2.0, math.inf), "contradicted"),  # the interval is wholly below
    ((1.0, 1.5), "contradicted"),  # ... wholly above
    ((1.5, math.inf), "reproduced"),  # "over 1.5 times"
])
def test_ratio_claims_use_fiellers_interval_against_the_band(band: tuple[float, float],
                                                             verdict: str):
    claim = _claim("ratio", numerator=C, denominator=A, ratio=1.8, band=band)
    row = _verdict(claim, _frames({A: FAST, C: SLOW}))
    assert row["verdict"] == verdict
    assert row["ci95_low"] < 1.8 < row["ci95_high"] and row["ci95_high"] - row["ci95_low"] < 0.2


def test_a_wide_ratio_interval_never_reproduces():
    claim = _claim("ratio", numerator=C, denominator=A, ratio=1.8, band=(1.0, 3.0))
    row = _verdict(claim, _frames({A: [5.0, 2.0, 9.0], C: [9.0, 4.0, 15.0]}))
    assert row["ci95_high"] - row["ci95_low"] > 2 or not np.isfinite(row["ci95_high"])
    assert row["verdict"] == "inconclusive"


def _paper_claim(claim_id: str) -> Claim:
    return {c.id: c for c in reproduction.load_claims()}[claim_id]


def _frames_in(means: dict[str, dict[str, list[float]]],
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``_frames`` over several scenarios: scenario -> variant -> repetition mean latencies."""
    parts = [_frames(m, scenario) for scenario, m in means.items()]
    reps = pd.concat([r for r, _ in parts], ignore_index=True)
    summary = pd.concat([s for _, s in parts], ignore_index=True)
    return reps, summary


@pytest.mark.parametrize(("numerator_ms", "verdict"), [
    ([4.0, 4.05, 3.95, 4.02], "reproduced"),  # goodput 1.25x: above the floor, however far
    ([2.5, 2.52, 2.48, 2.51], "reproduced"),  # 2x: a floor has no ceiling
    ([5.02, 4.95, 5.1, 5.0], "contradicted"),  # no gain at all
    ([4.63, 4.7, 4.55, 4.62], "inconclusive"),  # about 1.08: the interval straddles the floor
])
def test_the_fastapi_orm_cost_on_hello_is_a_floor(numerator_ms: list[float], verdict: str):
    claim = _paper_claim("p1-hello-orm-cost-fastapi")
    row = _verdict(claim, _frames({claim.numerator: numerator_ms, claim.denominator: FAST},
                                  "p1_hello"))
    assert row["verdict"] == verdict
    assert row["expected"].endswith("≥ 1.08 (paper: 1.083)")


@pytest.mark.parametrize(("flask_ms", "verdict"), [
    (SLOW, "reproduced"),  # the same mean: equivalent
    ([9.5, 9.6, 9.4, 9.55], "reproduced"),  # 5.5% slower: inside ±10%
    ([12.0, 12.1, 11.9, 12.05], "contradicted"),  # 1.33x: not matching
])
def test_matching_and_very_similar_are_equivalence_claims(flask_ms: list[float], verdict: str):
    claim = _paper_claim("p1-update-flask-sqlite3-matches-django")
    assert claim.band == pytest.approx((1 / 1.1, 1.1), abs=1e-3)
    row = _verdict(claim, _frames({claim.numerator: flask_ms, claim.denominator: SLOW},
                                  "p1_update"))
    assert row["verdict"] == verdict


def test_a_ratio_claim_over_several_scenarios_gets_one_verdict_each():
    claim = _paper_claim("p1-throughput-fastapi-80pct-above-flask")
    assert claim.scenarios == ("p1_hello", "p1_echo")
    fastapi, flask = claim.numerator, claim.denominator
    out = reproduction.evaluate([claim], *_frames_in({
        "p1_hello": {fastapi: FAST, flask: SLOW},  # 1.8x the goodput
        "p1_echo": {fastapi: FAST, flask: [5.2, 5.25, 5.15, 5.22]}}))  # about 1.04x
    assert list(out["scenario"]) == ["p1_hello", "p1_echo"]
    assert list(out["verdict"]) == ["reproduced", "contradicted"]


def test_a_claim_the_paper_contradicts_is_marked_and_still_tested():
    claim = _paper_claim("p2-concurrent-daphne-improves-django")
    daphne, django = claim.variant, claim.others[0]
    out = reproduction.evaluate([claim], *_frames_in({
        "p2_get_concurrent": {daphne: FAST, django: SLOW},
        "p2_post_concurrent": {daphne: SLOW, django: FAST}}))
    assert list(out["verdict"]) == ["reproduced", "contradicted"]
    assert all(text.endswith(SELF_CONTRADICTED) for text in out["claim"])
    assert all("the paper contradicts itself: " in note for note in out["note"])
    plain = _verdict(_claim(), _frames({A: FAST, B: MID, C: SLOW}))
    assert SELF_CONTRADICTED not in plain["claim"] and "contradicts itself" not in plain["note"]


def test_outlier_counts_follow_the_iqr_rule_per_repetition():
    latency = np.r_[np.linspace(9.0, 11.0, 196), [100.0, 200.0, 0.1, 500.0]]  # fences ~8, 12
    reps = pd.DataFrame({"cell_id": [0, 1], "variant": [A, A], "scenario": ["s", "other"],
                         "rep": [1, 1]})
    requests = pd.DataFrame({"cell_id": np.r_[np.zeros(latency.size, int), [1, 1]],
                             "latency_ms": np.r_[latency, [1.0, np.nan]]})
    out = reproduction.rep_outliers(requests, reps, ["s"])
    assert len(out) == 1 and out.loc[0, "samples"] == latency.size
    assert out.loc[0, "outliers"] == 4 == statistics.iqr_outliers(latency)
    assert out.loc[0, "outlier_share"] == pytest.approx(4 / latency.size)


# -- through the whole pipeline: a synthetic run, 1 and 3 repetitions --------------------------

def _run(tmp_path: Path, reps: int, models: dict[str, float]) -> Analysis:
    plan = {(v, "p1_get"): CellModel(ms, sigma=0.2) for v, ms in models.items()}
    root = make_run(tmp_path / f"run{reps}", reps=reps, requests_per_rep=300, plan=plan)
    return analyse(load_run(root))


def test_a_run_reproduces_contradicts_or_cannot_tell(tmp_path: Path):
    claim = _claim()
    faster = _run(tmp_path / "a", 3, {A: 2.0, B: 4.0, C: 8.0})
    row = reproduction.evaluate([claim], faster.reps, faster.summary).iloc[0]
    assert row["verdict"] == "reproduced" and row["reps"] == 3
    slower = _run(tmp_path / "b", 3, {A: 6.0, B: 3.0, C: 8.0})
    row = reproduction.evaluate([claim], slower.reps, slower.summary).iloc[0]
    assert row["verdict"] == "contradicted"
    once = _run(tmp_path / "c", 1, {A: 2.0, B: 4.0, C: 8.0})
    row = reproduction.evaluate([claim], once.reps, once.summary).iloc[0]
    assert row["verdict"] == "inconclusive" and "insufficient_reps" in row["note"]
    # The ordering is still what was measured once: shown, not claimed.
    assert row["observed"].startswith(A)


# -- warm-up ------------------------------------------------------------------------------------

def _warm_requests(head_ms: float, rest_ms: float, n: int = 1000, shuffle: bool = True,
                   head: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    latency = np.r_[np.full(head, head_ms), np.full(n - head, rest_ms)]
    seq = np.arange(n)
    order = np.random.default_rng(3).permutation(n) if shuffle else seq  # written as completed
    requests = pd.DataFrame({"cell_id": 0, "seq": seq[order], "latency_ms": latency[order]})
    reps = pd.DataFrame({"cell_id": [0], "variant": [A], "scenario": ["p2_get_constant"],
                         "rep": [2]})
    return requests, reps


def test_warmup_flags_slow_first_requests_in_send_order():
    table = warmup.warmup_table(*_warm_requests(60.0, 10.0))
    assert table.loc[0, "head"] == 10 and table.loc[0, "samples"] == 1000
    assert table.loc[0, "head_mean_ms"] == pytest.approx(60.0)
    assert table.loc[0, "rest_median_ms"] == pytest.approx(10.0)
    assert bool(table.loc[0, "flagged"])
    findings = warmup.warmup_findings(table)
    assert list(findings["severity"]) == ["warning"] and findings.loc[0, "rep"] == 2
    message = findings.loc[0, "message"]
    assert "first 10 requests averaged 60.0 ms" in message and "6.0×" in message
    assert f"{WARMUP_FACTOR:g}× the median" in message and f"{WARMUP_MIN_EXCESS_MS:g} ms" in message


@pytest.mark.parametrize(("head_ms", "rest_ms", "flagged"), [
    (60.0, 10.0, True),
    (19.0, 10.0, False),  # 1.9×: below the factor
    (3.0, 1.0, False),  # 3×, but only 2 ms beyond: sub-millisecond noise is not a warm-up
    (7.0, 1.0, True),  # 7×, 6 ms beyond
    (30.0, 20.0, False),
])
def test_warmup_needs_both_the_factor_and_the_excess(head_ms: float, rest_ms: float,
                                                      flagged: bool):
    table = warmup.warmup_table(*_warm_requests(head_ms, rest_ms))
    assert bool(table.loc[0, "flagged"]) is flagged
    assert warmup.warmup_findings(table).empty is not flagged


def test_warmup_head_is_one_percent_of_long_repetitions_and_short_ones_are_skipped():
    assert warmup.head_size(500) == 10 and warmup.head_size(5000) == 50
    table = warmup.warmup_table(*_warm_requests(60.0, 10.0, n=5000, head=50))
    assert table.loc[0, "head"] == 50 and bool(table.loc[0, "flagged"])
    assert warmup.warmup_table(*_warm_requests(60.0, 10.0, n=30)).empty


def test_warmup_findings_reach_the_validity_table_and_warning_counts(tmp_path: Path):
    plan = {(A, "p2_get_constant"): CellModel(5.0, 0.2, slow_start_ms=50.0),
            (B, "p2_get_constant"): CellModel(5.0, 0.2)}
    result = analyse(load_run(make_run(tmp_path / "run", reps=2, requests_per_rep=400,
                                       plan=plan)))
    warm = result.validity[result.validity["message"].str.startswith("warm-up effect")]
    assert list(warm["variant"]) == [A] and list(warm["severity"]) == ["warning"]
    assert "in 2 of 2 repetition(s)" in warm["message"].iloc[0]
    row = result.summary.set_index("variant").loc[A]
    assert row["warnings"] >= 1
    assert result.summary.set_index("variant").loc[B, "warnings"] == 0
    assert bool(result.warmup.set_index("variant").loc[A, "flagged"].all())


# -- the demo -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_run(tmp_path_factory.mktemp("demo") / "run", reps=3, requests_per_rep=150,
                    plan=demo_plan(DEMO_SCENARIOS))
    assert main(["build", str(root), "-q", "--no-figures"]) == 0
    return root


def test_the_demo_covers_both_papers_and_shows_every_verdict(demo: Path):
    meta = json.loads((demo / "run.json").read_text())
    assert meta["profile"] == "synthetic"
    assert set(meta["parameters"]["scenarios"]) == set(DEMO_SCENARIOS)
    assert {s for s in DEMO_SCENARIOS if s.startswith("p1_")} == {
        "p1_hello", "p1_echo", "p1_list", "p1_get", "p1_create", "p1_update", "p1_delete"}
    with (demo / "report" / "reproduction.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:len(REPRODUCTION_COLUMNS)] == list(REPRODUCTION_COLUMNS)
    ids = {r["id"] for r in rows}
    assert ids == {c.id for c in reproduction.load_claims()} and len(ids) >= 12
    assert all(r["scenario_in_run"] == "True" for r in rows)  # every claim can be evaluated
    assert {r["verdict"] for r in rows} == {"reproduced", "contradicted", "inconclusive"}
    assert {r["paper"] for r in rows} == set(PAPERS.values())


def test_the_reproduction_table_follows_validity_in_both_reports(demo: Path):
    md = (demo / "report" / "tables.md").read_text()
    assert md.index("## Validity") < md.index("## Reproduction of the papers' claims") \
        < md.index("## Summary")
    assert "Only ratios and orderings are tested, never absolute numbers" in md
    html = (demo / "report" / "index.html").read_text()
    assert html.index('id="validity"') < html.index('id="reproduction"') < html.index('id="glance"')
    assert html.count('class="verdict-') == sum(1 for _ in (demo / "report" / "reproduction.csv")
                                                .open()) - 1


def test_demo_scenarios_narrow_the_run(tmp_path: Path):
    out = tmp_path / "demo"
    assert main(["demo", str(out), "--scenarios", "p1_get,smoke_hello", "--reps", "1",
                 "--requests", "50"]) == 0
    variants = {p.name for p in (out / "cells").iterdir()}
    assert variants == set(P1) | set(P2)  # a full matrix, as the `paper` profile runs it
    for variant in variants:
        assert {p.name for p in (out / "cells" / variant).iterdir()} == {"p1_get", "smoke_hello"}
    md = (out / "report" / "tables.md").read_text()
    assert "Not tested, their scenario is not in this run" in md
    assert "missing: no repetition" not in md
    only_smoke = tmp_path / "smoke"
    assert main(["demo", str(only_smoke), "--scenarios", "smoke_hello", "--reps", "1",
                 "--requests", "20"]) == 0
    assert {p.name for p in (only_smoke / "cells").iterdir()} == set(DEFAULT_VARIANTS)
