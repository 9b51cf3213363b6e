"""Scenario files (sim/scenario.py): YAML that loads or is refused located, finite numbers, the
horizon of scheduled changes, and settings that cannot act (issue 7 §4–5)."""

from __future__ import annotations

import functools
import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import cli
from sim.runner import run_replicate
from sim.scenario import (
    ActiveWhen,
    Problem,
    Scenario,
    ScenarioError,
    delayed_changes,
    dependencies,
    inert_settings,
    load_located,
    parse_assignments,
)

BASE = """\
name: base
seed: 1
months: 13
structure: {residents_per_community: 60}
policy: {fund_per_community: 200000}
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        Scenario.load(path)
    return err.value.problems


# ------------------------------------------------------------------------------ YAML
def test_merge_keys_load_like_the_written_out_mapping(tmp_path):
    merged = write(tmp_path, BASE.replace(
        "policy: {fund_per_community: 200000}",
        "policy: {<<: {devolution: 0.8, transparency: 0.7}, fund_per_community: 200000}"))
    plain = write(tmp_path, BASE.replace(
        "policy: {fund_per_community: 200000}",
        "policy: {devolution: 0.8, transparency: 0.7, fund_per_community: 200000}"), "p.yaml")
    assert Scenario.load(merged) == Scenario.load(plain)
    assert cli.main(["validate", str(merged)]) == 0


def test_a_merged_key_is_located_at_the_line_that_wrote_it(tmp_path):
    path = write(tmp_path, """\
name: anchors
shared: &levers
  devolution: 1.5
  transparency: 0.7
policy:
  <<: *levers
  fund_per_community: 200000
