"""Patterns that hold across contexts, not at one tuned point (``cogov patterns``; ODD §9.4).

The catalogue (:data:`CATALOGUE`) declares every pattern once: its id, a bilingual label, its
source (a pattern of ODD §1, a case document of docs/SOURCES.md), the shipped scenario it starts
from, its arms (policy overrides that differ only in the levers the pattern names) and its
checks: a measure compared between two arms (or within one), the required direction, and an
effect-size floor (or ceiling) in the measure's own units, with the reason for that size.

Contexts (:func:`design`): a Latin hypercube (``scipy.stats.qmc``) over community size, migrant
and party shares, fund size and the levers no pattern's arms hold; each pattern's own levers are
set by its arms, so a context varies only what the pattern does not name.

A check holds in a context when, over replicates run on the same seeds in every arm (common
random numbers: replicate ``r`` of master seed ``seed``, exactly ``cogov run --seed seed
--first-replicate r``), the mean paired difference ``d`` passes its threshold and is more than
two standard errors from the edge that matters:

- floor ``f`` (``more``): ``d ≥ f`` and ``d > 2·SE`` (a real effect, and at least ``f``);
- ceiling ``c`` (``at_most``): ``d ≤ c`` and ``c − d > 2·SE`` (confidently below ``c``);
- two-sided ceiling (``within``): ``|d| < c`` (inside ±``c``). Only the estimate is asked to
  lie inside: "confidently inside" (``|d| + 2·SE < c``) is an equivalence test whose power at
  the replicates a design affords is nil — a run's slope over five years varies by about 0.24
  points a year between replicates, so at 6 replicates SE ≈ 0.1 = ``c`` — and the report gives
  the interval beside the verdict.

A pattern holds in a context when every one of its checks does. Arms that are identical give
``d = 0`` in every replicate, which no floor passes (floors are positive).

This module never prints and never exits: the CLI does.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim import cost_effectiveness, intervals, metrics

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
DESIGN_SPAWN_KEY = (2**31, 9)
"""The context design draws from ``SeedSequence(seed, spawn_key=DESIGN_SPAWN_KEY)``: a stream
of its own, apart from every replicate's (``spawn_key=(r,)``) and from sweep designs'
(``(2**31,)``); numpy's global random state is neither used nor changed."""
STEADY_MONTHS = 240
"""Horizon of the steady-state pattern: years 16–20 are months 181–240."""
SLOPE_WINDOW = 60
"""Months at the end of a run over which the participation slope is fitted (years 16–20 of a
240-month run)."""
SLOPE = "participation_any_slope_last60"
"""Per-run extra computed by :func:`run_job`: OLS slope of monthly ``participation_any`` over
the last :data:`SLOPE_WINDOW` months, share of adults per year."""
STRICT_SHARE = 0.9
"""``--strict``: every pattern must hold in at least this share of contexts (issue 9)."""


# ----------------------------------------------------------------------------------- measures
@dataclass(frozen=True)
class Measure:
    """A per-replicate quantity of one arm, read from the summary rows of every arm of that
    replicate (``rows[arm][name]``)."""

    name: str
    unit: str
    value: Callable[[Mapping[str, Mapping[str, float]], str], float] = field(repr=False)
    value_range: tuple[float, float] = (-math.inf, math.inf)

    def difference_range(self) -> tuple[float, float]:
        """The range of a difference of two values of this measure."""
        low, high = self.value_range
        return (low - high, high - low)


def summary(name: str) -> Measure:
    """A summary metric of ``sim.runner.run`` as it is."""
    base = name.removesuffix("_last12").removesuffix("_final")
    unit = metrics.UNITS.get(base, EXTRA_UNITS.get(name, "see sim/metrics.py"))
    return Measure(name, unit, lambda rows, arm: float(rows[arm][name]), metrics.range_of(name))


EXTRA_UNITS = {"representation_gap": "migrant share of adults − of participants (−1 to 1)",
               "yuan_per_satisfaction": "yuan per unit of mean satisfaction"}


