"""Figures: the band helper by hand, then every figure on synthetic outputs."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.image import imread
from matplotlib.text import Text

from sim import labels, metrics, plots
from sim.schema import Scenario, ScheduledChange

SCENARIOS = Path(__file__).parents[1] / "scenarios"


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
    fig = plots.RUN_FIGURES[stem](ts, "en")
    title = fig.get_suptitle()
    assert "chengdu_reform" in title and "3 replicates" in title and "95%" in title
    fig.draw_without_rendering()
    box = fig._suptitle.get_window_extent()
    assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1  # the title is not clipped
    panels = [ax for ax in fig.axes if ax.get_label() != "secondary"]
    assert panels[-1].get_xlabel() == "month"  # once, under the stacked panels
    for ax in panels:
        assert ax.get_ylabel() and ax.get_legend() is not None
        drawn = [line for line in ax.lines if not line.get_label().startswith("_")]
        assert len(drawn) >= 1 and len(ax.collections) == len(drawn)  # a band per line
        for text in [ax.get_ylabel(), ax.get_title(),
                     *(t.get_text() for t in ax.get_legend().get_texts())]:
            assert not any(m in text for m in metrics.METRICS if "_" in m), text  # labels


def test_every_monthly_metric_appears_in_some_run_figure(make_result) -> None:
    ts = make_result().timeseries
    drawn = {line.get_label() for make in plots.RUN_FIGURES.values() for ax in make(ts, "en").axes
             for line in ax.lines}
    missing = [m for m in metrics.METRICS
               if not any(d.startswith(labels.label(m, "en")) for d in drawn)]
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
    fig = plots.compare_figure(ts, lang="en")
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "secondary"]
    assert [ax.get_title() for ax in panels] == [labels.label(m, "en")
                                                 for m in plots.COMPARE_METRICS]
    for ax in panels:
        assert [line.get_label() for line in ax.lines] == ["A", "B"]
        assert ax.get_ylabel()
    assert panels[-1].get_xlabel() == "month"
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["A", "B"]
    assert "2–4 replicates" in fig.get_suptitle()
    path = plots.save(fig, tmp_path / "compare.png")
    assert path.stat().st_size > 10_000


def test_compare_panels_of_one_unit_share_their_y_axis(make_result) -> None:
    ts = pd.concat([make_result("A", 2).timeseries, make_result("B", 2).timeseries])
    names = ["participation_any", "mean_trust", "participation_deliberate", "mean_efficacy",
             "needs_met"]
    panels = plots.compare_figure(ts, names, lang="en").axes[:len(names)]
    shared = panels[0].get_shared_y_axes()
    assert shared.joined(panels[0], panels[2]) and shared.joined(panels[1], panels[3])
    assert not shared.joined(panels[0], panels[1]) and not shared.joined(panels[0], panels[4])
    assert panels[0].get_ylim() == panels[2].get_ylim()


def test_a_one_month_run_draws_markers_on_a_whole_month_axis(make_result) -> None:
    ts = make_result("short", replicates=3, months=1).timeseries
    fig = plots.participation_figure(ts, "en")
    ax = fig.axes[0]
    markers = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(markers) == 4  # one marker per activity, not an invisible one-point line
    assert list(ax.get_xticks()) == [1.0]


def test_long_runs_have_yearly_ticks_and_a_year_axis(make_result) -> None:
    ts = make_result("long", replicates=2, months=72).timeseries
    fig = plots.attitudes_figure(ts, "en")
    ax = fig.axes[0]
    ticks = [t for t in ax.get_xticks() if 1 <= t <= 72]
    assert ticks == [12, 24, 36, 48, 60, 72]
    assert len(ax.child_axes) == 1  # the year axis, its word beside its ticks:
    assert [a.get_text() for a in fig.artists if isinstance(a, Text)] == ["year"]


@pytest.mark.parametrize("months", [24, 120])
def test_month_ticks_fall_on_whole_years_on_every_time_axis(months, make_result) -> None:
    ts = make_result("years", replicates=2, months=months).timeseries
    figures = [make(ts, "en") for make in plots.RUN_FIGURES.values()]
    figures.append(plots.compare_figure(ts, lang="en"))
    for fig in figures:
        for ax in fig.axes:
            if ax.get_visible() and ax.get_label() != "secondary" and ax.images == []:
                lo, hi = ax.get_xlim()
                ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
                assert ticks and all(t % 12 == 0 for t in ticks), (months, ticks)


def test_a_scheduled_change_is_marked_on_every_time_axis(make_result) -> None:
    """Issue 11: the month the fund is withdrawn, a dashed line and a label on every axis."""
    scenario = Scenario.load(SCENARIOS / "fund_withdrawal.yaml")
    (change,) = scenario.policy.schedule
    ts = make_result("fund_withdrawal", replicates=2, months=scenario.months).timeseries
    marks = plots.schedule_marks(scenario.policy.schedule, "en")
    figures = [make(ts, "en", marks) for make in plots.RUN_FIGURES.values()]
    figures.append(plots.compare_figure(ts, lang="en",
                                        schedules={"fund_withdrawal": scenario.policy.schedule}))
    for fig in figures:
        for ax in [a for a in fig.axes if a.get_visible() and a.get_label() != "secondary"]:
            dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
            assert [list(line.get_xdata()) for line in dashed] == [[change.month] * 2]
            assert any(str(change.month) in text.get_text() for text in ax.texts)
    label = marks[0].text
    assert f"month {change.month}" in label and labels.label("policy.fund_per_community",
                                                             "en") in label
    assert label.endswith("= 0")
    compare = figures[-1]
    assert any(t.get_text() == label for t in compare.legends[0].get_texts())


def test_two_changes_in_one_month_do_not_share_one_label_position(make_result) -> None:
    schedule = [ScheduledChange(month=13, set={"devolution": 0.2}),
                ScheduledChange(month=13, set={"transparency": 0.9})]
    ts = make_result("two", replicates=2, months=24).timeseries
    fig = plots.attitudes_figure(ts, "en", plots.schedule_marks(schedule, "en"))
    fig.draw_without_rendering()
    first, second = (t.get_window_extent() for t in fig.axes[0].texts)
    assert not first.overlaps(second)


@pytest.mark.parametrize("lang", ["zh", "en", "both"])
@pytest.mark.parametrize("make", [plots.participation_figure, plots.funds_figure])
def test_labels_of_nearby_changes_cover_nothing_and_stay_inside_the_panel(make_result, make,
                                                                          lang) -> None:
    """Changes at months 6, 7 and 22 once gave "自第自第7月: 培训 = 0.自第22月…", and
    "from month 13: community fund = 0" ran off the right edge under --lang both."""
    schedule = [ScheduledChange(month=6, set={"fund_per_community": 0}),
                ScheduledChange(month=7, set={"devolution": 0.2}),
                ScheduledChange(month=13, set={"fund_per_community": 0}),
                ScheduledChange(month=22, set={"transparency": 0.9})]
    ts = make_result("near", replicates=2, months=24).timeseries
    marks = plots.schedule_marks(schedule, lang)
    fig = make(ts, lang, marks)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        if ax.get_label() == "secondary":
            continue
        boxes = [t.get_window_extent(renderer) for t in ax.texts]
        assert len(boxes) == len(marks)  # every change labelled (by its text or its month)
        assert sum(t.get_text() in [m.text for m in marks] for t in ax.texts) >= 2
        inside = ax.get_window_extent(renderer)
        for i, box in enumerate(boxes):
            assert inside.x0 <= box.x0 and box.x1 <= inside.x1, (lang, ax.texts[i].get_text())
            assert inside.y0 <= box.y0 and box.y1 <= inside.y1
            assert not any(box.overlaps(other) for other in boxes[i + 1:])


def test_a_shared_y_limit_holds_every_panels_band(make_result) -> None:
    """The party members' band (0.9) was cut off by a limit taken from the first panel's."""
    ts = make_result("g", replicates=3, months=24).timeseries
    for name in ("participation_local", "participation_migrant"):
        ts[name] = ts[name] * 0.1
    ts["participation_party"] = 0.85 + 0.1 * ts["replicate"] / 2
    fig = plots.groups_figure(ts, "en")
    highest = max(ax.dataLim.y1 for ax in fig.axes[:3])
    assert highest >= 0.95  # the party band's top
    for ax in fig.axes[:3]:
        assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= highest


def test_overall_participation_shows_beside_an_identical_activity(make_result, tmp_path):
    """Where everyone who takes part volunteers, the two lines coincide: 'any' must show."""
    ts = make_result("v", replicates=1, months=24).timeseries  # one replicate: no bands
    ts["participation_volunteer"] = ts["participation_any"]
    fig = plots.participation_figure(ts, "en")
    fig.legends.clear()
    fig.axes[0].get_legend().remove()
    plots.save(fig, tmp_path / "p.png", dpi=100)
    pixels = imread(tmp_path / "p.png")[..., :3]
    blue = np.array([0x1F, 0x77, 0xB4]) / 255  # C0, the colour of 'any'
    shown = (np.abs(pixels - blue).max(axis=-1) < 0.02).sum()
    assert to_hex(fig.axes[0].lines[0].get_color()) == "#1f77b4"
    assert shown > 300, shown  # a line of 24 months, not a few anti-aliased pixels


def test_all_zero_counts_get_whole_number_ticks(make_result) -> None:
    ts = make_result("z", replicates=2, months=24).timeseries
    for name in ("self_orgs_active", "social_orgs_active", "social_orgs_zombie",
                 "projects_delivered"):
        ts[name] = 0
    fig = plots.organizations_figure(ts, "en")
    for ax in fig.axes[:2]:
        low, high = ax.get_ylim()
        ticks = [t for t in ax.get_yticks() if low <= t <= high]
        assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks


@pytest.mark.parametrize("make", [plots.participation_figure, plots.compare_figure])
def test_the_year_word_is_beside_the_year_ticks_not_under_the_title(make, make_result):
    ts = make_result("y", replicates=2, months=36).timeseries
    fig = make(ts, lang="en")
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    top = fig.axes[0].get_window_extent(renderer)
    years = [t for t in fig.findobj(Text) if t.get_text() == "year" and t.get_visible()]
    assert len(years) == 1
    box = years[0].get_window_extent(renderer)
    assert box.x1 <= top.x0 and box.y0 >= top.y1  # left of the panel, above its top
    ticks = [label.get_window_extent(renderer) for axis in fig.axes[0].child_axes
             for label in axis.xaxis.get_ticklabels() if label.get_visible() and label.get_text()]
    gap = min(tick.x0 for tick in ticks) - box.x1  # "year0" read as one word
    assert gap >= 2 * fig.dpi / 72, gap


CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text() and t.get_visible()]


@pytest.mark.parametrize("make", [*plots.RUN_FIGURES.values(), plots.compare_figure])
def test_chinese_titles_in_zh_none_in_en(make, make_result) -> None:
    ts = make_result("a", replicates=2, months=24).timeseries
    zh, en = make(ts, lang="zh"), make(ts, lang="en")
    titles = [zh.get_suptitle(), *(ax.get_title() for ax in zh.axes if ax.get_title())]
    assert all(CJK.search(title) for title in titles)
    assert not [text for text in _texts(en) if CJK.search(text)]
    both = make(ts, lang="both").get_suptitle()
    assert CJK.search(both) and "95% t CI" in both


def test_a_fund_change_mid_cycle_is_marked_at_the_month_it_takes_effect(make_result):
    """Issue 11 new-user check: the fund set to 0 at month 7 acts from the next fund cycle
    (month 13), yet every figure marked "from month 7: community fund = 0"."""
    schedule = [ScheduledChange(month=7, set={"fund_per_community": 0, "devolution": 0.5})]
    fund = labels.label("policy.fund_per_community", "en")
    at_once, delayed = plots.schedule_marks(schedule, "en")
    assert (at_once.month, delayed.month) == (7, 13)
    assert fund not in at_once.text and at_once.text.startswith("from month 7:")
    assert delayed.text == f"from month 13 (set for month 7: next fund cycle): {fund} = 0"
    (zh,) = plots.schedule_marks([ScheduledChange(month=7, set={"fund_per_community": 0})],
                                 "zh")
    assert zh.text.startswith("自第13个月起（第7个月排定")
    ts = make_result("fund", replicates=2, months=24).timeseries
    fig = plots.funds_figure(ts, "en", [delayed])
    dashed = [line for line in fig.axes[0].lines if line.get_linestyle() == "--"]
    assert [list(line.get_xdata()) for line in dashed] == [[13, 13]]


def test_a_change_in_the_last_month_draws_no_mark_on_the_right_edge(make_result) -> None:
    """New-user check: a change in month 24 of 24 was a line on the right edge, its label
    floating beside another change's."""
    ts = make_result("end", replicates=2, months=24).timeseries
    schedule = [ScheduledChange(month=12, set={"devolution": 0.5}),
                ScheduledChange(month=24, set={"transparency": 0.9})]
    marks = plots.schedule_marks(schedule, "en")
    compare = plots.compare_figure(ts, lang="en", schedules={"end": schedule})
    for fig in [plots.attitudes_figure(ts, "en", marks), compare]:
        for ax in [a for a in fig.axes if a.get_visible() and a.get_label() != "secondary"]:
            drawn = [line.get_xdata()[0] for line in ax.lines if line.get_label() == "_schedule"]
            assert drawn == [12]
            assert not any("24" in text.get_text() for text in ax.texts)
    assert not any("month 24" in t.get_text() for t in compare.legends[0].get_texts())