""")
    problems = problems_of(path)
    assert f"{path}:3 policy.devolution: must be between 0 and 1, got 1.5" in problems
    assert f"{path}:2 shared: unknown key 'shared'" in problems[0] + problems[-1] or any(
        p.startswith(f"{path}:2 shared: unknown key") for p in problems)


ODD_YAML = {
    "merge in a schedule": "policy:\n  schedule:\n    - {month: 2, set: {<<: {devolution: 0.5}}}\n",
    "alias to its own anchor": "policy: &p {devolution: *p}\n",
    "sequence containing itself": "a: &x [1, *x]\n",
    "unknown tag": "name: !foo bar\n",
    "python tag": "name: !!python/object:os.system 'ls'\n",
    "binary tag": "name: !!binary aGVsbG8=\n",
    "empty file": "",
    "empty documents": "---\n---\n",
    "two documents": "name: a\n---\nname: b\n",
    "non-string keys": "1: 2\nnull: 3\n",
    "complex key": "? [a, b]\n: 1\n",
    "deeply nested lists": "a: " + "[" * 600 + "]" * 600 + "\n",
    "deeply nested mappings": "".join("  " * i + "a:\n" for i in range(300)) + "  " * 300
    + "a: 1\n",
    "a list": "- 1\n- 2\n",
    "a scalar": "hello\n",
    "duplicate keys": "name: a\nname: b\n",
    "a date": "name: 2020-01-01\n",
    "undefined alias": "name: *nowhere\n",
    "tab indentation": "policy:\n\tdevolution: 1\n",
    "non-string keys in a change": "policy:\n  schedule:\n    - {month: 2, set: {1: 2, null: 3}}\n",
    "experiment with merged parameters": "method: grid\nparameters: {<<: {policy.devolution: "
    "[0, 1]}}\nscenario: nowhere.yaml\nmetrics: [a]\n",
    "experiment of odd shapes": "method: grid\nparameters: [1, 2]\nscenario: 3\nmetrics: {a: 1}\n",
    "experiment with odd keys": "method: grid\nparameters: {null: [1], 1: {bounds: {a: 1}}}\n"
    "target: 'sim.testfunctions:ishigami'\nmetrics: [y]\n",
}


def assert_validates_without_crashing(path: Path, capsys) -> None:
    code = cli.main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert code in (0, 2), err  # 1 would be a crash reported as a failed run
    assert "Traceback" not in err and "cogov: error" not in err
    if code == 2:
        assert err.strip().startswith(str(path)), err  # located in the file


@pytest.mark.parametrize("text", ODD_YAML.values(), ids=ODD_YAML.keys())
def test_validate_never_crashes_on_odd_yaml(tmp_path, capsys, text):
    assert_validates_without_crashing(write(tmp_path, text), capsys)


KEYS = st.sampled_from(["name", "months", "policy", "devolution", "schedule", "month", "set",
                        "<<", "1", "null", "method", "parameters", "bounds", "values", "x",
                        "fund_per_community", "policy.devolution", "extends", "? [a]"])
SCALARS = st.sampled_from(["1", "0.5", "-3", ".inf", "-.inf", ".nan", "~", "true", "x", "''",
                           "!foo 1", "!!str 2", "!!binary aGk=", "2020-01-01", "*a", "[]", "{}",
                           "1e400", "0x1F", "base.yaml", "none"])


def flow(node: Any) -> str:
    if isinstance(node, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in node.items()) + "}"
    if isinstance(node, list):
        return "[" + ", ".join(flow(v) for v in node) + "]"
    return node


TREES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(KEYS, inner, max_size=4), max_leaves=12)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(top=st.dictionaries(KEYS, TREES, max_size=5), anchor=st.booleans())
def test_validate_never_crashes_on_generated_yaml(tmp_path, capsys, top, anchor):
    lines = [f"{key}: {'&a ' if anchor and i == 0 else ''}{flow(value)}"
             for i, (key, value) in enumerate(top.items())]
    assert_validates_without_crashing(write(tmp_path, "\n".join(lines) + "\n"), capsys)


# ------------------------------------------------------------------------ finite numbers
@pytest.mark.parametrize(("setting", "line"), [
    ("policy: {fund_per_community: .inf}", 5),
    ("policy: {fund_per_community: -.inf}", 5),
    ("behavior: {beta_stake: .nan}", 5),
    ("behavior: {beta_stake: .inf}", 5),
])
def test_non_finite_numbers_are_refused_located(tmp_path, setting, line):
    key, value = setting.split(": {")[0], setting.split(": {")[1].rstrip("}")
    path = write(tmp_path, BASE.replace("policy: {fund_per_community: 200000}", setting))
    leaf, given_ = value.split(": ")
    shown = {".inf": "inf", "-.inf": "-inf", ".nan": "nan"}[given_]
    assert problems_of(path) == [f"{path}:{line} {key}.{leaf}: input should be a finite number, "
                                 f"got {shown}"]


def test_non_finite_numbers_are_refused_in_scheduled_changes_and_overrides(tmp_path):
    path = write(tmp_path, BASE.replace(
        "policy: {fund_per_community: 200000}",
        "policy:\n  schedule:\n    - {month: 2, set: {fund_per_community: .inf}}"))
    assert any(p.startswith(f"{path}:7 policy.schedule[0].set.fund_per_community: input should "
                            "be a finite number") for p in problems_of(path))
    with pytest.raises(ScenarioError, match="finite number"):
        Scenario().with_overrides({"policy.devolution": float("nan")})


# ----------------------------------------------------------------------------- horizon
HORIZON = BASE.replace("months: 13", "months: 24").replace(
    "policy: {fund_per_community: 200000}",
    "policy:\n  fund_per_community: 200000\n  schedule:\n    - {month: 20, set: "
    "{fund_per_community: 0}}")


def test_a_change_after_the_horizon_is_refused_located(tmp_path):
    path = write(tmp_path, HORIZON.replace("month: 20", "month: 30"))
    assert problems_of(path) == [
        f"{path}:8 policy.schedule[0].month: month 30 is after the horizon (months: 24), so the "
        "change would never take effect; drop it or run at least 30 months"]
    assert cli.main(["validate", str(path)]) == 2


def test_the_horizon_is_judged_after_months_and_set(tmp_path, capsys):
    path = write(tmp_path, HORIZON)
    out = tmp_path / "out"
    assert cli.main(["run", str(path), "--months", "12", "--out", str(out)]) == 2
    assert "policy.schedule[0].month: month 20 is after the horizon (months: 12)" \
        in capsys.readouterr().err
    assert not out.exists()
    assert cli.main(["run", str(path), "--set", "months=12", "--out", str(out)]) == 2
    late = write(tmp_path, HORIZON.replace("month: 20", "month: 30"), "late.yaml")
    assert Scenario.load(late, {"months": 36}, "--months").months == 36
    args = cli.build_parser().parse_args(["run", str(late), "--months", "36"])
    assert cli.load_scenario(late, args).months == 36  # what `cogov run` would run


# -------------------------------------------------------------------------- inert settings
def _other_value(scenario: Scenario, key: str) -> Any:
    """A valid value of ``key`` different from its current one."""
    current = scenario.model_dump()
    for part in key.split("."):
        current = current[part]
    if isinstance(current, dict):  # a section: its first number, well beyond the others
        first = next(iter(current))
        return {**current, first: 10 * max(current.values()) + 1}
    if isinstance(current, bool):
        return not current
    if isinstance(current, int):
        return current + 1
    return 0.9 if current < 0.5 else current / 2 + 0.01


ON_VALUES = {"policy.fund_per_community": 1_000_000, "policy.training_rate": 1.0,
             "policy.devolution": 0.8, "policy.purchase_share": 1.0}


def _leaf_value(leaf: ActiveWhen, on: bool) -> Any:
    """A value of the leaf condition's switch that turns it on (or off)."""
    if leaf.above is not None:
        return ON_VALUES.get(leaf.switch, leaf.above + 2) if on else leaf.above
    if on:
        return leaf.values[0]
    return next(v for v in ("none", "points", False) if not leaf.on(v)
                and isinstance(v, type(leaf.values[0])))


