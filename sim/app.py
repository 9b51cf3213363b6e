"""The teaching demo in the browser: ``cogov demo`` serves this Mesa SolaraViz page (issue 4).

A teacher moves a lever, presses play, and the class watches a community respond. The page is a
Mesa ``SolaraViz`` (its Step, Play/Pause and Reset buttons, and the seed, migrant share and horizon
that take effect on Reset) with our own panels around it:

* levers of MODEL.md §6 (还权 devolution, 赋能 empowerment, 归位 proper roles, incentives and
  outreach) that act from the next month through :meth:`CoGovModel.set_policy`, the way a
  scenario's ``schedule`` does, so a class can watch a fund being withdrawn mid-run;
* a preset menu that loads each shipped scenario (``scenarios/*.yaml``);
* a picture of the community (residents as dots by building and grid, coloured by what they did
  this month) and live charts of the MODEL.md §8 metrics, built on the server as SVG in a few
  milliseconds: the browser needs no chart library and nothing is fetched from outside;
* a short explanation of the levers, from MODEL.md and the case documents (shared/seeds).

SolaraViz rebuilds the model on Reset as ``DemoModel(**model_params)``, so :class:`DemoModel`
takes plain browser values (a seed typed in the browser arrives as a string and is converted
here). This module is a leaf: only the CLI imports it (STYLE.md). :func:`serve` runs the server.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import warnings
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import solara

with warnings.catch_warnings():  # solara's hook check flags an early return in Mesa 3.3.1
    warnings.filterwarnings("ignore", message=".*found despite early return")
    from mesa.visualization import SolaraViz
    from mesa.visualization.utils import force_update, update_counter

from sim.model import CoGovModel, replicate_rng
from sim.scenario import Scenario, ScenarioError, apply_policy_changes

# ------------------------------------------------------------------------------ configuration
SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
"""The shipped scenarios (a source checkout or an editable install)."""

DEFAULT_SCENARIO = SCENARIO_DIR / "teaching.yaml"
ENV_SCENARIO = "COGOV_DEMO_SCENARIO"
"""Environment variable through which :func:`serve` hands the scenario path to the page."""

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


@dataclass(frozen=True)
class DemoSettings:
    """What the page serves: the presets (key → scenario file) and the one loaded first."""

    presets: tuple[tuple[str, str], ...]
    default: str

    @classmethod
    def for_path(cls, scenario_path: str | os.PathLike | None) -> DemoSettings:
        """Shipped scenarios in lesson order, plus ``scenario_path`` if it is not one of them."""
        shipped = {p.stem: p.resolve() for p in sorted(SCENARIO_DIR.glob("*.yaml"))}
        order = [k for k in LESSON_ORDER if k in shipped]
        order += sorted(k for k in shipped if k not in order)
        presets = [(k, str(shipped[k])) for k in order]
        path = Path(scenario_path).resolve() if scenario_path else DEFAULT_SCENARIO.resolve()
        default = next((k for k, p in presets if Path(p) == path), None)
        if default is None:
            default = path.stem if path.stem not in shipped else str(path)
            presets.append((default, str(path)))
        return cls(tuple(presets), default)

    @classmethod
    def from_environment(cls) -> DemoSettings:
        return cls.for_path(os.environ.get(ENV_SCENARIO) or None)

    def path(self, key: str) -> str:
        for k, p in self.presets:
            if k == key:
                return p
        raise ValueError(f"unknown preset {key!r}; choose one of {[k for k, _ in self.presets]}")


def parse_seed(text: Any, fallback: int) -> tuple[int, str | None]:
    """A seed typed in the browser (a string) as an int, or ``fallback`` with a note why.

    The string "42" would seed a different stream than 42 (STYLE.md), so it is converted here.
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return fallback, None
    try:
        seed = int(str(text).strip())
    except ValueError:
        return fallback, f"seed {text!r} is not a whole number: using {fallback}"
    if not 0 <= seed < 2**63:
        return fallback, f"seed {seed} is out of range 0 … 2⁶³−1: using {fallback}"
    return seed, None


