"""The district side by side (sim/demo/district_view.py): each community's participation
from the model, the names, the colour scale and the tiles."""

from __future__ import annotations

import re

import numpy as np
import pytest
from worlds import scenario

from sim.demo.adapter import DemoModel, DemoSettings
from sim.demo.district_view import (
    PALETTE,
    colour,
    community_names,
    community_participation,
    district_html,
    district_legend_html,
    ink,
    scale_top,
)
from sim.model import CoGovModel
from sim.population import build_layout
from sim.scenario import Structure

SETTINGS = DemoSettings.for_path(None)


def test_community_participation_by_hand() -> None:
    model = CoGovModel(scenario(structure={"street_offices": 1, "communities_per_street": 3,
                                           "residents_per_community": 200}))
    took = np.zeros((model.layout.n_residents, 3), dtype=bool)
    start = model.layout.community_start
    took[start[0]:start[0] + 20, 0] = True  # 20 of community 1's 200 deliberate
    took[start[2]:start[2] + 50, 1:] = True  # 50 of community 3's volunteer and monitor
    model.residents.record_participation(took)
    assert community_participation(model) == pytest.approx([0.1, 0.0, 0.25])


def test_a_uniform_layout_names_its_communities_street_dash_number() -> None:
    layout = build_layout(Structure(street_offices=2, communities_per_street=3,
                                    residents_per_community=50))
    names, streets = community_names(layout)
    assert streets == ("1", "2")
    assert names == ("1-1", "1-2", "1-3", "2-1", "2-2", "2-3")


def test_colours_darken_with_participation_and_text_stays_readable() -> None:
    shares = np.linspace(0, 0.2, 9)
    fills = [colour(s, 0.2) for s in shares]
    assert fills[0] == PALETTE[0] and fills[-1] == PALETTE[-1]
    luminance = [sum(int(f[i:i + 2], 16) for i in (1, 3, 5)) for f in fills]
    assert luminance == sorted(luminance, reverse=True)  # pale = few, dark = many
    assert colour(0.5, 0.2) == PALETTE[-1]  # beyond the top: the darkest
    assert ink(PALETTE[0]) == "#000000" and ink(PALETTE[-1]) == "#FFFFFF"


def test_the_scale_top_is_round_and_holds_every_value_seen() -> None:
    assert scale_top(np.array([[0.01, 0.02]])) == pytest.approx(0.10)  # the floor
    assert scale_top(np.array([[0.05, 0.23], [0.3, 0.1]])) >= 0.3
    assert scale_top(np.empty((0, 4))) == pytest.approx(0.10)


def test_the_tiles_hold_every_community_in_its_street_row_and_frame_the_lowest() -> None:
    names = ("海沧街道-1", "海沧街道-2", "嵩屿街道-1")
    street_of = np.array([0, 0, 1])
    history = [np.array([0.1, 0.2, 0.3]), np.array([0.12, 0.05, 0.3])]
    html = district_html(history, names, street_of, ("海沧街道", "嵩屿街道"), 24)
    rows = html.split('class="cogov-street"')[1:]
    assert [re.findall(r'data-community="([^"]+)"', row) for row in rows] == [
        ["海沧街道-1", "海沧街道-2"], ["嵩屿街道-1"]]
    shares = [float(v) for v in re.findall(r'data-share="([^"]+)"', html)]
    assert shares == pytest.approx([0.12, 0.05, 0.3])  # this month's
    assert re.findall(r'cogov-tile cogov-lowest" data-community="([^"]+)"', html) == [
        "海沧街道-2"]
    assert "5.0%" in html and html.count("<polyline") == 3  # a line of 2 months each
    fills = re.findall(r"background:(#[0-9A-F]{6})", html)
    assert fills[1] != fills[2]  # 5% and 30% do not look alike


def test_before_the_first_month_the_tiles_are_grey_and_say_nothing() -> None:
    html = district_html([], ("1-1", "1-2"), np.array([0, 0]), ("1",), 12)
    assert "cogov-lowest" not in html and "<svg" not in html and html.count("–") == 2
    assert "街道 1" in html  # a street office named by number says what it is


def test_the_legend_gives_the_scale_in_per_cent_both_languages() -> None:
    legend = district_legend_html([np.array([0.05, 0.18])])
    steps = re.findall(r'cogov-scale-step[^>]*>([^<]+)<', legend)
    assert steps[0] == "0%" and steps[-1] == "20%"
    assert "参与率" in legend and "participation" not in legend.split("colour")[0]
    assert "lowest" in legend and "最低" in legend


def test_the_demo_model_records_each_communitys_participation_every_month() -> None:
    model = DemoModel(preset="district", presets=SETTINGS.presets, months=12)
    assert model.community_history == []
    for _ in range(2):
        model.step()
    assert len(model.community_history) == 2
    latest = model.community_history[-1]
    assert latest.shape == (20,)
    weights = model.layout.community_size / model.layout.community_size.sum()
    # the communities' shares weighted by their adults are the district's share
    assert float(latest @ weights) == pytest.approx(model.current["participation_any"])
