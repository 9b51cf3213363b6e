"""The demo's levers and lesson: what the lever panel shows, the preset menu's order and titles,
and the explanation panel's texts (MODEL.md §6, shared/seeds).

The lever table lives here and only here: the other demo modules read it through ``LEVERS``,
``LEVER_BY_PATH`` and ``GROUPS``. Pure data, no model or browser import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class Lever:
    """One control of the lever panel. ``path`` is the dotted policy key (the same name as in
    YAML, ``--set`` and CSV, STYLE.md habit 11); the slider shows ``value / scale``."""

    path: str
    zh: str
    group: str
    kind: str  # "float", "int", "bool" or "choice"
    low: float = 0.0
    high: float = 1.0
    step: float = 0.05
    scale: float = 1.0
    unit: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)

    @property
    def label(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.zh} · {self.path}{unit}"

    def to_policy(self, shown: Any) -> Any:
        """The policy value for what the control shows."""
        if self.kind == "bool":
            return bool(shown)
        if self.kind == "choice":
            return next((v for v, label in self.choices if shown in (v, label)), shown)
        value = float(shown) * self.scale
        return int(round(value)) if self.kind == "int" else value

    def to_shown(self, value: Any) -> Any:
        """What the control shows for a policy value."""
        if self.kind == "bool":
            return bool(value)
        if self.kind == "choice":
            return next((label for v, label in self.choices if v == value), str(value))
        shown = value / self.scale
        return int(round(shown)) if self.kind == "int" else float(shown)


GROUPS = (
    ("huanquan", "还权 Returning power"),
    ("funeng", "赋能 Empowerment"),
    ("guiwei", "归位 Back to proper roles"),
    ("outreach", "激励与动员 Incentives and outreach"),
)

LEVERS: tuple[Lever, ...] = (
    Lever("devolution", "居民议定", "huanquan", "float", step=0.01),
    Lever("transparency", "公开", "huanquan", "float", step=0.01),
    Lever("fund_per_community", "社区资金", "funeng", "int", 0, 50, 1, 10_000, "万元/年"),
    Lever("training_rate", "培训", "funeng", "float", 0, 0.1, 0.005, unit="/年"),
    Lever("purchase_share", "购买服务", "funeng", "float", step=0.01),
    Lever("resident_evaluation", "居民评议政府", "funeng", "bool"),
    Lever("foundation", "社区基金会", "funeng", "bool"),
    Lever("service_focus", "服务重心", "guiwei", "float", step=0.01),
    Lever("admin_items", "行政事项", "guiwei", "int", 0, 600, 1),
    Lever("incentive.scheme", "激励方式", "outreach", "choice", choices=(
        ("none", "none 无"), ("points", "points 积分"), ("time_bank", "time_bank 时间银行"),
        ("recognition", "recognition 表彰"))),
    Lever("incentive.points_per_activity", "每次积分", "outreach", "int", 0, 100, 5),
    Lever("grid.workers_per_grid", "网格员/格", "outreach", "int", 0, 4, 1),
    Lever("party.contacts_per_month", "党员联系户/月", "outreach", "int", 0, 24, 1),
    Lever("party.dual_registration", "双报到", "outreach", "bool"),
)
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
     "One dot per adult; blocks are buildings (院落), tints are grids (网格). Colour: what the "
     "resident did this month. Red ring: party member. Black square: grid worker. Purple lines "
     "join the members of a self-organization (自组织)."),
    ("Controls",
     "Levers act from next month, as a scenario's schedule would; a dashed line marks the "
     "month. A preset loads at once. ⟲ seed, migrant_share and months apply on Reset."),
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