def test_a_mark_label_lets_the_bands_show_through(make_result) -> None:
    ts = make_result("see", replicates=2, months=24).timeseries
    fig = plots.participation_figure(
        ts, "en", plots.schedule_marks([ScheduledChange(month=6, set={"devolution": 0.5})],
                                       "en"))
    (label,) = fig.axes[0].texts
    assert label.get_bbox_patch().get_alpha() <= 0.6


def test_compare_panels_sharing_an_axis_hold_every_band(make_result) -> None:
    """New-user check: a band reaching 1 was cut at 0.68, the limit of the first panel of
    the unit."""
    ts = pd.concat([make_result("A", 3).timeseries, make_result("B", 3).timeseries])
    ts["participation_any"] = 0.3
    ts["participation_deliberate"] = np.where(ts["replicate"] == 0, 0.5, 1.0)
    names = ["participation_any", "mean_trust", "participation_deliberate"]
    first, _, third = plots.compare_figure(ts, names, lang="en").axes[:3]
    highest = max(ax.dataLim.y1 for ax in (first, third))
    assert highest == 1.0  # the deliberators' band, within [0, 1]
    assert third.get_ylim()[1] >= highest and first.get_ylim() == third.get_ylim()


def test_compare_marks_of_two_scenarios_differ_by_more_than_colour(make_result) -> None:
    ts = pd.concat([make_result("A", 2, months=24).timeseries,
                    make_result("B", 2, months=24).timeseries])
    change = [ScheduledChange(month=6, set={"devolution": 0.5})]
    fig = plots.compare_figure(ts, lang="en", schedules={"A": change, "B": change})
    legend = fig.legends[0]
    styles = [str(h.get_linestyle()) for h, t in zip(legend.legend_handles, legend.get_texts(),
                                                     strict=True) if "month 6" in t.get_text()]
    assert len(styles) == 2 and styles[0] != styles[1]


