"""A load plan: what to send, how (model) and for how long. Both engines execute a LoadPlan.

Per-request variation (ids in paths, templated bodies) is expanded before the run into a list of
``(path, body)`` variants; request ``seq`` uses variant ``seq % len(variants)``. The hot loop only
indexes a list of pre-encoded requests.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from typing import Any

from client.constants import DEFAULT_MAX_CONNECTIONS, DEFAULT_TIMEOUT_S, ID_CYCLE

CONNECTION_MODES: tuple[str, ...] = ("keep-alive", "new")


@dataclass(frozen=True)
class IdSpec:
    """How ``{id}`` is chosen per request: ``random`` ints in [lo, hi] from the seed, or
    ``sequential`` distinct ids lo, lo+1, ... (for deletes; ``hi``, when not 0, is the last id
    that exists: how far repeats of the pattern may go, client/measure.py)."""

    mode: str = "random"
    lo: int = 1
    hi: int = 1500

    def draw(self, count: int, seed: int, offset: int = 0) -> list[int]:
        """``count`` ids; sequential ones start ``offset`` after ``lo`` (random ones come from
        the seed alone)."""
        if self.mode == "sequential":
            return list(range(self.lo + offset, self.lo + offset + count))
        rng = random.Random(seed)
        return [rng.randint(self.lo, self.hi) for _ in range(count)]


@dataclass(frozen=True)
class LoadPlan:
    base_url: str  # scheme://host:port
    method: str
    path: str  # may contain {id}
    body: Any = None  # JSON value; strings inside may contain {id} / {seq}
    raw_body: bytes | None = None  # exact bytes from --body (takes precedence over body)
    ids: IdSpec | None = None
    rate: float | None = None  # open loop when set
    concurrency: int | None = None  # closed loop when set
    iterations: int | None = None
    duration_s: float | None = None
    engine: str = "fast"
    timeout_s: float = DEFAULT_TIMEOUT_S
    pause_s: float = 0.0  # per worker, after each request (closed loop)
    # "keep-alive": a worker keeps its connection; "new": every request opens (and closes) its own
    # TCP connection, as a client calling requests.get() per iteration does (paper 2's client)
    connection: str = "keep-alive"
    max_connections: int | None = None
    seed: int = 0
    # Sharing one step between several clients (client/share.py): this plan sends the requests of
    # global sequence numbers ``seq_start + i * seq_step`` (i = 0, 1, ...); open loop, request
    # ``seq`` is due at ``t0 + seq / step_rate`` (the whole step's rate). ``count`` (open loop)
    # is how many requests this plan sends when it is not ``iterations`` or ``duration × rate``.
    seq_start: int = 0
    seq_step: int = 1
    step_rate: float | None = None
    count: int | None = None
    # A repeat of the step's pattern (run --min-measure-s, client/measure.py): ``{seq}`` in bodies
    # is ``seq_offset + i`` and sequential ids start ``seq_offset`` after their first, so a
    # repeat never re-creates a name nor re-deletes an id of the blocks before it.
    seq_offset: int = 0
    variants: list[tuple[str, bytes | None]] = field(default_factory=list, compare=False)

    def __post_init__(self) -> None:
        if (self.rate is None) == (self.concurrency is None):
            raise ValueError("exactly one of rate (open loop) and concurrency (closed loop)")
        if (self.iterations is None) == (self.duration_s is None):
            raise ValueError("exactly one of iterations and duration")
        if self.rate is not None and not (self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError("rate must be > 0")
        if self.concurrency is not None and self.concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        if self.iterations is not None and self.iterations < 1:
            raise ValueError("iterations must be >= 1")
        if self.duration_s is not None and not self.duration_s > 0:
            raise ValueError("duration must be > 0")
        if not self.timeout_s > 0:
            raise ValueError("timeout must be > 0")
        if self.pause_s < 0:
            raise ValueError("pause must be >= 0")
        if self.connection not in CONNECTION_MODES:
            raise ValueError(f"connection must be one of {', '.join(CONNECTION_MODES)}")
        if self.engine not in ("fast", "requests"):
            raise ValueError(f"unknown engine {self.engine!r}")
        if self.max_connections is not None and self.max_connections < 1:
            raise ValueError("max-connections must be >= 1")
        if self.seq_start < 0 or self.seq_step < 1:
            raise ValueError("seq_start must be >= 0 and seq_step >= 1")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be >= 1")
        if self.seq_offset < 0:
            raise ValueError("seq_offset must be >= 0")
        if not self.variants:
            object.__setattr__(self, "variants", self._expand())

    @property
    def model(self) -> str:
        return "open" if self.rate is not None else "closed"

    @property
    def total(self) -> int | None:
        """Requests to send, when known in advance (iterations, or open loop duration × rate)."""
        if self.count is not None:
            return self.count
        if self.iterations is not None:
            return self.iterations
        if self.rate is not None and self.duration_s is not None:
            return max(1, round(self.duration_s * self.rate))
        return None

    @property
    def expected_s(self) -> float:
        if self.duration_s is not None:
            return self.duration_s
        if self.rate is not None:
            return (self.total or 0) / self.rate
        return 0.0

    @property
    def schedule_period_ns(self) -> float:
        """Open loop: ns between consecutive global sequence numbers (``1e9 / step_rate``)."""
        rate = self.step_rate or self.rate
        return 1e9 / rate if rate else 0.0

    def global_seq(self, i: int) -> int:
        """Global sequence number of this plan's ``i``-th request (``i`` when not shared)."""
        return self.seq_start + i * self.seq_step

    @property
    def connection_limit(self) -> int:
        if self.max_connections is not None:
            return self.max_connections
        return DEFAULT_MAX_CONNECTIONS

    def url_for(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def _expand(self) -> list[tuple[str, bytes | None]]:
        templated = "{id}" in self.path or _has_template(self.body)
        if not templated:
            return [(self.path, self._encode_body(self.body, None, 0))]
        count = self.total or ID_CYCLE
        spec = self.ids or IdSpec()
        ids = spec.draw(count, self.seed, self.seq_offset) \
            if "{id}" in self.path or _has_id(self.body) else [0] * count
        out = []
        for i, item_id in enumerate(ids):
            path = self.path.replace("{id}", str(item_id))
            out.append((path, self._encode_body(self.body, item_id, self.seq_offset + i)))
        return out

    def _encode_body(self, body: Any, item_id: int | None, seq: int) -> bytes | None:
        if self.raw_body is not None:
            return self.raw_body
        if body is None:
            return None
        if item_id is not None:
            body = _fill(body, item_id, seq)
        return json.dumps(body, separators=(",", ":")).encode()


def _has_template(value: Any) -> bool:
    if isinstance(value, str):
        return "{id}" in value or "{seq}" in value
    if isinstance(value, dict):
        return any(_has_template(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_template(v) for v in value)
    return False


def _has_id(value: Any) -> bool:
    if isinstance(value, str):
        return "{id}" in value
    if isinstance(value, dict):
        return any(_has_id(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_id(v) for v in value)
    return False


def _fill(value: Any, item_id: int, seq: int) -> Any:
    if isinstance(value, str):
        return value.replace("{id}", str(item_id)).replace("{seq}", str(seq))
    if isinstance(value, dict):
        return {k: _fill(v, item_id, seq) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, item_id, seq) for v in value]
    return value
