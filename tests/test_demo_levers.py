"""The demo's levers (sim/demo/levers.py): every lever a policy key whose preset values sit on
its slider, conversions between policy values and what a control shows."""

from __future__ import annotations

from sim.demo.adapter import DemoSettings
from sim.demo.levers import LEVER_BY_PATH, LEVERS, describe
from sim.scenario import Policy, Scenario

SETTINGS = DemoSettings.for_path(None)


def test_every_lever_is_a_policy_key_whose_preset_values_sit_on_the_slider() -> None:
    """A slider that cannot show a preset's value would clip or snap it: no lever moves unless
    the teacher moves it."""
    assert len(LEVER_BY_PATH) == len(LEVERS)
    for key, path in SETTINGS.presets:
        data = Scenario.load(path).policy.model_dump()
        for lever in LEVERS:
            value = data
            for part in lever.path.split("."):
                value = value[part]
            assert lever.to_policy(lever.to_shown(value)) == value, (key, lever.path)
            if lever.kind in ("float", "int"):
                shown = lever.to_shown(value)
                assert lever.low <= shown <= lever.high, (key, lever.path, shown)
                steps = (shown - lever.low) / lever.step
                assert abs(steps - round(steps)) < 1e-6, (key, lever.path, shown)
    policy_fields = set(Policy.model_fields)
    assert {lever.path.split(".")[0] for lever in LEVERS} <= policy_fields


def test_lever_conversions_by_hand() -> None:
    fund = LEVER_BY_PATH["fund_per_community"]
    assert fund.to_shown(200_000.0) == 20 and fund.to_policy(7) == 70_000
    scheme = LEVER_BY_PATH["incentive.scheme"]
    assert scheme.to_shown("points") == "points 积分"
    assert scheme.to_policy("points 积分") == "points"
    assert LEVER_BY_PATH["party.dual_registration"].to_policy(1) is True
    assert "fund_per_community" in fund.label and "社区资金" in fund.label


def test_describe_writes_the_chinese_name_and_the_shown_value() -> None:
    assert describe({"fund_per_community": 0}) == "社区资金 0万元/年"
    assert describe({"devolution": 0.5, "foundation": True}) == "居民议定 0.5, 社区基金会 True"
    assert describe({"months": 12}) == "months 12"  # not a lever: its key and value