def test_a_scenario_named_in_chinese_draws_without_a_missing_glyph(make_result):
    """Issue 11: 40 missing-glyph warnings and boxes in every title."""
    ts = make_result("资金撤出情景", replicates=2, months=48).timeseries
    marks = plots.schedule_marks([ScheduledChange(month=37, set={"fund_per_community": 0})],
                                 "zh")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a UserWarning: now an error
        plots.groups_figure(ts, "zh", marks).draw_without_rendering()  # lays out every glyph
        plots.compare_figure(ts, lang="both").draw_without_rendering()


def test_without_the_font_figures_fall_back_to_english(make_result, monkeypatch) -> None:
    from sim import fonts

    monkeypatch.setattr(fonts, "FONT_FILE", fonts.FONT_FILE.with_name("missing.ttf"))
    ts = make_result("a", replicates=2).timeseries
    for make in (plots.participation_figure, plots.compare_figure):
        fig = make(ts, lang="zh")
        assert not [text for text in _texts(fig) if CJK.search(text)]


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


# ------------------------------------------------------------ the spread between communities
@pytest.fixture(scope="module")
def communities() -> pd.DataFrame:
    """A real run of 2 street offices × 4 communities × 300 adults, 24 months, 3 replicates:
    each community's participation month by month (tests/worlds.py)."""
    from worlds import community_frame

    return community_frame()


