"""Calibration targets files (sim/targets.py), derived statistics (sim/statistics.py) and the
simulator calibration runs."""

from __future__ import annotations

import dataclasses
import functools
import math
import pickle
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp

from sim import statistics, targets
from sim.errors import BadInput, ScenarioError
from sim.population import ADULT, ELDER, YOUTH

ROOT = Path(__file__).resolve().parents[1]
ANCHORS = ROOT / "calibration" / "anchors.yaml"

SMALL = """\
name: small
seed: 7
months: 12
structure: {street_offices: 1, communities_per_street: 2, residents_per_community: 200}
policy: {devolution: 0.8, fund_per_community: 200000}
"""

TEMPLATE = """\
name: tiny
seed: 3
replicates: 2
scenarios:
  small:
    file: small.yaml
    months: 24
targets:
  volunteering:
    scenario: small
    statistic: volunteer_annual
    observed: 0.2
    sd: 0.03
    source: a survey of volunteers
patterns:
  - fund_lever
priors:
  behavior.alpha.volunteer: {low: -7.0, high: -5.0, shape: uniform}
"""
"""A valid targets file; the line numbers below refer to it."""


def write(tmp_path: Path, text: str = TEMPLATE) -> Path:
    (tmp_path / "small.yaml").write_text(SMALL, encoding="utf-8")
    path = tmp_path / "tiny.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path) -> list:
    with pytest.raises(ScenarioError) as caught:
        targets.load(path)
    assert isinstance(caught.value, BadInput)  # exit 2 at the command line
    return caught.value.located


# ------------------------------------------------------------------------------ shipped file
def test_the_shipped_anchors_file_loads_with_sources_and_labels():
    loaded = targets.load(ANCHORS)
    assert 4 <= len(loaded.priors) <= 6
    assert loaded.targets and loaded.replicates >= 1
    for target in loaded.targets:
        assert target.source.strip() and target.sd > 0
        assert target.label.zh and target.label.en
        assert target.scenario in loaded.scenarios


def test_the_shipped_anchors_are_defined_at_the_middle_of_the_priors():
    loaded = targets.load(ANCHORS)
    middle = {p.key: (p.low + p.high) / 2 if p.shape == "uniform" else math.sqrt(p.low * p.high)
              for p in loaded.priors}
    out = targets.simulate(loaded, middle, 1)
    assert list(out) == [t.name for t in loaded.targets]
    for target in loaded.targets:
        low, high = statistics.range_of(target.statistic)
        assert math.isfinite(out[target.name]) and low <= out[target.name] <= high


def test_a_valid_small_file_loads(tmp_path):
    loaded = targets.load(write(tmp_path))
    assert [t.name for t in loaded.targets] == ["volunteering"]
    assert loaded.targets[0].label == statistics.STATISTICS["volunteer_annual"].label
    assert loaded.scenarios["small"].months == 24
    assert loaded.patterns == ("fund_lever",)
    assert loaded.priors == (targets.Prior("behavior.alpha.volunteer", -7.0, -5.0, "uniform"),)