def within(plus: str, minus: str, unit: str) -> Measure:
    """``plus − minus`` of one arm's summary (e.g. locals' minus migrants' participation)."""
    low, high = metrics.range_of(plus)
    return Measure(f"{plus} − {minus}", unit,
                   lambda rows, arm: float(rows[arm][plus] - rows[arm][minus]),
                   (low - high, high - low))


def satisfaction_per_10k(reference: str) -> Measure:
    """Mean satisfaction gained over the matched no-fund arm ``reference`` (same context, same
    seed), per 10,000 yuan of the arm's money paid in the last 12 months (fund spent + leaked +
    points redeemed: ``cost_effectiveness.YEARLY``, the year ``--cost-effectiveness`` uses).

    Well conditioned where ``yuan_per_satisfaction`` is not: the denominator is money, bounded
    away from 0 whenever there is a fund, and the gain may be zero or negative without the
    ratio jumping to infinity. NaN if the arm spent nothing."""
    def value(rows: Mapping[str, Mapping[str, float]], arm: str) -> float:
        gain = rows[arm]["mean_satisfaction_last12"] - rows[reference]["mean_satisfaction_last12"]
        yearly = 12 * sum(rows[arm][name] for name in cost_effectiveness.YEARLY)
        return float(gain / (yearly / 10_000)) if yearly > 0 else math.nan

    return Measure(f"satisfaction gained per 10,000 yuan (vs {reference})",
                   "mean satisfaction (0–1) per 10,000 yuan a year", value)


PARTICIPATION_SLOPE = Measure(
    SLOPE, "share of adults per year (0.001 = 0.1 points a year)",
    lambda rows, arm: float(rows[arm][SLOPE]))


# ---------------------------------------------------------------------------------- catalogue
Kind = Literal["more", "at_most", "within"]


@dataclass(frozen=True)
class Check:
    """``measure(a) − measure(b)`` (or ``measure(a)`` alone when ``b`` is None) against
    ``threshold``: a floor for ``more``, a ceiling for ``at_most``, ±ceiling for ``within``."""

    measure: Measure
    a: str
    b: str | None
    kind: Kind
    threshold: float
    reason: str

    @property
    def label(self) -> str:
        return f"{self.a} − {self.b}" if self.b else self.a

    @property
    def rule(self) -> str:
        """The check in words, e.g. ``≥ 0.005`` or ``≤ 0.003`` or ``|·| < 0.001``."""
        return {"more": f"≥ {self.threshold:g}", "at_most": f"≤ {self.threshold:g}",
                "within": f"|·| < {self.threshold:g}"}[self.kind]

    def holds(self, mean: float, se: float) -> bool:
        """The rule of the module docstring for one context's mean difference and its SE."""
        if not (math.isfinite(mean) and math.isfinite(se)):
            return False
        if self.kind == "more":
            return mean >= self.threshold and mean > 2 * se
        if self.kind == "at_most":
            return mean <= self.threshold and self.threshold - mean > 2 * se
        return abs(mean) < self.threshold


@dataclass(frozen=True)
class Pattern:
    """One pattern: where it comes from, what it compares, and how large the effect must be."""

    id: str
    zh: str
    en: str
    source: str
    scenario: str
    arms: Mapping[str, Mapping[str, Any]]
    checks: tuple[Check, ...]
    months: int | None = None
    optional: bool = False

    @property
    def held(self) -> frozenset[str]:
        """Scenario keys every arm sets: the pattern's own levers, not varied by contexts."""
        keys = [set(overrides) for overrides in self.arms.values()]
        return frozenset(set.intersection(*keys)) if keys else frozenset()


