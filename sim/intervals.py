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

**Split "t95, within range, split by draw"** (:func:`split_interval`; ``cogov run``/``compare
--posterior``): the same rule when the coefficients are uncertain. K coefficient vectors are
drawn from the ABC-SMC posterior and each runs R replicates (a nested design, y_kj). A run's
value varies for two reasons, and its variance is their sum (one-way random-effects model,
y_kj = μ + a_k + e_kj): the **coefficient** part σ²_c = Var(a_k), between draws, and the
**noise** part σ²_n = Var(e_kj), within a draw. Both are estimated by the one-way ANOVA method
of moments: σ̂²_n = MSW, σ̂²_c = max(0, (MSB − MSW) / n₀) (truncated at 0; n₀ = R in a
balanced design, (N − Σn_k²/N)/(K − 1) when undefined values unbalance it). Reported:

- the **mean** of the draw means (the mean over all N runs when no value is undefined), and
  its **interval** by the rule above applied to the K draw
  means (each draw's mean is one independent value of the posterior-averaged quantity, so the
  draw is the unit, df = K − 1): it holds both sources, since the draw means vary by
  σ²_c + σ²_n / R;
- a **predictive interval** for one run of this policy: mean ± t(0.975, K − 1) ·
  √(σ̂²_c + σ̂²_n + MSB / N), within range (the spread of a new run plus the uncertainty of the
  mean; K − 1 degrees of freedom, the fewer of the two sources', which errs wide);
- the **coefficient share** σ̂²_c / (σ̂²_c + σ̂²_n) of a run's variance, and the two standard
  deviations √σ̂²_c and √σ̂²_n.

It needs K ≥ 2 draws with a finite mean and at least one draw with two finite runs (else the
split is NaN, and :func:`split_interval` says why in ``reason``).
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
SPLIT_RULE = (
    "95% t interval of the mean over the K posterior draws' means (df K − 1), within the "
    "quantity's range; a run's variance split into coefficient (between draws) and noise "
    "(within a draw) parts by one-way random-effects ANOVA, method of moments, truncated at 0; "
    "predictive interval for one run: mean ± t(0.975, K − 1)·√(σ²_c + σ²_n + MSB/N), within "
    "range")
SPLIT_RULE_SHORT = "95% t CI over draws; coefficient share of variance"
RULE_ZH = "各重复均值的 95% t 区间，截取在该量的取值范围内"
RULE_SHORT_ZH = "95% t 置信区间"
SPLIT_RULE_ZH = (
    "K 个后验抽样各自均值的均值的 95% t 区间（自由度 K − 1），截取在该量的取值范围内；单次运行的"
    "方差用单因素随机效应方差分析（矩估计，截断于 0）分为系数（抽样之间）与噪声（抽样之内）两部分；"
    "单次运行的预测区间：均值 ± t(0.975, K − 1)·√(σ²_c + σ²_n + MSB/N)，截取在取值范围内")
SPLIT_RULE_SHORT_ZH = "各抽样间的 95% t 置信区间；系数所占方差比例"
""":data:`RULE`, :data:`RULE_SHORT`, :data:`SPLIT_RULE` and :data:`SPLIT_RULE_SHORT` in
Chinese."""


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


@dataclass(frozen=True)
class SplitInterval:
    """:func:`split_interval` of one quantity: ``interval`` (mean over all runs, its bounds by
    the rule over draw means), the predictive bounds of one run, the coefficient and noise
    variances and the coefficient share; NaN where under-sampled, with ``reason``."""

    interval: Interval
    draws: int
    predictive_low: float
    predictive_high: float
    var_coefficients: float
    var_noise: float
    share_coefficients: float
    reason: str | None = None


def split_interval(values: Sequence[float] | np.ndarray, draws: Sequence[int] | np.ndarray,
                   value_range: tuple[float, float] = (-np.inf, np.inf)) -> SplitInterval:
    """The split rule (module docstring) for one quantity: ``values[i]`` is run ``i``'s value
    (shape (N,)) and ``draws[i]`` the posterior draw it ran with. NaN values are left out (and
    counted in ``interval.nan``); an infinite one leaves no interval, as in
    :func:`mean_interval`."""
    values = np.asarray(values, dtype=float)
    draws = np.asarray(draws)
    nan = int(np.isnan(values).sum())
    keep = ~np.isnan(values)
    values, draws = values[keep], draws[keep]
    inf = int(np.isinf(values).sum())
    n = len(values)
    none = float("nan")
    if n == 0 or inf:
        mean = none if n == 0 else float(values.sum())
        return SplitInterval(Interval(n, mean, none, none, nan, inf), 0, none, none, none,
                             none, none, "infinite values" if inf else "no finite value")
    labels, groups = np.unique(draws, return_inverse=True)
    k = len(labels)
    counts = np.bincount(groups, minlength=k).astype(float)
    means = np.bincount(groups, weights=values, minlength=k) / counts
    mean = float(means.mean())
    low, high = t_bounds(mean, means.std(ddof=1) if k >= 2 else none, k, value_range)
    interval = Interval(n, mean, float(low), float(high), nan, inf)
    if k < 2 or n - k < 1:
        reason = (f"{k} posterior draw{'s' if k != 1 else ''}: a split needs --draws 2 or "
                  "more" if k < 2 else "one run per draw: a split needs --replicates 2 or more")
        return SplitInterval(interval, k, none, none, none, none, none, reason)
    msw = float(((values - means[groups]) ** 2).sum() / (n - k))
    msb = float((counts * (means - mean) ** 2).sum() / (k - 1))
    n0 = (n - (counts**2).sum() / n) / (k - 1)
    var_c = max(0.0, (msb - msw) / n0)
    total = var_c + msw
    share = var_c / total if total > 0 else none
    quantile = stats.t.ppf(0.5 + LEVEL / 2, k - 1)
    half = quantile * np.sqrt(total + msb / n)
    p_low, p_high = np.clip([mean - half, mean + half], *value_range)
    return SplitInterval(interval, k, float(p_low), float(p_high), var_c, msw, share,
                         None if total > 0 else "no variation between runs")
