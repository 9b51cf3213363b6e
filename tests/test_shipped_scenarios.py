"""The shipped scenarios (scenarios/*.yaml, INTERFACE.md): they load, their ``extends`` chains
resolve, they set only what differs from what they inherit, and their levers sit where the case
literature puts them (the case documents seed000–seed004 of docs/SOURCES.md, quoted in each
file's description)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from sim.experiment import load_experiment
from sim.scenario import (
    Policy,
    Scenario,
    apply_policy_changes,
    inert_settings,
    load_located,
    read_yaml,
)

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SHIPPED = (
    "baseline",
    "chengdu_2009_fund",
    "chengdu_reform",
    "nominal_devolution",
    "haicang_cocreation",
    "chenghua_points_foundation",
    "fund_withdrawal",
    "teaching",
    "district",
    "haicang_district",
)
FILES = sorted(SCENARIOS.glob("*.yaml"))
RUN_KEYS = {"name", "description", "seed", "months", "extends"}  # every file states these


@cache
def load(name: str) -> Scenario:
    return Scenario.load(SCENARIOS / f"{name}.yaml")


def raw(path: Path) -> dict:
    return dict(read_yaml(path))


def leaves(tree: Mapping, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted key paths and values of a YAML mapping; lists (schedule) are single values."""
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from leaves(value, path + ".")
        else:
            yield path, value


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


# ------------------------------------------------------------------------------- every file
def test_the_shipped_scenarios_exist() -> None:
    missing = set(SHIPPED) - {p.stem for p in FILES}
    assert not missing, f"scenarios/ lacks {sorted(missing)}"


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_scenario_loads_and_describes_itself(path: Path) -> None:
    scenario = Scenario.load(path)
    assert scenario.name == path.stem
    data = raw(path)
    assert {"name", "description", "seed", "months"} <= data.keys()
    # A description that cites the case figures it encodes and the seed files they come from.
    assert len(scenario.description) >= 400, "description too short to justify its numbers"
    assert re.search(r"\bseed ?00\d", scenario.description)  # a case document (docs/SOURCES.md)


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_extends_resolves_back_to_the_baseline(path: Path) -> None:
    chain, current = [path.stem], path
    while "extends" in (data := raw(current)):
        parent = (current.parent / data["extends"]).resolve()
        assert parent.parent == SCENARIOS, f"{current.name} extends a file outside scenarios/"
        assert parent.exists(), f"{current.name}: extends {data['extends']} not found"
        assert parent.stem not in chain, f"extends cycle: {chain + [parent.stem]}"
        chain.append(parent.stem)
        current = parent
    assert chain[-1] == "baseline", f"{path.name} does not extend baseline.yaml: {chain}"


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_scenario_sets_only_what_differs_from_what_it_inherits(path: Path) -> None:
    data = raw(path)
    parent = Scenario.load(path.parent / data["extends"]) if "extends" in data else Scenario()

    def as_override(key: str, value: Any) -> Any:
        # A table's path is relative to its file; an override's to the working directory.
        table = key == "structure.communities" and isinstance(value, str)
        return str(path.parent / value) if table else value

    same = [
        key
        for key, value in leaves(data)
        if key.split(".")[0] not in RUN_KEYS
        and parent.with_overrides({key: as_override(key, value)}) == parent
    ]
    assert not same, f"{path.name} restates inherited values: {same}"


# --------------------------------------------------------------------- levers where cases put them
def test_baseline_is_the_pre_reform_defaults() -> None:
    base = load("baseline")
    assert base.policy == Policy()
    assert (base.policy.fund_per_community, base.policy.devolution) == (0, 0)
    assert base.policy.service_focus == 0.4 and base.policy.admin_items == 537  # seed 000
    assert base.policy.incentive.scheme == "none"
    assert base.structure.residents_per_community == 2000 and base.months == 60


def test_chengdu_2009_fund_decides_money_before_the_street_office_reforms() -> None:
    fund, base = load("chengdu_2009_fund").policy, load("baseline").policy
    assert fund.fund_per_community >= 200_000  # 每年不少于20万元, seed 000
    assert fund.fund_growth == 0  # 逐年递增 in current yuan, about the rise of prices: 0 real
    assert fund.devolution >= 0.8
    assert fund.transparency > base.transparency  # 民主议定/监督/评议
    assert (fund.service_focus, fund.admin_items) == (base.service_focus, base.admin_items)


def test_chengdu_reform_adds_guiwei_and_funeng_to_the_fund() -> None:
    reform, fund = load("chengdu_reform").policy, load("chengdu_2009_fund").policy
    assert reform.admin_items == 69  # 537 → 69, seed 000
    assert reform.service_focus > fund.service_focus
    for lever in ("fund_per_community", "fund_growth", "devolution", "transparency"):
        assert getattr(reform, lever) == getattr(fund, lever)
    assert reform.purchase_share > 0 and reform.training_rate > 0  # 三社联动, 社区学院
    assert reform.resident_evaluation and reform.supervision and reform.foundation


