"""Figures of run outputs (MODEL.md §8): means over replicates with bands, month on x.

Bands follow the package's one interval rule (``sim.intervals``: 95% t interval of the mean over
replicates, within the metric's range); with one replicate there is no band and the title says so.
Runs with coefficients drawn from a posterior (``--posterior``) draw the split rule's band over
draws, with the part from noise alone darker inside it (:func:`mean_band`).

Every function reads a tidy time-series DataFrame (columns ``scenario``, ``replicate``, ``month``
and the metrics of ``sim.metrics.METRICS``), never a live model, and draws for a printed page:
7 inches wide, panels of a figure stacked on one month axis in whole years, titles, legends and
axis labels from ``sim.labels`` in ``lang`` (``zh``, ``en`` or ``both``; English where no CJK
font can be had, ``sim.fonts.matplotlib_lang``). A scenario's scheduled policy changes
(``policy.schedule``) are marked on every time axis by a dashed line and a label at the first
month observed under the change, placed after the layout so that no label covers another or
leaves its panel. Figures are built on ``matplotlib.figure.Figure`` directly, so
no pyplot state or interactive backend is involved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.text import Annotation
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator
from scipy import stats

from sim import fonts, intervals, labels, metrics
from sim.metrics import UNITS, range_of

COMPARE_METRICS = (
    "participation_any",
    "participation_deliberate",
    "participation_migrant",
    "mean_trust",
    "mean_efficacy",
    "mean_dependency",
    "needs_met",
    "mean_satisfaction",
)
"""Monthly metrics drawn by :func:`compare_figure`."""

YUAN_METRICS = ("fund_spent", "fund_leaked", "fund_carried", "foundation_balance", "incentive_paid",
                "foundation_income")

PAGE_WIDTH = 7.0
"""Inches: the text width of a journal page, so that a figure is printed at its own size."""
PANEL_HEIGHT = 2.3
"""Inches per stacked time panel."""

WORDS: dict[str, tuple[str, str]] = {
    "month": ("月", "month"),
    "year": ("年", "year"),
    "participation": ("各类活动的参与", "Participation by activity"),
    "groups": ("各群体的参与", "Participation by group"),
    "by_residence": ("按户籍", "by residence"),
    "by_party": ("按党员身份", "by party membership"),
    "by_age": ("按年龄", "by age"),
    "attitudes": ("态度", "Attitudes"),
    "funds": ("社区资金", "Community fund"),
    "flows": ("每月流量", "monthly flows"),
    "stocks": ("月末存量", "month-end stocks"),
    "time_bank": ("时间银行", "time bank"),
    "organizations": ("组织与服务", "Organizations and services"),
    "orgs": ("组织", "organizations"),
    "projects": ("项目", "projects"),
    "needs": ("需求满足与质量", "needs met, quality"),
    "problems": ("居民问题与信任", "Residents' problems and trust"),
    "open_problems": ("未解决问题", "open problems"),
    "resolved": ("已解决与待办", "resolved and waiting"),
    "trust_spread": ("信任的离散度", "spread of trust"),
    "compared": ("情景比较", "Scenarios compared"),
    "total": ("全区合计", "district total"),
    "unallocated": ("未拨付到项目的结余", "not yet committed to projects"),
    "from_month": ("自第{m}个月起", "from month {m}"),
    "from_cycle": ("自第{m}个月起（第{s}个月排定，待下一基金周期）",
                   "from month {m} (set for month {s}: next fund cycle)"),
    # sensitivity analysis (sim.analysis)
    "sobol": ("Sobol 敏感性指数", "Sobol indices"),
    "fast": ("FAST 敏感性指数", "FAST indices"),
    "morris": ("Morris 筛选", "Morris screening"),
    "grid": ("网格设计的响应", "grid response"),
    "random design: per-point summary": ("随机设计：逐点汇总", "random design: per-point summary"),
    "lhs design: per-point summary": ("拉丁超立方设计：逐点汇总",
                                      "Latin hypercube design: per-point summary"),
    "noise_share": ("噪声占比 {v}", "noise share {v}"),
    # scenario discovery (sim.discover)
    "tradeoff": ("PRIM 剥离轨迹：覆盖率与密度的权衡",
                 "PRIM peeling trajectory: coverage vs density"),
    "coverage_axis": ("覆盖率（盒内满足条件者占全部满足者的比例）",
                      "coverage (share of all cases of interest inside the box)"),
    "density_axis": ("密度（盒内满足条件者的比例）",
                     "density (share of the box's cases of interest)"),
    "res_dim": ("受限维数", "restricted dimensions"),
    "chosen_box": ("选定的盒子（第{step}步；剔除不显著限制后限制{dims}维）",
                   "chosen box (step {step}; {dims} restricted after pruning)"),
    "confirmed_box": ("新运行确认的密度（95% t CI）", "density confirmed on fresh runs (95% t CI)"),
    "one_replicate": ("每个设计点仅1次重复", "one replicate per point"),
    "replicates": ("每个设计点{n}次重复", "{n} replicates per point"),
    "not_drawn": ("{total}个均值中{n}个非有限，未画出",
                  "{n} of {total} means not finite, not drawn"),
    "failed": ("{points}个设计点共{n}次运行失败（见 status csv）",
               "{n} runs failed at {points} design points (see status csv)"),
    "s1": ("S1（一阶）", "S1 (first order)"),
    "st": ("ST（总效应）", "ST (total)"),
    "outside": ("超出 [0, 1]", "outside [0, 1]"),
    "outside_marker": ("估计值超出 [0, 1]：不是方差占比（无柱）",
                       "estimate outside [0, 1]: not a share (no bar)"),
    "share_axis": ("敏感性指数（方差占比）", "sensitivity index (share of variance)"),
    "sobol_whiskers": ("误差线：SALib 自助法95%，限于 [0, 1]",
                       "whiskers: SALib bootstrap 95%, within [0, 1]"),
    "hatched": ("斜线：区间太宽，无法排序", "hatched: interval too wide to rank"),
    "mu_star_axis": ("μ*（基本效应绝对值的均值；误差线：SALib 自助法95%）",
                     "μ* (mean absolute elementary effect; whiskers: SALib bootstrap 95%)"),
    "sigma_axis": ("σ（交互作用、非线性）", "σ (interactions, non-linearity)"),
    "not_labelled": ("未标注（μ* 与 σ 均低于最大值的{share}），按 μ* 排序：",
                     "not labelled (μ* and σ below {share} of the largest), by μ*:"),
    "mean_over": ("重复的均值", "mean over replicates"),
    "band": ("95% t 置信区间（限于指标取值范围）",
             "95% t CI over replicates (within the metric's range)"),
    "no_interval": ("每点仅1次重复：无置信区间", "one replicate per point: no interval"),
    "whiskers_ci": ("误差线：重复的95% t置信区间", "whiskers: 95% t CI over replicates"),
    "each_dot": ("每个点：{n}个设计点之一；{how}", "each dot: one design point of {n}; {how}"),
    "cell_inf": ("inf：至少一次重复为无穷大（如花了钱而满意度没有提高），均值无穷大，不着色",
                 "inf: some replicate is infinite (e.g. money spent for no gain in "
                 "satisfaction), so the mean is infinite and not coloured"),
    "cell_NaN": ("NaN：所有重复均无定义（如没有支出、无人参与），不着色",
                 "NaN: undefined in every replicate (e.g. nothing spent, nobody took part), "
                 "not coloured"),
    "cell_no_run": ("no run：该设计点的运行全部失败",
                    "no run: every run of this design point failed"),
    # the spread between communities (community_spread)
    "spread": ("{metric}：各社区之间的差异", "{metric}: the spread between communities"),
    "spread_note": ("{c}个社区，每个社区取{r}次重复的均值", "{c} communities, each the mean of "
                    "{r} replicates"),
    "spread_note_one": ("{c}个社区，仅1次重复：无置信区间（请用 --replicates 2 或更多）",
                        "{c} communities, one replicate: no interval (run --replicates 2 or "
                        "more)"),
    "by_month": ("逐月：细线为各社区", "by month: a thin line per community"),
    "ranked": ("近{w}月均值，排序", "last-{w}-month mean, ranked"),
    "whiskers_t": ("误差线：重复的95% t置信区间", "whiskers: 95% t CI over replicates"),
    "district_line": ("全区", "district"),
    "community_mean": ("各社区的平均", "mean of the communities"),
    "community_line": ("一个社区（颜色：所属街道）", "a community (colour: its street office)"),
    "street_office": ("街道", "street office"),
    "posterior_marginals": ("ABC-SMC 后验边缘分布", "ABC-SMC posterior marginals"),
    "posterior_pairs": ("ABC-SMC 后验两两分布（点的大小 ∝ 权重）",
                        "ABC-SMC posterior, pairs (point size ∝ weight)"),
    "posterior_density": ("后验密度", "posterior density"),
    "credible_90": ("90% 可信区间", "90% credible interval"),
    "median": ("中位数", "median"),
}
"""Every word a figure shows that is not a metric's or parameter's name: (zh, en)."""

TOTALLED = ("count", "yuan", "projects", "hours")
"""Units of metrics that are sums over the district's communities (said in the axis label)."""


