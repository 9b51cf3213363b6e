"""The demo's lever panel generated from the schema (sim/levers.py) is the panel the demo had
written by hand (sim.app.LEVERS, sim.app.GROUPS), field by field."""

from __future__ import annotations

import dataclasses

import pytest

from sim import levers, schema

app = pytest.importorskip("sim.app")


def test_demo_levers_equal_the_hand_written_panel():
    generated = levers.demo_levers()
    assert [lever.path for lever in generated] == [lever.path for lever in app.LEVERS]
    for new, old in zip(generated, app.LEVERS, strict=True):
        for field in dataclasses.fields(old):
            a, b = getattr(new, field.name), getattr(old, field.name)
            assert (a, type(a)) == (b, type(b)), f"{old.path}.{field.name}: {a!r} != {b!r}"


def test_groups_equal_the_hand_written_titles():
    assert levers.GROUPS == app.GROUPS


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