def _bars(fig) -> tuple[list[str], list[float]]:
    """The ranked bar panel read back from its artists: names top to bottom, bar lengths."""
    ax = fig.axes[1]
    bars = sorted(ax.patches, key=lambda bar: bar.get_y())
    names = {round(tick): label.get_text()
             for tick, label in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)}
    ascending = ax.get_ylim()[0] > ax.get_ylim()[1]  # y grows downwards: rank 1 on top
    assert ascending
    return ([names[round(bar.get_y() + bar.get_height() / 2)] for bar in bars],
            [bar.get_width() for bar in bars])


def test_every_community_is_in_the_ranked_bar_highest_on_top(communities) -> None:
    fig = plots.community_spread(communities, lang="en")
    names, lengths = _bars(fig)
    assert sorted(names) == sorted(communities["community"].unique())
    assert lengths == sorted(lengths, reverse=True)
    # each bar: the community's mean over the last 12 months of every replicate (each
    # replicate has all 12, so the mean of replicate means is the plain mean)
    tail = communities[communities["month"] > 12]
    expected = tail.groupby("community")["participation_any"].mean()
    assert lengths == pytest.approx([expected[name] for name in names])
    assert expected.max() > expected.min()  # the communities differ: the order means something


def test_community_lines_one_per_community_and_the_district_bold(communities) -> None:
    fig = plots.community_spread(communities, lang="en")
    lines = [line for line in fig.axes[0].lines if line.get_label() != "_schedule"]
    bold = [line for line in lines if line.get_linewidth() >= 2]
    assert len(lines) == communities["community"].nunique() + 1 and len(bold) == 1
    # without district rows the bold line is the plain mean of the communities, named so
    per_month = communities.groupby("month")["participation_any"].mean()
    assert bold[0].get_ydata() == pytest.approx(per_month.to_numpy())
    assert "mean of the communities" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_the_district_line_is_the_district_rows_where_the_frame_has_them(communities) -> None:
    district = (communities.groupby(["replicate", "month"], as_index=False)["participation_any"]
                .mean())
    district["participation_any"] = 0.5  # unlike any mean of the communities
    frame = pd.concat([communities.assign(level="community"),
                       district.assign(level="district", street_office="", community="")])
    fig = plots.community_spread(frame.assign(scenario="s"), lang="en")
    (bold,) = [line for line in fig.axes[0].lines if line.get_linewidth() >= 2]
    assert set(bold.get_ydata()) == {0.5}
    assert "" not in _bars(fig)[0]  # district rows are no community
    assert "district" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_the_lowest_and_highest_communities_are_named_at_their_lines(communities) -> None:
    fig = plots.community_spread(communities, lang="en")
    names, _ = _bars(fig)
    ax = fig.axes[0]
    named = [t.get_text() for t in ax.texts]
    assert names[0] in named and names[-1] in named
    renderer = fig.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert all(inside.x0 <= b.x0 and b.x1 <= inside.x1 and inside.y0 <= b.y0
               and b.y1 <= inside.y1 for b in boxes)
    assert not boxes[0].overlaps(boxes[1])


