"""The model adapter: the demo's presets and a :class:`CoGovModel` built from browser values.

The page's Reset (like Mesa's SolaraViz) rebuilds the model as ``DemoModel(**model_params)``,
so :class:`DemoModel` takes plain browser values (a seed typed in the browser arrives as a
string and is converted here), and :func:`reset_params` says which values Reset offers. Levers
move through :meth:`DemoModel.request` and act from the next month, the way a scenario's
``schedule`` does.
No browser import: this module runs and is tested without solara.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.demo.district_view import community_participation
from sim.demo.levers import LESSON_ORDER, LEVERS, describe
from sim.model import CoGovModel, replicate_rng
from sim.scenario import Scenario, apply_policy_changes

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
"""The shipped scenarios (a source checkout or an editable install)."""

DEFAULT_SCENARIO = SCENARIO_DIR / "teaching.yaml"
ENV_SCENARIO = "COGOV_DEMO_SCENARIO"
"""Environment variable through which :func:`sim.demo.server.serve` hands the scenario path to
the page."""


@dataclass(frozen=True)
class DemoSettings:
    """What the page serves: the presets (key → scenario file) and the one loaded first."""

    presets: tuple[tuple[str, str], ...]
    default: str

    @classmethod
    def for_path(cls, scenario_path: str | os.PathLike | None) -> DemoSettings:
        """Shipped scenarios in lesson order, plus ``scenario_path`` if it is not one of them."""
        shipped = {p.stem: p.resolve() for p in sorted(SCENARIO_DIR.glob("*.yaml"))}
        order = [k for k in LESSON_ORDER if k in shipped]
        order += sorted(k for k in shipped if k not in order)
        presets = [(k, str(shipped[k])) for k in order]
        path = Path(scenario_path).resolve() if scenario_path else DEFAULT_SCENARIO.resolve()
        default = next((k for k, p in presets if Path(p) == path), None)
        if default is None:
            default = path.stem if path.stem not in shipped else str(path)
            presets.append((default, str(path)))
        return cls(tuple(presets), default)

    @classmethod
    def from_environment(cls) -> DemoSettings:
        return cls.for_path(os.environ.get(ENV_SCENARIO) or None)

    def path(self, key: str) -> str:
        for k, p in self.presets:
            if k == key:
                return p
        raise ValueError(f"unknown preset {key!r}; choose one of {[k for k, _ in self.presets]}")


def parse_seed(text: Any, fallback: int) -> tuple[int, str | None]:
    """A seed typed in the browser (a string) as an int, or ``fallback`` with a note why.

    The string "42" would seed a different stream than 42 (STYLE.md), so it is converted here.
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return fallback, None
    try:
        seed = int(str(text).strip())
    except ValueError:
        return fallback, f"seed {text!r} is not a whole number: using {fallback}"
    if not 0 <= seed < 2**63:
        return fallback, f"seed {seed} is out of range 0 … 2⁶³−1: using {fallback}"
    return seed, None


# --------------------------------------------------------------------------------- the model
class DemoModel(CoGovModel):
    """A :class:`CoGovModel` built from plain browser values, as SolaraViz's Reset does it.

    Args:
        preset: key of ``presets`` (a shipped scenario's file stem).
        seed: master seed, an int or the string typed in the browser; blank or invalid → the
            scenario's own seed. The run is replicate 0 of ``cogov run --seed`` (same numbers
            until a lever moves).
        migrant_share: override of ``population.migrant_share`` (None: the scenario's).
        months: override of the horizon (None: the scenario's).
        presets: ``(key, path)`` pairs (default: :meth:`DemoSettings.from_environment`).
    """

    def __init__(
        self,
        preset: str = "teaching",
        seed: int | str | None = None,
        migrant_share: float | None = None,
        months: int | None = None,
        presets: tuple[tuple[str, str], ...] = (),
    ):
        settings = DemoSettings(presets, preset) if presets else DemoSettings.from_environment()
        scenario = Scenario.load(settings.path(preset))
        seed_value, self.seed_note = parse_seed(seed, scenario.seed)
        overrides: dict[str, Any] = {"seed": seed_value}
        if migrant_share is not None:
            overrides["population.migrant_share"] = float(migrant_share)
        if months is not None:
            overrides["months"] = int(months)
        scenario = scenario.with_overrides(overrides, origin="demo")
        self.preset = preset
        self.lever_log: list[tuple[int, dict[str, Any]]] = []  # (month applied, changes)
        self._lock = threading.Lock()  # Play steps in a thread while levers move
        super().__init__(scenario, rng=replicate_rng(seed_value, 0))
        # each community's participation, one (C,) array a month: the district view's tiles
        self.community_history: list[Any] = []
        # Mesa's step counts the month (``steps``, hence ``month``) before it runs ours, so the
        # lock holds the count and the month together: a lever requested in between would
        # otherwise be logged for the month after the one it acts in
        counted_step = self.step

        def step() -> None:
            with self._lock:
                counted_step()
                self.community_history.append(community_participation(self))

        self.step = step

    def request(self, changes: Mapping[str, Any]) -> None:
        """Queue lever changes for the start of next month (``set_policy``) and log them."""
        with self._lock:
            self.set_policy(dict(changes))
            self.lever_log.append((self.month + 1, dict(changes)))

    def pending(self) -> dict[str, Any]:
        """Lever changes requested this month, to act from next month."""
        out: dict[str, Any] = {}
        for month, changes in self.lever_log:
            if month > self.month:
                out.update(changes)
        return out

    def lever_values(self) -> dict[str, Any]:
        """Every lever's value as it will stand next month (policy plus pending requests)."""
        policy = self.policy
        pending = self.pending()
        if pending:
            policy = apply_policy_changes(policy, pending)
        data = policy.model_dump()
        out = {}
        for lever in LEVERS:
            value: Any = data
            for key in lever.path.split("."):
                value = value[key]
            out[lever.path] = value
        return out

    def change_marks(self) -> list[tuple[int, str]]:
        """(month, text) of the policy changes applied so far, schedule and levers, one entry
        a month (a slider dragged through several values counts once, at its last)."""
        by_month: dict[int, dict[str, Any]] = {}
        changes = [(c.month, c.set) for c in self.scenario.policy.schedule] + self.lever_log
        for month, change in changes:
            if month <= self.month:
                by_month.setdefault(month, {}).update(change)
        return [(m, describe(c)) for m, c in sorted(by_month.items())]




def reset_params(settings: DemoSettings, preset: str) -> dict[str, Any]:
    """``model_params`` in SolaraViz's format: the preset (fixed) and what a Reset rebuilds
    with (seed, migrant share, months; the page's Reset settings panel shows these)."""
    scenario = Scenario.load(settings.path(preset))
    return {
        "preset": preset,
        "presets": settings.presets,
        "seed": {"type": "InputText", "value": str(scenario.seed),
                 "label": "种子 seed ⟲"},
        "migrant_share": {"type": "SliderFloat", "value": scenario.population.migrant_share,
                          "min": 0.0, "max": 0.9, "step": 0.01,
                          "label": "流动 migrant_share ⟲"},
        "months": {"type": "SliderInt", "value": scenario.months, "min": 12, "max": 120,
                   "step": 6, "label": "月数 months ⟲"},
    }