def test_nominal_devolution_is_the_fund_without_a_reformed_government() -> None:
    nominal, reform = load("nominal_devolution").policy, load("chengdu_reform").policy
    base = load("baseline").policy
    assert nominal.devolution == reform.devolution
    assert nominal.fund_per_community == reform.fund_per_community
    assert nominal.service_focus <= base.service_focus
    assert nominal.admin_items == 537
    assert nominal.transparency <= base.transparency


def test_haicang_encodes_the_thesis_figures() -> None:
    haicang = load("haicang_cocreation")
    assert haicang.population.migrant_share == 0.56
    assert haicang.population.migrant_share == pytest.approx(16.47 / 29.49, abs=0.005)
    grid = haicang.policy.grid
    assert 300 <= grid.households_per_grid <= 400 and grid.workers_per_grid == 2
    assert grid.visits_per_worker >= 60
    assert haicang.policy.admin_items == 537 - 58 - 27
    assert haicang.structure.social_orgs_per_10k == pytest.approx(205 / 29.49, abs=0.01)
    assert haicang.policy.incentive.scheme == "recognition"  # 义工卡 + 表彰
    assert haicang.policy.resident_evaluation  # 居民评价排队机制


def test_chenghua_has_points_a_party_grid_and_a_foundation() -> None:
    chenghua, reform = load("chenghua_points_foundation").policy, load("chengdu_reform").policy
    assert chenghua.incentive.scheme == "points"
    assert chenghua.incentive.yuan_per_100_points == 1  # 每100积分兑换1元, seed 004
    assert chenghua.party.contacts_per_month > Policy().party.contacts_per_month
    assert chenghua.party.dual_registration
    assert chenghua.foundation and chenghua.foundation_match > 0
    assert chenghua.admin_items == reform.admin_items  # a Chengdu district after the reform


def test_fund_withdrawal_schedules_the_fund_to_zero_mid_run() -> None:
    scenario, reform = load("fund_withdrawal"), load("chengdu_reform")
    policy = scenario.policy
    assert scenario.months == 72 and policy.fund_per_community > 0
    cuts = [c.month for c in policy.schedule if c.set.get("fund_per_community") == 0]
    assert cuts and all(1 < month <= scenario.months - 12 for month in cuts)  # a cycle after
    after = policy.model_copy(update={"schedule": ()})
    for change in policy.schedule:
        after = apply_policy_changes(after, change.set)
    assert after.fund_per_community == 0
    assert after.model_copy(update={"fund_per_community": reform.policy.fund_per_community}) == (
        reform.policy
    ), "only the fund should change"


def test_teaching_is_small_with_levers_between_baseline_and_reform() -> None:
    teaching, base, reform = load("teaching"), load("baseline"), load("chengdu_reform")
    structure = teaching.structure
    assert structure.street_offices * structure.communities_per_street == 1
    assert structure.residents_per_community == 2000 and teaching.months == 36
    for lever in (
        "fund_per_community",
        "devolution",
        "transparency",
        "service_focus",
        "admin_items",
        "purchase_share",
    ):
        low, high = sorted((getattr(base.policy, lever), getattr(reform.policy, lever)))
        assert low < getattr(teaching.policy, lever) < high, lever


def test_district_is_the_reform_at_scale() -> None:
    district = load("district")
    structure = district.structure
    assert structure.street_offices > 1 and structure.communities_per_street > 1
    total = structure.street_offices * structure.communities_per_street
    assert total * structure.residents_per_community >= 50_000
    households = structure.residents_per_community / structure.adults_per_household
    assert 1000 <= households <= 3000  # provincial standard for a community
    assert district.policy == load("chengdu_reform").policy
    assert district.months == 60


# ---------------------------------------------------------- haicang_district: the seed's totals
ODD = SCENARIOS.parent / "docs" / "ODD.md"


def seed_figures(text: str) -> dict[str, float]:
    """The figures haicang_district.yaml's description states once: seed003's residents and
    migrants (万) and the adult share that converts residents of all ages to adults."""
    found = {
        "residents": re.search(r"([\d.]+) 万 residents", text),
        "migrants": re.search(r"([\d.]+) 万 of them migrants", text),
        "adult_share": re.search(r"adult share of ([\d.]+)", text),
        "communities": re.search(r"Haicang had (\d+) communities", text),
    }
    missing = [name for name, match in found.items() if match is None]
    assert not missing, f"haicang_district's description no longer states {missing}"
    return {name: float(match[1]) for name, match in found.items()}