def test_the_interval_of_a_community_stays_within_zero_and_one(communities) -> None:
    frame = communities.copy()
    first = frame["community"] == frame["community"].iloc[0]
    # replicates of 0, 0 and 0.9 in the last year: mean ± t·SE runs far outside [0, 1]
    frame.loc[first & (frame["month"] > 12), "participation_any"] = (
        frame.loc[first & (frame["month"] > 12), "replicate"].map({0: 0.0, 1: 0.0, 2: 0.9}))
    ax = plots.community_spread(frame, lang="en").axes[1]
    (whiskers,) = [c for c in ax.collections if len(c.get_segments())]
    xs = np.concatenate([segment[:, 0] for segment in whiskers.get_segments()])
    assert xs.min() == 0.0 and xs.max() == 1.0  # clipped at both ends, not beyond


def test_one_replicate_draws_no_whiskers_and_says_so(communities) -> None:
    fig = plots.community_spread(communities[communities["replicate"] == 0], lang="en")
    assert not [c for c in fig.axes[1].collections if len(c.get_segments())]
    assert "no interval" in fig.get_suptitle()


def test_chinese_community_names_draw_without_a_missing_glyph(communities, tmp_path) -> None:
    frame = communities.copy()
    streets = {"1": "海沧街道", "2": "嵩屿街道"}
    frame["community"] = [f"{streets[s]}-{c.split('-')[1]}"
                          for s, c in zip(frame["street_office"], frame["community"], strict=True)]
    frame["street_office"] = frame["street_office"].map(streets)
    marks = plots.schedule_marks([ScheduledChange(month=13, set={"fund_per_community": 0})],
                                 "zh")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a UserWarning: now an error
        fig = plots.community_spread(frame, lang="zh", marks=marks)
        plots.save(fig, tmp_path / "zh.png", dpi=60)  # draws every glyph
    assert "海沧街道-1" in _bars(fig)[0]
    assert CJK.search(fig.get_suptitle()) and CJK.search(fig.axes[1].get_title())