NOMINAL_GOVERNMENT = {
    # a government that has not reformed itself (seed002): the baseline's 归位 levers
    "policy.service_focus": 0.4, "policy.admin_items": 537, "policy.transparency": 0.3,
    "policy.resident_evaluation": False, "policy.training_rate": 0.0,
    "policy.purchase_share": 0.0, "policy.supervision": False, "policy.foundation": False,
}
FULL_REFORM = {
    # chengdu_reform.yaml's levers (seed000): 还权 + 归位 + 赋能
    "policy.service_focus": 0.8, "policy.admin_items": 69, "policy.transparency": 0.66,
    "policy.resident_evaluation": True, "policy.training_rate": 0.015,
    "policy.purchase_share": 0.5, "policy.supervision": True, "policy.foundation": True,
}
CAPABLE_ORGANIZATIONS = {
    # organizations that can deliver: a market of experienced specialists (capacity around 0.8,
    # Beta(8, 2), against the office's 0.4 + 0.4σ), dense enough that most categories have
    # several bidders (30 per 10,000: a single-community street holds 3–15 of them, where
    # Haicang's 7 per 10,000 spread over its 19 communities would leave one or two), kept up by
    # incubation and training (seed000: 培育 and 质量提升) under supervision
    "structure.social_orgs_per_10k": 30.0, "behavior.professional_capacity": {"a": 8, "b": 2},
    "policy.incubation_rate": 1.0, "policy.training_rate": 0.03, "policy.supervision": True,
}
PARTICIPATION_FLOOR_REASON = (
    "half a percentage point: a tenth of the baseline's monthly participation (5–8%); less "
    "than that is not an effect a researcher could call a lever")

CATALOGUE: tuple[Pattern, ...] = (
    Pattern(
        "fund_lever", "资金撬动参与", "the fund as a lever for participation",
        "ODD §1 pattern 1; seed000 (撬板)", "baseline.yaml",
        {"fund_devolved": {"policy.devolution": 1.0},
         "no_fund": {"policy.fund_per_community": 0, "policy.devolution": 0.0}},
        (Check(summary("participation_any_last12"), "fund_devolved", "no_fund", "more", 0.005,
               PARTICIPATION_FLOOR_REASON),),
    ),
    Pattern(
        "top_down_dependency", "自上而下助长依赖、花钱多", "top-down provision breeds "
        "dependency and buys less satisfaction", "ODD §1 pattern 2; seed003 (靠等要)",
        "chengdu_reform.yaml",
        {"top_down": {"policy.devolution": 0.0},
         "devolved": {"policy.devolution": 1.0},
         "no_fund": {"policy.devolution": 1.0, "policy.fund_per_community": 0}},
        (Check(summary("mean_dependency_last12"), "top_down", "devolved", "more", 0.03,
               "dependency is an attitude in [0, 1] starting at 0.3: 0.03 is a tenth of its "
               "starting level, the least that is a change in 靠等要 rather than noise"),
         Check(satisfaction_per_10k("no_fund"), "devolved", "top_down", "more", 0.0005,
               "0.01 more mean satisfaction for each 200,000 yuan a year (the fund's floor, "
               "seed000): a hundredth of the scale per fund, the least worth the council")),
    ),
    Pattern(
        "migrant_gap", "流动人口参与少、网格缩小差距", "migrants take part less; grid "
        "outreach narrows the representation gap", "ODD §1 pattern 3; seed003",
        "baseline.yaml",
        {"no_grid": {"policy.grid.workers_per_grid": 0},
         "grid": {"policy.grid.workers_per_grid": 2}},
        (Check(within("participation_local_last12", "participation_migrant_last12",
                      "share of adults"), "no_grid", None, "more", 0.01,
               "one percentage point of monthly participation between locals and migrants: a "
               "sixth of the baseline level, a gap a survey would see"),
         Check(summary("representation_gap"), "no_grid", "grid", "more", 0.005,
               "half a point of the migrant share of participants: the smallest narrowing "
               "that changes who is heard in a council of a few dozen")),
    ),
    Pattern(
        "party_outreach", "党员联系户带动群众", "party outreach raises non-members' "
        "participation", "ODD §1 pattern 4; seed004 (党员联系户)", "baseline.yaml",
        {"contacts": {"policy.party.contacts_per_month": 6},
         "no_contacts": {"policy.party.contacts_per_month": 0}},
        (Check(summary("participation_nonparty_last12"), "contacts", "no_contacts", "more",
               0.005, PARTICIPATION_FLOOR_REASON),),
    ),
    Pattern(
        "nominal_devolution", "新瓶装老酒", "nominal devolution gains little; the full reform "
        "gains", "ODD §1 pattern 5; seed002 (新瓶装老酒)", "nominal_devolution.yaml",
        {"baseline": {**NOMINAL_GOVERNMENT, "policy.fund_per_community": 0,
                      "policy.devolution": 0.0},
         "nominal": {**NOMINAL_GOVERNMENT, "policy.devolution": 1.0},
         "reform": {**FULL_REFORM, "policy.devolution": 1.0}},
        (Check(summary("participation_any_last12"), "nominal", "baseline", "at_most", 0.005,
               "ceiling: below the half point at which a single lever counts as a lever (the "
               "floor of fund_lever) — the fund and a council on paper are no lever, 'little or "
               "nothing' (seed002: residents have no personal stake, no interest in taking "
               "part)"),
         Check(summary("participation_any_last12"), "reform", "baseline", "more", 0.01,
               "one percentage point, twice the single-lever floor: the whole reform must do "
               "clearly more than one lever")),
    ),
    Pattern(
        "purchase_capable", "组织有能力时购买服务有益", "purchase of services helps where "
        "organizations are capable", "ODD §1 pattern 6; seed000 (三社联动)", "chengdu_reform.yaml",
        {"purchase": {**CAPABLE_ORGANIZATIONS, "policy.purchase_share": 1.0},
         "no_purchase": {**CAPABLE_ORGANIZATIONS, "policy.purchase_share": 0.0}},
        (Check(summary("needs_met_last12"), "purchase", "no_purchase", "more", 0.01,
               "one point of the need-weighted share served when every project is bought "
               "rather than delivered by the office: the least a purchase programme of "
               "108,000-yuan projects (seed000) should show"),),
    ),
    Pattern(
        "outreach_trust", "走访解决问题提升信任", "outreach that gets problems solved raises "
        "trust", "ODD §1 pattern 7; seed001 (接诉即办); seed003 (帮群众解决实事)",
        "chengdu_reform.yaml",
        {"outreach": {"policy.grid.workers_per_grid": 2, "policy.party.contacts_per_month": 6,
                      "policy.service_focus": 0.8},
         "no_outreach": {"policy.grid.workers_per_grid": 0, "policy.party.contacts_per_month": 0,
                         "policy.service_focus": 0.8}},
        (Check(summary("mean_trust_last12"), "outreach", "no_outreach", "more", 0.01,
               "trust is an attitude in [0, 1]: 0.01 is a point of the scale, the least a "
               "survey item on trust in the committee could register"),),
    ),
    Pattern(
        "steady_state", "参与趋于稳定", "participation settles to a steady state",
        "ODD §1 pattern 8; issue 9 (no ratchets)", "chengdu_reform.yaml",
        {"reform": {}},
        (Check(PARTICIPATION_SLOPE, "reform", None, "within", 0.001,
               "0.1 points a year over years 16–20 (issue 9): a drift that would move "
               "participation by less than half a point over the five years"),),
        months=STEADY_MONTHS, optional=True,
    ),
)
"""Every pattern ``cogov patterns`` evaluates, in report order."""