# --------------------------------------------------------------------------------- the model
class DemoModel(CoGovModel):
    """A :class:`CoGovModel` built from plain browser values, as SolaraViz's Reset does it.

    Args:
        preset: key of ``presets`` (a shipped scenario's file stem).
        seed: master seed, an int or the string typed in the browser; blank or invalid → the
            scenario's own seed. The run is replicate 0 of ``cogov run --seed`` (same numbers
            until a lever moves).
        migrant_share: override of ``population.migrant_share`` (None: the scenario's).
        months: override of the horizon (None: the scenario's).
        presets: ``(key, path)`` pairs (default: :meth:`DemoSettings.from_environment`).
    """

    def __init__(
        self,
        preset: str = "teaching",
        seed: int | str | None = None,
        migrant_share: float | None = None,
        months: int | None = None,
        presets: tuple[tuple[str, str], ...] = (),
    ):
        settings = DemoSettings(presets, preset) if presets else DemoSettings.from_environment()
        scenario = Scenario.load(settings.path(preset))
        seed_value, self.seed_note = parse_seed(seed, scenario.seed)
        overrides: dict[str, Any] = {"seed": seed_value}
        if migrant_share is not None:
            overrides["population.migrant_share"] = float(migrant_share)
        if months is not None:
            overrides["months"] = int(months)
        scenario = scenario.with_overrides(overrides, origin="demo")
        self.preset = preset
        self.lever_log: list[tuple[int, dict[str, Any]]] = []  # (month applied, changes)
        self._lock = threading.Lock()  # Play steps in a thread while levers move
        super().__init__(scenario, rng=replicate_rng(seed_value, 0))

    def step(self) -> None:
        with self._lock:
            super().step()

    def request(self, changes: Mapping[str, Any]) -> None:
        """Queue lever changes for the start of next month (``set_policy``) and log them."""
        with self._lock:
            self.set_policy(dict(changes))
            self.lever_log.append((self.month + 1, dict(changes)))

    def pending(self) -> dict[str, Any]:
        """Lever changes requested this month, to act from next month."""
        out: dict[str, Any] = {}
        for month, changes in self.lever_log:
            if month > self.month:
                out.update(changes)
        return out

    def lever_values(self) -> dict[str, Any]:
        """Every lever's value as it will stand next month (policy plus pending requests)."""
        policy = self.policy
        pending = self.pending()
        if pending:
            policy = apply_policy_changes(policy, pending)
        data = policy.model_dump()
        out = {}
        for lever in LEVERS:
            value: Any = data
            for key in lever.path.split("."):
                value = value[key]
            out[lever.path] = value
        return out

    def change_marks(self) -> list[tuple[int, str]]:
        """(month, text) of the policy changes applied so far, schedule and levers, one entry
        a month (a slider dragged through several values counts once, at its last)."""
        by_month: dict[int, dict[str, Any]] = {}
        changes = [(c.month, c.set) for c in self.scenario.policy.schedule] + self.lever_log
        for month, change in changes:
            if month <= self.month:
                by_month.setdefault(month, {}).update(change)
        return [(m, _describe(c)) for m, c in sorted(by_month.items())]


def _describe(changes: Mapping[str, Any]) -> str:
    parts = []
    for path, value in changes.items():
        lever = LEVER_BY_PATH.get(path)
        name = lever.zh if lever else path
        shown = lever.to_shown(value) if lever else value
        if lever and lever.kind == "float":
            shown = f"{shown:.3g}"
        parts.append(f"{name} {shown}{lever.unit if lever and lever.kind == 'int' else ''}")
    return ", ".join(parts)


# ------------------------------------------------------------------------------ the picture
# Pictures are SVG built on the server: a step costs a few milliseconds to draw, the browser
# scales it crisply to any projector and writes Chinese in its own fonts; nothing is fetched.
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
    """Residents as dots by building and grid, coloured by this month's activity; party
    members ringed red, grid workers in black squares, self-organizations joined by lines."""
    r, idx = model.residents, cmap.residents
    grid = model.grid_of_resident[idx]
    grid = (grid - grid.min()) % len(GRID_TINTS)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-6 -6 {cmap.width * CELL + 2} '
        f'{cmap.height * CELL + 2}" width="100%" role="img" '
        'aria-label="residents by building and grid">',
        "<style>",
        *(f".a{i}{{fill:{c}}}" for i, (_, _, c) in enumerate(ACTIVITY_STATES)),
        "circle{stroke:#8A8A8A;stroke-width:.4}",
        f"circle.p{{stroke:{PARTY_RED};stroke-width:1.9}}",
        ".w{fill:none;stroke:#000;stroke-width:1.7}",
        f".o{{stroke:{SELF_ORG};stroke-width:1.5;stroke-linecap:round}}",
        "</style>",
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
    party = r.party[idx]
    parts += [f'<circle cx="{x * CELL}" cy="{y * CELL}" r="3.7" class="a{s}{" p" if p else ""}"/>'
              for x, y, s, p in zip(cmap.x.tolist(), cmap.y.tolist(), state.tolist(),
                                    party.tolist(), strict=True)]
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


