"""The teaching demo's entry point: ``cogov demo`` serves :func:`serve` (issue 4).

The demo lives in the package :mod:`sim.demo` (levers, model adapter, SVG drawing, page,
server); this module keeps the names the command line, the tests and SolaraViz use from
``sim.app``. It is a leaf: only the CLI imports it (STYLE.md). ``Page`` (solara) loads on first
use, so ``from sim.app import serve`` refuses a bad scenario before the browser side is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.demo.adapter import (
    DEFAULT_SCENARIO,
    ENV_SCENARIO,
    SCENARIO_DIR,
    DemoModel,
    DemoSettings,
    parse_seed,
    reset_params,
)
from sim.demo.charts_svg import CHARTS, chart_panels, history_of, nice_top, panel_svg
from sim.demo.community_svg import (
    ACTIVITY_STATES,
    BLOCK_GAP,
    CommunityMap,
    activity_state,
    community_caption,
    community_map,
    community_svg,
)
from sim.demo.levers import (
    EXPLANATION,
    GROUPS,
    LESSON_ORDER,
    LEVER_BY_PATH,
    LEVERS,
    PRESET_TITLES,
    Lever,
)
from sim.demo.server import serve

if TYPE_CHECKING:
    from sim.demo.page import Page

__all__ = [
    "ACTIVITY_STATES", "BLOCK_GAP", "CHARTS", "DEFAULT_SCENARIO", "ENV_SCENARIO", "EXPLANATION",
    "GROUPS", "LESSON_ORDER", "LEVERS", "LEVER_BY_PATH", "PRESET_TITLES", "SCENARIO_DIR",
    "CommunityMap", "DemoModel", "DemoSettings", "Lever", "Page", "activity_state",
    "chart_panels", "community_caption", "community_map", "community_svg", "history_of",
    "nice_top", "panel_svg", "parse_seed", "reset_params", "serve",
]


def __getattr__(name: str) -> Any:
    if name == "Page":  # the solara page (PEP 562): imported only when asked for
        from sim.demo.page import Page

        globals()["Page"] = Page
        return Page
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
