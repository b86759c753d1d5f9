"""Reproduction of the papers' claims: every claim of ``reports/claims.json`` tested against a run.

The claims are data (``claims.json``): Bednarz & Miłosz, "Benchmarking the performance of Python
web frameworks" (2025) (paper 1) and Malatjie & Faniso-Myaka, "Comparative analysis of HTTP
request handling in different Python frameworks" (2025) (paper 2). ``evaluate`` turns them into
report/reproduction.csv, one row per claim x scenario. Pure: DataFrames in, DataFrame out (only
``load_claims`` reads a file).

Rules (also the report's section note):

* Only ratios and orderings are tested, never absolute numbers: the papers ran on other hardware,
  so "4,783 req/s" is not expected, "FastAPI + SQLite3 first" and "Django at about 35% of it" are.
* The unit is the repetition, as in every comparison of the report: each variant contributes one
  value per repetition that did not fail: its goodput (``rps``), its mean latency (``latency``)
  or the share of its latency samples outside [Q1 − 1.5·IQR, Q3 + 1.5·IQR] (``outliers``, the
  paper-2 rule applied to one repetition, as the paper counted its one run).
* Orderings use the report's pairwise test (reports/analysis/verdicts.py ``compare``), at
  α = 0.05: Welch's t-test on repetition values, or, when the run's repetitions are rounds
  (run.json plan.design), the paired t-test on per-round log ratios. The tests of one claim in
  one scenario (its variant against each of its rivals) are Holm-corrected **over that claim's
  own rivals only**: the question the claim asks, never every pair the run happens to hold, so
  adding unrelated variants to a run changes no claim's adjusted p-value.
  - "A best among S" (``best``, and ``better`` for one or a few named rivals) is **reproduced**
    only when A is significantly better than every other member of S; **contradicted** when
    some member is significantly better than A; else **inconclusive** (a comparison not
    significant, or one that cannot be made).
  - "A worst among S" (``worst``) is the mirror image.
  - ``p_adjusted`` is the largest Holm-adjusted p-value of the claim's rivals (the one that
    decides "ahead of every rival"), ``holm_m`` how many rivals were tested.
  - The interval reported with an ordering is the 95% interval of A against its closest
    rival, unadjusted: it may exclude 1 while the Holm-adjusted test does not reject.
* A ratio claim "metric(N) / metric(D) ≈ r" carries the paper's ratio r and a band of values that
  agree with the claim (the claim's own words set its width: "about" ±20%, "over N times" at
  least N, "exceeded X%" at least 1 + X/100, "very similar" ±10%, ...; see claims.json
  ``band_rules``), one verdict per scenario. A two-sided band around 1 is an equivalence claim
  ("negligible", "very similar", "matching"); a band open above is a floor ("over", "exceeded").
  With the 95% interval of the ratio N/D over repetitions (Fieller's of mean(N)/mean(D), or in a
  rounds design the paired interval of the geometric mean of per-round ratios), the claim is
  **reproduced**
  when the whole interval lies inside the band (the data rule out every ratio the claim does
  not allow: an equivalence test), **contradicted** when the interval and the band do not meet
  (the data rule out every ratio the claim allows), else **inconclusive** (the interval
  straddles an edge of the band: more repetitions decide).
  A wide interval therefore never reproduces a claim.
* A claim the paper contradicts itself on (``self_contradicted``: its text says one thing, its
  own tables the other) is still tested; its text in the report says so, and so does its note.
* Always **inconclusive** when the statistics cannot decide: the scenario or a variant missing
  from the run, a failed variant x scenario (never ranked), fewer than 3 repetitions that did
  not fail on a side (``insufficient_reps``) or 3 rounds paired, an unbounded ratio interval, or
  a scenario whose A/A control differed (reports/analysis/control.py: every verdict of it is
  blocked).
* ``alpha`` (default 0.05): the level of the ordering tests (Holm) and of the interval that
  decides a ratio claim (the (1 - alpha) interval). A run that stops when its questions are
  decided tests at the nominal level of its look instead (reports/analysis/looks.py).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports.analysis import verdicts
from reports.analysis.repetitions import ranked
from reports.constants import (
    ALPHA,
    MIN_REPS,
    PAIRED_T,
    PAPERS,
    QUANTILE_METHOD,
    REPRODUCTION_COLUMNS,
    REPRODUCTION_EXTRA_COLUMNS,
    SELF_CONTRADICTED,
)

CLAIMS_FILE = Path(__file__).parents[1] / "claims.json"  # reports/claims.json, named in the report
KINDS = ("best", "worst", "better", "ratio")
# metric -> (higher is better, unit formatter, words for best / worst / better)
METRICS: dict[str, tuple[bool, str, tuple[str, str, str]]] = {
    "rps": (True, "{:,.0f} req/s", ("highest goodput", "lowest goodput", "higher goodput")),
    "latency": (False, "{:,.2f} ms", ("lowest mean latency", "highest mean latency",
                                      "lower mean latency")),
    "outliers": (False, "{:.2%} outliers", ("fewest outliers", "most outliers",
                                            "fewer outliers")),
}
OUTLIER_COLUMNS = ["variant", "scenario", "rep", "samples", "outliers", "outlier_share"]
NAN = float("nan")


class ClaimsError(ValueError):
    """claims.json does not follow its schema."""


@dataclass(frozen=True)
class Claim:
    id: str
    paper: int
    section: str
    text: str
    figure: str
    kind: str  # best | worst | better | ratio
    metric: str  # rps | latency | outliers
    scenarios: tuple[str, ...]
    variant: str = ""  # best, worst, better: the variant the claim is about
    others: tuple[str, ...] = ()  # ... and the ones it is compared with
    numerator: str = ""  # ratio
    denominator: str = ""
    ratio: float = NAN  # the paper's ratio
    band: tuple[float, float] = (NAN, NAN)  # values that agree with the claim
    note: str = ""
    self_contradicted: bool = False  # the paper's own text or tables say the opposite elsewhere

    @property
    def variants(self) -> tuple[str, ...]:
        if self.kind == "ratio":
            return (self.numerator, self.denominator)
        return (self.variant, *self.others)


def _need(entry: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = entry.get(key)
    if not isinstance(value, kind) or (isinstance(value, (str, list)) and not value):
        raise ClaimsError(f"{where}: '{key}' must be a non-empty {kind.__name__}")
    return value


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ClaimsError(f"{where}: 'ratio' must be a number")
    return float(value)


def parse_claims(data: Mapping[str, Any]) -> list[Claim]:
    """The claims of a claims.json document, validated (``ClaimsError`` names the claim)."""
    sets = data.get("sets") or {}
    claims: list[Claim] = []
    for i, entry in enumerate(data.get("claims") or []):
        where = f"claims.json claim {entry.get('id') or i}"
        kind = _need(entry, "kind", str, where)
        metric = _need(entry, "metric", str, where)
        if kind not in KINDS or metric not in METRICS:
            raise ClaimsError(f"{where}: kind must be one of {KINDS}, metric one of "
                              f"{tuple(METRICS)}")
        paper = entry.get("paper")
        if paper not in PAPERS:
            raise ClaimsError(f"{where}: paper must be one of {sorted(PAPERS)}")
        fields: dict[str, Any] = {
            "id": _need(entry, "id", str, where), "paper": paper,
            "section": str(entry.get("section") or ""), "text": _need(entry, "claim", str, where),
            "figure": str(entry.get("figure") or ""), "kind": kind, "metric": metric,
            "scenarios": tuple(_need(entry, "scenarios", list, where)),
            "note": str(entry.get("note") or ""),
            "self_contradicted": entry.get("self_contradicted", False)}
        if not isinstance(fields["self_contradicted"], bool):
            raise ClaimsError(f"{where}: 'self_contradicted' must be true or false")
        if kind == "ratio":
            band = _need(entry, "band", list, where)
            if len(band) != 2:
                raise ClaimsError(f"{where}: a ratio claim has a band [low, high]")
            low = -math.inf if band[0] is None else float(band[0])
            high = math.inf if band[1] is None else float(band[1])
            if not low < high:
                raise ClaimsError(f"{where}: band low must be below high")
            fields.update(numerator=_need(entry, "numerator", str, where),
                          denominator=_need(entry, "denominator", str, where),
                          ratio=_number(entry.get("ratio"), where), band=(low, high))
        else:
            variant = _need(entry, "variant", str, where)
            group = entry.get("than") if kind == "better" else entry.get("among")
            members = sets.get(group) if isinstance(group, str) else group
            if not isinstance(members, list) or not members:
                raise ClaimsError(f"{where}: '{'than' if kind == 'better' else 'among'}' must "
                                  "name a set or list variants")
            others = tuple(v for v in members if v != variant)
            if not others:
                raise ClaimsError(f"{where}: nothing to compare {variant} with")
            fields.update(variant=variant, others=others)
        claims.append(Claim(**fields))
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ClaimsError("claims.json: duplicate claim ids")
    return claims


@functools.cache
def load_claims(path: Path = CLAIMS_FILE) -> tuple[Claim, ...]:
    """The claims of ``path`` (default: the report's own claims.json), read once."""
    return tuple(parse_claims(json.loads(path.read_text(encoding="utf-8"))))


# -- per-repetition values ----------------------------------------------------------------------

def rep_outliers(requests: pd.DataFrame, reps: pd.DataFrame,
                 scenarios: Sequence[str]) -> pd.DataFrame:
    """Per repetition of ``scenarios``: its latency samples, how many lie outside
    [Q1 − 1.5·IQR, Q3 + 1.5·IQR] of that repetition, and their share."""
    if reps.empty or requests.empty:
        return pd.DataFrame(columns=OUTLIER_COLUMNS)
    cells = reps.loc[reps["scenario"].isin(list(scenarios)),
                     ["cell_id", "variant", "scenario", "rep"]]
    sample = requests[requests["cell_id"].isin(cells["cell_id"])
                      & requests["latency_ms"].notna()][["cell_id", "latency_ms"]]
    if sample.empty:
        return pd.DataFrame(columns=OUTLIER_COLUMNS)
    by_cell = sample.groupby("cell_id")["latency_ms"]
    q = by_cell.quantile([0.25, 0.75], interpolation=QUANTILE_METHOD).unstack()
    low = q[0.25] - 1.5 * (q[0.75] - q[0.25])
    high = q[0.75] + 1.5 * (q[0.75] - q[0.25])
    cid = sample["cell_id"].to_numpy()
    x = sample["latency_ms"].to_numpy()
    outside = (x < low.reindex(cid).to_numpy()) | (x > high.reindex(cid).to_numpy())
    counts = pd.DataFrame({"cell_id": cid, "out": outside}).groupby("cell_id")["out"] \
        .agg(["sum", "size"])
    out = cells.merge(counts, left_on="cell_id", right_index=True)
    return pd.DataFrame({"variant": out["variant"].to_numpy(), "scenario": out["scenario"],
                         "rep": out["rep"].to_numpy(), "samples": out["size"].to_numpy(),
                         "outliers": out["sum"].to_numpy(),
                         "outlier_share": (out["sum"] / out["size"]).to_numpy()},
                        columns=OUTLIER_COLUMNS).reset_index(drop=True)


def rep_values(reps: pd.DataFrame, outliers: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``variant, scenario, rep, value``: the claim metric of every repetition that did not
    fail."""
    good = ranked(reps)[["variant", "scenario", "rep"]].copy() if len(reps) else \
        pd.DataFrame(columns=["variant", "scenario", "rep"])
    if metric == "outliers":
        merged = good.merge(outliers[["variant", "scenario", "rep", "outlier_share"]],
                            on=["variant", "scenario", "rep"], how="inner")
        return merged.rename(columns={"outlier_share": "value"})
    column = "achieved_rps" if metric == "rps" else "mean_ms"
    good["value"] = ranked(reps)[column].to_numpy(dtype="float64") if len(reps) else []
    return good


# -- evaluation ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Context:
    summary: pd.DataFrame  # indexed by (variant, scenario)
    values: dict[str, dict[tuple[str, str], dict[int, float]]]  # metric -> (s, v) -> rep -> value
    rounds: bool  # repetitions are rounds: compare paired by round
    blocked: Mapping[str, str]  # scenario -> why its verdicts are blocked (A/A control)
    alpha: float = ALPHA  # level of the tests; the ratio claims' interval is the (1 - alpha) one

    @property
    def interval(self) -> str:
        """The interval's name in the notes: "95%", or the look's own level."""
        return "95%" if self.alpha == ALPHA else f"{100 * (1 - self.alpha):.4g}%"


def _by_cell(values: pd.DataFrame) -> dict[tuple[str, str], dict[int, float]]:
    return {(str(s), str(v)): dict(zip(g["rep"].astype(int), g["value"].to_numpy(dtype="float64"),
                                       strict=True))
            for (s, v), g in values.groupby(["scenario", "variant"], sort=False)}


def _by_rep(ctx: _Context, metric: str, scenario: str, variant: str) -> dict[int, float]:
    return ctx.values[metric].get((scenario, variant), {})


def _values(ctx: _Context, metric: str, scenario: str, variant: str) -> np.ndarray:
    return np.array(list(_by_rep(ctx, metric, scenario, variant).values()), dtype="float64")


def _compare(ctx: _Context, metric: str, scenario: str, a: str, b: str) -> dict[str, Any]:
    """B against A on the claim metric, by the run's test (paired by round or Welch)."""
    return verdicts.compare(_by_rep(ctx, metric, scenario, a), _by_rep(ctx, metric, scenario, b),
                            rounds=ctx.rounds, alpha=ctx.alpha)


def _unavailable(ctx: _Context, metric: str, scenario: str, variant: str) -> str:
    """Why ``variant`` cannot take part in a test in ``scenario`` ("" when it can)."""
    if (variant, scenario) not in ctx.summary.index:
        return f"{variant} not in the run"
    row = ctx.summary.loc[(variant, scenario)]
    if row["status"] == "failed":
        return f"{variant} failed"
    n = np.isfinite(_values(ctx, metric, scenario, variant)).sum()
    if n < MIN_REPS:
        return f"{variant}: {n} repetition(s), {MIN_REPS} needed (insufficient_reps)"
    return ""


def _fmt(metric: str, value: float) -> str:
    return METRICS[metric][1].format(value) if np.isfinite(value) else "–"


def _mean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else NAN


def _row(claim: Claim, scenario: str, **fields: Any) -> dict[str, Any]:
    text = f"{claim.text} {SELF_CONTRADICTED}" if claim.self_contradicted else claim.text
    return {"paper": PAPERS[claim.paper], "claim": text, "scenario": scenario,
            "id": claim.id, "kind": claim.kind, "metric": claim.metric,
            "variants": "; ".join(claim.variants), "paper_figure": claim.figure,
            "ci95_low": NAN, "ci95_high": NAN, "reps": 0, "scenario_in_run": True,
            "observed": "", "test": "", "p_adjusted": NAN, "holm_m": NAN, **fields}


def _expected(claim: Claim) -> str:
    words = METRICS[claim.metric][2]
    if claim.kind == "ratio":
        low, high = claim.band
        band = (f"≥ {low:g}" if math.isinf(high) else f"≤ {high:g}" if math.isinf(low)
                else f"in [{low:g}, {high:g}]")
        return (f"{claim.metric} {claim.numerator} / {claim.denominator} {band} "
                f"(paper: {claim.ratio:g})")
    if claim.kind == "better":
        return f"{claim.variant}: {words[2]} than {', '.join(claim.others)}"
    word = words[0] if claim.kind == "best" else words[1]
    return f"{claim.variant}: {word} of {len(claim.others) + 1} variants"


def _reps(ctx: _Context, claim: Claim, scenario: str) -> int:
    counts = [int(np.isfinite(_values(ctx, claim.metric, scenario, v)).sum())
              for v in claim.variants]
    return min(counts) if counts else 0


def _ordering(ctx: _Context, claim: Claim, scenario: str) -> dict[str, Any]:
    metric, a = claim.metric, claim.variant
    higher = METRICS[metric][0]
    mine = _values(ctx, metric, scenario, a)
    fields: dict[str, Any] = {"reps": _reps(ctx, claim, scenario)}
    present = [b for b in claim.others if (b, scenario) in ctx.summary.index
               and ctx.summary.loc[(b, scenario)]["status"] != "failed"
               and np.isfinite(_values(ctx, metric, scenario, b)).any()]
    if present and np.isfinite(mine).any():
        means = {b: _mean(_values(ctx, metric, scenario, b)) for b in present}
        # The closest rival: the best of the others for "best"/"better", the worst for "worst".
        pick = max if (claim.kind != "worst") == higher else min
        rival = pick(means, key=lambda b: means[b])
        r = _compare(ctx, metric, scenario, rival, a)
        fields.update(ci95_low=r["ci95_low"], ci95_high=r["ci95_high"], test=r["test"],
                      observed=f"{a} {_fmt(metric, _mean(mine))}; closest rival {rival} "
                               f"{_fmt(metric, means[rival])} (ratio {r['ratio']:.3g})")
    why = _unavailable(ctx, metric, scenario, a)
    if why:
        return {**fields, "verdict": "inconclusive", "note": why}
    if scenario in ctx.blocked:
        return {**fields, "verdict": "inconclusive", "note": f"blocked: {ctx.blocked[scenario]}"}
    # The claim's own family: its variant (as B) against each rival that can be tested, Holm over
    # these tests only.
    tests: dict[str, dict[str, Any]] = {}
    open_: list[str] = []
    for b in claim.others:
        missing = _unavailable(ctx, metric, scenario, b)
        if missing:
            open_.append(missing)
        else:
            tests[b] = _compare(ctx, metric, scenario, b, a)
    verdicts.decide(list(tests.values()), lower_is_better=not higher, alpha=ctx.alpha)
    wins: list[float] = []
    losses: list[str] = []
    for b, t in tests.items():
        p = t["p_adjusted"]
        if t["verdict"] in ("b_faster", "b_slower"):
            if (t["verdict"] == "b_faster") == (claim.kind != "worst"):
                wins.append(p)
            else:
                losses.append(f"{b} (p {p:.2g})")
        elif t["verdict"] == "insufficient_reps":
            open_.append(f"no test against {b}: fewer than {MIN_REPS} "
                         + ("rounds paired" if ctx.rounds else "repetitions a side"))
        else:
            open_.append(f"not significant against {b}"
                         + (f" (p {p:.2g})" if np.isfinite(p) else ""))
    tested = [t["p_adjusted"] for t in tests.values() if np.isfinite(t["p_adjusted"])]
    if tested:
        fields.update(p_adjusted=max(tested), holm_m=len(tested))
    if losses:
        return {**fields, "verdict": "contradicted",
                "note": "significantly the other way against " + ", ".join(losses)}
    if not open_:
        return {**fields, "verdict": "reproduced",
                "note": f"significantly ahead of all {len(wins)} rival(s) (largest adjusted "
                        f"p {max(wins):.2g}, Holm over the claim's {len(wins)} rival(s))"}
    return {**fields, "verdict": "inconclusive", "note": "; ".join(open_)}


def _ratio(ctx: _Context, claim: Claim, scenario: str) -> dict[str, Any]:
    metric = claim.metric
    # num / den: Fieller's interval of mean(num) / mean(den), or paired by round
    r = _compare(ctx, metric, scenario, claim.denominator, claim.numerator)
    low, high = r["ci95_low"], r["ci95_high"]
    fields: dict[str, Any] = {"reps": _reps(ctx, claim, scenario), "ci95_low": low,
                              "ci95_high": high, "test": r["test"]}
    if np.isfinite(r["ratio"]):
        fields["observed"] = (f"{r['ratio']:.3f} ({_fmt(metric, r['mean_b'])} / "
                              f"{_fmt(metric, r['mean_a'])})")
    why = [w for w in (_unavailable(ctx, metric, scenario, v) for v in claim.variants) if w]
    if why:
        return {**fields, "verdict": "inconclusive", "note": "; ".join(why)}
    if scenario in ctx.blocked:
        return {**fields, "verdict": "inconclusive", "note": f"blocked: {ctx.blocked[scenario]}"}
    if r["test"] == PAIRED_T and r["pairs"] < MIN_REPS:
        return {**fields, "verdict": "inconclusive",
                "note": f"{r['pairs']} round(s) paired, {MIN_REPS} needed (insufficient_reps)"}
    if not (np.isfinite(low) and np.isfinite(high)):
        return {**fields, "verdict": "inconclusive",
                "note": "the ratio's interval is unbounded (the denominator is not clearly "
                        "away from 0)"}
    band_low, band_high = claim.band
    if band_low <= low and high <= band_high:
        return {**fields, "verdict": "reproduced",
                "note": f"the whole {ctx.interval} interval lies inside the claim's band"}
    if high < band_low or low > band_high:
        return {**fields, "verdict": "contradicted",
                "note": f"the {ctx.interval} interval lies outside the claim's band"}
    return {**fields, "verdict": "inconclusive",
            "note": f"the {ctx.interval} interval straddles an edge of the claim's band"}


def evaluate(claims: Sequence[Claim], reps: pd.DataFrame, summary: pd.DataFrame,
             outliers: pd.DataFrame | None = None, *, rounds: bool = False,
             blocked: Mapping[str, str] | None = None, alpha: float = ALPHA) -> pd.DataFrame:
    """report/reproduction.csv: one row per claim x scenario, with the verdict ``reproduced``,
    ``contradicted`` or ``inconclusive`` (rules: the module's docstring). Each claim is tested
    on its own variants' repetition values (latency as in comparisons.csv, goodput and
    outliers the same way), paired by round when ``rounds``, Holm over its own rivals;
    ``outliers`` comes from ``rep_outliers``; ``blocked`` (scenario -> why) are the scenarios
    whose A/A control differed: no claim on them is decided; ``alpha`` the level of the tests
    and of the ratio claims' (1 - alpha) interval."""
    columns = [*REPRODUCTION_COLUMNS, *REPRODUCTION_EXTRA_COLUMNS]
    outliers = outliers if outliers is not None else pd.DataFrame(columns=OUTLIER_COLUMNS)
    needed = {m: {s for c in claims if c.metric == m for s in c.scenarios} for m in METRICS}
    values = {m: v[v["scenario"].isin(needed[m])]
              for m, v in ((m, rep_values(reps, outliers, m)) for m in METRICS)}
    indexed = summary.set_index(["variant", "scenario"]) if len(summary) else \
        pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []], names=["variant", "scenario"]),
                     columns=["status"])
    ctx = _Context(summary=indexed, values={m: _by_cell(v) for m, v in values.items()},
                   rounds=rounds, blocked=dict(blocked or {}), alpha=alpha)
    in_run = set(summary["scenario"]) if len(summary) else set()
    rows = []
    for claim in claims:
        for scenario in claim.scenarios:
            base = _row(claim, scenario, expected=_expected(claim))
            if scenario not in in_run:
                rows.append({**base, "verdict": "inconclusive", "scenario_in_run": False,
                             "note": "scenario not in this run"})
                continue
            found = _ratio(ctx, claim, scenario) if claim.kind == "ratio" else \
                _ordering(ctx, claim, scenario)
            note = (f"the paper contradicts itself: {claim.note}" if claim.self_contradicted
                    else claim.note)
            if note:
                found["note"] = f"{found['note']} — {note}"
            rows.append({**base, **found})
    return pd.DataFrame(rows, columns=columns)


def outlier_scenarios(claims: Sequence[Claim]) -> list[str]:
    """The scenarios whose repetitions need outlier counts (``rep_outliers``)."""
    return list(dict.fromkeys(s for c in claims if c.metric == "outliers" for s in c.scenarios))
