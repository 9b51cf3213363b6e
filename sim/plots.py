"""Figures of run outputs (MODEL.md §8): means over replicates with 95% bands, month on x.

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
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.metrics import UNITS

Z95 = 1.96
"""Normal quantile of the 95% band: mean ± 1.96·SE across replicates, month by month."""

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

YUAN_METRICS = ("fund_spent", "fund_leaked", "fund_carried", "foundation_balance")


def mean_band(ts: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per month: ``mean`` over replicates, ``low``/``high`` = mean ∓ 1.96·SE, and ``n``.

    With a single replicate the band is NaN (nothing is drawn).
    """
    stats = ts.groupby("month")[metric].agg(["mean", "std", "count"])
    half = Z95 * stats["std"] / np.sqrt(stats["count"])
    return pd.DataFrame(
        {
            "month": stats.index.to_numpy(),
            "mean": stats["mean"].to_numpy(),
            "low": (stats["mean"] - half).to_numpy(),
            "high": (stats["mean"] + half).to_numpy(),
            "n": stats["count"].to_numpy(),
        }
    )


def draw_band(
    ax: Axes, ts: pd.DataFrame, metric: str, label: str, color: str | None = None
) -> None:
    """Draw ``metric``'s mean line and its 95% band on ``ax``."""
    band = mean_band(ts, metric)
    (line,) = ax.plot(band["month"], band["mean"], label=label, color=color, linewidth=1.6)
    ax.fill_between(
        band["month"], band["low"], band["high"], color=line.get_color(), alpha=0.2, linewidth=0
    )


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
    """Fund flows (spent, leaked per month) and stocks (carried, foundation balance), yuan."""
    fig, axes = _figure(ts, "Community fund", 2)
    _panel(axes[0], ts, ["fund_spent", "fund_leaked"], "fund_", title="monthly flows")
    _panel(axes[1], ts, ["foundation_balance", "fund_carried"], "fund_", title="month-end stocks")
    return fig


def organizations_figure(ts: pd.DataFrame) -> Figure:
    """Organizations (self-organized, professional active, zombie), projects and needs met."""
    fig, axes = _figure(ts, "Organizations and services", 3)
    _panel(axes[0], ts, ["self_orgs_active", "social_orgs_active", "social_orgs_zombie"], "",
           title="organizations")
    _panel(axes[1], ts, ["projects_delivered"], "", title="projects")
    _panel(axes[2], ts, ["needs_met"], "", title="needs met")
    axes[2].set_ylim(0, 1)
    return fig


RUN_FIGURES: dict[str, Callable[[pd.DataFrame], Figure]] = {
    "participation": participation_figure,
    "participation_groups": groups_figure,
    "attitudes": attitudes_figure,
    "funds": funds_figure,
    "organizations": organizations_figure,
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
    fig.suptitle(f"Scenarios compared (mean ± 95% CI over {_replicates(ts)})")
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
    fig.suptitle(f"{title}\n{scenarios}: mean ± 95% CI over {_replicates(ts)}")
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
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if metric in YUAN_METRICS:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    if title:
        ax.set_title(title)


def _replicates(ts: pd.DataFrame) -> str:
    counts = ts.groupby("scenario")["replicate"].nunique()
    low, high = int(counts.min()), int(counts.max())
    return f"{low if low == high else f'{low}–{high}'} replicate{'' if high == 1 else 's'}"
