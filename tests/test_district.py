"""Uneven districts (sim/district.py and its use in schema, population, mobility, fund cycle and
model): the table of communities is read in every form, every bad cell is located, the rows
reach the model, and each community's own values change what happens there."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import cli, district
from sim.cost_effectiveness import no_fund_counterpart
from sim.errors import ScenarioError
from sim.model import CoGovModel, replicate_rng
from sim.population import build_layout
from sim.scenario import Scenario, load_located, setting_warnings

BOM = "\ufeff"


def write(path: Path, text: str, bom: bool = False) -> Path:
    path.write_text((BOM if bom else "") + text, encoding="utf-8")
    return path


def scenario_file(tmp_path: Path, table: str = "communities.csv", extra: str = "") -> Path:
    return write(tmp_path / "district.yaml",
                 f"name: d\nmonths: 24\nstructure:\n  communities: {table}\n{extra}")


def problems(path: Path, overrides: dict | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        Scenario.load(path, overrides)
    return caught.value.problems


# ------------------------------------------------------------------------------ reading
def test_a_csv_with_bom_chinese_names_and_trailing_blank_lines_reads_row_by_row(tmp_path):
    write(tmp_path / "communities.csv",
          "name,street_office,residents,population.migrant_share\n"
          "海沧社区,海沧街道,1500,0.8\n"
          ",东孚街道,800,\n"
          "石塘社区,1,600,0.1\n"
          ",,,\n\n\n", bom=True)
    s = Scenario.load(scenario_file(tmp_path))
    rows = s.structure.communities
    assert [r.name for r in rows] == ["海沧社区", "东孚街道-1", "石塘社区"]  # blank: <street>-<k>
    assert [r.street_office for r in rows] == ["海沧街道", "东孚街道", "1"]
    assert [r.residents for r in rows] == [1500, 800, 600]
    assert rows[1].settings == {}  # a blank cell takes the scenario's value
    assert rows[0].settings == {"population.migrant_share": 0.8}
    layout = build_layout(s.structure)
    assert layout.community_names == ("海沧社区", "东孚街道-1", "石塘社区")
    assert layout.street_names == ("海沧街道", "东孚街道", "1")  # order of first appearance
    assert layout.street_of_community.tolist() == [0, 1, 2]


def test_csv_yaml_file_and_inline_list_give_the_same_scenario(tmp_path):
    write(tmp_path / "communities.csv",
          "name,street_office,residents,policy.fund_per_community\nA,1,300,0\nB,2,500,\n")
    write(tmp_path / "communities.yaml",
          "- {name: A, street_office: 1, residents: 300, policy.fund_per_community: 0}\n"
          "- {name: B, street_office: 2, residents: 500}\n")
    inline = write(tmp_path / "inline.yaml",
                   "name: d\nmonths: 24\nstructure:\n  communities:\n"
                   "    - {name: A, street_office: 1, residents: 300,\n"
                   "       policy: {fund_per_community: 0}}\n"
                   "    - {name: B, street_office: 2, residents: 500}\n")
    from_csv = Scenario.load(scenario_file(tmp_path))
    from_yaml = Scenario.load(scenario_file(tmp_path, "communities.yaml"))
    assert from_csv == from_yaml == Scenario.load(inline)
    assert from_csv.structure.communities[0].settings == {"policy.fund_per_community": 0.0}


def test_the_table_is_read_relative_to_the_file_that_names_it(tmp_path, monkeypatch):
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub / "communities.csv", "residents\n300\n")
    write(sub / "base.yaml", "structure: {communities: communities.csv}\n")
    child = write(tmp_path / "child.yaml", "extends: sub/base.yaml\nname: c\n")
    monkeypatch.chdir(tmp_path)
    assert Scenario.load(child).structure.communities[0].residents == 300


def test_a_dumped_scenario_reloads_the_same_without_the_csv(tmp_path):
    write(tmp_path / "communities.csv",
          "name,street_office,residents,population.age_shares.elder,population.age_shares.youth\n"
          "老城,1,400,0.5,0.05\n新区,2,300,,\n")
    s = Scenario.load(scenario_file(tmp_path))
    (tmp_path / "communities.csv").unlink()
    manifest = json.loads(json.dumps(s.to_dict()))  # what manifest.json holds
    assert Scenario.from_dict(manifest) == s
    assert s.with_overrides({"months": 12}).structure == s.structure


# ------------------------------------------------------------------------- located errors
def test_a_bad_cell_names_file_line_column_key_and_community(tmp_path):
    table = write(tmp_path / "communities.csv",
                  "name,street_office,residents,population.migrant_share\n"
                  "甲,1,500,0.2\n乙,1,500,1.4\n")
    assert problems(scenario_file(tmp_path)) == [
        f"{table}:3 column population.migrant_share (sets population.migrant_share of 乙): "
        "must be between 0 and 1, got 1.4"]


def test_every_problem_of_the_table_is_reported_at_once(tmp_path):
    table = write(tmp_path / "communities.csv",
                  "name,street_office,residents,population.party_share,policy.fund_per_community\n"
                  "甲,1,abc,0.1,200000\n"
                  "乙,1,500,x,-5\n"
                  "甲,2,10.5,,\n"
                  "丙,2,,,\n", bom=True)
    found = problems(scenario_file(tmp_path))
    assert found == [
        f"{table}:2 column residents of 甲: must be a number, got 'abc'",
        f"{table}:3 column population.party_share (sets population.party_share of 乙): "
        "must be a number, got 'x'",
        f"{table}:3 column policy.fund_per_community (sets policy.fund_per_community of 乙): "
        "must be at least 0, got -5",
        f"{table}:4 column name: '甲' is already the name of the community on line 2",
        f"{table}:4 column residents of 甲: must be a whole number, got '10.5'",
        f"{table}:5 column residents of 丙: is required",
    ]


def test_a_spreadsheets_formatted_numbers_are_refused_with_how_to_write_them(tmp_path):
    # a spreadsheet saves a cell as shown: 1,200 with a thousands separator, 62% as a percent
    table = write(tmp_path / "communities.csv",
                  'name,residents,population.migrant_share\n甲,"1,200",62%\n乙,300,0.2\n')
    found = problems(scenario_file(tmp_path))
    assert found == [
        f"{table}:2 column residents of 甲: must be a number, got '1,200' (write it without "
        "the thousands separator: 1200)",
        f"{table}:2 column population.migrant_share (sets population.migrant_share of 甲): "
        "must be a number, got '62%' (write a share as a fraction: 0.62)"]


def test_a_row_whose_age_shares_do_not_add_up_to_one_is_refused(tmp_path):
    table = write(tmp_path / "communities.csv",
                  "name,residents,population.age_shares.elder\nA,300,0.5\nB,300,0.25\n")
    # the scenario's youth 0.3 + adult 0.45 with elder 0.5 make 1.25; B's 0.25 makes 1
    assert problems(scenario_file(tmp_path)) == [
        f"{table}:2 column population.age_shares.elder (sets population.age_shares of A): "
        "the age shares of this community add up to 1.25, not 1 (a blank share takes the "
        "scenario's)"]


@pytest.mark.parametrize(("header", "expected"), [
    ("name,residents,population.migrant_shar", "unknown column 'population.migrant_shar' "
                                               "(did you mean 'population.migrant_share'?)"),
    ("name,residents,migrant_share", "(did you mean 'population.migrant_share'?)"),
    ("name,residents,policy.devolution", "'policy.devolution' cannot differ per community"),
    ("name,street_office", "no residents column"),
])
def test_unknown_columns_are_refused_at_the_header(tmp_path, header, expected):
    cells = ",".join(["A", "300", "0.5"][:header.count(",") + 1])
    table = write(tmp_path / "communities.csv", f"{header}\n{cells}\n")
    (found,) = problems(scenario_file(tmp_path))
    assert found.startswith(f"{table}:1") and expected in found


def test_a_misspelt_column_does_not_hide_the_other_columns_bad_cells(tmp_path):
    table = write(tmp_path / "communities.csv",
                  "name,residents,population.migrant_shar,population.party_share\n"
                  "甲,300,0.5,1.2\n")
    assert problems(scenario_file(tmp_path)) == [
        f"{table}:1 column population.migrant_shar: unknown column 'population.migrant_shar' "
        "(did you mean 'population.migrant_share'?)",
        f"{table}:2 column population.party_share (sets population.party_share of 甲): "
        "must be between 0 and 1, got 1.2"]


@pytest.mark.parametrize(("text", "expected"), [
    ("", "the table is empty"),
    ("\n\n", "the table is empty"),
    ("name,residents\n\n", "a header but no rows"),
])
def test_an_empty_table_is_refused(tmp_path, text, expected):
    write(tmp_path / "communities.csv", text)
    (found,) = problems(scenario_file(tmp_path))
    assert expected in found


def test_a_missing_table_is_located_at_the_scenario_line(tmp_path):
    path = scenario_file(tmp_path, "nowhere.csv")
    (found,) = problems(path)
    assert found.startswith(f"{path}:4 structure.communities: file not found")


def test_a_table_in_another_encoding_is_refused_with_advice(tmp_path):
    (tmp_path / "communities.csv").write_bytes("name,residents\n海沧,300\n".encode("gbk"))
    (found,) = problems(scenario_file(tmp_path))
    assert "not UTF-8" in found and "CSV UTF-8" in found
    # the line where the first character that is not UTF-8 stands, so an editor finds it
    assert found.startswith(f"{tmp_path / 'communities.csv'}:2: ")


def test_the_table_replaces_the_uniform_structure_keys(tmp_path):
    write(tmp_path / "communities.csv", "residents\n300\n")
    path = scenario_file(tmp_path, extra="  residents_per_community: 500\n")
    (found,) = problems(path)
    assert found.startswith(f"{path}:5 structure.residents_per_community: cannot be set with "
                            "structure.communities")


def test_table_problems_come_with_the_scenarios_other_problems(tmp_path):
    write(tmp_path / "communities.csv", "name,residents\nA,5\n")
    path = scenario_file(tmp_path, extra="policy: {devolution: 1.5}\n")
    found = problems(path)
    assert len(found) == 2 and "column residents of A" in found[0]
    assert "policy.devolution" in found[1]


def test_cogov_validate_and_run_exit_2_on_a_bad_cell_and_write_nothing(tmp_path, capsys):
    write(tmp_path / "communities.csv", "name,residents,population.migrant_share\nA,300,1.4\n")
    path = scenario_file(tmp_path)
    assert cli.main(["validate", str(path)]) == 2
    assert "column population.migrant_share" in capsys.readouterr().err
    out = tmp_path / "out"
    assert cli.main(["run", str(path), "--out", str(out)]) == 2
    assert "column population.migrant_share" in capsys.readouterr().err
    assert not out.exists()


def test_the_printed_cost_effectiveness_is_the_districts_not_the_last_communitys(
        tmp_path, capsys):
    # the last row of the table has no fund: its effect per yuan is undefined (n/a), but the
    # district's, which the printed table shows, is a number
    write(tmp_path / "communities.csv",
          "name,residents,policy.fund_per_community\nA,120,\nB,120,\nC,120,0\n")
    out = tmp_path / "out"
    path = scenario_file(tmp_path, extra="policy: {fund_per_community: 200000}\n")
    assert cli.main(["run", str(path), "--months", "12", "--out", str(out),
                     "--cost-effectiveness", "--lang", "en"]) == 0
    printed = capsys.readouterr().out.split("Effect per 10,000 yuan")[1].splitlines()
    effect = pd.read_csv(out / "cost_effectiveness.csv")
    district = effect[effect.level == "district"]
    assert district.per_10k_yuan.notna().all()
    shown = {line.split()[0]: line.split()[1] for line in printed[2:2 + len(district)]}
    assert shown == {row.metric: f"{row.per_10k_yuan:.4g}" for row in district.itertuples()}


# ------------------------------------------------------------------------------ overrides
def test_a_district_wide_override_replaces_the_column_with_a_warning(tmp_path):
    write(tmp_path / "communities.csv",
          "name,residents,policy.fund_per_community,population.age_shares.elder,"
          "population.age_shares.youth\nA,300,0,0.5,0.05\nB,300,100000,,\n")
    path = scenario_file(tmp_path)
    s = Scenario.load(path)
    over = s.with_overrides({"policy.fund_per_community": 50_000})
    assert all("policy.fund_per_community" not in r.settings for r in over.structure.communities)
    # setting one age share district-wide drops all three columns: a row's shares go together
    ages = s.with_overrides({"population.age_shares": {"youth": 0.2, "adult": 0.5,
                                                       "elder": 0.3}})
    assert [r.settings for r in ages.structure.communities] == [
        {"policy.fund_per_community": 0.0}, {"policy.fund_per_community": 100000.0}]
    scenario, where = load_located(path, {"policy.fund_per_community": 5}, "--set")
    warnings = setting_warnings(scenario, where, str(path))
    assert warnings == [f"--set policy.fund_per_community: warning: replaces the column "
                        f"policy.fund_per_community of {tmp_path / 'communities.csv'}: the "
                        "district-wide value holds in every community"]
    assert setting_warnings(s, load_located(path)[1], str(path)) == []


def test_a_sweep_that_replaces_a_column_warns_at_validate_and_at_sweep(tmp_path, capsys):
    # README: "A --set or sweep value of a key the table has as a column replaces the column
    # ... and the run warns that it does"; a sweep of migrant_share must not quietly flatten
    # the table's migrant-heavy and local communities
    table = write(tmp_path / "communities.csv",
                  "name,residents,population.migrant_share,policy.fund_per_community\n"
                  "A,100,0.8,0\nB,100,0.2,\n")
    scenario_file(tmp_path)
    experiment = write(tmp_path / "exp.yaml",
                       "scenario: district.yaml\nmethod: grid\nreplicates: 1\nmonths: 1\n"
                       "set: {policy.fund_per_community: 1000}\n"
                       "parameters:\n  population.migrant_share: [0.2, 0.8]\n"
                       "  policy.devolution: [0.1, 0.9]\n"
                       "metrics: [participation_any_last12]\n")
    expected = [
        f"{experiment}:5 set policy.fund_per_community: warning: replaces the column "
        f"policy.fund_per_community of {table}: the district-wide value holds in every "
        "community",
        f"{experiment}:7 parameters.population.migrant_share: warning: replaces the column "
        f"population.migrant_share of {table}: the district-wide value holds in every "
        "community"]
    assert cli.main(["validate", str(experiment)]) == 0
    assert capsys.readouterr().err.splitlines() == expected
    out = tmp_path / "sweep"
    assert cli.main(["sweep", str(experiment), "--out", str(out), "--workers", "1"]) == 0
    assert [line for line in capsys.readouterr().err.splitlines()
            if "warning" in line] == expected


# ------------------------------------------------------------------------------ schedules
def test_scheduled_changes_may_target_a_community_or_street_office_by_name(tmp_path):
    write(tmp_path / "communities.csv",
          "name,street_office,residents\n海沧-1,海沧,300\n东孚-1,东孚,300\n")
    path = scenario_file(tmp_path, extra=(
        "policy:\n  schedule:\n"
        "    - {month: 13, community: 海沧-2, set: {fund_per_community: 0}}\n"
        "    - {month: 13, street_office: 西区, set: {fund_per_community: 0}}\n"))
    assert problems(path) == [
        f"{path}:7 policy.schedule[0].community: no community named '海沧-2' "
        "(did you mean '海沧-1'?)",
        f"{path}:8 policy.schedule[1].street_office: no street office named '西区'; there are: "
        "东孚, 海沧"]
    path = scenario_file(tmp_path, extra=(
        "policy:\n  schedule:\n"
        "    - {month: 13, street_office: 东孚, set: {devolution: 0.5}}\n"
        "    - {month: 13, street_office: 东孚, community: 东孚-1,\n"
        "       set: {fund_per_community: 1}}\n"))
    found = problems(path)
    assert found[0] == (f"{path}:7 policy.schedule[0].set.devolution: 'devolution' cannot be set "
                        "for one street office: only fund_per_community can")
    assert found[1].startswith(f"{path}:8 policy.schedule[1]: give community or street_office")


def test_a_uniform_district_names_its_communities_street_dash_k():
    s = Scenario.from_dict({"structure": {"street_offices": 2, "communities_per_street": 3,
                                          "residents_per_community": 100}})
    layout = build_layout(s.structure)
    assert layout.street_names == ("1", "2")
    assert layout.community_names == ("1-1", "1-2", "1-3", "2-1", "2-2", "2-3")
    s.with_overrides({"policy.schedule": [{"month": 2, "community": "2-3",
                                           "set": {"fund_per_community": 0}}]})


def test_the_no_fund_counterpart_has_no_fund_in_any_community(tmp_path):
    write(tmp_path / "communities.csv",
          "name,street_office,residents,policy.fund_per_community\nA,1,300,400000\nB,2,300,\n")
    s = Scenario.load(scenario_file(tmp_path, extra=(
        "policy:\n  fund_per_community: 100000\n  schedule:\n"
        "    - {month: 13, street_office: 2, set: {fund_per_community: 300000}}\n")))
    zero = no_fund_counterpart(s)
    assert zero.policy.fund_per_community == 0
    assert all(not r.settings for r in zero.structure.communities)
    (change,) = zero.policy.schedule
    assert change.street_office == "2" and change.set == {"fund_per_community": 0}


# ------------------------------------------------------------------------ in the model
def two_communities(tmp_path: Path, columns: str, a: str, b: str, extra: str = "",
                    residents: int = 2000) -> Scenario:
    write(tmp_path / "communities.csv",
          f"name,street_office,residents,{columns}\nA,1,{residents},{a}\nB,2,{residents},{b}\n")
    return Scenario.load(scenario_file(tmp_path, extra=extra))


def test_uneven_sizes_give_the_layout_its_sizes_households_and_streets(tmp_path):
    write(tmp_path / "communities.csv",
          "name,street_office,residents\nA,东,101\nB,西,40\nC,东,2000\n")
    layout = build_layout(Scenario.load(scenario_file(tmp_path)).structure)
    assert layout.community_size.tolist() == [101, 40, 2000]
    assert layout.community_start.tolist() == [0, 101, 141]
    assert layout.households_per_community.tolist() == [51, 20, 1000]  # 2 adults a household
    assert layout.street_of_community.tolist() == [0, 1, 0]
    assert np.bincount(layout.community).tolist() == [101, 40, 2000]
    assert np.bincount(layout.household_community).tolist() == [51, 20, 1000]


def test_each_community_draws_its_own_migrant_share_and_keeps_it_as_people_move(tmp_path):
    s = two_communities(tmp_path, "population.migrant_share", "0.8", "0.1")
    model = CoGovModel(s, rng=replicate_rng(3))
    share = np.bincount(model.layout.community, weights=model.residents.migrant) / 2000
    # 1,000 households each: the standard error of a share is under 0.016; 0.05 is > 3 SE
    assert abs(share[0] - 0.8) < 0.05 and abs(share[1] - 0.1) < 0.05
    model.run(24)  # households moving in are drawn with their own community's share
    share = np.bincount(model.layout.community, weights=model.residents.migrant) / 2000
    assert abs(share[0] - 0.8) < 0.06 and abs(share[1] - 0.1) < 0.06


def test_each_community_draws_its_own_ages_party_members_and_low_incomes(tmp_path):
    s = two_communities(
        tmp_path, "population.age_shares.youth,population.age_shares.adult,"
                  "population.age_shares.elder,population.party_share,population.low_income_share",
        "0.1,0.3,0.6,0.2,0.3", "0.6,0.3,0.1,0.02,0.0")
    res, layout = CoGovModel(s, rng=replicate_rng(5)).residents, build_layout(s.structure)
    a = layout.community == 0
    assert abs((res.age_group[a] == 2).mean() - 0.6) < 0.04  # 2,000 adults: SE ≈ 0.011
    assert abs((res.age_group[~a] == 2).mean() - 0.1) < 0.04
    assert abs(res.party[a].mean() - 0.2) < 0.03 and abs(res.party[~a].mean() - 0.02) < 0.015
    assert abs(res.low_income[a].mean() - 0.3) < 0.05 and not res.low_income[~a].any()


def test_a_community_without_fund_spends_nothing_while_the_other_spends(tmp_path):
    s = two_communities(tmp_path, "policy.fund_per_community", "0", "",
                        extra="policy: {fund_per_community: 300000, devolution: 1}\n",
                        residents=400)
    model = CoGovModel(s, rng=replicate_rng(1))
    assert model.community_settings["policy.fund_per_community"].tolist() == [0, 300000]
    model.run(11)  # vote at month 3, implementation months 4–11
    a, b = model.communities.funds
    assert a.fund == 0 and a.spent == 0
    assert b.fund == 300000 and b.spent > 100000


def test_a_targeted_schedule_changes_only_its_community(tmp_path):
    s = two_communities(tmp_path, "population.migrant_share", "", "", residents=400, extra=(
        "policy:\n  fund_per_community: 300000\n  schedule:\n"
        "    - {month: 13, community: B, set: {fund_per_community: 0}}\n"
        "    - {month: 20, set: {fund_per_community: 100000}}\n"))
    model = CoGovModel(s, rng=replicate_rng(1))
    model.run(15)  # the second cycle's vote
    a, b = model.communities.funds
    assert a.fund == 300000 and b.fund == 0
    assert model.community_settings["policy.fund_per_community"].tolist() == [300000, 0]
    model.run(20)  # an untargeted change applies in every community
    assert model.community_settings["policy.fund_per_community"].tolist() == [100000] * 2


def test_a_street_office_target_changes_all_its_communities(tmp_path):
    write(tmp_path / "communities.csv",
          "name,street_office,residents\nA,东,300\nB,西,300\nC,东,300\n")
    s = Scenario.load(scenario_file(tmp_path, extra=(
        "policy:\n  fund_per_community: 200000\n  schedule:\n"
        "    - {month: 2, street_office: 东, set: {fund_per_community: 5}}\n")))
    model = CoGovModel(s, rng=replicate_rng(1)).run(3)
    assert model.community_settings["policy.fund_per_community"].tolist() == [5, 200000, 5]
    assert [f.fund for f in model.communities.funds] == [5, 200000, 5]


def test_a_table_that_repeats_the_scenario_gives_the_uniform_run(tmp_path):
    """Per-community draws with equal values everywhere are the uniform draws, bit for bit."""
    uniform = Scenario.from_dict({"months": 6, "structure": {
        "street_offices": 2, "communities_per_street": 1, "residents_per_community": 300}})
    write(tmp_path / "communities.csv", "street_office,residents\n1,300\n2,300\n")
    table = Scenario.load(scenario_file(tmp_path)).with_overrides({"months": 6})
    runs = [CoGovModel(s, rng=replicate_rng(2)).run() for s in (uniform, table)]
    assert runs[0].timeseries().equals(runs[1].timeseries())
    assert np.array_equal(runs[0].residents.trust, runs[1].residents.trust)


def test_community_settings_resolve_cells_over_the_scenario(tmp_path):
    s = two_communities(tmp_path, "population.party_share", "0.2", "")
    values = district.community_settings(s, 2)
    assert values["population.party_share"].tolist() == [0.2, s.population.party_share]
    assert values["policy.fund_per_community"].tolist() == [0, 0]