BY_ID = {p.id: p for p in CATALOGUE}


def select(ids: Sequence[str] | None, steady: bool = False) -> list[Pattern]:
    """The patterns to run: ``ids`` in catalogue order, or every non-optional one (plus the
    optional ones if ``steady``). ValueError naming the unknown ids."""
    if ids:
        unknown = [i for i in ids if i not in BY_ID]
        if unknown:
            raise ValueError(f"unknown pattern {', '.join(map(repr, unknown))}; the patterns "
                             f"are {', '.join(BY_ID)}")
        return [p for p in CATALOGUE if p.id in ids or (steady and p.optional)]
    return [p for p in CATALOGUE if steady or not p.optional]


# ------------------------------------------------------------------------------------ contexts
@dataclass(frozen=True)
class ContextVariable:
    """One dimension of the context design: a scenario key and its bounds (whole numbers if
    ``integer``: uniform over low..high, the floor of a number on [low, high + 1))."""

    key: str
    low: float
    high: float
    integer: bool = False
    source: str = ""

    def value(self, u: float) -> float | int:
        """The value at position ``u`` in [0, 1) of the unit interval."""
        if self.integer:
            return int(min(math.floor(self.low + u * (self.high + 1 - self.low)), self.high))
        return float(self.low + u * (self.high - self.low))


