"""Sharing one cell's load between K client hosts (``run --share I/K``); ``python -m controller
merge`` merges their cells.

Share ``I`` of ``K`` of a step (every step, warm-up and measured):

* **open loop**, rate R: the step's schedule is request ``seq`` at ``t0 + seq/R`` for
  ``seq = 0 .. N-1`` (N = iterations, or round(duration × R)); share I sends the requests with
  ``seq ≡ I-1 (mod K)``, i.e. at ``t0 + (I-1)/R + j·K/R``: rate R/K each, and with a common
  ``t0`` (``--start-at``) the union is exactly the evenly spaced R schedule. The count is
  ``N//K`` plus one for the first ``N%K`` shares.
* **closed loop**, concurrency C: ``C//K`` connections, plus one for the first ``C%K`` shares.
  When C < K only the first C shares have a connection; the others run nothing, and the step is
  split between the ``K' = min(K, C)`` active shares. Shared iterations N: ``N//K'`` plus one for
  the first ``N%K'`` shares. A duration is unchanged. Share I's requests have the global sequence
  numbers ``I-1 + j·K'``, so the union is ``0 .. N-1`` (iterations) and never clashes (duration).
* **ids**: per-request variants are indexed by the global sequence number, so ``sequential`` ids
  (deletes) and ``{seq}`` in bodies are disjoint across shares and their union is exactly the
  unsharded list; ``random`` ids are drawn from the seed mixed with I (independent streams).

A share with nothing to send in a step (fewer connections or requests than shares) skips it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from client.plan import LoadPlan, _has_template
from runfiles.share_id import ShareId


@dataclass(frozen=True)
class Share(ShareId):
    """Share ``I/K`` (``ShareId``, the ``share`` key of its summary.json) and how it splits a
    step."""

    def mixed_seed(self, seed: int) -> int:
        """The seed of this share's random ids (the seed itself when not shared)."""
        return seed if self.count == 1 else seed * 1_000_003 + self.index * 7_919 + self.count

    def apply(self, plan: LoadPlan) -> LoadPlan | None:
        """This share's part of ``plan`` (the whole step); None when it has nothing to send."""
        k, i0 = self.count, self.index - 1
        if k == 1:
            return plan
        base = plan
        templated = "{id}" in plan.path or _has_template(plan.body)
        if templated and plan.raw_body is None and (plan.ids is None or
                                                    plan.ids.mode == "random"):
            base = replace(plan, seed=self.mixed_seed(plan.seed), variants=[])
        if plan.rate is not None:
            total = plan.total or 0
            n = split(total, k, i0)
            if n == 0:
                return None
            return replace(base, rate=plan.rate / k, step_rate=plan.rate, seq_start=i0,
                           seq_step=k, count=n,
                           iterations=n if plan.iterations is not None else None)
        conc = plan.concurrency or 1
        active = min(k, conc)
        if i0 >= active:
            return None
        c = split(conc, k, i0)
        iterations = None
        if plan.iterations is not None:
            iterations = split(plan.iterations, active, i0)
            if iterations == 0:
                return None
        return replace(base, concurrency=c, iterations=iterations, seq_start=i0, seq_step=active)


def split(n: int, k: int, i0: int) -> int:
    """Share ``i0`` (0-based) of ``n`` things dealt round-robin to ``k`` shares."""
    return n // k + (1 if i0 < n % k else 0)