def _switch_to(scenario: Scenario, key: str, on: bool, leaves=None) -> Scenario:
    """``scenario`` with every switch of ``key``'s condition on (or off); with ``leaves``, just
    those conditions on and every other one off."""
    dep = dependencies()[key]
    return scenario.with_overrides({
        leaf.switch: _leaf_value(leaf, on if leaves is None else leaf in leaves)
        for leaf in dep.leaves()})


def _minimal_ways_on(dep: ActiveWhen) -> list[tuple[ActiveWhen, ...]]:
    """Every smallest set of leaf conditions that makes ``dep`` hold (one per alternative of an
    any-of)."""
    leaves = dep.leaves()
    ways = []
    for size in range(1, len(leaves) + 1):
        for chosen in itertools.combinations(leaves, size):
            if dep.holds(lambda leaf, chosen=chosen: leaf in chosen) and not any(
                    set(way) <= set(chosen) for way in ways):
                ways.append(chosen)
    return ways


# Every switch on, three fund cycles, two communities of one street whose organizations
# compete for contracts, a street office short of hours (so that resolving on the spot
# matters) and no party contacts (so that grid visits do).
RICH = Scenario.from_dict({
    "seed": 3, "months": 39,
    "structure": {"residents_per_community": 2000, "social_orgs_per_10k": 10,
                  "communities_per_street": 2,
                  "street_staff_hours_per_community": 10},
    "policy": {"fund_per_community": 200_000, "devolution": 0.8, "purchase_share": 0.8,
               "transparency": 0.7, "training_rate": 0.5, "resident_evaluation": True,
               "foundation": True, "foundation_match": 0.5, "incentive": {"scheme": "time_bank"},
               "grid": {"workers_per_grid": 2}, "party": {"contacts_per_month": 0,
                                                          "dual_registration": True}},
    # donations large enough that a foundation alone funds projects within two cycles; fatigue
    # at its pre-issue-10 default (at 0.03, under a foundation alone, self_org_capacity
    # changed nothing by month 39: this world is built to bring every key to life)
    "behavior": {"donation_yuan_per_month": 100.0, "public_spirit_fatigue": 0.02},
})


def _outputs(scenario: Scenario) -> np.ndarray:
    return _outputs_of(scenario.model_dump_json())