CONTEXT: tuple[ContextVariable, ...] = (
    ContextVariable("structure.residents_per_community", 1000, 5000, True,
                    "issue 9; 500–2,500 households, inside the 1,000–3,000 standard"),
    ContextVariable("population.migrant_share", 0.1, 0.6,
                    source="issue 9; Haicang 0.56 (seed003)"),
    ContextVariable("population.party_share", 0.04, 0.12, source="issue 9; ~7% (party2023)"),
    ContextVariable("policy.fund_per_community", 100_000, 400_000,
                    source="issue 9; 200,000 floor (seed000) to 2018's ~400,000"),
    ContextVariable("policy.devolution", 0.0, 1.0, source="the lever's range"),
    ContextVariable("policy.transparency", 0.3, 0.83, source="baseline 0.3 to Chenghua 0.83"),
    ContextVariable("policy.service_focus", 0.4, 0.8, source="baseline 0.4 to reform 0.8"),
    ContextVariable("policy.admin_items", 69, 537, True, source="537 → 69 (seed000)"),
    ContextVariable("policy.purchase_share", 0.0, 0.5, source="baseline 0 to reform 0.5"),
    ContextVariable("policy.training_rate", 0.0, 0.03, source="0 to twice the reform's 0.015"),
    ContextVariable("policy.grid.workers_per_grid", 0, 2, True, source="none to 2 (seed003)"),
    ContextVariable("policy.party.contacts_per_month", 0, 12, True, source="0 to 12 (seed004)"),
    ContextVariable("policy.incubation_rate", 0.5, 1.0, source="default 0.5 to Haicang 1.0"),
)
"""The context design's dimensions: the four of issue 9 and the levers a pattern may not
hold, each over the span between the shipped scenarios (or the issue's bounds)."""


def central_context() -> pd.DataFrame:
    """The centre of the context design, one row (``context`` 0, every :data:`CONTEXT` key at
    the middle of its range): where a check of one context stands for the design, as in
    ``cogov calibrate``'s pattern check. Patterns whose arms set only part of a lever (e.g.
    ``fund_lever`` sets devolution and takes the fund from the context) need a context: at a
    shipped scenario's own values their arms can be the same run."""
    return pd.DataFrame([{"context": 0, **{v.key: v.value(0.5) for v in CONTEXT}}],
                        columns=["context", *(v.key for v in CONTEXT)])


def design(n: int, seed: int) -> pd.DataFrame:
    """``n`` contexts, one row each (columns: ``context`` then every :data:`CONTEXT` key): a
    Latin hypercube (every variable's range cut into ``n`` equal strata, one context in each),
    drawn from ``SeedSequence(seed, spawn_key=DESIGN_SPAWN_KEY)``. Same ``n`` and ``seed``,
    same design."""
    from scipy.stats import qmc

    if n < 1:
        raise ValueError(f"need at least one context, got {n}")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=DESIGN_SPAWN_KEY))
    keyword = "rng" if "rng" in inspect.signature(qmc.LatinHypercube).parameters else "seed"
    unit = qmc.LatinHypercube(d=len(CONTEXT), **{keyword: rng}).random(n)
    rows = [{"context": i, **{v.key: v.value(u[j]) for j, v in enumerate(CONTEXT)}}
            for i, u in enumerate(unit)]
    return pd.DataFrame(rows, columns=["context", *(v.key for v in CONTEXT)])


# ---------------------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class Evaluation:
    """One ``cogov patterns`` evaluation. ``rows``: one per pattern × check × context (see
    :func:`evaluate`); ``contexts``: the design; the rest reproduce it."""

    patterns: tuple[Pattern, ...]
    contexts: pd.DataFrame
    rows: pd.DataFrame
    replicates: int
    months: int | None
    seed: int
    fixed: Mapping[str, Any]
    runs: int
    started: str
    finished: str


@cache
def base_scenario(name: str):  # noqa: ANN201 (Scenario, imported lazily)
    """A shipped scenario file, loaded once per process."""
    from sim.scenario import Scenario

    return Scenario.load(SCENARIOS / name)


