"""The community picture (sim/demo/community_svg.py): every resident in its own cell by
building, and the SVG drawing residents, party rings, grid workers and self-organization ties."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from sim.demo.adapter import DemoModel, DemoSettings
from sim.demo.community_svg import (
    BLOCK_GAP,
    DIAMOND,
    activity_state,
    community_caption,
    community_map,
    community_svg,
)
from sim.population import build_layout
from sim.scenario import Structure

SETTINGS = DemoSettings.for_path(None)


def _centre(mark: ET.Element) -> tuple[float, float]:
    """(y, x) of a resident's mark: a circle's centre, a diamond's (its path starts at the top
    corner, half a diagonal above the centre)."""
    if mark.get("cx") is not None:
        return float(mark.get("cy")), float(mark.get("cx"))
    x, y = (float(v) for v in mark.get("d")[1:].split("l")[0].split())
    return y + DIAMOND, x


def test_activity_state_by_hand() -> None:
    took = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1]], bool)
    assert activity_state(took).tolist() == [0, 1, 2, 3, 4, 4]


@pytest.mark.parametrize("size, community", [(2000, 0), (5000, 1), (37, 0)])
def test_community_map_gives_every_resident_its_own_cell_by_building(size, community) -> None:
    layout = build_layout(Structure(communities_per_street=2, residents_per_community=size))
    cmap = community_map(layout, community)
    assert len(cmap.residents) == size and cmap.residents[0] == layout.community_start[community]
    cells = set(zip(cmap.x.tolist(), cmap.y.tolist(), strict=True))
    assert len(cells) == size
    assert cmap.x.min() >= 0 and cmap.x.max() < cmap.width
    assert cmap.y.min() >= 0 and cmap.y.max() < cmap.height
    # a building is one block: its residents share a block, and no block holds two buildings
    block = (cmap.x // (cmap.cols + BLOCK_GAP), cmap.y // (cmap.rows + BLOCK_GAP))
    pairs = set(zip(layout.building[cmap.residents].tolist(), zip(*block, strict=True),
                    strict=True))
    assert len(pairs) == cmap.n_buildings
    assert len({b for b, _ in pairs}) == len({k for _, k in pairs}) == cmap.n_buildings
    # household members sit side by side
    household = layout.household[cmap.residents]
    same = household[1:] == household[:-1]
    assert np.all(cmap.y[1:][same] == cmap.y[:-1][same])


def test_community_svg_draws_every_resident_party_ring_worker_and_self_org_tie() -> None:
    model = DemoModel(preset="chengdu_reform", presets=SETTINGS.presets)
    while not model.self_orgs and model.month < model.scenario.months:
        model.step()
    assert model.self_orgs, "no self-organization formed under chengdu_reform in 60 months"
    cmap = community_map(model.layout, 0)
    svg = ET.fromstring(community_svg(model, cmap))
    ns = "{http://www.w3.org/2000/svg}"
    circles, diamonds = svg.findall(f"{ns}circle"), svg.findall(f"{ns}path")
    r = model.residents
    assert 0 < r.migrant.sum() < len(r)
    # locals are round dots, migrants diamonds (closed four-point paths), each its resident's
    assert len(circles) == int((~r.migrant).sum()) and len(diamonds) == int(r.migrant.sum())
    assert all(d.get("d").count("l") == 1 and d.get("d").endswith("z") for d in diamonds)
    marks = sorted(circles + diamonds, key=lambda e: _centre(e))
    order = np.lexsort((cmap.x, cmap.y))
    assert [e.tag == f"{ns}path" for e in marks] == r.migrant[cmap.residents][order].tolist()
    assert sum(" p" in e.get("class") for e in marks) == int(r.party.sum())
    state = activity_state(r.took)
    assert [int(e.get("class")[1]) for e in marks] == state[cmap.residents][order].tolist()
    assert len(svg.findall(f"{ns}rect[@class='w']")) == int(r.grid_worker.sum())
    members = sum(len(o.members) for o in model.self_orgs.values())
    assert len(svg.findall(f"{ns}line[@class='o']")) == members
    caption = community_caption(model, cmap)
    assert f"{len(model.self_orgs)} 自组织" in caption and "2,000 居民" in caption
