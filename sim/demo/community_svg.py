"""The picture of a community, drawn on the server as SVG: residents as dots by building and
grid, coloured by what they did this month (MODEL.md §2 layout, §7 activities).

A step costs a few milliseconds to draw, the browser scales the picture crisply to any projector
and writes Chinese in its own fonts; nothing is fetched. Pure drawing over the model's arrays:
imports neither solara nor the model (the model is only read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sim.model import CoGovModel

ACTIVITY_STATES = (
    ("没参与", "none", "#D4D4D4"),
    ("议事", "deliberate", "#0072B2"),
    ("志愿", "volunteer", "#009E73"),
    ("监督", "monitor", "#E69F00"),
    ("多项", "several", "#CC79A7"),
)
"""What a resident did this month: colour-blind-safe (Okabe–Ito) colours, grey for nothing."""

GRID_TINTS = ("#FBE3CF", "#D7E8F6", "#DFF0D8", "#F2DCEB", "#FFF3C4", "#E4E4E4")
PARTY_RED = "#C40000"
SELF_ORG = "#6A3D9A"
CELL = 10  # SVG units per resident cell
BLOCK_GAP = 2  # cells between buildings
DOT_R = 4.3  # a local resident's dot, SVG units: nearly fills its cell, to be seen from the back
DIAMOND = 5.4  # half-diagonal of a migrant's diamond: about the dot's area, a different shape
MIGRANT_EDGE = "#303030"  # the diamond's dark edge: the shape shows even on a grey (idle) fill


def activity_state(took: np.ndarray) -> np.ndarray:
    """Index into ACTIVITY_STATES per resident from the (N, 3) ``took`` array."""
    count = took.sum(axis=1)
    single = took.argmax(axis=1) + 1
    return np.where(count == 0, 0, np.where(count > 1, len(ACTIVITY_STATES) - 1, single))


@dataclass(frozen=True)
class CommunityMap:
    """Where each resident of one community sits in the picture, in cells (y downwards):
    buildings are blocks of ``cols`` × ``rows`` cells, household members side by side, laid out
    ``blocks_across`` blocks to a row."""

    community: int
    residents: np.ndarray  # global resident indices shown, in layout order
    x: np.ndarray
    y: np.ndarray
    cols: int
    rows: int
    blocks_across: int
    n_buildings: int
    width: int
    height: int


def community_map(layout: Any, community: int = 0) -> CommunityMap:
    """Geometry of the picture of ``community`` (pure: the layout alone decides it)."""
    start = int(layout.community_start[community])
    size = int(layout.community_size[community])
    residents = np.arange(start, start + size)
    building = layout.building[residents]
    local_building = building - building.min()
    rank = np.arange(size) - np.searchsorted(building, building, side="left")
    largest = int(np.bincount(local_building).max())
    cols = max(2, 2 * int(np.ceil(np.sqrt(largest * 1.25) / 2)))  # even: households in pairs
    rows = int(np.ceil(largest / cols))
    n_buildings = int(local_building.max()) + 1
    shape = (rows + BLOCK_GAP) / (cols + BLOCK_GAP)
    across = max(1, min(n_buildings, int(round(np.sqrt(n_buildings * shape * 1.3)))))
    down = int(np.ceil(n_buildings / across))
    x = (local_building % across) * (cols + BLOCK_GAP) + rank % cols
    y = (local_building // across) * (rows + BLOCK_GAP) + rank // cols
    return CommunityMap(community, residents, x, y, cols, rows, across, n_buildings,
                        across * (cols + BLOCK_GAP) - BLOCK_GAP,
                        down * (rows + BLOCK_GAP) - BLOCK_GAP)


def community_svg(model: CoGovModel, cmap: CommunityMap) -> str:
    """Residents by building and grid, coloured by this month's activity: locals as round dots,
    migrants (流动人口) as diamonds; party members ringed red, grid workers in black squares,
    self-organizations joined by lines."""
    r, idx = model.residents, cmap.residents
    grid = model.grid_of_resident[idx]
    grid = (grid - grid.min()) % len(GRID_TINTS)
    rules = [
        *(f".a{i}{{fill:{c}}}" for i, (_, _, c) in enumerate(ACTIVITY_STATES)),
        "circle{stroke:#8A8A8A;stroke-width:.4}",
        f".m{{stroke:{MIGRANT_EDGE};stroke-width:1.2}}",
        f".p{{stroke:{PARTY_RED};stroke-width:1.9}}",
        ".w{fill:none;stroke:#000;stroke-width:1.7}",
        f".o{{stroke:{SELF_ORG};stroke-width:1.5;stroke-linecap:round}}",
    ]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-6 -6 {cmap.width * CELL + 2} '
        f'{cmap.height * CELL + 2}" width="100%" preserveAspectRatio="xMinYMin meet" '
        'role="img" class="cogov-map" '
        'aria-label="residents by building and grid">',
        # an inline SVG's style sheet is the page's: each rule is kept to this picture
        "<style>", *(f".cogov-map {rule}" for rule in rules), "</style>",
    ]
    # grid tints: one rectangle per run of same-grid cells in a building row
    key = cmap.y * (cmap.width + 1) + cmap.x
    order = np.argsort(key, kind="stable")
    xs, ys, gs = cmap.x[order], cmap.y[order], grid[order]
    new_run = np.ones(len(xs), dtype=bool)
    new_run[1:] = (ys[1:] != ys[:-1]) | (xs[1:] != xs[:-1] + 1) | (gs[1:] != gs[:-1])
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], len(xs))
    for s, e in zip(starts, ends, strict=True):
        parts.append(f'<rect x="{xs[s] * CELL - 5}" y="{ys[s] * CELL - 5}" '
                     f'width="{(e - s) * CELL}" height="{CELL}" fill="{GRID_TINTS[gs[s]]}"/>')
    # self-organizations: lines from each member to the group's centre
    for org in model.self_orgs.values():
        if org.community != cmap.community:
            continue
        local = org.members - idx[0]
        cx, cy = cmap.x[local].mean() * CELL, cmap.y[local].mean() * CELL
        parts += [f'<line class="o" x1="{cx:.1f}" y1="{cy:.1f}" x2="{x * CELL}" y2="{y * CELL}"/>'
                  for x, y in zip(cmap.x[local], cmap.y[local], strict=True)]
    state = activity_state(r.took[idx])
    for x, y, s, p, m in zip(cmap.x.tolist(), cmap.y.tolist(), state.tolist(),
                             r.party[idx].tolist(), r.migrant[idx].tolist(), strict=True):
        cls = f"a{s} p" if p else f"a{s}"
        if m:
            parts.append(f'<path d="M{x * CELL} {y * CELL - DIAMOND}l{DIAMOND} {DIAMOND} '
                         f'-{DIAMOND} {DIAMOND}-{DIAMOND}-{DIAMOND}z" class="{cls} m"/>')
        else:
            parts.append(f'<circle cx="{x * CELL}" cy="{y * CELL}" r="{DOT_R}" class="{cls}"/>')
    workers = np.flatnonzero(r.grid_worker[idx])
    parts += [f'<rect class="w" x="{cmap.x[i] * CELL - 5.5}" y="{cmap.y[i] * CELL - 5.5}" '
              'width="11" height="11"/>' for i in workers]
    parts.append("</svg>")
    return "".join(parts)


def community_caption(model: CoGovModel, cmap: CommunityMap) -> str:
    """One line under the picture's title: who and what is shown."""
    grid = model.grid_of_resident[cmap.residents]
    n_orgs = sum(o.community == cmap.community for o in model.self_orgs.values())
    where = (f" · 社区 community {cmap.community + 1} of {model.n_communities}"
             if model.n_communities > 1 else "")
    return (f"{len(cmap.residents):,} 居民 adults · {cmap.n_buildings} 楼院 buildings · "
            f"{int(grid.max() - grid.min()) + 1} 网格 grids · {n_orgs} 自组织 self-orgs{where}")