def scenario_for(pattern: Pattern, arm: str, context: Mapping[str, Any], seed: int,
                 months: int | None, fixed: Mapping[str, Any]):  # noqa: ANN201
    """The scenario of one arm of ``pattern`` in ``context``: the pattern's file, then the
    context, then ``fixed`` (``--set``), then the arm's own levers; the pattern's horizon
    (steady state) or ``months`` or the file's."""
    overrides = {**{k: v for k, v in context.items() if k != "context"}, **fixed,
                 **pattern.arms[arm], "seed": seed}
    horizon = pattern.months or months
    if horizon is not None:
        overrides["months"] = horizon
    scenario = base_scenario(pattern.scenario).with_overrides(overrides, origin="cogov patterns")
    name = f"{pattern.id}.{arm}.c{context['context']}"
    return scenario.model_copy(update={"name": name})


def yearly_slope(monthly: np.ndarray, window: int = SLOPE_WINDOW) -> float:
    """Least-squares slope of the last ``window`` months of a monthly series, in its units per
    year (NaN with fewer than two months): the steady-state measure of ODD §9.5."""
    tail = np.asarray(monthly, dtype=float)[-window:]
    if len(tail) < 2:
        return math.nan
    return float(np.polyfit(np.arange(len(tail)) / 12.0, tail, 1)[0])


def run_job(job: tuple[Any, int]) -> dict[str, float]:
    """One replicate through ``sim.runner.run_replicate``: its summary row plus :data:`SLOPE`
    (module level, so it pickles for ``in_processes``)."""
    from sim.runner import run_replicate

    scenario, replicate = job
    ts, row = run_replicate(scenario, replicate)
    slope = yearly_slope(ts["participation_any"].to_numpy())
    out = {k: v for k, v in row.items() if k not in ("scenario", "replicate", "seed")}
    return {**out, SLOPE: slope}