# ------------------------------------------------------------------------------- the charts
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


# ----------------------------------------------------------------------------- the page
CSS = """
.cogov-main { font-size: 18px; line-height: 1.35; }
.cogov-month { font-size: 34px; font-weight: 700; }
.cogov-status { font-size: 20px; }
.cogov-pending { font-size: 18px; color: #b35c00; font-weight: 600; }
.cogov-changed { font-size: 18px; }
.cogov-title { font-size: 20px; font-weight: 700; margin: 2px 0 0 0; }
.cogov-legend { font-size: 16px; display: flex; flex-wrap: wrap; gap: 2px 14px; }
.cogov-legend span.swatch { display: inline-block; width: 14px; height: 14px;
  border-radius: 3px; margin-right: 5px; vertical-align: -1px; }
.cogov-legend span.ring { display: inline-block; width: 13px; height: 13px;
  border-radius: 50%; border: 3px solid #C40000; margin-right: 5px; vertical-align: -2px; }
.cogov-legend span.square { display: inline-block; width: 14px; height: 14px;
  border: 3px solid #000; margin-right: 5px; vertical-align: -2px; }
.cogov-legend span.stroke { display: inline-block; width: 18px; height: 0;
  border-top: 3px solid #6A3D9A; margin-right: 5px; vertical-align: 4px; }
.cogov-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
  gap: 10px 18px; }
.cogov-explain p { font-size: 18px; line-height: 1.45; }
.cogov-header { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 4px 32px; }
.cogov-preset { min-width: 320px; max-width: 420px; }
.cogov-preset .v-select__selection { font-size: 20px; }
.cogov-levers .cogov-group { font-weight: 700; font-size: 16px; margin-top: 10px; }
.cogov-levers .v-label { font-size: 15px; }
.cogov-lever-label { font-size: 15px; margin-top: 6px; }
.cogov-levers .v-input--checkbox, .cogov-levers .v-input--selection-controls {
  margin-top: 2px; padding-top: 0; }
.cogov-levers .v-select { margin-top: 8px; }
.cogov-note { font-size: 14px; color: #555; }
"""


def _legend_html(items: Sequence[tuple[str, str]]) -> str:
    return "".join(f'<span><span class="swatch" style="background:{c}"></span>{escape(label)}'
                   "</span>" for label, c in items)


PICTURE_LEGEND = (
    _legend_html([(f"{zh} {en}", c) for zh, en, c in ACTIVITY_STATES])
    + '<span><span class="ring"></span>党员 party member</span>'
    + '<span><span class="square"></span>网格员 grid worker</span>'
    + '<span><span class="stroke"></span>自组织 self-organization</span>'
    + _legend_html([("网格 grids (tints)", GRID_TINTS[1])])
)


@solara.component
def Header(model: DemoModel, settings: DemoSettings, load: Callable[[str | None], None]) -> None:
    """Month and scenario in large type, the preset menu, this month's participation, and
    lever changes waiting for next month."""
    update_counter.get()
    current = model.current
    with solara.Column(gap="2px"):
        with solara.Div(classes=["cogov-header"]):
            solara.HTML(unsafe_innerHTML=(
                f"第 {model.month} 月 · month {model.month} "
                f"<span style='font-weight:400;font-size:22px'>of {model.scenario.months}</span>"),
                classes=["cogov-month"])
            with solara.Div(classes=["cogov-preset"]):
                solara.Select("情景预设 preset (loads at once)",
                              values=[k for k, _ in settings.presets], value=model.preset,
                              on_value=load)
        title = PRESET_TITLES.get(model.preset, model.scenario.name)
        status = f"{escape(title)} · seed {model.scenario.seed}"
        if current:
            status += (f" · 参与 participation <b>{current['participation_any']:.1%}</b>"
                       f" · 信任 trust <b>{current['mean_trust']:.2f}</b>")
        solara.HTML(unsafe_innerHTML=status, classes=["cogov-status"])
        marks = model.change_marks()
        if marks:
            month, text = marks[-1]
            solara.HTML(unsafe_innerHTML=escape(f"第 {month} 月起 since month {month}: {text}"),
                        classes=["cogov-changed"])
        pending = model.pending()
        if pending:
            solara.HTML(unsafe_innerHTML=escape(
                f"下月生效 from month {model.month + 1}: {_describe(pending)}"),
                classes=["cogov-pending"])
        if model.seed_note:
            solara.Warning(model.seed_note)


