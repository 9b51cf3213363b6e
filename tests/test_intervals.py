"""The one interval rule (sim/intervals.py): coverage, range, and the cases with no interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import intervals, metrics


def test_t_interval_by_hand() -> None:
    # mean 2, sd 1, n 3: half-width t(0.975, 2) · 1/√3 = 4.3027 / 1.7321 = 2.4841
    iv = intervals.mean_interval([1.0, 2.0, 3.0])
    assert (iv.n, iv.mean) == (3, 2.0)
    assert (iv.low, iv.high) == pytest.approx((2 - 2.4841, 2 + 2.4841), abs=1e-4)


def test_the_issue_example_stays_inside_the_share_range() -> None:
    """Issue 7 §2: `needs_met_last12 0.033 [-0.006, 0.072]` must not leave [0, 1]."""
    values = [0.0, 0.01, 0.06, 0.062]
    unbounded = intervals.mean_interval(values)
    assert unbounded.low < 0  # what a plain t (or 1.96·SE) interval prints
    iv = intervals.mean_interval(values, metrics.range_of("needs_met_last12"))
    assert iv.low == 0.0 and iv.high == pytest.approx(unbounded.high)
    assert iv.mean == pytest.approx(0.033)


@pytest.mark.parametrize(("shape", "n"), [((20.0, 500.0), 4), ((2.0, 2.0), 2), ((0.5, 0.5), 10)])
def test_coverage_is_95_percent_for_bounded_quantities(shape, n) -> None:
    """Truncation to the range keeps the t interval's coverage. 20,000 simulated experiments
    of n replicates from a Beta distribution (a small share near 0, a symmetric one, a U-shaped
    one); the binomial SE of the coverage is 0.0015 and the t interval is not exact for skewed
    data, so the window is [0.93, 0.97] (the 1.96·SE rule it replaces covers about 0.86 at
    n = 4 and 0.68 at n = 2)."""
    rng = np.random.default_rng(7)
    a, b = shape
    truth = a / (a + b)
    samples = rng.beta(a, b, size=(20_000, n))
    mean, sd = samples.mean(axis=1), samples.std(axis=1, ddof=1)
    low, high = intervals.t_bounds(mean, sd, n, (0.0, 1.0))
    assert (low >= 0).all() and (high <= 1).all()
    coverage = float(((low <= truth) & (truth <= high)).mean())
    assert 0.93 <= coverage <= 0.97


def test_one_replicate_has_no_interval_and_says_how_to_get_one() -> None:
    iv = intervals.mean_interval([0.4], (0.0, 1.0))
    assert iv.n == 1 and iv.mean == 0.4
    assert np.isnan(iv.low) and np.isnan(iv.high)
    reason = intervals.no_interval_reason(iv)
    assert "one replicate" in reason and "--replicates 2" in reason


def test_infinite_replicates_give_an_infinite_mean_and_no_interval() -> None:
    iv = intervals.mean_interval([1.0, np.inf, 3.0], (0.0, np.inf))
    assert iv.mean == np.inf and iv.inf == 1 and iv.n == 3
    assert np.isnan(iv.low) and np.isnan(iv.high)
    assert "1 of 3 replicates are infinite" in intervals.no_interval_reason(iv)


def test_nan_replicates_are_left_out_and_counted() -> None:
    iv = intervals.mean_interval([np.nan, 0.2, 0.4, np.nan], (-1.0, 1.0))
    assert (iv.n, iv.nan) == (2, 2) and iv.mean == pytest.approx(0.3)
    assert iv.low < 0.3 < iv.high


def test_grouped_intervals_equal_the_one_group_rule() -> None:
    frame = pd.DataFrame({"g": [1, 1, 1, 2, 2], "x": [0.1, 0.5, 0.3, 0.9, 1.0]})
    table = intervals.grouped_intervals(frame, "g", "x", (0.0, 1.0))
    for row in table.itertuples():
        iv = intervals.mean_interval(frame.loc[frame["g"] == row.g, "x"], (0.0, 1.0))
        assert (row.n, row.mean, row.low, row.high) == pytest.approx(
            (iv.n, iv.mean, iv.low, iv.high))
    assert table["high"].iloc[1] == 1.0


def test_every_metric_has_a_range_and_summaries_share_it() -> None:
    for name in metrics.METRICS:
        low, high = metrics.range_of(name)
        assert low == 0.0 and high in (0.5, 1.0, np.inf)  # 0.5: the SD of a share
        assert metrics.range_of(f"{name}_last12") == (low, high)
    assert metrics.range_of("participation_any_final") == (0.0, 1.0)
    assert metrics.range_of("representation_gap") == (-1.0, 1.0)
    assert metrics.range_of("y") == (-np.inf, np.inf)  # a test function's output