@functools.cache
def _outputs_of(scenario_json: str) -> np.ndarray:
    """One run per distinct scenario (the switched-on and switched-off bases recur)."""
    frame, _ = run_replicate(Scenario.model_validate_json(scenario_json), 0)
    return frame.select_dtypes("number").to_numpy()


@pytest.mark.parametrize("key", sorted(dependencies()))
def test_a_declared_dependency_is_real(key):
    """With its switch off, a key changes nothing in a run, bit for bit; with it on, it
    changes the run (so the declaration is neither missing nor vacuous)."""
    off = _switch_to(RICH, key, on=False)
    assert np.array_equal(_outputs(off), _outputs(off.with_overrides(
        {key: _other_value(off, key)})))
    on = _switch_to(RICH, key, on=True)
    assert not np.array_equal(_outputs(on), _outputs(on.with_overrides(
        {key: _other_value(on, key)})))


WAYS_ON = [(key, way) for key, dep in sorted(dependencies().items()) if len(dep.leaves()) > 1
           for way in _minimal_ways_on(dep)]


@pytest.mark.parametrize(("key", "way"), WAYS_ON,
                         ids=[f"{k}-{'+'.join(leaf.switch for leaf in w)}" for k, w in WAYS_ON])
def test_each_way_a_condition_names_brings_the_key_to_life(key, way):
    """A key with several switches acts under each alternative alone (a foundation without a
    fund makes devolution act; so does a fund without a foundation): no alternative is
    vacuous, and with every switch off (previous test) it is inert."""
    on = _switch_to(RICH, key, on=True, leaves=way)
    others = [_other_value(on, key)]
    if isinstance(others[0], float):  # a weak effect may show only at an extreme
        others += [0.0, 1.0]
    assert any(not np.array_equal(_outputs(on), _outputs(on.with_overrides({key: other})))
               for other in others)


def test_an_inert_setting_warns_in_validate_and_run_with_its_line(tmp_path, capsys):
    path = write(tmp_path, BASE.replace(
        "policy: {fund_per_community: 200000}",
        "policy:\n  fund_per_community: 200000\n  foundation_match: 0.5\n"
        "  incentive: {points_per_activity: 20}"))
    assert cli.main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert f"OK {path}" in captured.out
    assert (f"{path}:7 policy.foundation_match: warning: has no effect: it acts only when "
            "policy.foundation is true, and policy.foundation is false here") in captured.err
    assert (f"{path}:8 policy.incentive.points_per_activity: warning: has no effect: it acts "
            "only when policy.incentive.scheme is points, and policy.incentive.scheme is none "
            "here") in captured.err
    assert cli.main(["run", str(path), "--out", str(tmp_path / "out")]) == 0
    assert f"{path}:7 policy.foundation_match: warning" in capsys.readouterr().err
    args = cli.build_parser().parse_args(["run", str(path), "--set", "policy.foundation=true",
                                          "--set", "policy.incentive.scheme=points"])
    assert cli.load_scenario(path, args).policy.foundation
    assert "warning" not in capsys.readouterr().err


def test_a_switch_turned_on_by_the_schedule_makes_the_key_active(tmp_path):
    path = write(tmp_path, BASE.replace(
        "policy: {fund_per_community: 200000}",
        "policy:\n  foundation_match: 0.5\n  schedule:\n    - {month: 6, set: {foundation: "
        "true}}"))
    scenario, where = load_located(path)
    assert inert_settings(scenario, where, str(path)) == []
    off = write(tmp_path, path.read_text().replace("foundation: true", "transparency: 0.9"),
                "off.yaml")
    scenario, where = load_located(off)
    assert inert_settings(scenario, where, str(off)) == [
        f"{off}:6 policy.foundation_match: warning: has no effect: it acts only when "
        "policy.foundation is true, and policy.foundation is false here and no scheduled "
        "change turns it on"]


