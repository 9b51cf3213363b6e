"""Figures of run outputs (MODEL.md §8): means over replicates with bands, month on x.

Bands follow the package's one interval rule (``sim.intervals``: 95% t interval of the mean over
replicates, within the metric's range); with one replicate there is no band and the title says so.
Runs with coefficients drawn from a posterior (``--posterior``) draw the split rule's band over
draws, with the part from noise alone darker inside it (:func:`mean_band`).

Every function reads a tidy time-series DataFrame (columns ``scenario``, ``replicate``, ``month``
and the metrics of ``sim.metrics.METRICS``), never a live model. Figures are built on
``matplotlib.figure.Figure`` directly, so no pyplot state or interactive backend is involved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator
from scipy import stats

from sim import intervals
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
    ax: Axes, ts: pd.DataFrame, metric: str, label: str, color: str | None = None
) -> None:
    """Draw ``metric``'s mean line and its band on ``ax``; a single month is drawn as a marker
    with whiskers, since a line or band of one point would be invisible."""
    band = mean_band(ts, metric)
    if len(band) == 1:
        whiskers = np.array([band["mean"] - band["low"], band["high"] - band["mean"]])
        ax.errorbar(band["month"], band["mean"], yerr=np.nan_to_num(whiskers), label=label,
                    color=color, marker="o", capsize=4, linestyle="none")
        return
    (line,) = ax.plot(band["month"], band["mean"], label=label, color=color, linewidth=1.6)
    split = "noise_low" in band
    ax.fill_between(band["month"], band["low"], band["high"], color=line.get_color(),
                    alpha=0.12 if split else 0.2, linewidth=0)
    if split:  # the part of the band that noise alone would give, darker
        ax.fill_between(band["month"], band["noise_low"], band["noise_high"],
                        color=line.get_color(), alpha=0.25, linewidth=0)


# ------------------------------------------------------------------------------- run figures
def participation_figure(ts: pd.DataFrame) -> Figure:
    """Participation by activity: any, deliberate (议事), volunteer (志愿), monitor (监督)."""
    fig, (ax,) = _figure(ts, "Participation by activity", 1)
    _panel(ax, ts, ["participation_any", "participation_deliberate", "participation_volunteer",
                    "participation_monitor"], "participation_")
    return fig


def groups_figure(ts: pd.DataFrame) -> Figure:
    """Participation by group: hukou (local/migrant), party membership, age group."""
    fig, axes = _figure(ts, "Participation by group", 3, sharey=True)
    panels = (
        ("by residence", ["participation_local", "participation_migrant"]),
        ("by party membership", ["participation_party", "participation_nonparty"]),
        ("by age", ["participation_youth", "participation_adult", "participation_elder"]),
    )
    for ax, (title, names) in zip(axes, panels, strict=True):
        _panel(ax, ts, names, "participation_", title=title)
    return fig


def attitudes_figure(ts: pd.DataFrame) -> Figure:
    """The six attitude means (efficacy, trust, public spirit, dependency, attachment,
    satisfaction), each in [0, 1]."""
    fig, (ax,) = _figure(ts, "Attitudes", 1)
    _panel(ax, ts, ["mean_efficacy", "mean_trust", "mean_public_spirit", "mean_dependency",
                    "mean_attachment", "mean_satisfaction"], "mean_")
    ax.set_ylim(0, 1)
    return fig


def funds_figure(ts: pd.DataFrame) -> Figure:
    """Fund flows (spent, leaked, points redeemed, foundation income per month) and stocks
    (carried, foundation balance), yuan; time-bank hours redeemed per month."""
    fig, axes = _figure(ts, "Community fund", 3)
    _panel(axes[0], ts, ["fund_spent", "fund_leaked", "incentive_paid", "foundation_income"],
           "fund_", title="monthly flows")
    _panel(axes[1], ts, ["foundation_balance", "fund_carried"], "fund_", title="month-end stocks")
    _panel(axes[2], ts, ["time_bank_hours"], "", title="time bank")
    return fig


def organizations_figure(ts: pd.DataFrame) -> Figure:
    """Organizations (self-organized, professional active, zombie), projects, and needs met
    with the delivered quality."""
    fig, axes = _figure(ts, "Organizations and services", 3)
    _panel(axes[0], ts, ["self_orgs_active", "social_orgs_active", "social_orgs_zombie"], "",
           title="organizations")
    _panel(axes[1], ts, ["projects_delivered"], "", title="projects")
    _panel(axes[2], ts, ["needs_met", "delivered_quality"], "", title="needs met, quality")
    axes[2].set_ylim(0, 1)
    return fig


def problems_figure(ts: pd.DataFrame) -> Figure:
    """Residents' problems (§7.7): the share with one open, those resolved and waiting in the
    street office's backlog, and the spread of trust across residents."""
    fig, axes = _figure(ts, "Residents' problems and trust", 3)
    _panel(axes[0], ts, ["problems_open"], "", title="open problems")
    axes[0].set_ylim(0, 1)
    _panel(axes[1], ts, ["problems_resolved", "backlog"], "", title="resolved and waiting")
    _panel(axes[2], ts, ["sd_trust"], "", title="spread of trust")
    return fig


