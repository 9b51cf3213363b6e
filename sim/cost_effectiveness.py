"""Cost-effectiveness: what the community fund buys, against a matched run without it (ODD §8).

``yuan_per_satisfaction`` (kept for old scripts) divides a run's spending by its gain in mean
satisfaction from the scenario's initial value, a free parameter: the reform cost 4.3 million
yuan per unit at an initial satisfaction of 0.25, 9.5 million at 0.4, and was mostly infinite at
0.5. The measure here needs no starting value: each replicate of the scenario is paired with the
same replicate (same seed: the same residents and network) of its **no-fund counterpart** — the
scenario with ``policy.fund_per_community`` 0 throughout, scheduled changes included — and

    effect per 10,000 yuan a year = (mean_r metric_r − mean_r metric⁰_r)
                                    / (mean_r yuan_r − mean_r yuan⁰_r) × 10,000

a ratio of means over replicates (never a mean of per-replicate ratios, which explodes when one
replicate's spending is small), with the interval of ``intervals.ratio_interval``. Both sides
are over the last 12 months: the metrics are ``<metric>_last12`` summaries and yuan is the money
paid in those months (fund spent + leaked + points redeemed), so the effect of a level of
spending is set against that spending, whatever the run's length.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim import intervals

if TYPE_CHECKING:
    from sim.runner import RunResult
    from sim.scenario import Scenario

PER_YUAN = 10_000
"""Effects are per this many yuan."""

METRICS = ("mean_satisfaction_last12", "needs_met_last12", "mean_trust_last12",
           "participation_any_last12")
"""What the fund is judged on by default: satisfaction (the reform's aim, 满意度), needs met,
trust and participation, each over the last 12 months."""

COLUMNS = ["scenario", "metric", "n", "per_10k_yuan", "ci_low", "ci_high", "gain", "yuan"]


def no_fund_counterpart(scenario: Scenario) -> Scenario:
    """``scenario`` with no community fund at any month and in any community:
    ``policy.fund_per_community`` 0 (which also replaces a table's column of it: the
    district-wide value holds in every community), and every scheduled change of it set to 0,
    for the whole district or for one community or street office (other scheduled changes
    kept)."""
    schedule = []
    for change in scenario.policy.schedule:
        changes = {key: (0 if key == "fund_per_community" else value)
                   for key, value in change.set.items()}
        schedule.append({**change.model_dump(exclude_none=True), "set": changes})
    return scenario.with_overrides({"policy.fund_per_community": 0, "policy.schedule": schedule},
                                   origin="no-fund counterpart")


UNIT_COLUMNS = ("level", "street_office", "community")
"""The columns that tell a community's summary rows from the district's
(``sim.runner.LEVEL_COLUMNS``): when the summaries have them, each community gets its effect."""


def effects(funded: pd.DataFrame, matched: pd.DataFrame,
            metrics: Sequence[str] = METRICS, scenario: str = "") -> pd.DataFrame:
    """Effect per 10,000 yuan a year of each metric from paired summaries (one row per
    replicate, paired by the ``replicate`` column). Rows ``COLUMNS``: ``gain`` is the mean
    difference of the metric over the last 12 months, ``yuan`` the mean extra money paid in those
    months; the effect and its interval are NaN when the fund paid nothing extra.

    Summaries of a scenario with a table of communities hold a row per replicate and community
    beside the district's (``UNIT_COLUMNS``): each community is paired with itself in the
    no-fund run, its gain set against its own extra money, and the result gains
    ``UNIT_COLUMNS`` after ``scenario`` (the district's rows first)."""
    units = [column for column in UNIT_COLUMNS if column in funded]
    if not units:
        return _effects(funded, matched, metrics, scenario)
    frames = []
    for unit, own in funded.groupby(units, sort=False):
        theirs = matched.merge(own[units].drop_duplicates(), on=units)
        table = _effects(own.drop(columns=units), theirs.drop(columns=units), metrics, scenario)
        for column, value in reversed(list(zip(units, unit, strict=True))):
            table.insert(1, column, value)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def _effects(funded: pd.DataFrame, matched: pd.DataFrame, metrics: Sequence[str],
             scenario: str) -> pd.DataFrame:
    pair = funded.merge(matched, on="replicate", suffixes=("", "_matched"), validate="1:1")
    extra_yuan = yearly_yuan(pair, "") - yearly_yuan(pair, "_matched")
    rows: list[dict[str, Any]] = []
    for metric in metrics:
        gain = pair[metric] - pair[f"{metric}_matched"]
        iv = intervals.ratio_interval(gain * PER_YUAN, extra_yuan)
        rows.append({"scenario": scenario, "metric": metric, "n": iv.n,
                     "per_10k_yuan": iv.mean, "ci_low": iv.low, "ci_high": iv.high,
                     "gain": float(gain.mean()), "yuan": float(extra_yuan.mean())})
    return pd.DataFrame(rows, columns=COLUMNS)


YEARLY = ("fund_spent_last12", "fund_leaked_last12", "incentive_paid_last12")
"""Monthly means over the last 12 months whose sum × 12 is the money paid in that year."""


def yearly_yuan(summary: pd.DataFrame, suffix: str = "") -> pd.Series:
    """Yuan paid in the last 12 months, per replicate: fund spent + leaked + points redeemed."""
    return 12 * sum(summary[f"{name}{suffix}"] for name in YEARLY)


def evaluate(result: RunResult, workers: int = 1, progress: bool = False,
             metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Run the no-fund counterpart of ``result`` on the same replicates and return
    :func:`effects` (per community too when ``result`` has rows per community)."""
    from sim.runner import run

    counterpart = no_fund_counterpart(result.scenario)
    if counterpart.to_dict() == result.scenario.to_dict():  # no fund at any month: nothing to buy
        return effects(result.summary, result.summary, metrics, result.scenario.name)
    replicates = pd.unique(result.summary["replicate"])  # a table's summary: rows per community
    matched = run(counterpart, replicates=len(replicates), workers=workers, progress=progress,
                  first_replicate=int(replicates.min()))
    return effects(result.summary, matched.summary, metrics, result.scenario.name)