def test_levers_without_money_or_grids_warn_and_with_them_do_not(tmp_path):
    """Issue 7 §4 (new-user check): with no fund, devolution, purchase_share, base_leakage and
    override_propensity change nothing (bit for bit), and with no grid workers and no party
    contacts neither does the grid size; each warns, naming its condition. Transparency still
    acts without a fund (voters hear that nothing was delivered), so it never warns."""
    path = write(tmp_path, BASE.replace("policy: {fund_per_community: 200000}", """\
policy:
  devolution: 0.8
  purchase_share: 0.5
  transparency: 0.9
  grid: {workers_per_grid: 0, households_per_grid: 100}
  party: {contacts_per_month: 0}
behavior: {base_leakage: 0.4, override_propensity: 0.9}"""))
    scenario, where = load_located(path)
    money = ("has no effect: it acts only when policy.fund_per_community > 0 or "
             "policy.foundation is true, and policy.fund_per_community is 0.0 and "
             "policy.foundation is false here")
    assert inert_settings(scenario, where, str(path)) == [
        f"{path}:11 behavior.override_propensity: warning: has no effect: it acts only when "
        "policy.devolution > 0 and (policy.fund_per_community > 0 or policy.foundation is "
        "true), and policy.devolution is 0.8 and policy.fund_per_community is 0.0 and "
        "policy.foundation is false here",
        f"{path}:11 behavior.base_leakage: warning: {money}",
        f"{path}:6 policy.devolution: warning: {money}",
        f"{path}:7 policy.purchase_share: warning: {money}",
        f"{path}:9 policy.grid.households_per_grid: warning: has no effect: it acts only when "
        "policy.grid.workers_per_grid > 0 or policy.party.contacts_per_month > 0, and "
        "policy.grid.workers_per_grid is 0 and policy.party.contacts_per_month is 0 here"]
    for on in ({"policy.foundation": True}, {"policy.fund_per_community": 200_000.0}):
        assert not any("policy.devolution" in w for w in inert_settings(
            scenario.with_overrides(on)))
    assert inert_settings(scenario.with_overrides({"policy.party.contacts_per_month": 6,
                                                   "policy.foundation": True})) == []


def test_a_fund_change_mid_cycle_warns_when_it_takes_effect(tmp_path, capsys):
    """Issue 11 new-user check: a fund set to 0 at month 7 ran on until month 13, yet nothing
    said so; a change in the cycle's deliberation months acts at once and does not warn."""
    path = write(tmp_path, BASE.replace("months: 13", "months: 24").replace(
        "policy: {fund_per_community: 200000}", """policy:
  fund_per_community: 200000
  schedule:
    - {month: 7, set: {fund_per_community: 0, devolution: 0.5}}
    - {month: 14, set: {fund_growth: 0.1}}
    - {month: 16, set: {purchase_share: 0.5}}"""))
    scenario, where = load_located(path)
    assert delayed_changes(scenario, where, str(path)) == [
        f"{path}:8 policy.schedule[0].set.fund_per_community: warning: the fund is set once a "
        "year, at the start of each fund cycle (months 1, 13, 25, …): this change takes effect "
        "at month 13",
        f"{path}:10 policy.schedule[2].set.purchase_share: warning: contracts are let once a "
        "year, at the vote of each fund cycle (months 3, 15, 27, …): this change takes effect "
        "at month 27, after the horizon (months: 24), so it never acts in this run"]
    assert cli.main(["validate", str(path)]) == 0
    assert "policy.schedule[0].set.fund_per_community: warning" in capsys.readouterr().err


def test_a_fund_change_waits_for_the_next_cycle_bit_for_bit():
    """What the warning says: the fund set to 0 at month 4 or at month 13 is the same run, and
    at month 3 (the vote) another one."""
    def run(month: int) -> Any:
        scenario = Scenario.from_dict({"seed": 1, "months": 15,
                                       "structure": {"residents_per_community": 60},
                                       "policy": {"fund_per_community": 200000, "schedule": [
                                           {"month": month,
                                            "set": {"fund_per_community": 0}}]}})
        return run_replicate(scenario, 0)[0].drop(columns=["scenario"])

    later = run(13)
    assert run(4).equals(later)
    assert not run(3).equals(later)