def word(key: str, lang: str = "both", sep: str = " ", **fields: Any) -> str:
    """A word of :data:`WORDS` in ``lang`` (``both``: Chinese, ``sep``, English)."""
    from sim.labels import in_lang

    zh, en = (text.format(**fields) for text in WORDS[key])
    return in_lang(lang, zh, en, sep)


@dataclass(frozen=True)
class Mark:
    """A scheduled policy change drawn on a time axis: the first ``month`` under it, the
    ``text`` of its label and the ``color`` of its line."""

    month: int
    text: str
    color: str = "0.3"
    linestyle: Any = "--"


MARK_STYLES: tuple[Any, ...] = ("--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))
"""Line styles of the schedule marks of the 1st, 2nd, … scenario of a comparison, so that
marks tell their scenario apart by more than colour."""


def schedule_marks(schedule: Sequence[Any], lang: str = "both", color: str = "0.3",
                   scenario: str | None = None, linestyle: Any = "--") -> list[Mark]:
    """One :class:`Mark` per scheduled change (objects with ``month`` and ``set``, as
    ``Scenario.policy.schedule``): e.g. ``from month 37: community fund = 0``, each key named
    by its label (its key path where it has none), prefixed with ``scenario`` if given. A key
    that acts only at the next fund cycle (``sim.fund.takes_effect``) is marked at the month
    it takes effect, its label saying so, on a mark of its own."""
    from sim.fund import takes_effect

    out = []
    for change in schedule:
        effects: dict[int, dict[str, Any]] = {}
        for key, value in change.set.items():
            effects.setdefault(takes_effect(str(key), int(change.month)), {})[key] = value
        for month, keys in sorted(effects.items()):
            if lang == "both":  # one line per language: a label half as long
                text = "\n".join(_mark_text(change.month, month, keys, one)
                                 for one in ("zh", "en"))
            else:
                text = _mark_text(change.month, month, keys, lang)
            out.append(Mark(month, f"{scenario}: {text}" if scenario else text, color,
                            linestyle))
    return out


def _mark_text(scheduled: int, month: int, keys: dict[str, Any], lang: str) -> str:
    parts = [f"{_key_label(key, lang)} = {_value_text(value)}" for key, value in keys.items()]
    when = (word("from_month", lang, m=month) if month == scheduled
            else word("from_cycle", lang, m=month, s=scheduled))
    return f"{when}: {', '.join(parts)}"


def mean_band(ts: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per month: ``mean`` over replicates, ``low``/``high`` by the interval rule of
    ``sim.intervals`` (within the metric's range), and ``n``. With a single replicate the band
    is NaN (nothing is drawn).

    Runs drawn from a posterior (a ``draw`` column, ``cogov run --posterior``) follow the split
    rule (``intervals.split_interval``): ``low``/``high`` is the interval over the draw means
    (coefficients and noise), and ``noise_low``/``noise_high`` the narrower interval the mean
    would have from the noise alone, mean ± t(0.975, N − K)·√(σ̂²_n / N) within range."""
    if "draw" not in ts.columns:
        table = intervals.grouped_intervals(ts, "month", metric, range_of(metric))
        return table[["month", "mean", "low", "high", "n"]]
    rows = []
    for month, group in ts.groupby("month", sort=True):
        split = intervals.split_interval(group[metric], group["draw"], range_of(metric))
        iv = split.interval
        df = iv.n - split.draws
        half = (stats.t.ppf(0.5 + intervals.LEVEL / 2, df) * np.sqrt(split.var_noise / iv.n)
                if df >= 1 else np.nan)
        noise = np.clip([iv.mean - half, iv.mean + half], *range_of(metric))
        rows.append({"month": month, "mean": iv.mean, "low": iv.low, "high": iv.high,
                     "n": iv.n, "noise_low": noise[0], "noise_high": noise[1]})
    return pd.DataFrame(rows)


def draw_band(
    ax: Axes, ts: pd.DataFrame, metric: str, label: str, color: str | None = None,
    dodge: float = 0.0
) -> None:
    """Draw ``metric``'s mean line and its band on ``ax``; a single month is drawn as a marker
    with whiskers, since a line or band of one point would be invisible, moved ``dodge``
    months aside so that the whiskers of several metrics do not cover each other."""
    band = mean_band(ts, metric)
    if len(band) == 1:
        whiskers = np.array([band["mean"] - band["low"], band["high"] - band["mean"]])
        ax.errorbar(band["month"] + dodge, band["mean"], yerr=np.nan_to_num(whiskers),
                    label=label,
                    color=color, marker="o", capsize=4, linestyle="none")
        return
    (line,) = ax.plot(band["month"], band["mean"], label=label, color=color,
                      linewidth=ANY_WIDTH)
    split = "noise_low" in band
    ax.fill_between(band["month"], band["low"], band["high"], color=line.get_color(),
                    alpha=0.12 if split else 0.2, linewidth=0)
    if split:  # the part of the band that noise alone would give, darker
        ax.fill_between(band["month"], band["noise_low"], band["noise_high"],
                        color=line.get_color(), alpha=0.25, linewidth=0)


ANY_WIDTH = 1.6
"""Points: the width of a mean line."""


# ------------------------------------------------------------------------------- run figures
Panels = Sequence[tuple[str | None, Sequence[str]]]


def participation_figure(ts: pd.DataFrame, lang: str = "both",
                         marks: Sequence[Mark] = ()) -> Figure:
    """Participation by activity: any, deliberate (议事), volunteer (志愿), monitor (监督)."""
    fig = _run_figure(ts, "participation", [(None, ["participation_any",
                                                    "participation_deliberate",
                                                    "participation_volunteer",
                                                    "participation_monitor"])], lang, marks)
    # 'any' is often the same as one activity (all who take part volunteer): drawn wider and
    # underneath, it shows on both sides of the line that covers it
    fig.axes[0].lines[0].set(linewidth=2 * ANY_WIDTH, zorder=1.9)
    return fig


def groups_figure(ts: pd.DataFrame, lang: str = "both", marks: Sequence[Mark] = ()) -> Figure:
    """Participation by group: hukou (local/migrant), party membership, age group; the panels
    share their y axis, since they are compared."""
    panels = (
        ("by_residence", ["participation_local", "participation_migrant"]),
        ("by_party", ["participation_party", "participation_nonparty"]),
        ("by_age", ["participation_youth", "participation_adult", "participation_elder"]),
    )
    return _run_figure(ts, "groups", panels, lang, marks, sharey=True)


def attitudes_figure(ts: pd.DataFrame, lang: str = "both", marks: Sequence[Mark] = ()) -> Figure:
    """The six attitude means (efficacy, trust, public spirit, dependency, attachment,
    satisfaction), each in [0, 1]."""
    panels = [(None, ["mean_efficacy", "mean_trust", "mean_public_spirit", "mean_dependency",
                      "mean_attachment", "mean_satisfaction"])]
    return _run_figure(ts, "attitudes", panels, lang, marks, whole_share=(0,))


def funds_figure(ts: pd.DataFrame, lang: str = "both", marks: Sequence[Mark] = ()) -> Figure:
    """Fund flows (spent, leaked, points redeemed, foundation income per month) and stocks
    (foundation balance; ``fund_carried``, the fund not yet committed to projects), yuan summed
    over all communities; time-bank hours redeemed per month."""
    panels = (("flows", ["fund_spent", "fund_leaked", "incentive_paid", "foundation_income"]),
              ("stocks", ["foundation_balance", "fund_carried"]),
              ("time_bank", ["time_bank_hours"]))
    return _run_figure(ts, "funds", panels, lang, marks)


def organizations_figure(ts: pd.DataFrame, lang: str = "both",
                         marks: Sequence[Mark] = ()) -> Figure:
    """Organizations (self-organized, professional active, zombie), projects, and needs met
    with the delivered quality."""
    panels = (("orgs", ["self_orgs_active", "social_orgs_active", "social_orgs_zombie"]),
              ("projects", ["projects_delivered"]),
              ("needs", ["needs_met", "delivered_quality"]))
    return _run_figure(ts, "organizations", panels, lang, marks, whole_share=(2,))


def problems_figure(ts: pd.DataFrame, lang: str = "both", marks: Sequence[Mark] = ()) -> Figure:
    """Residents' problems (§7.7): the share with one open, those resolved and waiting in the
    street office's backlog, and the spread of trust across residents."""
    panels = (("open_problems", ["problems_open"]), ("resolved", ["problems_resolved", "backlog"]),
              ("trust_spread", ["sd_trust"]))
    return _run_figure(ts, "problems", panels, lang, marks, whole_share=(0,))


RUN_FIGURES: dict[str, Callable[..., Figure]] = {
    "participation": participation_figure,
    "participation_groups": groups_figure,
    "attitudes": attitudes_figure,
    "funds": funds_figure,
    "organizations": organizations_figure,
    "problems": problems_figure,
}
"""File stem → figure function ``(ts, lang, marks)``: the ``plots/*.png`` of a run."""


def write_run_plots(ts: pd.DataFrame, directory: str | Path, prefix: str = "",
                    lang: str = "both", schedule: Sequence[Any] = ()) -> list[Path]:
    """Save every figure of :data:`RUN_FIGURES` as ``directory/<prefix><stem>.png``, with the
    scenario's ``schedule`` (``policy.schedule``) marked on every time axis. ``lang``: one of
    ``sim.labels.LANGS`` (English where no CJK font can be had,
    ``sim.fonts.matplotlib_lang``)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    lang = fonts.matplotlib_lang(lang)[0]
    marks = schedule_marks(schedule, lang)
    return [save(make(ts, lang, marks), directory / f"{prefix}{stem}.png")
            for stem, make in RUN_FIGURES.items()]


# --------------------------------------------------------------------- communities (issue 14)
COMMUNITY_COLUMNS = ("replicate", "month", "street_office", "community")
"""Columns of a community time series (besides its metrics): ``CoGovModel.
community_timeseries`` with the replicate, or a run's ``timeseries`` rows of ``level``
"community"."""
SPREAD_STEM = "community_spread"
"""File stem of the spread figure a run with a community table writes into ``plots/``."""
STREET_COLOURS = ("tab10", "tab20")
"""Matplotlib colour maps of the street offices: tab10 up to 10, tab20 beyond (cycled)."""


def community_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The community rows of ``frame`` (``metrics.community_rows``). Raises ValueError naming
    the missing columns of :data:`COMMUNITY_COLUMNS`."""
    missing = [c for c in COMMUNITY_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"a community time series needs the columns "
                         f"{', '.join(COMMUNITY_COLUMNS)}; missing {', '.join(missing)}")
    return metrics.community_rows(frame)


def community_ranking(frame: pd.DataFrame, metric: str = "participation_any") -> pd.DataFrame:
    """Each community's mean of ``metric`` over the last ``metrics.LAST_WINDOW`` (12) months
    of the run, as ``<metric>_last12`` is taken for the district (``metrics.summarize``),
    with its interval over replicates by the rule of ``sim.intervals`` (within the metric's
    range). ``frame``: a community time series (:func:`community_rows` is applied).

    Returns one row per community, highest mean first (ties in the frame's order): columns
    ``rank`` (1 = highest), ``street_office``, ``community``, ``n`` (replicates), ``mean``,
    ``low``, ``high`` (NaN with one replicate)."""
    from sim.metrics import LAST_WINDOW

    rows = community_rows(frame)
    last = rows["month"].max()
    tail = rows[rows["month"] > last - LAST_WINDOW]
    order = list(pd.unique(rows["community"]))
    per_run = (tail.groupby(["community", "street_office", "replicate"], sort=False)[metric]
               .mean().reset_index())
    table = intervals.grouped_intervals(per_run, ["community", "street_office"], metric,
                                        range_of(metric))
    table["order"] = [order.index(c) for c in table["community"]]
    table = table.sort_values(["mean", "order"], ascending=[False, True], kind="stable")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table[["rank", "street_office", "community", "n", "mean", "low", "high"]
                 ].reset_index(drop=True)


def community_spread(frame: pd.DataFrame, metric: str = "participation_any",
                     lang: str = "both", marks: Sequence[Mark] = ()) -> Figure:
    """The spread of ``metric`` between communities: left, its monthly value as a band of
    thin lines, one per community (the mean over replicates, coloured by street office), the
    district's bold (its own rows where ``frame`` has ``level`` "district" rows, else the
    plain mean of the communities, labelled so), the lowest and highest communities of the
    last 12 months named at their lines' ends; right, every community's last-12-month mean
    ranked, highest on top, with its 95% t interval over replicates (:func:`community_ranking`)
    and its name, coloured by street office. A scenario's schedule ``marks`` are drawn on the
    time axis and listed in the legend.

    ``frame``: columns ``replicate, month, street_office, community`` and ``metric`` (a run's
    ``timeseries``, with or without ``level``/``scenario``, or a community time series); one
    scenario. Raises ValueError for missing columns, no community rows or several scenarios."""
    lang = fonts.matplotlib_lang(lang)[0]
    rows = community_rows(frame)
    if rows.empty:
        raise ValueError("the frame has no community rows: the spread between communities "
                         "needs a scenario with a community table (structure.communities)")
    if "scenario" in rows.columns and rows["scenario"].nunique() > 1:
        raise ValueError("community_spread draws one scenario; the frame has "
                         f"{', '.join(map(str, pd.unique(rows['scenario'])))}")
    ranking = community_ranking(rows, metric)
    count = len(ranking)
    streets = list(pd.unique(rows["street_office"]))
    cmap = matplotlib_colormap(STREET_COLOURS[0] if len(streets) <= 10 else STREET_COLOURS[1])
    colour = {s: cmap(i % cmap.N) for i, s in enumerate(streets)}
    shown = {name: fonts.drawable(str(name), f"community {i}")
             for i, name in enumerate(pd.unique(rows["community"]), start=1)}

    per_bar = 0.16 if count <= 30 else 0.115  # inches: names of 7 pt, then of 5.5 pt
    # inches; under "both" every title takes two lines
    time_height, bars_height = (3.6 if lang == "both" else 2.8), count * per_bar + 0.7
    fig = Figure(figsize=(PAGE_WIDTH, max(time_height, bars_height) + 1.4),
                 layout="constrained")
    legend_ax = None
    if bars_height > time_height + 0.5:  # a long ranking: the time panel keeps its height
        grid = fig.add_gridspec(2, 2, width_ratios=[1.35, 1],
                                height_ratios=[time_height, bars_height - time_height])
        band_ax, bar_ax = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[:, 1])
        legend_ax = fig.add_subplot(grid[1, 0])  # the legend, in the room under the lines
        legend_ax.set_axis_off()
    else:
        band_ax, bar_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})
    _draw_community_lines(band_ax, rows, frame, metric, ranking, colour, lang)
    band_ax.set_title(word("by_month", lang, sep="\n"), fontsize="medium")
    marks = _within(rows, marks)
    _mark_changes(band_ax, marks)
    _draw_ranking(bar_ax, ranking, metric, colour, shown, count, lang)
    _year_axis(band_ax, lang)

    replicates = int(ranking["n"].max())
    note = (word("spread_note", lang, sep="\n", c=count, r=replicates) if replicates > 1
            else word("spread_note_one", lang, sep="\n", c=count))
    fig.suptitle(f"{word('spread', lang, sep=chr(10), metric=labels.label(metric, lang))}"
                 f"\n{note}", fontsize="medium")
    district = word("district_line" if _has_district(frame) else "community_mean", lang,
                    sep="\n")
    handles = [Line2D([], [], color="black", linewidth=DISTRICT_WIDTH),
               Line2D([], [], color="0.45", linewidth=COMMUNITY_WIDTH)]
    texts = [district, word("community_line", lang, sep="\n")]
    from matplotlib.patches import Patch

    handles += [Line2D([], [], color=m.color, linestyle=m.linestyle, linewidth=1) for m in marks]
    texts += [m.text for m in marks]
    street_handles = [Patch(color=colour[s]) for s in streets]
    street_texts = [_street_label(s, i, lang) for i, s in enumerate(streets, start=1)]
    if legend_ax is not None:
        legend_ax.legend(handles + street_handles, texts + street_texts, loc="upper left",
                         frameon=False, fontsize="small",
                         ncols=1 if lang == "both" or len(handles) < 12 else 2)
    elif lang == "both" or marks:  # two columns: the lines and marks, then the street offices
        tall = max(len(handles), len(street_handles))
        blank = [Line2D([], [], linestyle="none")]
        fig.legend(handles + blank * (tall - len(handles)) + street_handles
                   + blank * (tall - len(street_handles)),
                   texts + [""] * (tall - len(texts)) + street_texts
                   + [""] * (tall - len(street_texts)),
                   loc="outside lower center", frameon=False, fontsize="small", ncols=2)
    else:
        fig.legend(handles + street_handles, texts + street_texts, loc="outside lower center",
                   frameon=False, fontsize="small", ncols=3)
    _label_marks(fig, [band_ax], marks, short=True)
    _name_extremes(fig, band_ax, rows, metric, ranking, shown, colour)
    return fig


