"""The demo's lever panel generated from the schema (sim/levers.py) is the panel the demo had
written by hand before it was generated (HAND_WRITTEN below, frozen from sim/app.py), field by
field, and the demo shows the generated one."""

from __future__ import annotations

import dataclasses

import pytest

from sim import levers, schema
from sim.demo import levers as demo
from sim.levers import Lever

HAND_WRITTEN: tuple[Lever, ...] = (
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
HAND_WRITTEN_GROUPS = (
    ("huanquan", "还权 Returning power"),
    ("funeng", "赋能 Empowerment"),
    ("guiwei", "归位 Back to proper roles"),
    ("outreach", "激励与动员 Incentives and outreach"),
)


def test_the_demo_shows_the_generated_panel():
    assert demo.LEVERS == levers.demo_levers() and demo.GROUPS == levers.GROUPS


def test_demo_levers_equal_the_hand_written_panel():
    """Every lever of the hand-written panel is generated, in the same order, field by field; a
    lever added since (its field with Label and Control) may stand between them."""
    by_path = {lever.path: lever for lever in levers.demo_levers()}
    order = [lever.path for lever in levers.demo_levers() if lever.path in
             {old.path for old in HAND_WRITTEN}]
    assert order == [lever.path for lever in HAND_WRITTEN]
    generated = [by_path[old.path] for old in HAND_WRITTEN]
    for new, old in zip(generated, HAND_WRITTEN, strict=True):
        for field in dataclasses.fields(old):
            if field.name == "en":  # the hand-written panel had Chinese labels only
                continue
            a, b = getattr(new, field.name), getattr(old, field.name)
            assert (a, type(a)) == (b, type(b)), f"{old.path}.{field.name}: {a!r} != {b!r}"


def test_groups_equal_the_hand_written_titles():
    assert levers.GROUPS == HAND_WRITTEN_GROUPS


def test_every_lever_has_an_english_label_from_the_schema():
    for lever in levers.demo_levers():
        label = schema.metadata(f"policy.{lever.path}", schema.Label)
        assert lever.en == label.en and lever.zh == label.zh


@pytest.mark.parametrize("lever", levers.demo_levers(), ids=lambda lever: lever.path)
def test_a_lever_round_trips_its_default(lever):
    default = schema.Scenario().policy.model_dump()
    for key in lever.path.split("."):
        default = default[key]
    assert lever.to_policy(lever.to_shown(default)) == default
    assert lever.label.startswith(f"{lever.zh} · {lever.path}")


def test_lever_by_path():
    assert levers.lever_by_path()["incentive.scheme"].kind == "choice"
