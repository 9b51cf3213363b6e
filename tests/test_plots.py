"""Figures: the band helper by hand, then every figure on synthetic outputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from sim import metrics, plots


def test_mean_band_is_the_t_interval_of_the_mean() -> None:
    ts = pd.DataFrame(
        {"scenario": "s", "replicate": [0, 1, 0, 1], "month": [1, 1, 2, 2], "x": [1.0, 3.0, 5, 5]}
    )
    band = plots.mean_band(ts, "x")
    # month 1: mean 2, sd √2, SE 1, t(0.975, 1 df) = 12.706; month 2: no spread
    assert band["month"].tolist() == [1, 2]
    assert band["mean"].tolist() == [2.0, 5.0]
    assert band["low"].tolist() == pytest.approx([2 - 12.7062, 5.0], abs=1e-4)
    assert band["high"].tolist() == pytest.approx([2 + 12.7062, 5.0], abs=1e-4)
    assert band["n"].tolist() == [2, 2]


def test_bands_of_shares_and_yuan_stay_inside_their_range() -> None:
    ts = pd.DataFrame({"scenario": "s", "replicate": [0, 1, 2, 3], "month": 1,
                       "needs_met": [0.0, 0.0, 0.01, 0.12], "fund_spent": [0.0, 0, 0, 9e4],
                       "mean_trust": [0.9, 0.99, 1.0, 1.0]})
    assert plots.mean_band(ts, "needs_met")["low"].iloc[0] == 0.0
    assert plots.mean_band(ts, "fund_spent")["low"].iloc[0] == 0.0
    assert plots.mean_band(ts, "mean_trust")["high"].iloc[0] == 1.0
    assert 0 < plots.mean_band(ts, "needs_met")["high"].iloc[0] < 1


def test_band_of_one_replicate_is_empty() -> None:
    ts = pd.DataFrame({"scenario": "s", "replicate": 0, "month": [1, 2], "x": [1.0, 2.0]})
    band = plots.mean_band(ts, "x")
    assert band["mean"].tolist() == [1.0, 2.0]
    assert band["low"].isna().all() and band["high"].isna().all()


@pytest.mark.parametrize("stem", list(plots.RUN_FIGURES))
def test_run_figures_are_titled_with_units_and_month_axis(stem, make_result) -> None:
    ts = make_result("chengdu_reform", replicates=3).timeseries
    fig = plots.RUN_FIGURES[stem](ts)
    title = fig.get_suptitle()
    assert "chengdu_reform" in title and "3 replicates" in title and "95%" in title
    fig.draw_without_rendering()
    box = fig._suptitle.get_window_extent()
    assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1  # the title is not clipped
    for ax in fig.axes:
        assert ax.get_xlabel() == "month"
        assert ax.get_ylabel() in set(metrics.UNITS.values())
        assert ax.get_legend() is not None
        assert len(ax.lines) >= 1 and len(ax.collections) == len(ax.lines)  # a band per line


def test_every_monthly_metric_appears_in_some_run_figure(make_result) -> None:
    ts = make_result().timeseries
    drawn = {line.get_label() for make in plots.RUN_FIGURES.values() for ax in make(ts).axes
             for line in ax.lines}
    shown = {label.replace(" ", "_") for label in drawn}
    missing = [m for m in metrics.METRICS if not any(m.endswith(s) for s in shown)]
    # network and population statistics, not governance outcomes
    assert missing == ["mean_degree", "residents_moved"]


def test_write_run_plots_writes_non_empty_pngs(tmp_path, make_result) -> None:
    paths = plots.write_run_plots(make_result().timeseries, tmp_path / "plots", prefix="a-")
    assert sorted(p.name for p in paths) == sorted(f"a-{s}.png" for s in plots.RUN_FIGURES)
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        image = imread(path)
        assert image.shape[0] > 300 and image.shape[1] > 600
        assert np.ptp(image) > 0  # not a blank canvas


def test_compare_figure_has_a_band_per_scenario_and_a_legend(tmp_path, make_result) -> None:
    ts = pd.concat([make_result("A", 2).timeseries, make_result("B", 4).timeseries])
    fig = plots.compare_figure(ts)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == list(plots.COMPARE_METRICS)
    for ax in panels:
        assert [line.get_label() for line in ax.lines] == ["A", "B"]
        assert ax.get_xlabel() == "month" and ax.get_ylabel()
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["A", "B"]
    assert "2–4 replicates" in fig.get_suptitle()
    path = plots.save(fig, tmp_path / "compare.png")
    assert path.stat().st_size > 10_000


def test_a_one_month_run_draws_markers_on_a_whole_month_axis(make_result) -> None:
    ts = make_result("short", replicates=3, months=1).timeseries
    fig = plots.participation_figure(ts)
    ax = fig.axes[0]
    markers = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(markers) == 4  # one marker per activity, not an invisible one-point line
    assert list(ax.get_xticks()) == [1.0]


def test_long_runs_have_yearly_ticks_and_a_year_axis(make_result) -> None:
    ts = make_result("long", replicates=2, months=72).timeseries
    ax = plots.attitudes_figure(ts).axes[0]
    ticks = [t for t in ax.get_xticks() if 1 <= t <= 72]
    assert ticks == [12, 24, 36, 48, 60, 72]
    assert any(child.get_xlabel() == "year" for child in ax.child_axes)


def test_one_replicate_claims_no_interval_in_titles(make_result) -> None:
    ts = make_result("single", replicates=1).timeseries
    for make in plots.RUN_FIGURES.values():
        title = make(ts).get_suptitle()
        assert "95%" not in title and "no interval" in title
    assert "95%" not in plots.compare_figure(ts).get_suptitle()


def test_axes_of_non_negative_quantities_start_at_zero(make_result) -> None:
    ts = make_result("zeros", replicates=3).timeseries
    ts[["fund_spent", "fund_leaked"]] = 0.0
    ax = plots.funds_figure(ts).axes[0]
    assert ax.get_ylim()[0] == 0
    ax.figure.draw_without_rendering()
    assert not any(t.get_text().startswith(("-", "−")) for t in ax.get_yticklabels())