def table_rows(name: str) -> list[dict[str, str]]:
    """The rows of a shipped community table, read as a researcher's spreadsheet would."""
    with (SCENARIOS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def adult_weighted(rows: list[dict[str, str]], column: str) -> float:
    """The district's value of a per-community share: its mean weighted by adults."""
    return (sum(int(row["residents"]) * float(row[column]) for row in rows)
            / sum(int(row["residents"]) for row in rows))


def test_haicang_district_table_sums_to_the_seed_totals() -> None:
    data = raw(SCENARIOS / "haicang_district.yaml")
    seed = seed_figures(data["description"])
    rows = table_rows(data["structure"]["communities"])
    assert len(rows) == seed["communities"] == 19  # seed003: 19(包括村改居)社区
    assert seed["residents"] == 29.49 and seed["migrants"] == 16.47  # seed003, 2011
    adults = [int(row["residents"]) for row in rows]
    total = seed["residents"] * 10_000 * seed["adult_share"]
    assert abs(sum(adults) - total) <= 0.5, (sum(adults), total)
    # The migrant total holds, weighted by adults, within the rounding of each row's share to
    # three decimals (half a thousandth of the district's adults at most).
    assert adult_weighted(rows, "population.migrant_share") == pytest.approx(
        seed["migrants"] / seed["residents"], abs=0.0005)


def test_haicang_district_loads_its_table_as_written() -> None:
    """What the model gets is the CSV: its 19 communities with their adults and shares, in
    four street offices, and the inherited levers for the rest."""
    scenario = load("haicang_district")
    rows = table_rows(raw(SCENARIOS / "haicang_district.yaml")["structure"]["communities"])
    loaded = scenario.structure.communities
    assert [(c.name, c.street_office, c.residents) for c in loaded] == [
        (row["name"], row["street_office"], int(row["residents"])) for row in rows]
    for community, row in zip(loaded, rows, strict=True):
        assert community.settings == {key: float(value) for key, value in row.items()
                                      if key.startswith("population.")}, community.name
    _, streets, _ = scenario.structure.community_names()
    assert streets == tuple(dict.fromkeys(row["street_office"] for row in rows))
    assert scenario.policy == load("haicang_cocreation").policy


def test_haicang_district_adult_share_is_the_census_under_18s_left_out() -> None:
    """0.782 = 1 − (0–14s of Haicang's 2020 census) × 18/15: the description's conversion, and
    the census figures the ODD quotes (haicang2021)."""
    seed = seed_figures(raw(SCENARIOS / "haicang_district.yaml")["description"])
    section = ODD.read_text(encoding="utf-8").split("### 6.4 ", 1)[1].split("\n## ", 1)[0]
    children, everyone = (int(re.search(rf"{label}", section)[1].replace(",", ""))
                          for label in (r"counts ([\d,]+) of its", r"of its ([\d,]+) residents"))
    assert seed["adult_share"] == round(1 - children / everyone * 18 / 15, 3)
    for figure in ("29.49 万", "16.47 万", f"{seed['adult_share']:g}"):
        assert figure in section, f"ODD §6.4 does not state the description's {figure}"


def test_haicang_district_keeps_the_uniform_scenario_on_average() -> None:
    """The spread moves people between communities without changing the district: the
    adult-weighted means of the table's profiles are haicang_cocreation's values (ODD §6.4)."""
    data = raw(SCENARIOS / "haicang_district.yaml")
    rows = table_rows(data["structure"]["communities"])
    uniform = load("haicang_cocreation").population
    expected = {
        "population.party_share": uniform.party_share,
        "population.low_income_share": uniform.low_income_share,
        **{f"population.age_shares.{group}": getattr(uniform.age_shares, group)
           for group in ("youth", "adult", "elder")},
    }
    for column, value in expected.items():
        assert adult_weighted(rows, column) == pytest.approx(value, abs=0.001), column
    for row in rows:
        ages = sum(float(row[f"population.age_shares.{g}"]) for g in ("youth", "adult", "elder"))
        assert ages == pytest.approx(1.0, abs=1e-9), row["name"]
    # The spread the officials ask about is there: the most migrant community has at least
    # three times the share of the least (converted villages against old communities).
    shares = [float(row["population.migrant_share"]) for row in rows]
    assert max(shares) >= 3 * min(shares)


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_scenario_sets_nothing_that_cannot_act(path: Path) -> None:
    scenario, where = load_located(path)
    assert inert_settings(scenario, where, str(path)) == []


EXPERIMENTS = sorted((SCENARIOS.parent / "experiments").glob("*.yaml"))


@pytest.mark.parametrize("path", EXPERIMENTS, ids=_ids(EXPERIMENTS))
def test_shipped_experiment_validates_and_can_report_its_noise_share(path: Path) -> None:
    experiment = load_experiment(path)  # keys, bounds, whole-number levels, inert levers
    assert experiment.spec.replicates >= 2  # the noise share needs two runs per point
    design = experiment.design()
    for j, parameter in enumerate(experiment.parameters):
        if parameter.integer and parameter.bounds is not None:
            column = [row[j] for row in design]
            assert all(float(v).is_integer() for v in column), parameter.name


def test_shipped_sobol_study_keeps_its_run_count() -> None:
    experiment = load_experiment(SCENARIOS.parent / "experiments" / "sobol_levers.yaml")
    assert len(experiment.runs()) == 5_632  # 128 · (2·10 + 2) points × 2 replicates