def test_defaults_never_warn():
    assert inert_settings(Scenario()) == []


# -------------------------------------------------------- extends, lines, located problems
def located_of(path: Path) -> list[Problem]:
    with pytest.raises(ScenarioError) as err:
        Scenario.load(path)
    assert err.value.problems == [str(p) for p in err.value.located]
    return err.value.located


def test_an_extends_cycle_is_refused_naming_the_chain(tmp_path):
    a = write(tmp_path, "extends: b.yaml\nname: a\n", "a.yaml")
    write(tmp_path, "extends: c.yaml\nname: b\n", "b.yaml")
    write(tmp_path, "extends: a.yaml\nname: c\n", "c.yaml")
    [problem] = located_of(a)
    assert problem.key == "extends" and problem.file == str(a)
    assert problem.message.startswith("cycle ")
    assert [Path(p).name for p in problem.message.removeprefix("cycle ").split(" → ")] == [
        "a.yaml", "b.yaml", "c.yaml", "a.yaml"]
    itself = write(tmp_path, "extends: self.yaml\n", "self.yaml")
    assert located_of(itself)[0].message.startswith("cycle ")


def test_a_problem_is_located_in_the_file_of_the_extends_chain_that_wrote_it(tmp_path):
    write(tmp_path, "name: root\npolicy:\n  transparency: 0.5\n  devolution: 1.5\n", "root.yaml")
    write(tmp_path, "extends: root.yaml\nname: middle\nmonths: 24\n", "middle.yaml")
    leaf = write(tmp_path, "extends: middle.yaml\nname: leaf\n\nstructure:\n"
                 "  street_offices: 0\n", "leaf.yaml")
    problems = located_of(leaf)
    assert {(Path(p.file).name, p.line, p.key) for p in problems} == {
        ("root.yaml", 4, "policy.devolution"), ("leaf.yaml", 5, "structure.street_offices")}
    assert f"{tmp_path / 'root.yaml'}:4 policy.devolution: must be between 0 and 1, got 1.5" \
        in [str(p) for p in problems]


def test_a_key_set_again_down_the_chain_is_located_where_it_was_set_last(tmp_path):
    write(tmp_path, "name: root\npolicy: {devolution: 0.5}\n", "root.yaml")
    leaf = write(tmp_path, "extends: root.yaml\nname: leaf\npolicy:\n  devolution: 2\n",
                 "leaf.yaml")
    [problem] = located_of(leaf)
    assert (problem.file, problem.line, problem.key) == (str(leaf), 4, "policy.devolution")


def test_an_error_inside_a_scheduled_change_points_at_its_line(tmp_path):
    path = write(tmp_path, BASE.replace("policy: {fund_per_community: 200000}", """\
policy:
  fund_per_community: 200000
  schedule:
    - month: 3
      set:
        devolution: 0.5
        transparency: 7
    - month: 5
      set: {incentive.scheme: cash}
    - month: 6
      set:
        incentive:
          sceme: points
"""))
    problems = {p.key: p for p in located_of(path)}
    assert set(problems) == {"policy.schedule[0].set.transparency",
                             "policy.schedule[1].set.incentive.scheme",
                             "policy.schedule[2].set.incentive.sceme"}
    assert problems["policy.schedule[0].set.transparency"].line == 11
    assert problems["policy.schedule[0].set.transparency"].message == (
        "must be between 0 and 1, got 7")
    assert problems["policy.schedule[1].set.incentive.scheme"].line == 13
    assert problems["policy.schedule[2].set.incentive.sceme"].line == 17
    assert "did you mean 'scheme'" in problems["policy.schedule[2].set.incentive.sceme"].message


def test_a_value_in_the_way_of_a_scheduled_section_is_located(tmp_path):
    path = write(tmp_path, BASE.replace(
        "policy: {fund_per_community: 200000}",
        "policy:\n  schedule:\n    - month: 2\n      set: {devolution.x: 1}\n"))
    [problem] = located_of(path)
    assert (problem.key, problem.line) == ("policy.schedule[0].set.devolution.x", 8)
    assert problem.message == "'devolution' is a value, not a section"


