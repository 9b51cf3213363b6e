"""The model adapter (sim/demo/adapter.py): the presets, seeds typed in the browser, and a
DemoModel whose levers act from next month exactly like a scenario's schedule."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sim.demo.adapter import DemoModel, DemoSettings, parse_seed
from sim.model import CoGovModel, replicate_rng
from sim.runner import run_replicate
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = DemoSettings.for_path(None)


def teaching(**kwargs) -> DemoModel:
    return DemoModel(preset="teaching", presets=SETTINGS.presets, **kwargs)


# ------------------------------------------------------------------------ configuration
def test_presets_are_every_shipped_scenario_in_lesson_order_teaching_first() -> None:
    keys = [k for k, _ in SETTINGS.presets]
    shipped = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    assert sorted(keys) == shipped
    assert SETTINGS.default == "teaching" and keys[0] == "teaching"
    lesson = ["baseline", "chengdu_2009_fund", "nominal_devolution", "chengdu_reform",
              "fund_withdrawal"]
    assert [k for k in keys if k in lesson] == lesson


def test_a_scenario_outside_the_shipped_ones_joins_the_presets(tmp_path: Path) -> None:
    small_yaml = tmp_path / "small.yaml"
    small_yaml.write_text("name: small\nmonths: 12\n", encoding="utf-8")
    settings = DemoSettings.for_path(small_yaml)
    assert settings.default == "small"
    assert settings.path("small") == str(small_yaml.resolve())
    assert DemoSettings.for_path(ROOT / "scenarios" / "baseline.yaml").default == "baseline"
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        settings.path("nope")


@pytest.mark.parametrize("text, expected", [
    ("42", (42, None)), (42, (42, None)), (" 7 ", (7, None)), ("", (1, None)), (None, (1, None)),
])
def test_a_seed_typed_in_the_browser_becomes_an_int(text, expected) -> None:
    assert parse_seed(text, fallback=1) == expected


@pytest.mark.parametrize("text", ["abc", "4.5", "-3", str(2**63)])
def test_a_bad_seed_falls_back_with_a_note(text) -> None:
    seed, note = parse_seed(text, fallback=1)
    assert seed == 1 and note is not None and "using 1" in note


# ------------------------------------------------------------------------------- the model
def test_the_demo_replays_replicate_0_of_the_typed_seed() -> None:
    demo = teaching(seed="42").run(4)
    scenario = Scenario.load(ROOT / "scenarios" / "teaching.yaml").with_overrides(
        {"seed": 42, "months": 4})
    plain, _ = run_replicate(scenario, 0)  # what `cogov run --seed 42 --months 4` runs
    assert demo.scenario.seed == 42 and demo.seed_note is None
    assert demo.timeseries().equals(plain.drop(columns=["scenario", "replicate", "seed"]))


def test_reset_overrides_migrant_share_and_months() -> None:
    model = teaching(migrant_share=0.6, months=12)
    assert model.scenario.population.migrant_share == 0.6 and model.scenario.months == 12
    assert model.run().month == 12 and model.running is False


def test_a_lever_acts_from_next_month_exactly_like_the_schedule() -> None:
    demo = teaching().run(3)
    demo.request({"fund_per_community": 50_000})  # a slider dragged: only its last value counts
    demo.request({"fund_per_community": 0})
    assert demo.policy.fund_per_community == 100_000  # not yet
    assert demo.pending() == {"fund_per_community": 0}
    assert demo.lever_values()["fund_per_community"] == 0  # the slider shows the request
    demo.run(6)
    assert demo.policy.fund_per_community == 0 and demo.pending() == {}
    assert demo.change_marks() == [(4, "社区资金 0万元/年")]
    scheduled = Scenario.load(ROOT / "scenarios" / "teaching.yaml").with_overrides(
        {"policy.schedule": [{"month": 4, "set": {"fund_per_community": 0}}]})
    plain = CoGovModel(scheduled, rng=replicate_rng(1, 0)).run(6)
    assert demo.timeseries().equals(plain.timeseries())


def test_a_bad_lever_value_is_refused_at_once() -> None:
    demo = teaching()
    with pytest.raises(ValueError):
        demo.request({"devolution": 1.5})
    assert demo.lever_log == [] and demo.pending() == {}


def test_schedule_changes_are_marked_when_they_apply() -> None:
    model = DemoModel(preset="fund_withdrawal", presets=SETTINGS.presets)
    model.run(36)
    assert model.change_marks() == []
    model.step()
    assert model.change_marks() == [(37, "社区资金 0万元/年")]
    assert model.lever_values()["fund_per_community"] == 0


class _RequestOnFirstEntry:
    """The model's lock, except that the first time anyone takes it, another thread requests a
    lever first: a request arriving in the instant a step starts, made deterministic."""

    def __init__(self, lock, request) -> None:
        self.lock, self.request, self.fired = lock, request, False

    def __enter__(self):
        if not self.fired:
            self.fired = True
            other = threading.Thread(target=self.request)
            other.start()
            other.join()
        return self.lock.__enter__()

    def __exit__(self, *exc):
        return self.lock.__exit__(*exc)


def test_a_lever_requested_as_a_step_starts_is_logged_for_the_month_it_acts_in() -> None:
    """Mesa counts the month before running the step: a request in between must not be logged
    for month m + 1 while it acts in month m."""
    demo = teaching().run(3)
    demo._lock = _RequestOnFirstEntry(demo._lock,
                                      lambda: demo.request({"fund_per_community": 0}))
    demo.step()
    assert demo.month == 4
    acted_in = 4 if demo.policy.fund_per_community == 0 else 5
    assert demo.lever_log == [(acted_in, {"fund_per_community": 0})]
    demo.run(6)
    assert demo.change_marks() == [(acted_in, "社区资金 0万元/年")]
    scheduled = Scenario.load(ROOT / "scenarios" / "teaching.yaml").with_overrides(
        {"policy.schedule": [{"month": acted_in, "set": {"fund_per_community": 0}}]})
    plain = CoGovModel(scheduled, rng=replicate_rng(1, 0)).run(6)
    assert demo.timeseries().equals(plain.timeseries())
