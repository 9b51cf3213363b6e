"""The demo's levers and lesson: what the lever panel shows, the preset menu's order and titles,
and the explanation panel's texts (MODEL.md §6, shared/seeds).

The lever table is generated from the schema (``sim.levers``); the other demo modules read it
through ``LEVERS``, ``LEVER_BY_PATH`` and ``GROUPS``. Pure data, no model or browser import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.levers import GROUPS, Lever, demo_levers

__all__ = ["EXPLANATION", "GROUPS", "LESSON_ORDER", "LEVERS", "LEVER_BY_PATH", "Lever",
           "PRESET_TITLES", "describe"]

LESSON_ORDER = (
    "teaching",
    "baseline",
    "chengdu_2009_fund",
    "nominal_devolution",
    "chengdu_reform",
    "fund_withdrawal",
    "haicang_cocreation",
    "chenghua_points_foundation",
    "district",
)
"""Preset menu order: the classroom scenario, then the lesson's path through the cases."""

PRESET_TITLES = {
    "teaching": "教学 · every reform lever half-way",
    "baseline": "改革前 · pre-reform baseline",
    "chengdu_2009_fund": "成都 2009 村级资金 · Chengdu 2009 fund",
    "nominal_devolution": "新瓶装老酒 · devolution without 归位",
    "chengdu_reform": "还权赋能归位 · Chengdu full reform",
    "fund_withdrawal": "撤资 · fund withdrawn at month 37",
    "haicang_cocreation": "海沧共同缔造 · Xiamen Haicang co-creation",
    "chenghua_points_foundation": "成华积分+基金会 · Chenghua points + foundation",
    "district": "全区 · district, 20 communities, 100,000 adults",
}


LEVERS: tuple[Lever, ...] = demo_levers()
"""The lever panel, generated from the scenario schema's metadata (``sim.levers``: labels,
groups, widget hints declared once beside each policy field)."""
LEVER_BY_PATH = {lever.path: lever for lever in LEVERS}

EXPLANATION = (
    ("还权 returning power",
     "The residents' council (议事会), not the street office, chooses the fund's projects "
     "(<code>devolution</code>: 民主议定, Chengdu 2009); <code>transparency</code> is the chance "
     "a resident learns what became of them (公开; 三公开 ≈ 0.66)."),
    ("赋能 empowerment",
     "A community fund (<code>fund_per_community</code>): at least 200,000 yuan a year for every "
     "village from 2009, every community from 2012. Training in community colleges; projects "
     "bought from social organizations (<code>purchase_share</code>, 三社联动: 1.4亿 yuan for "
     "1,297 projects); residents evaluating the government; community foundations "
     "(Chenghua 2019)."),
    ("归位 back to proper roles",
     "The street office stops chasing investment and serves (<code>service_focus</code>); "
     "committee tasks cut from 537 to 69 (<code>admin_items</code>). Without it devolution is "
     "\u201cnew bottle, old wine\u201d (新瓶装老酒): the office overrides the council, and the "
     "committee stays \u201cthe government's feet, not the people's head\u201d."),
    ("Incentives and outreach",
     "Chenghua points (100 points = 1 yuan): small payments can crowd out public spirit. "
     "Haicang grids of 300–400 households, 1–2 grid workers visiting ≥60 households a month; "
     "party members contact households (党员联系户) and report home (双报到)."),
    ("The picture",
     "One mark per adult: a dot for a local resident, a dark-edged diamond for a migrant "
     "(流动人口); blocks are buildings (院落), tints are grids (网格). Colour: what the resident "
     "did this month. Red ring: party member. Black square: grid worker. Purple lines join the "
     "members of a self-organization (自组织)."),
    ("Controls",
     "▶ plays and ❚❚ pauses; at the last month the run stops and ▶ comes back. Levers act "
     "from next month, as a scenario's schedule would; a dashed line marks the month. A preset "
     "loads at once. ⟲ seed, migrant_share and months apply on 重置 Reset."),
)
"""The explanation panel: (heading, HTML text), from MODEL.md §6 and shared/seeds."""


def describe(changes: Mapping[str, Any]) -> str:
    """Policy changes as the page writes them: the lever's Chinese name and its shown value
    (``{"fund_per_community": 0}`` → ``"社区资金 0万元/年"``)."""
    parts = []
    for path, value in changes.items():
        lever = LEVER_BY_PATH.get(path)
        name = lever.zh if lever else path
        shown = lever.to_shown(value) if lever else value
        if lever and lever.kind == "float":
            shown = f"{shown:.3g}"
        parts.append(f"{name} {shown}{lever.unit if lever and lever.kind == 'int' else ''}")
    return ", ".join(parts)

