"""The demo page (sim/demo/page.py): SolaraViz can rebuild the model from the page's Reset
parameters, and only the page (and, when it serves, the server) loads the browser side."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sim.demo import page  # Mesa's visualization, imported quietly, before the test imports it
from sim.demo.adapter import DemoModel, DemoSettings, reset_params

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = DemoSettings.for_path(None)


def test_solaraviz_can_rebuild_the_model_from_its_params() -> None:
    """SolaraViz's Reset calls ``DemoModel(**model_params)``: every key must be a parameter."""
    from mesa.visualization.solara_viz import _check_model_params, split_model_params

    params = reset_params(SETTINGS, "haicang_cocreation")
    _check_model_params(DemoModel.__init__, params)  # raises if a key is not accepted
    adjustable, fixed = split_model_params(params)
    assert set(adjustable) == {"seed", "migrant_share", "months"}
    model = DemoModel(**fixed, **{k: v["value"] for k, v in adjustable.items()})
    assert model.scenario.name == "haicang_cocreation"
    assert model.scenario.population.migrant_share == 0.56
    assert model.scenario.months == 60 and model.scenario.seed == 1


def test_the_page_is_the_one_solara_serves() -> None:
    from sim import app

    assert app.Page is page.Page


def test_only_the_page_imports_the_browser_side() -> None:
    """The levers, the model adapter, the drawing, the font and the server (until it serves)
    run without solara, ipyvuetify or Mesa's visualization; so does the command line's
    ``sim.app``."""
    code = ("import sys, sim.demo.levers, sim.demo.adapter, sim.demo.community_svg, "
            "sim.demo.charts_svg, sim.demo.font, sim.demo.server, sim.app; "
            "print(sorted({m.split('.')[0] if not m.startswith('mesa.') else m "
            "for m in sys.modules if m.startswith(('solara', 'ipyvuetify', 'ipywidgets', "
            "'mesa.visualization'))}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]", out
