"""The schema's field metadata (sim/schema.py): every parameter declares its unit and source,
every lever its Chinese and English label, every demo control a valid group and choices; the
metadata is read the way the rest of the code reads it (issue 8 §4)."""

from __future__ import annotations

import typing

import pytest

from sim import schema
from sim.errors import ScenarioError
from sim.schema import Control, Label, Param, Scenario

PARAMETERS = dict(schema.parameters())


@pytest.mark.parametrize("path", sorted(PARAMETERS))
def test_every_parameter_has_a_unit_and_a_source(path):
    param = PARAMETERS[path]
    assert isinstance(param, Param), f"{path}: declare Param(unit, source) on the field"
    assert param.unit.strip(), f"{path}: empty unit"
    assert param.sources, f"{path}: no source (a key of schema.SOURCES, 'assumption' or " \
                          "'calibrated')"
    known = {*schema.SOURCES, *schema.SOURCE_WORDS}
    unknown = [s for s in param.sources if s not in known]
    assert not unknown, f"{path}: unknown source {unknown}; add it to schema.SOURCES"


@pytest.mark.parametrize("path", sorted(p for p in PARAMETERS if schema.is_lever(p)))
def test_every_lever_has_a_chinese_and_an_english_label(path):
    label = schema.metadata(path, Label)
    assert isinstance(label, Label), f"{path}: declare Label(zh, en) on the field"
    assert any("\u4e00" <= c <= "\u9fff" for c in label.zh), f"{path}: zh {label.zh!r}"
    assert label.en.strip() and label.en.isascii(), f"{path}: en {label.en!r}"


def test_every_demo_control_is_a_labelled_lever_in_a_known_group():
    groups = {key for key, _, _ in schema.LEVER_GROUPS}
    controls = {p: schema.metadata(p, Control) for p in schema.key_paths()}
    controls = {p: c for p, c in controls.items() if c is not None}
    assert controls, "no field declares a demo Control"
    for path, control in controls.items():
        assert schema.is_lever(path), f"{path}: the lever panel shows policy keys only"
        assert control.group in groups, f"{path}: unknown group {control.group!r}"
        assert schema.metadata(path, Label) is not None, f"{path}: a control needs a Label"
        info = schema.field_at(Scenario, tuple(path.split(".")))
        if typing.get_origin(info.annotation) is typing.Literal:
            assert [v for v, _ in control.choices] == list(typing.get_args(info.annotation)), (
                f"{path}: give a label for each allowed value, in order")
        elif control.kind != "bool" and info.annotation is not bool:
            assert control.low < control.high and control.step > 0, path


def test_metadata_on_a_container_holds_for_its_numbers():
    assert schema.metadata("population.public_spirit.a", Param).unit == "Beta shape"
    assert schema.metadata("behavior.alpha.monitor", Param).sources == ("calibrated",)
    assert schema.metadata("behavior.cost.youth", Param).sources == ("calibrated",)
    assert schema.metadata("policy.nowhere", Param) is None
    assert schema.metadata("structure.small_world_degree", Label) is None


def test_param_and_label_read_as_declared():
    param = schema.metadata("structure.social_orgs_per_10k", Param)
    assert param == Param("organizations/10,000 residents", "bluebook2023", "seed003")
    assert param.source == "bluebook2023, seed003"
    assert schema.metadata("policy.party.dual_registration", Label) == Label("双报到",
                                                                           "dual registration")


def test_key_paths_and_bounds():
    paths = schema.key_paths()
    assert paths[:4] == ["name", "description", "seed", "months"]
    assert "policy.grid.workers_per_grid" in paths and "policy.grid" not in paths
    assert schema.bounds(Scenario, ("policy", "devolution")) == (0.0, 1.0)
    assert schema.bounds(Scenario, ("policy", "fund_per_community")) == (0.0, None)
    assert schema.field_at(Scenario, ("policy", "nowhere")) is None
    assert schema.fields_at(Scenario, ("policy", "party")) == ["contacts_per_month",
                                                               "dual_registration"]


def test_figures_name_parameters_by_their_declared_label_and_unit():
    label = schema.metadata("policy.devolution", schema.Label)
    unit = schema.metadata("policy.devolution", schema.Param).unit
    assert schema.display_name("policy.devolution") == f"{label.en} · policy.devolution ({unit})"
    beta_unit = schema.metadata("behavior.beta_cost", schema.Param).unit
    assert schema.display_name("behavior.beta_cost") == f"behavior.beta_cost ({beta_unit})"
    assert schema.display_name("x1") == "x1"  # a test function's input: no schema entry


@pytest.mark.parametrize("key", sorted(schema.RETIRED))
def test_a_retired_key_is_refused_with_what_replaced_it(key):
    """A lever whose mechanism was rebuilt in issue 9 must not be silently ignored."""
    data: dict = {}
    node = data
    *head, last = key.split(".")
    for part in head:
        node = node.setdefault(part, {})
    node[last] = 0.5
    with pytest.raises(ScenarioError) as raised:
        Scenario.from_dict(data)
    assert "retired in issue 9" in str(raised.value) and key in str(raised.value)


@pytest.mark.parametrize("key", sorted(k for k in schema.RETIRED if k.startswith("policy.")))
def test_a_retired_policy_key_in_a_scheduled_change_is_refused_the_same_way(key):
    data = {"months": 24, "policy": {"schedule": [
        {"month": 12, "set": {key.removeprefix("policy."): 0.5}}]}}
    with pytest.raises(ScenarioError) as raised:
        Scenario.from_dict(data)
    assert "retired in issue 9" in str(raised.value)


@pytest.mark.parametrize("key", sorted(schema.RETIRED))
def test_a_retired_key_as_an_experiment_parameter_is_refused_the_same_way(key, tmp_path):
    from sim.experiment import load_experiment

    base = tmp_path / "base.yaml"
    base.write_text("seed: 1\nmonths: 12\n")
    exp = tmp_path / "exp.yaml"
    exp.write_text(f"scenario: base.yaml\nmethod: grid\nparameters: {{{key}: [0, 1]}}\n"
                   "metrics: [participation_any_last12]\n")
    with pytest.raises(ScenarioError) as raised:
        load_experiment(exp)
    assert f"{exp}:3 parameters.{key}: '{key.rsplit('.', 1)[-1]}' was retired in issue 9" \
        in str(raised.value)