DISTRICT_WIDTH = 2.6
"""Points: the district's line among the communities'."""
COMMUNITY_WIDTH = 0.7
"""Points: a community's line (the lowest and highest twice as wide)."""


def matplotlib_colormap(name: str) -> Any:
    from matplotlib import colormaps

    return colormaps[name]


def _street_label(name: Any, number: int, lang: str) -> str:
    """A street office in the legend: its name, said to be a street office where the name is
    a bare number (a uniform structure's "1", "2" …)."""
    text = fonts.drawable(str(name), str(number))
    if text.isdigit():
        return f"{word('street_office', lang)} {text}"
    return text


def _has_district(frame: pd.DataFrame) -> bool:
    return "level" in frame.columns and bool((frame["level"] == "district").any())


def _draw_community_lines(ax: Axes, rows: pd.DataFrame, frame: pd.DataFrame, metric: str,
                          ranking: pd.DataFrame, colour: Mapping[Any, Any], lang: str) -> None:
    """One thin line per community (mean over replicates per month), the extremes wider,
    and the district's bold line on top."""
    means = rows.groupby(["community", "month"], sort=False)[metric].mean()
    extremes = {ranking["community"].iloc[0], ranking["community"].iloc[-1]}
    for row in ranking.itertuples():
        series = means.loc[row.community]
        wide = row.community in extremes
        ax.plot(series.index, series.to_numpy(), color=colour[row.street_office],
                linewidth=COMMUNITY_WIDTH * (2 if wide else 1), alpha=1 if wide else 0.6,
                label=f"_community {row.community}", zorder=2.1 if wide else 2)
    if _has_district(frame):
        district = metrics.district_rows(frame).groupby("month")[metric].mean()
    else:  # the plain mean of the communities: without residents it is not the district's
        district = means.groupby(level="month").mean()
    ax.plot(district.index, district.to_numpy(), color="black", linewidth=DISTRICT_WIDTH,
            label="_district", zorder=2.5)
    _label_axes(ax, metric, lang)