def test_english_figure_has_no_chinese_words(communities) -> None:
    assert not [text for text in _texts(plots.community_spread(communities, lang="en"))
                if CJK.search(text)]


def test_spread_time_axis_has_whole_year_ticks_and_the_schedule_mark(communities) -> None:
    marks = plots.schedule_marks([ScheduledChange(month=13, set={"devolution": 0.2})], "en")
    fig = plots.community_spread(communities, lang="en", marks=marks)
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    assert [t for t in ax.get_xticks() if lo <= t <= hi] == [0, 12, 24]
    assert [list(line.get_xdata()) for line in ax.lines
            if line.get_label() == "_schedule"] == [[13, 13]]
    assert marks[0].text in [t.get_text() for t in fig.legends[0].get_texts()]


def test_a_hundred_and_twenty_community_names_do_not_overlap() -> None:
    rng = np.random.default_rng(1)
    rows = [{"replicate": r, "month": m, "street_office": str(s + 1),
             "community": f"{s + 1}-{k + 1}", "participation_any": rng.uniform(0, 0.3)}
            for r in range(2) for m in range(1, 25) for s in range(12) for k in range(10)]
    fig = plots.community_spread(pd.DataFrame(rows), lang="both")
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    labels_ = [t for t in fig.axes[1].get_yticklabels() if t.get_text()]
    assert len(labels_) == 120
    boxes = sorted((t.get_window_extent(renderer) for t in labels_), key=lambda b: b.y0)
    assert all(a.y1 <= b.y0 + 0.5 for a, b in zip(boxes, boxes[1:], strict=False))  # apart
    assert min(t.get_fontsize() for t in labels_) >= 5  # points: legible when printed
    assert {t.get_text() for t in fig.axes[0].texts} >= {_bars(fig)[0][0], _bars(fig)[0][-1]}
    page = fig.bbox
    legend = fig.axes[2].get_legend().get_window_extent(renderer)
    assert page.x0 <= legend.x0 and legend.x1 <= page.x1  # the legend is not cut off


def test_the_spread_refuses_frames_it_cannot_draw(communities) -> None:
    with pytest.raises(ValueError, match="street_office"):
        plots.community_spread(communities.drop(columns="street_office"))
    with pytest.raises(ValueError, match="no community rows"):
        plots.community_spread(communities.assign(level="district"))
    two = pd.concat([communities.assign(scenario="a"), communities.assign(scenario="b")])
    with pytest.raises(ValueError, match="one scenario"):
        plots.community_spread(two)


def test_community_plots_are_written_only_for_frames_with_communities(communities, tmp_path,
                                                                       make_result) -> None:
    (path,) = plots.write_community_plots(communities, tmp_path, prefix="x-", lang="en")
    assert path.name == "x-community_spread.png" and imread(path).shape[0] > 300
    assert plots.write_community_plots(make_result().timeseries, tmp_path / "none") == []
    assert not (tmp_path / "none").exists()


def test_run_figures_of_a_frame_with_community_rows_draw_the_district(make_result) -> None:
    ts = make_result("d", replicates=2, months=24).timeseries.assign(level="district")
    noise = ts.assign(level="community", participation_any=1.0)
    fig = plots.participation_figure(pd.concat([ts, noise]), "en")
    expected = ts.groupby("month")["participation_any"].mean()
    assert fig.axes[0].lines[0].get_ydata() == pytest.approx(expected.to_numpy())


def test_the_legend_keeps_the_street_offices_in_a_column_of_their_own() -> None:
    # four street offices under two line entries: a two-column legend filled in order put the
    # first street office under the lines, away from the other three
    rng = np.random.default_rng(2)
    streets = ["甲街道", "乙街道", "丙街道", "丁街道"]
    rows = [{"replicate": r, "month": m, "street_office": s, "community": f"{s}{k}",
             "participation_any": rng.uniform(0, 0.3)}
            for r in range(2) for m in range(1, 25) for s in streets for k in range(2)]
    fig = plots.community_spread(pd.DataFrame(rows), lang="both")
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    left = {t.get_text(): round(t.get_window_extent(renderer).x0)
            for t in fig.legends[0].get_texts() if t.get_text()}
    street_columns = {left[s] for s in streets}
    assert len(street_columns) == 1
    assert street_columns.isdisjoint(x for text, x in left.items() if text not in streets)
