"""The district side by side: one tile per community, grouped by street office, coloured by
this month's participation, with its participation month by month drawn inside (issue 14).

A district official's question is which of the communities the reform leaves behind; the
single-community picture (:mod:`sim.demo.community_svg`) cannot answer it. The tiles are plain
HTML (text in CSS pixels, so it stays readable on a 1280×720 projector whatever the column's
width) with one small inline SVG line each. Pure: reads the model's arrays, imports neither
solara nor the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.demo.charts_svg import nice_top

if TYPE_CHECKING:
    from sim.model import CoGovModel

PALETTE = ("#FFFFD9", "#EDF8B1", "#C7E9B4", "#7FCDBB", "#41B6C4", "#1D91C0", "#225EA8",
           "#253494", "#081D58")
"""ColorBrewer YlGnBu (9 classes, colour-blind safe, prints in grey): pale = few take part,
dark = many; interpolated between the classes."""
NO_DATA = "#E4E4E4"
"""A tile before the first month: nothing observed yet."""
SCALE_FLOOR = 0.10
"""The colour scale reaches at least 10%, so that the first months' small differences are not
drawn as the whole range of colours."""
LEGEND_STEPS = 5
"""Swatches of the colour legend."""
SPARK_W, SPARK_H = 100, 28
"""SVG units of a tile's line (it is drawn to the tile's width)."""


def community_participation(model: CoGovModel) -> np.ndarray:
    """Share of each community's adults who took part in any activity this month, shape (C,),
    in [0, 1], in the layout's community order: the count of ``residents.took_any`` per
    ``layout.community`` over ``layout.community_size``."""
    layout = model.layout
    took = np.bincount(layout.community, weights=model.residents.took_any,
                       minlength=layout.n_communities)
    return took / np.maximum(layout.community_size, 1)


def community_names(layout: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names of the C communities, names of the S street offices), from the layout's
    ``community_names``/``street_names``; where a layout has none, street "1".."S" and
    community "<street>-<k>" (1-based), the names a uniform structure gets."""
    streets = getattr(layout, "street_names", None)
    names = getattr(layout, "community_names", None)
    street_of = np.asarray(layout.street_of_community)
    if streets is None:
        streets = tuple(str(s + 1) for s in range(int(street_of.max()) + 1))
    if names is None:
        rank = np.zeros(len(street_of), dtype=int)
        for s in np.unique(street_of):
            members = np.flatnonzero(street_of == s)
            rank[members] = np.arange(1, len(members) + 1)
        names = tuple(f"{streets[s]}-{k}" for s, k in zip(street_of, rank, strict=True))
    return tuple(names), tuple(streets)


def colour(share: float, top: float) -> str:
    """The colour of ``share`` on a scale from 0 to ``top`` (:data:`PALETTE`, linear in the
    share, interpolated in RGB between neighbouring classes; beyond ``top`` the darkest)."""
    position = min(max(share / top, 0.0), 1.0) * (len(PALETTE) - 1)
    low = int(np.floor(position))
    high = min(low + 1, len(PALETTE) - 1)
    a, b = (np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) for c in (PALETTE[low],
                                                                          PALETTE[high]))
    mixed = np.rint(a + (b - a) * (position - low)).astype(int)
    return "#" + "".join(f"{v:02X}" for v in mixed)