def test_a_late_change_is_located_at_its_month(tmp_path):
    path = write(tmp_path, HORIZON.replace("month: 20", "month: 30"))
    [problem] = located_of(path)
    assert (problem.file, problem.line, problem.key) == (str(path), 8,
                                                         "policy.schedule[0].month")


def test_overrides_are_located_at_their_origin(tmp_path):
    path = write(tmp_path, BASE)
    with pytest.raises(ScenarioError) as err:
        Scenario.load(path, parse_assignments(["policy.devolution=3"]))
    [problem] = err.value.located
    assert (problem.file, problem.line, problem.key) == ("--set", None, "policy.devolution")
    assert str(problem) == "--set policy.devolution: must be between 0 and 1, got 3"
    with pytest.raises(ScenarioError) as err:
        parse_assignments(["policy.devolution"])
    assert str(err.value) == "--set policy.devolution: expected key.path=value"


def test_problem_formats_what_it_knows():
    assert str(Problem("bad", "x.yaml", 3, "policy.devolution")) == \
        "x.yaml:3 policy.devolution: bad"
    assert str(Problem("file not found", "x.yaml")) == "x.yaml: file not found"
    assert str(Problem("must be a mapping", "x.yaml", 1, "")) == \
        "x.yaml:1 (top level): must be a mapping"
    assert str(Problem("is a value", key="a.b")) == "a.b: is a value"
    assert ScenarioError("plain text").located == [Problem("plain text")]


def test_one_merge_rule_for_files_overrides_and_sweeps(tmp_path):
    """A file, a --set and a sweep that name one key of a section keep the section's other
    defaults alike (a sweep row varying population.trust.a must rerun with --set)."""
    path = tmp_path / "q.yaml"
    path.write_text("name: q\npopulation: {trust: {a: 4}, employed: {elder: 0.2}}\n",
                    encoding="utf-8")
    from_file = Scenario.load(path)
    default = Scenario()
    assert from_file.population.trust.a == 4 and from_file.population.trust.b == \
        default.population.trust.b
    assert from_file.population.employed.youth == default.population.employed.youth
    by_override = Scenario(name="q").with_overrides(
        {"population.trust.a": 4, "population.employed.elder": 0.2})
    assert by_override == from_file
    located, _ = load_located(tmp_path / "q.yaml", {"population.efficacy.b": 5})
    assert located.population.efficacy.a == default.population.efficacy.a
    assert located.population.trust.a == 4


@pytest.mark.parametrize(("setting", "line", "key"), [
    ("months: true", 3, "months"),
    ("policy: {fund_per_community: 200000, devolution: true}", 5, "policy.devolution"),
    ("structure: {residents_per_community: 60, street_offices: true}", 4,
     "structure.street_offices"),
    ("population: {trust: {a: false, b: 3}}", 6, "population.trust.a"),
])
def test_a_switch_word_for_a_number_is_refused_located(tmp_path, setting, line, key):
    """Issue 7 §4 (new-user check): ``months: true`` ran 1 month (pydantic reads a bool as 1)."""
    head = setting.split(":")[0]
    text = "\n".join(row for row in BASE.splitlines() if not row.startswith(head + ":"))
    lines = text.splitlines()
    lines.insert(line - 1, setting)
    path = write(tmp_path, "\n".join(lines) + "\n")
    word = "true" if "true" in setting else "false"
    assert f"{path}:{line} {key}: must be a number, not {word}" in problems_of(path)
    assert Scenario.from_dict({"policy": {"admin_items": "69"}}).policy.admin_items == 69


def test_a_set_that_replaces_a_section_is_blamed_not_the_file(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\npolicy:\n  incentive: {scheme: points}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as raised:
        load_located(path, {"policy.incentive": {"scheme": "cash"}})
    (problem,) = raised.value.problems
    assert problem.startswith("--set policy.incentive.scheme") and "s.yaml" not in problem
