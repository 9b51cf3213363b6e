"""The charts (sim/demo/charts_svg.py): round axis tops, and a panel per chart with every metric
drawn and the policy changes marked."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from sim.demo.adapter import DemoModel, DemoSettings
from sim.demo.charts_svg import CHARTS, chart_panels, history_of, nice_top

SETTINGS = DemoSettings.for_path(None)


def teaching(**kwargs) -> DemoModel:
    return DemoModel(preset="teaching", presets=SETTINGS.presets, **kwargs)


@pytest.mark.parametrize("value, expected", [
    (10, (10, 2)), (7.3, (8, 2)), (0.42, (0.5, 0.1)), (1234, (1250, 250)), (25, (25, 5)),
    (0, (1, 0.25)),
])
def test_nice_axis_top_by_hand(value, expected) -> None:
    top, step = nice_top(value)
    assert (top, step) == pytest.approx(expected)
    assert top >= value and 2 <= round(top / step) <= 5 or value == 0


def test_chart_panels_draw_each_metric_and_mark_policy_changes() -> None:
    model = teaching().run(2)
    model.request({"fund_per_community": 0})
    model.run(5)
    marks = [m for m, _ in model.change_marks()]
    panels = chart_panels(history_of(model), model.scenario.months, marks)
    assert len(panels) == len(CHARTS) == 6
    drawn = {metric for _, _, lines in CHARTS for metric, _, _ in lines}
    assert drawn >= {"participation_deliberate", "participation_migrant", "participation_party",
                     "mean_trust", "mean_efficacy", "mean_dependency", "fund_spent",
                     "fund_leaked", "fund_carried", "self_orgs_active", "social_orgs_active"}
    for title, legend, svg in panels:
        tree = ET.fromstring(svg)
        ns = "{http://www.w3.org/2000/svg}"
        assert title and legend
        assert len(tree.findall(f"{ns}line[@stroke-dasharray]")) == 1  # the month-3 change
        assert "nan" not in svg
    fund = dict(zip(CHARTS, panels, strict=True))[CHARTS[3]][2]
    assert "<polyline" in fund  # carried