def _draw_ranking(ax: Axes, ranking: pd.DataFrame, metric: str, colour: Mapping[Any, Any],
                  shown: Mapping[Any, str], count: int, lang: str) -> None:
    """Horizontal bars of the last-12-month means, highest on top, whiskers where there is
    an interval, each bar named."""
    y = np.arange(count)
    mean = ranking["mean"].to_numpy()
    whiskers = np.array([mean - ranking["low"].to_numpy(), ranking["high"].to_numpy() - mean])
    ax.barh(y, mean, color=[colour[s] for s in ranking["street_office"]], height=0.75,
            xerr=None if np.isnan(whiskers).all() else np.nan_to_num(whiskers),
            error_kw={"ecolor": "0.15", "elinewidth": 0.8, "capsize": 1.5})
    ax.set_yticks(y, [shown[c] for c in ranking["community"]],
                  fontsize=7 if count <= 30 else 5.5)
    ax.set_ylim(count - 0.5, -0.5)  # rank 1 on top
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(left=0)
    unit = "\n".join(_unit(metric, one) for one in (("zh", "en") if lang == "both" else (lang,)))
    ax.set_xlabel(unit, fontsize="small")
    title = word("ranked", lang, sep="\n", w=12)
    if not np.isnan(whiskers).all():
        title += "\n" + word("whiskers_t", lang, sep="\n" if lang == "both" else " ")
    ax.set_title(title, fontsize="medium" if lang != "both" else "small")
    ax.grid(axis="x", color="0.9", linewidth=0.6)
    ax.set_axisbelow(True)


