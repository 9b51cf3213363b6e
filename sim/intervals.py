"""The one interval rule of every table and plot: what a band around a mean over replicates is.

**Rule "t95, within range"**: the 95% Student-t confidence interval of the mean over replicates,
``mean ± t(0.975, n − 1) · sd / √n``, intersected with the quantity's range
(``sim.metrics.range_of``: shares and attitudes in [0, 1], counts and yuan ≥ 0). The true mean
lies inside the range, so the intersection covers it exactly as often as the t interval does
(truncation keeps coverage); unlike a logit or bootstrap-percentile interval it stays an interval
for the mean that the table prints, and it keeps its stated coverage at the 2–10 replicates
people run (a percentile bootstrap of 4 values covers about 78%, mean ± 1.96·SE about 86%). It
assumes the replicate values are roughly normal, as per-run summaries over many residents and
months are; for a quantity skewed between replicates coverage falls (about 76% for a
Beta(0.3, 8) quantity at 4 replicates) and more replicates are the cure.

- NaN replicate values (an undefined quantity, e.g. the representation gap when nobody took
  part) are left out of ``n`` and counted in ``nan``.
- An infinite value (e.g. ``yuan_per_satisfaction`` of a run whose money bought no gain) makes
  the mean infinite and no interval is possible; they are counted in ``inf``.
- A ratio of two means over paired replicates (``ratio_interval``, e.g. satisfaction gained per
  10,000 yuan) gets the same rule applied to its linearisation (the delta method): the t
  interval of the mean of z_r = (a_r − R·b_r) / mean(b), centred on R = mean(a) / mean(b).
- With fewer than two finite values there is no interval: ``low``/``high`` are NaN and
  :func:`no_interval_reason` says why and how to get one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

LEVEL = 0.95
RULE = "95% t interval of the mean over replicates, within the quantity's range"
RULE_SHORT = "95% t CI"


@dataclass(frozen=True)
class Interval:
    """Mean over replicates and its interval; ``low``/``high`` NaN when none is possible."""

    n: int
    mean: float
    low: float
    high: float
    nan: int = 0
    inf: int = 0


def t_bounds(
    mean: np.ndarray | float,
    sd: np.ndarray | float,
    n: np.ndarray | int,
    value_range: tuple[float, float] = (-np.inf, np.inf),
) -> tuple[np.ndarray, np.ndarray]:
    """The rule, vectorized: (low, high) arrays; NaN where ``n`` < 2 or the mean is not finite.

    ``mean``, ``sd`` (ddof = 1) and ``n`` broadcast together; ``value_range`` is (min, max).
    """
    mean, sd, n = (np.asarray(a, dtype=float) for a in (mean, sd, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        quantile = stats.t.ppf(0.5 + LEVEL / 2, np.where(n >= 2, n - 1, np.nan))
        half = quantile * sd / np.sqrt(n)
    valid = (n >= 2) & np.isfinite(mean) & np.isfinite(half)
    low = np.where(valid, np.clip(mean - half, *value_range), np.nan)
    high = np.where(valid, np.clip(mean + half, *value_range), np.nan)
    return low, high


def mean_interval(
    values: Sequence[float] | np.ndarray, value_range: tuple[float, float] = (-np.inf, np.inf)
) -> Interval:
    """The rule applied to one quantity's replicate values."""
    values = np.asarray(values, dtype=float)
    nan = int(np.isnan(values).sum())
    values = values[~np.isnan(values)]
    inf = int(np.isinf(values).sum())
    n = len(values)
    if n == 0:
        return Interval(0, float("nan"), float("nan"), float("nan"), nan, inf)
    mean = float(values.mean()) if not inf else float(values.sum())  # ±inf, or NaN if both
    sd = float(values.std(ddof=1)) if n >= 2 and not inf else float("nan")
    low, high = t_bounds(mean, sd, n, value_range)
    return Interval(n, mean, float(low), float(high), nan, inf)


def grouped_intervals(
    frame: pd.DataFrame,
    by: str | list[str],
    column: str,
    value_range: tuple[float, float] = (-np.inf, np.inf),
) -> pd.DataFrame:
    """The rule per group of ``frame``: columns ``by``…, ``n``, ``mean``, ``sd``, ``low``,
    ``high`` (one row per group, in group order). NaN values are left out of ``n``."""
    grouped = frame.groupby(by, sort=True, dropna=False)[column]
    table = grouped.agg(mean="mean", sd="std", n="count").reset_index()
    low, high = t_bounds(table["mean"], table["sd"], table["n"], value_range)
    table["low"], table["high"] = low, high
    keys = [by] if isinstance(by, str) else list(by)
    return table[[*keys, "n", "mean", "sd", "low", "high"]]


def no_interval_reason(interval: Interval) -> str | None:
    """Why ``interval`` has no bounds, as a sentence a reader can act on (None if it has)."""
    if np.isfinite(interval.low) and np.isfinite(interval.high):
        return None
    if interval.inf:
        return (f"{interval.inf} of {interval.n} replicates are infinite: the mean is not "
                "finite, so no interval")
    if interval.n < 2:
        return ("one replicate: no interval is possible; run --replicates 2 or more "
                "(4 or more for a useful width)")
    return "no interval"


def ratio_interval(numerator: Sequence[float] | np.ndarray,
                   denominator: Sequence[float] | np.ndarray,
                   value_range: tuple[float, float] = (-np.inf, np.inf)) -> Interval:
    """The rule for R = mean(numerator) / mean(denominator) over paired replicates: the t
    interval of the linearised values (delta method; see the module docstring). NaN when the
    denominators' mean is not positive (nothing was spent: no ratio)."""
    a, b = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b, n = a[keep], b[keep], int(keep.sum())
    if n == 0 or not b.mean() > 0:
        return Interval(n, float("nan"), float("nan"), float("nan"), int((~keep).sum()))
    ratio = float(a.mean() / b.mean())
    z = (a - ratio * b) / b.mean()
    sd = float(z.std(ddof=1)) if n >= 2 else float("nan")
    low, high = t_bounds(ratio, sd, n, value_range)
    return Interval(n, ratio, float(low), float(high), int((~keep).sum()))