# ------------------------------------------------------------------------------- bad input
BAD = {
    # kind: (replace this, with this, line, key path, words in the message)
    "unknown top-level key": ("replicates: 2", "replicate: 2", 3, "replicate",
                              "did you mean 'replicates'"),
    "unknown key in a target": ("    sd: 0.03", "    sdd: 0.03", 13, "targets.volunteering.sdd",
                                "did you mean 'sd'"),
    "unknown key in a prior": ("shape: uniform", "shap: uniform", 18,
                               "priors.behavior.alpha.volunteer.shap", "did you mean 'shape'"),
    "replicates below one": ("replicates: 2", "replicates: 0", 3, "replicates", "between 1"),
    "missing scenario file": ("file: small.yaml", "file: nowhere.yaml", 6,
                              "scenarios.small.file", "file not found"),
    "invalid scenario override": ("    months: 24", "    set: {policy.devolution: 1.5}", 7,
                                  "scenarios.small.set.policy.devolution", "between 0 and 1"),
    "seed set in a scenario": ("    months: 24", "    set: {seed: 4}", 7,
                               "scenarios.small.set.seed", "the seed is the calibration's"),
    "calibrated key also set": ("    months: 24", "    set: {behavior.alpha.volunteer: -6}", 7,
                                "scenarios.small.set.behavior.alpha.volunteer",
                                "either fixed or calibrated"),
    "target on an unknown scenario": ("    scenario: small", "    scenario: smal", 10,
                                      "targets.volunteering.scenario", "did you mean 'small'"),
    "unknown statistic": ("volunteer_annual", "volunteer_anual", 11,
                          "targets.volunteering.statistic", "did you mean 'volunteer_annual'"),
    "observed outside the statistic's range": ("observed: 0.2", "observed: 1.5", 12,
                                               "targets.volunteering.observed", "range [0, 1]"),
    "non-finite observed value": ("observed: 0.2", "observed: .nan", 12,
                                  "targets.volunteering.observed", "finite number"),
    "sd not positive": ("sd: 0.03", "sd: 0", 13, "targets.volunteering.sd", "greater than 0"),
    "empty source": ("source: a survey of volunteers", "source: '  '", 14,
                     "targets.volunteering.source", "where the figure comes from"),
    "summary metric without a label": ("volunteer_annual", "participation_any_last12", 9,
                                       "targets.volunteering", "needs label"),
    "unknown pattern": ("  - fund_lever", "  - fund_levr", 16, "patterns[0]",
                        "did you mean 'fund_lever'"),
    "prior on an unknown key": ("behavior.alpha.volunteer:", "behavior.alpha.volunter:", 18,
                                "priors.behavior.alpha.volunter",
                                "did you mean 'behavior.alpha.volunteer'"),
    "prior on a whole-number key": ("behavior.alpha.volunteer: {low: -7.0, high: -5.0",
                                    "behavior.recruit_memory: {low: 1, high: 5", 18,
                                    "priors.behavior.recruit_memory", "a whole number"),
    "prior on a switch": ("behavior.alpha.volunteer: {low: -7.0, high: -5.0",
                          "policy.supervision: {low: 0, high: 1", 18,
                          "priors.policy.supervision", "a switch"),
    "prior outside the key's range": ("behavior.alpha.volunteer: {low: -7.0, high: -5.0",
                                      "behavior.public_spirit_fatigue: {low: 0.01, high: 1.5",
                                      18, "priors.behavior.public_spirit_fatigue",
                                      "outside the key's range"),
    "prior with low not below high": ("low: -7.0, high: -5.0", "low: -5.0, high: -7.0", 18,
                                      "priors.behavior.alpha.volunteer", "low < high"),
    "loguniform prior reaching zero": ("low: -7.0, high: -5.0, shape: uniform",
                                       "low: -7.0, high: -5.0, shape: loguniform", 18,
                                       "priors.behavior.alpha.volunteer", "low > 0"),
    "unknown prior shape": ("shape: uniform", "shape: normal", 18,
                            "priors.behavior.alpha.volunteer.shape", "uniform"),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_input_is_refused_with_file_line_and_key_path(tmp_path, kind):
    old, new, line, key, words = BAD[kind]
    assert old in TEMPLATE
    path = write(tmp_path, TEMPLATE.replace(old, new, 1))
    problems = refused(path)
    assert any(p.key == key and words in p.message for p in problems), problems
    hit = next(p for p in problems if p.key == key and words in p.message)
    assert (hit.file, hit.line) == (str(path), line), hit
    assert str(hit).startswith(f"{path}:{line} {key}: ")


def test_every_problem_is_reported_together(tmp_path):
    # problems of form (types, ranges, unknown keys) come together …
    text = (TEMPLATE.replace("sd: 0.03", "sd: -1").replace("replicates: 2", "replicates: 0")
            .replace("shape: uniform", "shape: flat"))
    keys = {p.key for p in refused(write(tmp_path, text))}
    assert {"targets.volunteering.sd", "replicates",
            "priors.behavior.alpha.volunteer.shape"} <= keys
    # … and so do problems of meaning (names, files, schema keys)
    text = (TEMPLATE.replace("  - fund_lever", "  - nope").replace("file: small.yaml",
                                                                    "file: none.yaml")
            .replace("behavior.alpha.volunteer:", "behavior.nothing:"))
    keys = {p.key for p in refused(write(tmp_path, text))}
    assert {"patterns[0]", "priors.behavior.nothing", "scenarios.small.file"} <= keys


def test_a_target_named_twice_is_refused_at_its_line(tmp_path):
    text = TEMPLATE.replace("patterns:", "  volunteering:\n    scenario: small\npatterns:")
    (problem,) = refused(write(tmp_path, text))
    assert problem.line == 15 and "duplicate key" in problem.message


def test_targets_files_are_told_apart_from_scenarios_and_experiments(tmp_path):
    from sim.scenario import read_yaml

    assert targets.is_targets_file(read_yaml(write(tmp_path)))
    assert not targets.is_targets_file(read_yaml(tmp_path / "small.yaml"))


def test_scenario_files_are_found_in_scenarios_when_not_beside_the_targets(tmp_path):
    path = write(tmp_path, TEMPLATE.replace("file: small.yaml", "file: teaching.yaml"))
    assert targets.load(path).scenarios["small"].name == "teaching"


# ------------------------------------------------------------------------------- priors
def test_prior_densities_integrate_to_one_and_draws_stay_inside():
    rng = np.random.default_rng(0)
    for prior in (targets.Prior("k", 2.0, 6.0, "uniform"),
                  targets.Prior("k", 0.01, 1.0, "loguniform")):
        grid = np.linspace(prior.low, prior.high, 200_001)
        assert np.trapezoid(prior.pdf(grid), grid) == pytest.approx(1.0, abs=1e-3)
        draws = prior.rvs(rng, 5000)
        assert prior.contains(draws).all()
        assert prior.pdf(np.array([prior.low - 1e-9, prior.high + 1e-9])).tolist() == [0, 0]
    # loguniform: a decade each, equally likely
    draws = targets.Prior("k", 0.01, 1.0, "loguniform").rvs(rng, 20_000)
    assert np.mean(draws < 0.1) == pytest.approx(0.5, abs=0.02)
    assert targets.Prior("k", 2.0, 6.0).pdf(np.array(3.0)) == pytest.approx(0.25)


# ---------------------------------------------------------------------- derived statistics
def fake_run() -> tuple[SimpleNamespace, statistics.Recorder]:
    """Six adults over 24 months, their acts scripted (see the hand computation below)."""
    residents = SimpleNamespace(
        age_group=np.array([YOUTH, YOUTH, YOUTH, ELDER, ELDER, ADULT]),
        party=np.array([False, False, False, True, False, True]),
        public_spirit=np.full(6, 0.5), baseline_public_spirit=np.full(6, 0.5),
        took=np.zeros((6, 3), dtype=bool), took_any=np.zeros(6, dtype=bool))
    ties = sp.coo_matrix((np.ones(6), ([0, 1, 3, 4, 2, 5], [1, 0, 4, 3, 5, 2])), shape=(6, 6))
    org = SimpleNamespace
    model = SimpleNamespace(
        residents=residents, month=0, current={}, moved=np.zeros(6, dtype=bool),
        layout=SimpleNamespace(n_communities=1, n_residents=6,
                               building=np.array([0, 0, 0, 1, 1, 1]),
                               household=np.array([0, 1, 2, 3, 3, 4])),
        network=SimpleNamespace(matrix=ties.tocsr()),
        organizations=[org(kind="professional", zombie=False),
                       org(kind="professional", zombie=False),
                       org(kind="self", zombie=False)])
    return model, statistics.Recorder(model)


def test_derived_statistics_match_a_hand_computed_run():
    model, recorder = fake_run()
    res = model.residents
    deliberated = {1: [0, 3], 2: [3], 13: [3], 14: [4]}  # month → who deliberated
    volunteered = {5: [1], 6: [1]}
    for month in range(1, 25):
        took = np.zeros((6, 3), dtype=bool)
        took[deliberated.get(month, []), 0] = True
        took[volunteered.get(month, []), 1] = True
        if month >= 13:
            took[5, 2] = True  # resident 5 monitors every month of year 2
        res.took, res.took_any = took, took.any(axis=1)
        model.month = month
        model.current = {"projects_delivered": {10: 1, 22: 2}.get(month, 0)}
        if month == 24:
            res.public_spirit[5] = 0.3
            model.organizations[1].zombie = True
        recorder.observe()
    out = recorder.result()
    # turnout: youth 1/3 then 0; elders 1/2 then 2/2; party (3, 5) 1/2 twice;
    # non-party (0, 1, 2, 4) 1/4 twice; all 2/6 twice
    assert out["deliberation_turnout_youth"] == pytest.approx(1 / 6)
    assert out["deliberation_turnout_elder"] == pytest.approx(3 / 4)
    assert out["deliberation_turnout_all"] == pytest.approx(1 / 3)
    assert out["deliberation_odds_elder_youth"] == pytest.approx(3 / (1 / 5))  # 15
    assert out["deliberation_odds_party_nonparty"] == pytest.approx(1 / (1 / 3))  # 3
    assert out["volunteer_annual"] == pytest.approx((1 / 6 + 0) / 2)
    assert out["volunteer_monthly"] == pytest.approx(2 / (24 * 6))
    assert out["projects_per_community_year"] == pytest.approx(3 / 1 / 2)
    assert out["no_neighbour_tie"] == pytest.approx(4 / 6)  # only 0 and 1 have such a tie
    assert out["orgs_per_10k_start"] == pytest.approx(2 * 10_000 / 6)
    assert out["orgs_per_10k_end"] == pytest.approx(10_000 / 6)
    assert out["zombies_per_10k_end"] == pytest.approx(10_000 / 6)
    assert out["repeat_share"] == pytest.approx(1 / 6)  # resident 5 only (12 months)
    assert out["repeat_spirit_ratio"] == pytest.approx(0.6)
    assert out["repeat_spirit_min"] == pytest.approx(0.3)
    assert out["public_spirit_ratio"] == pytest.approx((5 * 0.5 + 0.3) / 6 / 0.5)
    assert out["party_share"] == pytest.approx(2 / 6)
    assert out["party_elder_share"] == pytest.approx(1 / 2)


def test_a_household_that_moves_takes_its_acts_with_it():
    model, recorder = fake_run()
    res = model.residents
    for month in range(1, 13):
        took = np.zeros((6, 3), dtype=bool)
        took[{1: [0, 3], 2: [1]}.get(month, []), 0] = True  # youth 0, elder 3, then youth 1
        took[{5: [1]}.get(month, []), 1] = True  # youth 1 volunteers
        moved = np.zeros(6, dtype=bool)
        if month == 8:  # slot 1 changes hands: an elder moves in
            moved[1] = True
            res.age_group[1] = ELDER
        res.took, res.took_any = took, took.any(axis=1)
        model.month, model.moved, model.current = month, moved, {"projects_delivered": 0}
        recorder.observe()
    out = recorder.result()
    # at the year's end: youth {0, 2}, one deliberated; elders {1, 3, 4}, only 3 deliberated
    # (the newcomer in slot 1 did not); nobody living here volunteered
    assert out["deliberation_turnout_youth"] == pytest.approx(1 / 2)
    assert out["deliberation_turnout_elder"] == pytest.approx(1 / 3)
    assert out["deliberation_odds_elder_youth"] == pytest.approx(0.5)
    assert out["volunteer_annual"] == 0.0
    assert out["volunteer_monthly"] == pytest.approx(1 / (12 * 6))


def test_undefined_statistics_are_nan_not_errors():
    model, recorder = fake_run()
    model.month, model.current = 5, {"projects_delivered": 0}  # no cycle year, nobody acts
    recorder.observe()
    out = recorder.result()
    assert math.isnan(out["deliberation_turnout_all"])
    assert math.isnan(out["deliberation_odds_elder_youth"])
    assert math.isnan(out["repeat_spirit_ratio"])
    assert math.isnan(statistics.odds_ratio(0.5, 0.0))
    assert math.isnan(statistics.odds_ratio(1.0, 0.2))
    assert statistics.odds_ratio(0.777, 0.138) == pytest.approx(21.8, abs=0.05)


def test_every_named_statistic_has_a_unit_a_range_and_two_labels():
    for name, stat in statistics.STATISTICS.items():
        assert stat.name == name and stat.unit and stat.definition
        assert stat.label.zh and stat.label.en
        assert stat.value_range[0] < stat.value_range[1]


# ------------------------------------------------------------------------------- simulate
def test_simulate_is_deterministic_and_moves_with_theta(tmp_path):
    loaded = targets.load(write(tmp_path))
    run = functools.partial(targets.simulate, loaded)
    again = pickle.loads(pickle.dumps(run))
    low = run({"behavior.alpha.volunteer": -7.0}, 11)
    assert low == again({"behavior.alpha.volunteer": -7.0}, 11)
    assert low != run({"behavior.alpha.volunteer": -7.0}, 12)
    high = run({"behavior.alpha.volunteer": -5.0}, 11)
    # a higher intercept of volunteering: more adults volunteer at least once a year
    assert high["volunteering"] - low["volunteering"] > 0.05
    with pytest.raises(ValueError, match="not priors"):
        run({"behavior.beta_party": 0.5}, 11)


def test_simulate_gives_nan_where_a_statistic_is_undefined(tmp_path):
    # load refuses a yearly statistic over a run shorter than a year (next test); shortened
    # after loading, the run has no complete cycle year and the statistic comes out NaN
    loaded = targets.load(write(tmp_path, TEMPLATE))
    short = dataclasses.replace(loaded, scenarios={
        name: scenario.with_overrides({"months": 6})
        for name, scenario in loaded.scenarios.items()})
    out = targets.simulate(short, {"behavior.alpha.volunteer": -6.0}, 1)
    assert math.isnan(out["volunteering"])


def test_a_yearly_statistic_over_a_run_shorter_than_a_year_is_refused(tmp_path):
    shipped = Path(__file__).resolve().parents[1] / "calibration" / "anchors.yaml"
    short = tmp_path / "short.yaml"
    text = shipped.read_text(encoding="utf-8").replace("    months: 12 ", "    months: 11 ")
    assert "months: 11" in text
    short.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as raised:
        targets.load(short)
    assert "targets.volunteered_in_a_year.statistic: 'volunteer_annual' needs a run of at " \
           "least 12 months" in str(raised.value)


def test_the_worked_example_of_the_docs_is_a_valid_targets_file(tmp_path):
    """docs/calibration.md's own-district example must keep loading as the docs show it: its
    scenario found in scenarios/, its priors real coefficients, its odds ratio a number the
    survey shares give."""
    docs = (Path(__file__).resolve().parents[1] / "docs" / "calibration.md").read_text("utf-8")
    section = docs.split("## Worked example: your own district", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "my_district.yaml"
    path.write_text(block, encoding="utf-8")
    loaded = targets.load(path)
    assert [t.statistic for t in loaded.targets] == [
        "volunteer_annual", "deliberation_turnout_all", "deliberation_odds_party_nonparty",
        "projects_per_community_year"]
    assert loaded.scenarios["district"].structure.communities_per_street == 12
    party = next(t for t in loaded.targets if t.statistic.endswith("party_nonparty"))
    assert party.observed == pytest.approx((0.31 / 0.69) / (0.08 / 0.92), abs=0.05)


def test_the_content_digest_ignores_comments_and_sources_but_not_a_scenario(tmp_path):
    """What a resume must match: editing a comment or a source leaves the digest, a changed
    observation or a scenario file the targets read changes it."""
    shipped = Path(__file__).resolve().parents[1] / "calibration" / "anchors.yaml"
    text = shipped.read_text(encoding="utf-8")
    original = targets.load(shipped).content_digest
    commented = tmp_path / "anchors.yaml"
    commented.write_text("# a note\n" + text.replace("Ledyard, J. O. (1995)", "Ledyard (1995)"),
                         encoding="utf-8")
    assert targets.load(commented).content_digest == original
    moved = tmp_path / "moved.yaml"
    moved.write_text(text.replace("observed: 0.275", "observed: 0.28"), encoding="utf-8")
    assert targets.load(moved).content_digest != original
    scenarios = Path(__file__).resolve().parents[1] / "scenarios"
    (tmp_path / "baseline.yaml").write_text(
        (scenarios / "baseline.yaml").read_text(encoding="utf-8").replace("seed: 1 ", "seed: 9 "),
        encoding="utf-8")
    assert targets.load(commented).content_digest != original