def evaluate(patterns: Sequence[Pattern], contexts: pd.DataFrame, *, replicates: int,
             seed: int, months: int | None = None, workers: int = 1,
             fixed: Mapping[str, Any] | None = None,
             on_progress: Callable[[int, int], None] | None = None) -> Evaluation:
    """Run every arm of every pattern in every context, ``replicates`` replicates each, and
    judge every check (module docstring). Runs that are the same scenario (another pattern's
    identical arm) run once. Identical for any ``workers``. Raises ``ScenarioError`` if an
    override is bad (before anything runs) and ``RunError`` if a run fails."""
    from sim.errors import RunError
    from sim.runner import _JobError, in_processes, now_iso

    if replicates < 2:
        raise ValueError(f"need at least 2 replicates for a standard error, got {replicates}")
    fixed = dict(fixed or {})
    started = now_iso()
    records = contexts.to_dict("records")
    scenarios: dict[tuple[str, str, int], Any] = {}
    unique: dict[str, Any] = {}
    for pattern in patterns:
        for ctx in records:
            for arm in pattern.arms:
                scenario = scenario_for(pattern, arm, ctx, seed, months, fixed)
                key = _identity(scenario)
                unique.setdefault(key, scenario)
                scenarios[pattern.id, arm, int(ctx["context"])] = key
    keys = list(unique)
    jobs = [(unique[k], r) for k in keys for r in range(replicates)]
    results: dict[tuple[str, int], dict[str, float]] = {}
    try:
        for done, (i, row) in enumerate(in_processes(run_job, jobs, workers), start=1):
            results[keys[i // replicates], i % replicates] = row
            if on_progress is not None:
                on_progress(done, len(jobs))
    except _JobError as failure:
        scenario, r = jobs[failure.index]
        raise RunError(f"{scenario.name} replicate {r} (seed {seed}): "
                       f"{type(failure.cause).__name__}: {failure.cause}") from failure.cause
    rows = []
    for pattern in patterns:
        for ctx in records:
            c = int(ctx["context"])
            per_replicate = [{arm: results[scenarios[pattern.id, arm, c], r]
                              for arm in pattern.arms} for r in range(replicates)]
            judged = [_judge(check, per_replicate) for check in pattern.checks]
            context_values = {k: (None if k in pattern.held else ctx[k])
                              for k in contexts.columns if k != "context"}
            for number, (check, result) in enumerate(zip(pattern.checks, judged, strict=True)):
                rows.append({"pattern": pattern.id, "check": number + 1, "context": c,
                             **context_values, "measure": check.measure.name,
                             "compared": check.label, "rule": check.rule,
                             "threshold": check.threshold, **result,
                             "pattern_holds": all(j["holds"] for j in judged)})
    table = pd.DataFrame(rows)
    for variable in CONTEXT:  # whole-number keys stay whole where a column has blanks
        if variable.integer and variable.key in table:
            table[variable.key] = table[variable.key].astype("Int64")
    return Evaluation(tuple(patterns), contexts, table, replicates, months, seed,
                      fixed, len(jobs), started, now_iso())


def _identity(scenario: Any) -> str:
    data = scenario.to_dict()
    data.pop("name", None)
    data.pop("description", None)
    return json.dumps(data, sort_keys=True, default=str)


def _judge(check: Check, per_replicate: list[dict[str, dict[str, float]]]) -> dict[str, Any]:
    """Mean paired difference over replicates, its SE, its interval (``sim.intervals``) and
    whether the check holds."""
    values = []
    for rows in per_replicate:
        a = check.measure.value(rows, check.a)
        values.append(a - check.measure.value(rows, check.b) if check.b else a)
    diff = np.asarray(values, dtype=float)
    finite = diff[np.isfinite(diff)]
    n = len(finite)
    mean = float(finite.mean()) if n else math.nan
    se = float(finite.std(ddof=1) / math.sqrt(n)) if n >= 2 else math.nan
    value_range = (check.measure.difference_range() if check.b
                   else check.measure.value_range)
    interval = intervals.mean_interval(finite, value_range)
    holds = n == len(diff) and check.holds(mean, se)
    return {"n": n, "effect": mean, "se": se, "ci_low": interval.low, "ci_high": interval.high,
            "holds": bool(holds)}


# ------------------------------------------------------------------------------------- summary
def summarize(evaluation: Evaluation) -> pd.DataFrame:
    """Per pattern and check: contexts, share where the check holds, share where the whole
    pattern holds, the threshold and the median, lowest and highest effect."""
    out = []
    for pattern in evaluation.patterns:
        mine = evaluation.rows[evaluation.rows["pattern"] == pattern.id]
        pattern_share = float(mine.groupby("context")["pattern_holds"].first().mean())
        for number, check in enumerate(pattern.checks, start=1):
            rows = mine[mine["check"] == number]
            out.append({"pattern": pattern.id, "label_zh": pattern.zh, "label_en": pattern.en,
                        "check": number, "measure": check.measure.name,
                        "compared": check.label, "rule": check.rule,
                        "threshold": check.threshold, "contexts": len(rows),
                        "check_holds_share": float(rows["holds"].mean()),
                        "pattern_holds_share": pattern_share,
                        "median_effect": float(rows["effect"].median()),
                        "min_effect": float(rows["effect"].min()),
                        "max_effect": float(rows["effect"].max())})
    return pd.DataFrame(out)


def failure_profile(evaluation: Evaluation, pattern: Pattern) -> pd.DataFrame:
    """Where ``pattern`` fails: for each context variable its arms do not hold, the median
    where it fails and where it holds, the range of the failing contexts, and ``shift``
    (median where it fails minus where it holds, as a share of the variable's design range:
    near ±1 where failures cluster at one end). Rows by |shift|, largest first; empty when
    the pattern fails nowhere or holds nowhere."""
    mine = evaluation.rows[evaluation.rows["pattern"] == pattern.id]
    per_context = mine.groupby("context")["pattern_holds"].first()
    contexts = evaluation.contexts.set_index("context")
    failing, holding = per_context[~per_context].index, per_context[per_context].index
    rows = []
    for variable in CONTEXT:
        if (variable.key in pattern.held or not len(failing)
                or contexts[variable.key].nunique() < 2):  # held by the arms, or fixed (--set)
            continue
        fail_values = contexts.loc[failing, variable.key].astype(float)
        fail_median = float(fail_values.median())
        hold_median = (float(contexts.loc[holding, variable.key].astype(float).median())
                       if len(holding) else math.nan)
        span = variable.high - variable.low
        rows.append({"variable": variable.key, "failing_median": fail_median,
                     "holding_median": hold_median, "failing_low": float(fail_values.min()),
                     "failing_high": float(fail_values.max()),
                     "shift": (fail_median - hold_median) / span if span else math.nan})
    table = pd.DataFrame(rows, columns=["variable", "failing_median", "holding_median",
                                        "failing_low", "failing_high", "shift"])
    if table.empty or table["shift"].isna().all():
        return table.iloc[0:0] if len(holding) == 0 else table
    return table.reindex(table["shift"].abs().sort_values(ascending=False).index)


def write(out_dir: str | Path, evaluation: Evaluation, command: Sequence[str]) -> Path:
    """Write ``patterns.csv`` (one row per pattern × check × context), ``summary.csv`` and
    ``manifest.json`` into ``out_dir`` (staged, then renamed into place, as ``cogov run``)."""
    from sim.runner import _staging_dir, manifest_fields, write_manifest

    with _staging_dir(Path(out_dir), overwrite=False) as tmp:
        evaluation.rows.to_csv(tmp / "patterns.csv", index=False)
        summarize(evaluation).to_csv(tmp / "summary.csv", index=False)
        write_manifest(tmp, manifest_fields("patterns", command, {
            "started": evaluation.started,
            "finished": evaluation.finished,
            "seed": evaluation.seed,
            "replicates": evaluation.replicates,
            "months": evaluation.months,
            "runs": evaluation.runs,
            "set": dict(evaluation.fixed),
            "hold_rule": HOLD_RULE,
            "design": {"method": "Latin hypercube (scipy.stats.qmc.LatinHypercube)",
                       "spawn_key": list(DESIGN_SPAWN_KEY),
                       "variables": [{"key": v.key, "low": v.low, "high": v.high,
                                      "integer": v.integer} for v in CONTEXT],
                       "contexts": evaluation.contexts.to_dict("records")},
            "patterns": [catalogue_entry(p) for p in evaluation.patterns],
        }), list_files=True)
    return Path(out_dir)


HOLD_RULE = ("a check holds in a context when the mean paired difference over replicates "
             "(same seeds in every arm) passes its floor and exceeds 2 standard errors, or lies "
             "below its ceiling by more than 2 standard errors; a pattern holds when all its "
             "checks do")


def catalogue_entry(pattern: Pattern) -> dict[str, Any]:
    """``pattern`` as plain data (for the manifest and the ODD table)."""
    return {"id": pattern.id, "zh": pattern.zh, "en": pattern.en, "source": pattern.source,
            "scenario": pattern.scenario, "months": pattern.months,
            "arms": {k: dict(v) for k, v in pattern.arms.items()},
            "checks": [{"measure": c.measure.name, "unit": c.measure.unit,
                        "compared": c.label, "rule": c.rule, "threshold": c.threshold,
                        "reason": c.reason} for c in pattern.checks]}


def render_table() -> str:
    """The catalogue as a Markdown table (ODD §9.4, written by ``python -m sim.odd_table``)."""
    lines = ["<!-- generated by `python -m sim.odd_table` from sim/patterns.py: do not edit by "
             "hand -->", "",
             "| pattern | label | source | starts from | arms | check | rule | why this size |",
             "|---|---|---|---|---|---|---|---|"]
    for p in CATALOGUE:
        arms = "; ".join(f"**{name}**: " + (", ".join(f"`{k}` {v}" for k, v in o.items())
                                            or "the file") for name, o in p.arms.items())
        for i, c in enumerate(p.checks):
            head = (f"`{p.id}`", f"{p.zh} / {p.en}", p.source,
                    f"`{p.scenario}`" + (f", {p.months} months" if p.months else ""),
                    arms) if i == 0 else ("", "", "", "", "")
            cells = [*head, f"{c.measure.name}: {c.label}", c.rule, c.reason]
            lines.append("| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ")
                                           for cell in cells) + " |")
    return "\n".join(lines)