RUN_FIGURES: dict[str, Callable[[pd.DataFrame], Figure]] = {
    "participation": participation_figure,
    "participation_groups": groups_figure,
    "attitudes": attitudes_figure,
    "funds": funds_figure,
    "organizations": organizations_figure,
    "problems": problems_figure,
}
"""File stem → figure function: the ``plots/*.png`` of a run."""


def write_run_plots(ts: pd.DataFrame, directory: str | Path, prefix: str = "") -> list[Path]:
    """Save every figure of :data:`RUN_FIGURES` as ``directory/<prefix><stem>.png``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [save(make(ts), directory / f"{prefix}{stem}.png") for stem, make in RUN_FIGURES.items()]


# ---------------------------------------------------------------------------- compare figure
def compare_figure(ts: pd.DataFrame, names: Sequence[str] = COMPARE_METRICS) -> Figure:
    """Several scenarios' key metrics over time, one panel per metric, a band per scenario."""
    columns = min(4, len(names))
    rows = -(-len(names) // columns)
    fig = Figure(figsize=(3.6 * columns, 3.0 * rows + 0.8), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    scenarios = list(pd.unique(ts["scenario"]))
    for ax, metric in zip(axes, names, strict=False):
        for i, name in enumerate(scenarios):
            draw_band(ax, ts[ts["scenario"] == name], metric, label=name, color=f"C{i}")
        _label_axes(ax, metric, title=metric)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(scenarios), 4))
    fig.suptitle(f"Scenarios compared ({_band_note(ts)})")
    return fig


def save(fig: Figure, path: str | Path, dpi: int = 150) -> Path:
    """Write ``fig`` as PNG to ``path`` and return the path."""
    path = Path(path)
    fig.savefig(path, dpi=dpi, format="png")
    return path


# ---------------------------------------------------------------------------------- helpers
def _figure(
    ts: pd.DataFrame, title: str, panels: int, sharey: bool = False
) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(4.2 * panels + 2.0, 4.4), layout="constrained")
    axes = list(fig.subplots(1, panels, sharey=sharey, squeeze=False).ravel())
    scenarios = ", ".join(str(s) for s in pd.unique(ts["scenario"]))
    fig.suptitle(f"{title}\n{scenarios}: {_band_note(ts)}")
    return fig, axes


def _panel(
    ax: Axes, ts: pd.DataFrame, names: Sequence[str], prefix: str, title: str | None = None
) -> None:
    for name in names:
        draw_band(ax, ts, name, label=name.removeprefix(prefix).replace("_", " "))
    _label_axes(ax, names[0], title=title)
    ax.legend(fontsize="small", frameon=False)


def _label_axes(ax: Axes, metric: str, title: str | None = None) -> None:
    ax.set_xlabel("month")
    ax.set_ylabel(UNITS[metric])
    _month_ticks(ax)
    if range_of(metric)[0] == 0:  # shares, counts and yuan: no axis below zero
        ax.set_ylim(bottom=0)
    if metric in YUAN_METRICS:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v + 0.0:,.0f}"))
    if title:
        ax.set_title(title)


LONG_RUN = 36
"""Runs longer than this many months get ticks every 12 months and a year axis on top."""


def _month_ticks(ax: Axes) -> None:
    """Whole months on x; every 12 months with a year axis above on long runs."""
    months = [x for line in ax.lines for x in np.atleast_1d(line.get_xdata())]
    last = max(months, default=1)
    first = min(months, default=1)
    if last == first:
        ax.set_xticks([first])
        ax.set_xlim(first - 0.5, first + 0.5)
    elif last > LONG_RUN:
        ax.xaxis.set_major_locator(MultipleLocator(12))
        ax.xaxis.set_minor_locator(MultipleLocator(3))
        years = ax.secondary_xaxis("top", functions=(lambda m: m / 12, lambda y: y * 12))
        years.set_xlabel("year", fontsize="small")
        years.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _band_note(ts: pd.DataFrame) -> str:
    """What the bands are, for a title: the interval rule, or that there is none."""
    counts = ts.groupby("scenario")["replicate"].nunique()
    if counts.max() < 2:
        return "one replicate: no interval (run --replicates 2 or more)"
    if "draw" in ts.columns:
        return (f"95% t CI over {ts['draw'].nunique()} posterior draws; darker: noise "
                "alone")
    return f"mean and {intervals.RULE_SHORT} over {_replicates(ts)}"


def _replicates(ts: pd.DataFrame) -> str:
    counts = ts.groupby("scenario")["replicate"].nunique()
    low, high = int(counts.min()), int(counts.max())
    return f"{low if low == high else f'{low}–{high}'} replicate{'' if high == 1 else 's'}"