def ink(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (WCAG relative luminance)."""
    rgb = np.array([int(background[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ [0.2126, 0.7152, 0.0722])
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#FFFFFF"


def scale_top(history: np.ndarray) -> float:
    """The top of the colour scale, a share: a round number at or above every community's
    participation so far (and :data:`SCALE_FLOOR`), so a colour keeps its meaning as the run
    goes on unless a community passes the top."""
    seen = float(np.max(history)) if np.size(history) else 0.0
    return nice_top(100 * max(seen, SCALE_FLOOR))[0] / 100


def spark_svg(values: np.ndarray, horizon: int, top: float, stroke: str) -> str:
    """A community's participation month by month (months 1..``horizon`` across, 0..``top``
    up) as a small SVG line in ``stroke``; empty before the first month."""
    if len(values) == 0:
        return ""
    x = (np.arange(1, len(values) + 1) - 0.5) / max(horizon, len(values)) * SPARK_W
    y = SPARK_H - 2 - np.clip(values / top, 0, 1) * (SPARK_H - 4)
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))
    shape = (f'<circle cx="{x[0]:.1f}" cy="{y[0]:.1f}" r="2" fill="{stroke}"/>'
             if len(values) == 1 else
             f'<polyline points="{points}" fill="none" stroke="{stroke}" stroke-width="2" '
             'stroke-linejoin="round" vector-effect="non-scaling-stroke"/>')
    return (f'<svg class="cogov-spark" viewBox="0 0 {SPARK_W} {SPARK_H}" '
            f'preserveAspectRatio="none" aria-hidden="true">{shape}</svg>')


def district_html(history: Sequence[np.ndarray], names: Sequence[str],
                  street_of: np.ndarray, streets: Sequence[str], horizon: int) -> str:
    """The tiles: one row of tiles per street office (its name at the left), a tile per
    community with its name, this month's participation in per cent, its line month by month,
    filled by :func:`colour` of this month's value; the lowest community this month framed.
    ``history``: one (C,) array of shares per month observed so far (may be empty)."""
    values = np.asarray(history, dtype=float).reshape(len(history), len(names))
    top = scale_top(values)
    now = values[-1] if len(values) else None
    lowest = int(np.argmin(now)) if now is not None else -1
    rows = []
    for s, street in enumerate(streets):
        tiles = []
        for c in np.flatnonzero(np.asarray(street_of) == s):
            fill = colour(now[c], top) if now is not None else NO_DATA
            text = ink(fill)
            shown = f"{100 * now[c]:.1f}%" if now is not None else "–"
            share = f"{now[c]:.4f}" if now is not None else ""
            frame = " cogov-lowest" if c == lowest else ""
            tiles.append(
                f'<div class="cogov-tile{frame}" data-community="{escape(names[c])}" '
                f'data-share="{share}" style="background:{fill};color:{text}">'
                f'<div class="cogov-tile-name">{escape(names[c])}</div>'
                f'<div class="cogov-tile-value">{shown}</div>'
                f"{spark_svg(values[:, c], horizon, top, text)}</div>")
        label = f"街道 {street}" if street.isdigit() else street  # a uniform district's "1"
        rows.append(f'<div class="cogov-street"><div class="cogov-street-name">'
                    f'{escape(label)}</div><div class="cogov-tiles">{"".join(tiles)}</div>'
                    "</div>")
    return f'<div class="cogov-district">{"".join(rows)}</div>'


def district_legend_html(history: Sequence[np.ndarray]) -> str:
    """The tiles' legend: the colour scale in per cent of adults (0 to :func:`scale_top`),
    what the line in a tile is, and what the frame marks."""
    top = scale_top(np.asarray(history, dtype=float))
    swatches = "".join(
        f'<span class="cogov-scale-step" style="background:{colour(v, top)};'
        f'color:{ink(colour(v, top))}">{100 * v:.3g}%</span>'
        for v in np.linspace(0, top, LEGEND_STEPS))
    return (f'<span class="cogov-scale-title">颜色：本月参与率 colour: share of adults taking '
            f"part this month</span>"
            f'<span class="cogov-scale">{swatches}</span>'
            "<span>曲线：逐月参与率 line: month by month</span>"
            '<span><span class="swatch cogov-lowest-swatch"></span>'
            "粗框：本月最低 frame: lowest this month</span>")


def district_caption(names: Sequence[str], streets: Sequence[str]) -> str:
    """One line under the view's title: how many communities in how many street offices."""
    return (f"{len(names)} 个社区 communities · {len(streets)} 个街道 street offices · "
            "每行一个街道 one row per street office")