@solara.component
def CommunityView(model: DemoModel) -> None:
    """The picture of the first community."""
    update_counter.get()
    cmap = solara.use_memo(lambda: community_map(model.layout, 0), [model])
    svg = community_svg(model, cmap)
    with solara.Column(gap="4px", classes=["cogov-community"]):
        solara.HTML(unsafe_innerHTML="社区 The community", classes=["cogov-title"])
        solara.HTML(unsafe_innerHTML=escape(community_caption(model, cmap)),
                    classes=["cogov-note"])
        solara.HTML(unsafe_innerHTML=svg, classes=["cogov-picture"])
        solara.HTML(unsafe_innerHTML=PICTURE_LEGEND, classes=["cogov-legend"])


@solara.component
def ChartsView(model: DemoModel) -> None:
    """Live charts of the monthly metrics."""
    update_counter.get()
    marks = [month for month, _ in model.change_marks()]
    panels = chart_panels(history_of(model), model.scenario.months, marks)
    with solara.Div(classes=["cogov-charts"]):
        for title, legend, svg in panels:
            with solara.Div(classes=["cogov-chart"]):
                solara.HTML(unsafe_innerHTML=escape(title), classes=["cogov-title"])
                solara.HTML(unsafe_innerHTML=_legend_html(legend), classes=["cogov-legend"])
                solara.HTML(unsafe_innerHTML=svg)


@solara.component
def LeverPanel(model: DemoModel) -> None:
    """Sliders and switches for the policy levers; a change acts from next month."""
    update_counter.get()
    values = model.lever_values()

    def change(lever: Lever, shown: Any) -> None:
        value, current = lever.to_policy(shown), values[lever.path]
        if lever.kind in ("float", "int") and abs(value - current) < lever.step * lever.scale / 2:
            return  # a slider snapping a scenario's value to its step is not a move
        if value != current:
            model.request({lever.path: value})
            force_update()  # the header shows what waits for next month

    with solara.Column(gap="0px", classes=["cogov-levers"]):
        solara.HTML(unsafe_innerHTML="A change acts from next month, as a schedule would "
                    "(改动从下个月起生效). ⟲ above: on Reset.", classes=["cogov-note"])
        for group, heading in GROUPS:
            solara.HTML(unsafe_innerHTML=escape(heading), classes=["cogov-group"])
            for lever in (lv for lv in LEVERS if lv.group == group):
                with solara.Div(classes=["cogov-lever", "lever-" + lever.path.replace(".", "-")]):
                    _control(lever, lever.to_shown(values[lever.path]),
                             lambda shown, lever=lever: change(lever, shown))


def _control(lever: Lever, shown: Any, on_value: Callable[[Any], None]) -> None:
    """One lever's control: a checkbox, a menu, or a slider under a label with its value."""
    if lever.kind == "bool":
        solara.Checkbox(label=lever.label, value=shown, on_value=on_value)
        return
    if lever.kind == "choice":
        solara.Select(lever.label, values=[label for _, label in lever.choices], value=shown,
                      on_value=on_value)
        return
    text = f"{shown:,}" if lever.kind == "int" else f"{shown:.3g}"
    solara.HTML(unsafe_innerHTML=f"{escape(lever.label)} <b class='cogov-value'>{text}</b>",
                classes=["cogov-lever-label"])
    if lever.kind == "int":
        solara.SliderInt("", value=shown, min=int(lever.low), max=int(lever.high),
                         step=int(lever.step), on_value=on_value)
    else:
        solara.SliderFloat("", value=shown, min=lever.low, max=lever.high, step=lever.step,
                           on_value=on_value)


