"""Live charts of the monthly metrics (MODEL.md §8), drawn on the server as small SVG panels:
the browser needs no chart library and nothing is fetched from outside.

Pure drawing over the DataCollector's history: imports neither solara nor the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.demo.community_svg import PARTY_RED, SELF_ORG

if TYPE_CHECKING:
    from sim.model import CoGovModel

CHARTS = (
    ("参与 participation by activity, %", "pct", (
        ("participation_any", "全部 any", "currentColor"),
        ("participation_deliberate", "议事 deliberate", "#0072B2"),
        ("participation_volunteer", "志愿 volunteer", "#009E73"),
        ("participation_monitor", "监督 monitor", "#E69F00"))),
    ("参与 participation by group, %", "pct", (
        ("participation_local", "本地 locals", "#56B4E9"),
        ("participation_migrant", "流动 migrants", "#E69F00"),
        ("participation_party", "党员 party", PARTY_RED))),
    ("态度 attitudes, 0–1", "share", (
        ("mean_trust", "信任 trust", "#0072B2"),
        ("mean_efficacy", "效能 efficacy", "#009E73"),
        ("mean_dependency", "靠等要 dependency", "#D55E00"))),
    ("资金 fund, 万元 a month", "yuan", (
        ("fund_spent", "支出 spent", "#009E73"),
        ("fund_leaked", "流失 leaked", "#D55E00"),
        ("fund_carried", "结转 carried", "#555555"))),
    ("组织 organizations", "count", (
        ("self_orgs_active", "自组织 self-orgs", SELF_ORG),
        ("social_orgs_active", "社会组织 social orgs", "#0072B2"),
        ("social_orgs_zombie", "僵尸 zombie", "#999999"))),
    ("满意 satisfaction and needs met, 0–1", "share", (
        ("mean_satisfaction", "满意度 satisfaction", "#0072B2"),
        ("needs_met", "需求满足 needs met", "#009E73"))),
)
"""Chart panels: (title, kind, ((metric, label, colour), ...)). In ``fund``, spent and leaked
are stacked bars (money per month) and carried a line (money held)."""

PANEL_W, PANEL_H = 340, 165
FONT = 18  # tick labels, SVG units: about 16 px at the usual panel width
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 50, 12, 10, 28


def nice_top(value: float) -> tuple[float, float]:
    """(top, step): a round axis top ≥ ``value`` and a tick step giving 2–5 intervals."""
    if value <= 0:
        return 1.0, 0.25
    magnitude = 10 ** np.floor(np.log10(value))
    for step in (0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0):
        step *= magnitude
        top = np.ceil(value / step - 1e-9) * step
        if top / step <= 5:
            return float(top), float(step)
    return float(np.ceil(value / magnitude) * magnitude), float(magnitude)


def _number(value: float) -> str:
    return f"{value:.10g}" if abs(value - round(value)) < 1e-9 else f"{value:.2g}"


def panel_svg(kind: str, series: Sequence[tuple[str, str, np.ndarray]], horizon: int,
              marks: Sequence[int]) -> str:
    """One chart: months 1…``horizon`` across, ``series`` of (metric, colour, values)."""
    pw, ph = PANEL_W - MARGIN_L - MARGIN_R, PANEL_H - MARGIN_T - MARGIN_B
    n = max((len(v) for _, _, v in series), default=0)
    span = max(horizon, n, 1)
    top_value = max((float(np.max(v)) for _, _, v in series if len(v)), default=0.0)
    if kind == "yuan":  # stacked bars: spent + leaked may exceed either
        by_metric = {m: v for m, _, v in series}
        if n and "fund_spent" in by_metric and "fund_leaked" in by_metric:
            stacked = by_metric["fund_spent"] + by_metric["fund_leaked"]
            top_value = max(top_value, float(np.max(stacked)))
    if kind == "share":
        top, step = 1.0, 0.25
    else:
        top, step = nice_top(max(top_value, 10.0 if kind == "pct" else 1.0))

    def px(month: np.ndarray | float) -> np.ndarray | float:
        return MARGIN_L + (np.asarray(month) - 0.5) / span * pw

    def py(value: np.ndarray | float) -> np.ndarray | float:
        return MARGIN_T + ph - np.asarray(value) / top * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {PANEL_W} {PANEL_H}" '
           f'width="100%" font-size="{FONT}" font-family="inherit">']
    for i in range(int(round(top / step)) + 1):
        y = py(i * step)
        out.append(f'<line x1="{MARGIN_L}" x2="{PANEL_W - MARGIN_R}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{"#999" if i == 0 else "#8884"}" stroke-width="1"/>')
        out.append(f'<text x="{MARGIN_L - 6}" y="{y + FONT * 0.35:.1f}" text-anchor="end" '
                   f'fill="currentColor">{_number(i * step)}</text>')
    tick = 6 if span <= 36 else 12
    for month in range(tick, span + 1, tick):
        out.append(f'<text x="{px(month):.1f}" y="{PANEL_H - 6}" text-anchor="middle" '
                   f'fill="currentColor">{month}</text>')
    for month in marks:
        x = px(month - 0.5)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{MARGIN_T}" y2="{MARGIN_T + ph}" '
                   'stroke="currentColor" stroke-width="1.6" stroke-dasharray="5 4"/>')
    bar_w = max(pw / span * 0.8, 0.5)
    base = np.zeros(n)
    for metric, colour, values in series:
        if not len(values):
            continue
        months = np.arange(1, len(values) + 1)
        if kind == "yuan" and metric in ("fund_spent", "fund_leaked"):
            y0, y1 = py(base[: len(values)]), py(base[: len(values)] + values)
            out += [f'<rect x="{x - bar_w / 2:.1f}" y="{b:.1f}" width="{bar_w:.1f}" '
                    f'height="{a - b:.1f}" fill="{colour}"/>'
                    for x, a, b, v in zip(px(months), y0, y1, values, strict=True) if v > 0]
            base[: len(values)] += values
            continue
        if kind == "count":  # whole numbers: steps
            xs = np.repeat(px(np.append(months - 0.5, months[-1] + 0.5)), 2)[1:-1]
            ys = np.repeat(py(values), 2)
        else:
            xs, ys = px(months), py(values)
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        if len(values) == 1 and kind != "count":
            out.append(f'<circle cx="{xs[0]:.1f}" cy="{ys[0]:.1f}" r="3" fill="{colour}"/>')
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                   'stroke-width="3" stroke-linejoin="round"/>')
    out.append("</svg>")
    return "".join(out)


def chart_panels(history: Mapping[str, Sequence[float]], horizon: int,
                 marks: Sequence[int]) -> list[tuple[str, tuple[tuple[str, str], ...], str]]:
    """(title, ((label, colour), ...), svg) for each panel of CHARTS."""
    scale = {"pct": 100.0, "yuan": 1 / 10_000, "share": 1.0, "count": 1.0}
    panels = []
    for title, kind, lines in CHARTS:
        series = [(m, c, np.asarray(history.get(m, ()), dtype=float) * scale[kind])
                  for m, _, c in lines]
        panels.append((title, tuple((label, c) for _, label, c in lines),
                       panel_svg(kind, series, horizon, marks)))
    return panels


def history_of(model: CoGovModel) -> Mapping[str, Sequence[float]]:
    """The DataCollector's monthly metrics so far (metric → values by month)."""
    return model.datacollector.model_vars