def _name_extremes(fig: Figure, ax: Axes, rows: pd.DataFrame, metric: str,
                   ranking: pd.DataFrame, shown: Mapping[Any, str],
                   colour: Mapping[Any, Any]) -> None:
    """Name the highest and the lowest community (last 12 months) at the right end of their
    lines, above and below them, where the name covers no other label and stays inside."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw_without_rendering()
    inside = ax.get_window_extent(renderer)
    placed = [t.get_window_extent(renderer) for t in ax.texts]
    last = rows["month"].max()
    at_end = rows[rows["month"] == last].groupby("community")[metric].mean()
    for row, up in ((ranking.iloc[0], True), (ranking.iloc[-1], False)):
        # beyond its line's end first (above the highest, below the lowest), else the other
        # side, moving away from the end until the name fits
        candidates = [{"xy": (last, at_end[row["community"]]), "xycoords": "data",
                       "xytext": (-2 - 14 * shift, sign * (2 + MARK_STEP * step)),
                       "textcoords": "offset points", "ha": "right",
                       "va": "bottom" if sign > 0 else "top"}
                      for sign in ((1, -1) if up else (-1, 1))
                      for step in range(12) for shift in range(3)]
        place_text(ax, shown[row["community"]], candidates, placed, inside, renderer,
                   fontsize="small", color=colour[row["street_office"]],
                   bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                         "alpha": MARK_BOX_ALPHA, "linewidth": 0})


def write_community_plots(ts: pd.DataFrame, directory: str | Path, prefix: str = "",
                          lang: str = "both", schedule: Sequence[Any] = (),
                          metric: str = "participation_any") -> list[Path]:
    """Save :func:`community_spread` of ``metric`` as ``directory/<prefix>community_spread
    .png`` when ``ts`` has community rows (:func:`community_rows`); nothing (an empty list)
    when it has none."""
    if not set(COMMUNITY_COLUMNS) <= set(ts.columns) or community_rows(ts).empty:
        return []
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    lang = fonts.matplotlib_lang(lang)[0]
    fig = community_spread(ts, metric, lang, schedule_marks(schedule, lang))
    return [save(fig, directory / f"{prefix}{SPREAD_STEM}.png")]


# ---------------------------------------------------------------------------- compare figure
def compare_figure(ts: pd.DataFrame, names: Sequence[str] = COMPARE_METRICS,
                   lang: str = "both", schedules: Mapping[str, Sequence[Any]] | None = None
                   ) -> Figure:
    """Several scenarios' key metrics over time, one panel per metric, a band per scenario;
    panels whose metrics share a unit share their y axis, so they can be compared by eye.
    ``schedules`` maps a scenario's name to its ``policy.schedule``: each change is marked in
    the scenario's colour (named in the label when several scenarios are drawn)."""
    lang = fonts.matplotlib_lang(lang)[0]
    ts = metrics.district_rows(ts)  # scenarios with a community table: the districts compared
    columns = min(2, len(names))
    rows = -(-len(names) // columns)
    fig = Figure(figsize=(PAGE_WIDTH, 2.1 * rows + 1.1), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False, sharex=True).ravel()
    first_of_unit: dict[str, Axes] = {}
    for ax, metric in zip(axes, names, strict=False):
        shared = first_of_unit.setdefault(UNITS.get(metric, metric), ax)
        if shared is not ax:
            ax.sharey(shared)
    shown = _scenario_names(ts)
    scenarios = list(shown)
    color = {name: f"C{i}" for i, name in enumerate(scenarios)}
    style = {name: MARK_STYLES[i % len(MARK_STYLES)] for i, name in enumerate(scenarios)}
    marks = _within(ts, [
        mark for name, schedule in (schedules or {}).items() if name in color
        for mark in schedule_marks(schedule, lang, color[name],
                                   shown[name] if len(scenarios) > 1 else None, style[name])])
    for ax, metric in zip(axes, names, strict=False):
        for i, name in enumerate(scenarios):
            draw_band(ax, ts[ts["scenario"] == name], metric, label=shown[name],
                      color=color[name],
                      dodge=0.08 * (i - (len(scenarios) - 1) / 2))
        _label_axes(ax, metric, lang, title=labels.label(metric, lang))
        _mark_changes(ax, marks)
    for shared in first_of_unit.values():  # one limit holding every band of the unit's panels
        group = [ax for ax in axes[:len(names)] if ax.get_shared_y_axes().joined(ax, shared)]
        if len(group) > 1:
            _share_limits(group)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    _only_bottom_xlabels(axes[:len(names)], columns)
    for column, ax in enumerate(axes[:columns]):
        _year_axis(ax, lang, word_too=column == 0)
    handles, texts = axes[0].get_legend_handles_labels()
    handles += [Line2D([], [], color=mark.color, linestyle=mark.linestyle, linewidth=1)
                for mark in marks]
    texts += [mark.text for mark in marks]
    fig.legend(handles, texts, loc="outside lower center", frameon=False, fontsize="small",
               ncols=1 if marks else min(len(scenarios), 3))
    fig.suptitle(f"{word('compared', lang)}\n{_band_note(ts, lang)}", fontsize="medium")
    _label_marks(fig, axes[:len(names)], marks, short=True)
    return fig


def save(fig: Figure, path: str | Path, dpi: int = 200) -> Path:
    """Write ``fig`` as PNG to ``path`` and return the path."""
    path = Path(path)
    fig.savefig(path, dpi=dpi, format="png")
    return path


# ---------------------------------------------------------------------------------- helpers
def _run_figure(ts: pd.DataFrame, title: str, panels: Panels, lang: str,
                marks: Sequence[Mark], sharey: bool = False,
                whole_share: Sequence[int] = ()) -> Figure:
    """Panels stacked on one month axis, each with its legend at the right; the panels of
    ``whole_share`` (indices) show all of [0, 1]."""
    lang = fonts.matplotlib_lang(lang)[0]
    ts = metrics.district_rows(ts)  # a run with a community table: the district's figures
    marks = _within(ts, marks)
    fig = Figure(figsize=(PAGE_WIDTH, PANEL_HEIGHT * len(panels) + 0.9), layout="constrained")
    axes = list(fig.subplots(len(panels), 1, sharex=True, sharey=sharey, squeeze=False).ravel())
    scenarios = ", ".join(_scenario_names(ts).values())
    fig.suptitle(f"{word(title, lang)}\n{scenarios}: {_band_note(ts, lang)}", fontsize="medium")
    for ax, (panel_title, names) in zip(axes, panels, strict=True):
        for i, name in enumerate(names):
            draw_band(ax, ts, name, label=_legend_label(name, lang),
                      dodge=0.08 * (i - (len(names) - 1) / 2))
        _label_axes(ax, names[0], lang, title=word(panel_title, lang) if panel_title else None)
        _mark_changes(ax, marks)
        ax.legend(fontsize="small", frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
    if sharey:  # one limit holding every panel's bands (each panel's own was set too early)
        _share_limits(axes)
    for index in whole_share:
        axes[index].set_ylim(0, 1)
    _only_bottom_xlabels(axes, 1)
    _year_axis(axes[0], lang)
    _label_marks(fig, axes, marks)
    return fig


def _scenario_names(ts: pd.DataFrame) -> dict[Any, str]:
    """Each scenario of ``ts`` (in order) → its name as a figure shows it: the name, or
    ``scenario <i>`` where it holds Chinese and no CJK font can be had (``fonts.drawable``)."""
    return {name: fonts.drawable(str(name), f"scenario {i}")
            for i, name in enumerate(pd.unique(ts["scenario"]), start=1)}


def _share_limits(axes: Sequence[Axes]) -> None:
    """Set the shared y limits of ``axes`` to hold the data (lines and bands) of every one of
    them, from 0 where the first panel starts at 0, with matplotlib's usual 5% margin."""
    low = min(ax.dataLim.y0 for ax in axes)
    high = max(ax.dataLim.y1 for ax in axes)
    bottom = 0.0 if axes[0].get_ylim()[0] == 0 else low
    margin = 0.05 * (high - bottom) if high > bottom else 0.05
    axes[0].set_ylim(bottom if bottom == 0 else bottom - margin, high + margin)


def _unit(metric: str, lang: str) -> str:
    """The metric's unit for an axis, saying "district total" where it is a sum over the
    district's communities (``TOTALLED`` units), as the counts' units do not."""
    unit = labels.unit(metric, lang)
    total = word("total", lang)
    if UNITS.get(metric, "").startswith(TOTALLED) and total not in unit:
        unit += f", {total}" if lang == "en" else f"（{total}）"
    return unit


def _legend_label(metric: str, lang: str) -> str:
    """A metric's label for a legend; ``both`` on two lines, so the legend stays narrow."""
    if lang == "both":
        return "\n".join(_legend_label(metric, one) for one in ("zh", "en"))
    text = labels.label(metric, lang)
    if metric == "fund_carried":  # a stock that reads like a flow without this
        text += f"\n({word('unallocated', lang)})"
    return text


def _label_axes(ax: Axes, metric: str, lang: str, title: str | None = None) -> None:
    ax.set_xlabel(word("month", lang))
    unit = "\n".join(_unit(metric, one) for one in (("zh", "en") if lang == "both" else (lang,)))
    ax.set_ylabel(unit, fontsize="small")
    _month_ticks(ax)
    if range_of(metric)[0] == 0:  # shares, counts and yuan: no axis below zero
        ax.set_ylim(bottom=0)
    if UNITS.get(metric, "").startswith(("count", "projects")):  # whole numbers: 0, 1, 2 …
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if ax.get_ylim()[1] < 1:  # all zero: not 0.00–0.05
            ax.set_ylim(top=1)
    if metric in YUAN_METRICS:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v + 0.0:,.0f}"))
    if title:
        ax.set_title(title, fontsize="medium")


def _only_bottom_xlabels(axes: Sequence[Axes], columns: int) -> None:
    """Stacked panels share the month axis: its label once, under the bottom panel(s)."""
    for ax in axes[:-columns]:
        ax.set_xlabel("")
        ax.tick_params(labelbottom=False)


def _within(ts: pd.DataFrame, marks: Sequence[Mark]) -> list[Mark]:
    """The marks inside the months drawn: a change in the last month (or later, as a fund
    change that waits for a cycle beyond the run) would be a line on the right edge with its
    label beside another's, for a month that shows nothing after it."""
    last = ts["month"].max() if len(ts) else 0
    return [mark for mark in marks if mark.month < last]


def _mark_changes(ax: Axes, marks: Sequence[Mark]) -> None:
    """A line at each mark's month, in its style (labelled by :func:`_label_marks` once the
    figure is laid out)."""
    for mark in marks:
        ax.axvline(mark.month, color=mark.color, linestyle=mark.linestyle, linewidth=1,
                   zorder=1, label="_schedule")


MARK_FONTSIZE = 6.5
MARK_BOX_ALPHA = 0.6
"""Opacity of the white box under a mark's label: the label reads, the bands show through."""
MARK_STEP = 3.0
"""Points between the rows a mark's label may take, down from the top of the axes."""


def _label_marks(fig: Figure, axes: Sequence[Axes], marks: Sequence[Mark],
                 short: bool = False) -> None:
    """Label each mark on each of ``axes`` at the top of the axes beside its line: right of
    it, else left of it, in the highest row where the label's drawn box (measured after the
    figure's layout) stays inside the axes and covers no label placed before
    (:func:`place_text`); failing that, its month alone the same way; failing that, no label.
    ``short``: the month alone from the start (small panels; the figure's legend says what
    changed). Labels sit on a pale box so lines stay readable under them and take no part in
    the layout, so a long one never squeezes the panels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw_without_rendering()  # final layout, so that boxes are where they will be drawn
    for ax in axes:
        inside = ax.get_window_extent(renderer)
        rows = range(int(inside.height * 72 / fig.dpi / MARK_STEP))
        placed: list = []
        for mark in sorted(marks, key=lambda m: m.month):
            candidates = [{"xy": (mark.month, 1), "xycoords": ("data", "axes fraction"),
                           "xytext": (side * 3, -3 - MARK_STEP * row),
                           "textcoords": "offset points", "ha": "left" if side > 0 else "right",
                           "va": "top"}
                          for row in rows for side in (1, -1)]
            texts = [str(mark.month)] if short else [mark.text, str(mark.month)]
            any(place_text(ax, text, candidates, placed, inside, renderer,
                           fontsize=MARK_FONTSIZE, color=mark.color, annotation_clip=False,
                           bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                                 "alpha": MARK_BOX_ALPHA, "linewidth": 0}) is not None
                for text in texts)


def place_text(ax: Axes, text: str, candidates: Iterable[dict], placed: list, inside: Any,
               renderer: Any, **style: Any) -> Any:
    """Annotate ``ax`` with ``text`` at the first of ``candidates`` (keyword arguments of
    ``Axes.annotate``: ``xy``, ``xytext`` …, merged with ``style``) whose drawn box lies within
    ``inside`` (a display-space ``Bbox``) and overlaps no box of ``placed``; that box is
    appended to ``placed``. Returns the annotation, or None (nothing drawn) when no candidate
    fits. Measure after the figure's layout (``fig.draw_without_rendering()``); the
    annotation takes no part in a later layout, so it stays where it was measured."""
    for candidate in candidates:
        label = ax.annotate(text, **candidate, **style)
        label.set_in_layout(False)
        box = label.get_window_extent(renderer)
        within = (box.x0 >= inside.x0 and box.x1 <= inside.x1 and box.y0 >= inside.y0
                  and box.y1 <= inside.y1)
        if within and not any(box.overlaps(other) for other in placed):
            placed.append(box)
            return label
        label.remove()
    return None


YEARLY = 24
"""Runs at least this many months long get ticks every 12 months and a year axis on top."""


def _month_ticks(ax: Axes) -> None:
    """Whole months on x: every 12 months (whole years) on runs of two years or more, every
    quarter on shorter ones."""
    first, last = _months_drawn(ax)
    if last - first < 1:  # one month (its markers dodged aside)
        month = round((first + last) / 2)
        ax.set_xticks([month])
        ax.set_xlim(month - 0.5, month + 0.5)
    elif last >= YEARLY:
        ax.xaxis.set_major_locator(MultipleLocator(12))
        ax.xaxis.set_minor_locator(MultipleLocator(3))
        ax.set_xlim(first - 1, last)
    else:
        ax.xaxis.set_major_locator(MultipleLocator(3) if last - first > 6 else
                                   MaxNLocator(integer=True))
        ax.set_xlim(first - 1, last)


def _year_axis(ax: Axes, lang: str, word_too: bool = True) -> None:
    """Years on top of ``ax`` (the top panel) on runs of two years or more; ``word_too``: the
    word "year" at the left end of their tick labels."""
    if _months_drawn(ax)[1] < YEARLY:
        return
    years = ax.secondary_xaxis("top", functions=(lambda m: m / 12, lambda y: y * 12))
    years.xaxis.set_major_locator(MaxNLocator(integer=True))
    if word_too:  # beside the tick labels, left of the panel: not under the panel's title
        pad = years.xaxis.get_major_ticks()[0].get_pad() + years.xaxis.get_tick_padding()
        # right of the word: half the width of the tick label "0" at the panel's left edge
        room = 4 + 0.5 * FontProperties(size="small").get_size_in_points()
        ax.figure.add_artist(Annotation(word("year", lang, sep="\n"), xy=(0, 1),
                                        xycoords=ax.transAxes, xytext=(-room, pad),
                                        textcoords="offset points", ha="right", va="bottom",
                                        fontsize="small"))


def _months_drawn(ax: Axes) -> tuple[float, float]:
    months = [x for line in ax.lines if line.get_label() != "_schedule"
              for x in np.atleast_1d(line.get_xdata())]
    return min(months, default=1), max(months, default=1)


def _band_note(ts: pd.DataFrame, lang: str = "en") -> str:
    """What the bands are, for a title: the interval rule, or that there is none."""
    counts = ts.groupby("scenario")["replicate"].nunique()
    if counts.max() < 2:
        zh, en = ("仅1次重复：无置信区间（请用 --replicates 2 或更多）",
                  "one replicate: no interval (run --replicates 2 or more)")
    elif "draw" in ts.columns:
        draws = ts["draw"].nunique()
        zh = f"{draws}个后验抽样的95% t置信区间；深色：仅随机噪声"
        en = f"95% t CI over {draws} posterior draws; darker: noise alone"
    else:
        low, high = int(counts.min()), int(counts.max())
        count = f"{low}" if low == high else f"{low}–{high}"
        zh = f"均值及95% t置信区间（{count}次重复）"
        en = (f"mean and {intervals.RULE_SHORT} over {count} "
              f"replicate{'' if high == 1 else 's'}")
    return {"zh": zh, "en": en, "both": f"{zh}\n{en}"}[lang]


def _key_label(key: str, lang: str) -> str:
    """A scheduled key (a path inside ``policy``) by its label; the path where it has none."""
    try:
        return labels.label(f"policy.{key}", lang)
    except KeyError:
        return key


def _value_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.3g}"