def reset_params(settings: DemoSettings, preset: str) -> dict[str, Any]:
    """SolaraViz ``model_params``: the preset (fixed) and what a Reset rebuilds with."""
    scenario = Scenario.load(settings.path(preset))
    return {
        "preset": preset,
        "presets": settings.presets,
        "seed": {"type": "InputText", "value": str(scenario.seed),
                 "label": "种子 seed ⟲"},
        "migrant_share": {"type": "SliderFloat", "value": scenario.population.migrant_share,
                          "min": 0.0, "max": 0.9, "step": 0.01,
                          "label": "流动 migrant_share ⟲"},
        "months": {"type": "SliderInt", "value": scenario.months, "min": 12, "max": 120,
                   "step": 6, "label": "月数 months ⟲"},
    }


@solara.component
def SidebarPanels(model: DemoModel) -> None:
    """The levers, below SolaraViz's controls in the sidebar."""
    _SidebarPanels(model)  # one level deeper than SolaraViz's sidebar: placed after it


@solara.component
def _SidebarPanels(model: DemoModel) -> None:
    with solara.Sidebar(), solara.Card("政策杠杆 Levers"):
        LeverPanel(model)


@solara.component
def Page() -> None:
    """The demo page of one browser session (each session has its own model)."""
    settings = solara.use_memo(DemoSettings.from_environment, [])
    preset, set_preset = solara.use_state(settings.default)
    first = solara.use_memo(lambda: DemoModel(preset=settings.default,
                                              presets=settings.presets), [])
    model = solara.use_reactive(first)

    def load(key: str | None) -> None:
        if key and key != preset:
            model.value = DemoModel(preset=key, presets=settings.presets)
            set_preset(key)

    solara.Style(CSS)
    # keyed by preset: a new preset remounts SolaraViz, so its Reset defaults are the preset's
    SolaraViz(model, components=[], model_params=reset_params(settings, preset),
              name="共建共治共享 Community co-governance", play_interval=250).key(preset)
    # the sidebar orders its parts by depth, then by mounting: keyed alike, the levers remount
    # with SolaraViz and stay below its Step/Play/Reset
    SidebarPanels(model.value).key(f"levers-{preset}")
    with solara.Column(classes=["cogov-main"]):
        Header(model.value, settings, load)
        with solara.ColumnsResponsive(12, large=[5, 7]):
            CommunityView(model.value)
            ChartsView(model.value)
        with solara.Card("杠杆说明 What the levers mean", classes=["cogov-explain"]):
            # plain HTML: solara's Markdown would fetch KaTeX from a CDN
            solara.HTML(unsafe_innerHTML="".join(f"<p><b>{escape(h)}.</b> {text}</p>"
                                                 for h, text in EXPLANATION))


# ---------------------------------------------------------------------------- the server
def serve(scenario_path: str | os.PathLike | None, port: int, open_browser: bool = False, *,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the demo on http://127.0.0.1:``port`` until interrupted (blocking).

    ``scenario_path`` (default ``scenarios/teaching.yaml``) is loaded first and checked at once:
    a bad file raises :class:`ScenarioError` before anything starts; a busy port raises
    ``OSError``. ``on_ready(url)`` is called once the server accepts connections, then the
    browser is opened if ``open_browser``.
    """
    path = Path(scenario_path) if scenario_path else DEFAULT_SCENARIO
    if not path.exists():
        raise ScenarioError(f"{path}: file not found")
    Scenario.load(path)  # bad input fails here, with its located message
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    # the page reads its scenario from here; solara reads its app and settings at import
    os.environ[ENV_SCENARIO] = str(path.resolve())
    os.environ["SOLARA_APP"] = "sim.app:Page"
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # no network here
    os.environ.setdefault("SOLARA_MODE", "production")
    import uvicorn

    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    # a known, harmless notice of solara on a plain-http localhost page
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    config = uvicorn.Config("solara.server.starlette:app", log_level="warning",
                            access_log=False, ws="auto")
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            if on_ready is not None:
                on_ready(url)
            if open_browser:
                webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    server.run(sockets=[sock])
