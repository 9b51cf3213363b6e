"""Calibration targets files (``calibration/*.yaml``; docs/calibration.md) and the simulator
that calibration runs (issue 10).

A targets file names the scenarios the targets are measured on (files relative to the targets
file or to ``scenarios/``, with optional ``set:`` overrides and ``months``), the targets (a
summary metric of sim/metrics.py or a named statistic of sim/statistics.py on one scenario, the
observed value, its standard deviation and its source), the patterns of docs/ODD.md §9
(``sim.patterns.CATALOGUE`` ids) that posterior draws must keep, the behaviour coefficients to
calibrate with their priors (bounds and shape), the replicates averaged per evaluation and the
master seed. :func:`load` validates it as strictly as scenarios are validated: unknown keys
with a "did you mean", every problem located ``file.yaml:LINE key.path: message``, all of them
raised together as :class:`sim.errors.ScenarioError` (a :class:`~sim.errors.BadInput`) before
anything runs.

:func:`simulate` is the model as calibration sees it: coefficients θ and a seed in, one number
per target out.
"""

from __future__ import annotations

import hashlib
import json
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError, field_validator

from sim import statistics
from sim.errors import Problem, ScenarioError, did_you_mean
from sim.loading import load_yaml_tree, located_at, problem_at
from sim.scenario import Scenario
from sim.schema import (
    Label,
    _Config,
    bounds,
    field_at,
    key_paths,
    model_class,
    retired,
    validation_message,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
"""Where a scenario file not found beside the targets file is looked for."""
SHAPES = ("uniform", "loguniform")
FIXED_KEYS = ("seed", "months", "name", "description")
"""Scenario keys that cannot be calibrated: the seed is :func:`simulate`'s, the horizon is the
targets file's, and a name changes nothing that runs."""


# ------------------------------------------------------------------------------- the contract
@dataclass(frozen=True)
class Prior:
    """The prior of one calibrated coefficient: scenario key ``key`` (dotted), on
    [``low``, ``high``], ``shape`` uniform (density 1/(high − low)) or loguniform (log x
    uniform: density 1/(x·ln(high/low)), needs low > 0)."""

    key: str
    low: float
    high: float
    shape: str = "uniform"

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"shape must be one of {', '.join(SHAPES)}, got {self.shape!r}")
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"needs finite low < high, got [{self.low}, {self.high}]")
        if self.shape == "loguniform" and self.low <= 0:
            raise ValueError(f"loguniform needs low > 0, got {self.low}")

    def rvs(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws (float array of shape (size,)) from ``rng``."""
        if self.shape == "uniform":
            return rng.uniform(self.low, self.high, size)
        return np.exp(rng.uniform(math.log(self.low), math.log(self.high), size))

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Density at ``x`` (any shape; 0 outside [low, high])."""
        x = np.asarray(x, dtype=float)
        inside = self.contains(x)
        if self.shape == "uniform":
            return np.where(inside, 1.0 / (self.high - self.low), 0.0)
        safe = np.where(inside, x, 1.0)
        return np.where(inside, 1.0 / (safe * math.log(self.high / self.low)), 0.0)

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Boolean array: ``low ≤ x ≤ high``."""
        x = np.asarray(x, dtype=float)
        return (x >= self.low) & (x <= self.high)

    def distribution(self) -> Any:
        """The same prior as a frozen scipy.stats distribution (for libraries that take one)."""
        from scipy import stats

        if self.shape == "uniform":
            return stats.uniform(loc=self.low, scale=self.high - self.low)
        return stats.loguniform(self.low, self.high)


@dataclass(frozen=True)
class Target:
    """One observed statistic: ``statistic`` (a summary metric or a name of
    ``sim.statistics.STATISTICS``) measured on scenario ``scenario`` (a name of
    :attr:`Targets.scenarios`), ``observed`` ± ``sd`` (its standard deviation, > 0, in the
    statistic's unit), where the figure comes from (``source``) and its ``label`` (zh/en)."""

    name: str
    statistic: str
    scenario: str
    observed: float
    sd: float
    source: str
    label: Label


@dataclass(frozen=True, eq=False)
class Targets:
    """One validated targets file. ``scenarios``: name → the resolved scenario (its file with
    ``set:`` and ``months`` applied); ``replicates``: model replicates averaged per evaluation
    of one parameter vector; ``seed``: the calibration's master seed (the engine's;
    :func:`simulate` runs on the seed it is given)."""

    path: Path
    priors: tuple[Prior, ...]
    targets: tuple[Target, ...]
    patterns: tuple[str, ...]
    replicates: int
    seed: int = 0
    scenarios: Mapping[str, Scenario] = field(default_factory=dict)
    name: str = ""

    @property
    def observed(self) -> dict[str, float]:
        """Target name → observed value."""
        return {t.name: t.observed for t in self.targets}

    @property
    def sds(self) -> dict[str, float]:
        """Target name → standard deviation of the observation."""
        return {t.name: t.sd for t in self.targets}

    @property
    def content_digest(self) -> str:
        """SHA-256 of what the calibration depends on: the resolved scenarios (so an edit to a
        scenario file they read counts), the targets' statistics, observations and sds, the
        priors, patterns and replicates. Comments, labels, sources and layout do not count,
        so editing them does not stop a resume."""
        content = {
            "scenarios": {name: s.model_dump(mode="json") for name, s in self.scenarios.items()},
            "targets": [[t.name, t.statistic, t.scenario, t.observed, t.sd]
                        for t in self.targets],
            "priors": [[p.key, p.low, p.high, p.shape] for p in self.priors],
            "patterns": list(self.patterns), "replicates": self.replicates,
        }
        text = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------- the file
class LabelSpec(_Config):
    zh: str = Field(min_length=1, description="Chinese label")
    en: str = Field(min_length=1, description="English label")


class ScenarioSpec(_Config):
    file: str = Field(description="scenario file, relative to the targets file or scenarios/")
    set: dict[str, Any] = Field({}, description="overrides of the scenario, dotted key → value")
    months: int | None = Field(None, ge=1, le=1200, description="horizon, overriding the file's")


class TargetSpec(_Config):
    scenario: str = Field(description="a name under scenarios:")
    statistic: str = Field(description="summary metric or named statistic")
    observed: float = Field(description="the observed value, in the statistic's unit")
    sd: float = Field(gt=0.0, description="standard deviation of the observed value (> 0)")
    source: str = Field(description="where the observed value comes from (a full reference)")
    label: LabelSpec | None = Field(None, description="zh/en label; default the statistic's")

    @field_validator("source")
    @classmethod
    def _said(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name where the figure comes from")
        return value.strip()


class PriorSpec(_Config):
    low: float
    high: float
    shape: Literal["uniform", "loguniform"] = "uniform"


class TargetsFile(_Config):
    """A targets file as written (see docs/calibration.md)."""

    name: str = Field("targets", min_length=1)
    description: str = ""
    seed: int = Field(0, ge=0, le=2**63 - 1, description="master seed of the calibration")
    replicates: int = Field(1, ge=1, le=1000, description="model replicates per evaluation")
    scenarios: dict[str, ScenarioSpec] = Field(min_length=1)
    targets: dict[str, TargetSpec] = Field(min_length=1)
    patterns: list[str] = Field([], description="pattern ids (sim.patterns.CATALOGUE)")
    priors: dict[str, PriorSpec] = Field(min_length=1, description="scenario key → prior")


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model of this file whose fields are allowed at ``loc`` (dict keys are skipped)."""
    model: Any = TargetsFile
    skip = False
    for part in loc:
        if skip:
            skip = False
            continue
        if model is None or part not in model.model_fields:
            return None
        annotation = model.model_fields[part].annotation
        if typing.get_origin(annotation) is dict:
            model, skip = typing.get_args(annotation)[1], True
        else:
            args = [a for a in typing.get_args(annotation) if model_class(a)]
            model = model_class(annotation) or (args[0] if args else None)
    return model_class(model) if model is not None else None


def _suggest(word: str, options: list[str] | tuple[str, ...]) -> str:
    return did_you_mean(str(word), options)


def _located(exc: ValidationError, where: Mapping, source: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            model = _model_at(loc[:-1])
            options = list(model.model_fields) if model is not None else []
            hint = _suggest(loc[-1], options)
            message = (f"unknown key '{loc[-1]}'{hint}" if hint else
                       f"unknown key '{loc[-1]}'; allowed: {', '.join(options)}")
        else:
            message = validation_message(err, TargetsFile, loc)
        problems += [problem_at(loc, m, where, source) for m in message.split("\n")]
    return problems


def load(path: str | Path) -> Targets:
    """Read and validate a targets file; raise :class:`~sim.errors.ScenarioError` (BadInput,
    exit 2) with every problem located (``file:line key.path: message``). Checked here, before
    any run: the file's keys and types; every scenario file exists (beside the targets file,
    else in ``scenarios/``) and loads with its ``set:`` and ``months``; every target names a
    scenario of the file and a known statistic, its observed value lies in the statistic's
    range, its sd is > 0 and its source is not empty, and a target on a summary metric has a
    label (summary metrics carry none); every pattern is in the catalogue, once; every prior is
    a numeric (non-integer) scenario key, not fixed by a scenario's ``set:``, with finite
    low < high inside the key's declared range (low > 0 for loguniform), and every scenario
    is valid at both ends of every prior."""
    from sim import patterns as pattern_catalogue

    path = Path(path)
    data, where = load_yaml_tree(path)
    source = str(path)
    try:
        spec = TargetsFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_located(exc, where, source)) from None

    def problem(message: str, *keys: str | int) -> Problem:
        return problem_at(keys, message, where, source)

    def at(*keys: str | int) -> str:
        file, line = located_at(keys, where, source)
        return f"{file}:{line}" if line else file

    problems: list[Problem] = []
    priors: list[Prior] = []
    for key, given in spec.priors.items():
        try:
            priors.append(_prior(key, given))
        except ValueError as exc:
            problems.append(problem(str(exc), "priors", key))
    prior_keys = {p.key for p in priors} | set(spec.priors)

    scenarios: dict[str, Scenario] = {}
    for name, entry in spec.scenarios.items():
        for key in entry.set:
            clash = [k for k in prior_keys if k == key or k.startswith(key + ".")
                     or key.startswith(k + ".")]
            if key == "seed" or clash:
                why = ("the seed is the calibration's (seed:)" if key == "seed" else
                       f"'{clash[0]}' is calibrated (priors:); a key is either fixed or "
                       "calibrated")
                problems.append(problem(f"cannot set: {why}", "scenarios", name, "set", key))
        file = _scenario_file(path, entry.file)
        if file is None:
            problems.append(problem(f"file not found: {path.parent / entry.file} (nor "
                                    f"{SCENARIOS / entry.file})", "scenarios", name, "file"))
            continue
        fixed = dict(entry.set)
        origin = {key: f"{at('scenarios', name, 'set', key)} set" for key in fixed}
        if entry.months is not None:
            fixed["months"] = entry.months
            origin["months"] = f"{at('scenarios', name, 'months')} months"
        try:
            scenarios[name] = Scenario.load(file, fixed, origin)
        except ScenarioError as exc:  # a bad override at its own line, else the file's
            for p in exc.located:
                if p.key == "months" and entry.months is not None:
                    problems.append(problem(p.message, "scenarios", name, "months"))
                elif p.key in entry.set:
                    problems.append(problem(p.message, "scenarios", name, "set", p.key))
                else:
                    problems.append(problem(str(p), "scenarios", name, "file"))

    known = statistics.names()
    targets = []
    for name, t in spec.targets.items():
        here = ("targets", name)
        if t.scenario not in spec.scenarios:
            problems.append(problem(f"no scenario '{t.scenario}' under scenarios:"
                                    f"{_suggest(t.scenario, list(spec.scenarios))}",
                                    *here, "scenario"))
        if t.statistic not in known:
            problems.append(problem(f"unknown statistic '{t.statistic}'"
                                    f"{_suggest(t.statistic, known)}; the statistics are the "
                                    "summary metrics (sim/metrics.py) and those of "
                                    "sim/statistics.py", *here, "statistic"))
            continue
        low, high = statistics.range_of(t.statistic)
        if not low <= t.observed <= high:
            problems.append(problem(f"must be in the statistic's range [{low:g}, {high:g}], "
                                    f"got {t.observed:g}", *here, "observed"))
        named = statistics.STATISTICS.get(t.statistic)
        runs = scenarios.get(t.scenario)
        if named is not None and runs is not None and runs.months < named.min_months:
            problems.append(problem(f"'{t.statistic}' needs a run of at least "
                                    f"{named.min_months} months (a complete fund cycle), but "
                                    f"scenario '{t.scenario}' runs {runs.months}: it would "
                                    "always be undefined", *here, "statistic"))
        if t.label is None and named is None:
            problems.append(problem("a target on a summary metric needs label: {zh: ..., en: "
                                    "...} (summary metrics carry no bilingual label)", *here))
            continue
        label = Label(t.label.zh, t.label.en) if t.label is not None else named.label
        targets.append(Target(name, t.statistic, t.scenario, t.observed, t.sd, t.source, label))

    for i, pattern in enumerate(spec.patterns):
        if pattern not in pattern_catalogue.BY_ID:
            problems.append(problem(f"unknown pattern '{pattern}'"
                                    f"{_suggest(pattern, list(pattern_catalogue.BY_ID))}; the "
                                    f"patterns are {', '.join(pattern_catalogue.BY_ID)}",
                                    "patterns", i))
        elif pattern in spec.patterns[:i]:
            problems.append(problem(f"pattern '{pattern}' is listed twice", "patterns", i))

    for prior in priors:  # every scenario must be valid at both ends of every prior
        for name, scenario in scenarios.items():
            for end in (prior.low, prior.high):
                try:
                    scenario.with_overrides({prior.key: end}, origin=f"priors.{prior.key}")
                except ScenarioError as exc:
                    why = "; ".join(p.message for p in exc.located)
                    problems.append(problem(f"scenario '{name}' is not valid at {end:g}: {why}",
                                            "priors", prior.key))
                    break
    if problems:
        raise ScenarioError(problems)
    return Targets(path=path, priors=tuple(priors), targets=tuple(targets),
                   patterns=tuple(spec.patterns), replicates=spec.replicates, seed=spec.seed,
                   scenarios=scenarios, name=spec.name)


def is_targets_file(data: Any) -> bool:
    """A targets file has top-level ``targets:`` and ``priors:`` keys (docs/calibration.md)."""
    return isinstance(data, Mapping) and "targets" in data and "priors" in data


def _scenario_file(path: Path, file: str) -> Path | None:
    for candidate in (path.parent / file, SCENARIOS / file):
        if candidate.is_file():
            return candidate
    return None


def _prior(key: str, given: PriorSpec) -> Prior:
    """The :class:`Prior` of scenario key ``key``; ValueError saying what is wrong."""
    if key in FIXED_KEYS:
        raise ValueError(f"cannot calibrate '{key}': it is fixed by the targets file")
    keys = tuple(key.split("."))
    info = field_at(Scenario, keys)
    if info is None:
        raise ValueError(retired(key) or f"not a scenario key{_suggest(key, key_paths(Scenario))}")
    if info.annotation is not float:
        kind = ("a section" if model_class(info.annotation) else
                "a whole number" if info.annotation is int else
                "a switch" if info.annotation is bool else "not a number")
        raise ValueError(f"cannot calibrate '{key}': it is {kind}; priors are for real-valued "
                         "coefficients")
    low, high = bounds(Scenario, keys)
    if low is not None and given.low < low or high is not None and given.high > high:
        raise ValueError(f"bounds [{given.low:g}, {given.high:g}] outside the key's range "
                         f"[{low if low is not None else '-inf'}, "
                         f"{high if high is not None else 'inf'}]")
    return Prior(key, float(given.low), float(given.high), given.shape)


# ---------------------------------------------------------------------------------- simulate
def simulate(targets: Targets, theta: Mapping[str, float], seed: int) -> dict[str, float]:
    """Target name → the model's value of its statistic at coefficients ``theta``.

    For each scenario the targets use (each run once however many targets read it), ``theta``
    (prior key → value) is applied with ``Scenario.with_overrides`` together with ``seed``, and
    replicates 0 … ``targets.replicates`` − 1 run exactly as ``cogov run --seed SEED
    --replicates R`` runs them (``sim.runner.make_model``: ``replicate_rng(seed, r)``); every
    scenario shares those seeds (common random numbers). A target's value is the mean of its
    statistic over the replicates; NaN where it is undefined (an odds ratio with nobody of a
    group deliberating, an infinite ratio) in any replicate. Deterministic in (theta, seed); a
    module-level function, so ``functools.partial(simulate, targets)`` pickles. Raises
    ValueError for a key of ``theta`` that is not a prior's, ScenarioError for a value a
    scenario refuses."""
    allowed = {p.key for p in targets.priors}
    unknown = sorted(set(theta) - allowed)
    if unknown:
        raise ValueError(f"theta has keys that are not priors of {targets.path}: "
                         f"{', '.join(unknown)}")
    if not 0 <= int(seed) <= 2**63 - 1:
        raise ValueError(f"seed must be in [0, 2**63 − 1], got {seed}")
    overrides: dict[str, Any] = {key: float(value) for key, value in theta.items()}
    overrides["seed"] = int(seed)
    runs: dict[str, list[dict[str, float]]] = {}
    for target in targets.targets:
        if target.scenario not in runs:
            scenario = targets.scenarios[target.scenario].with_overrides(overrides,
                                                                         origin="theta")
            runs[target.scenario] = [statistics.finite_or_nan(statistics.measure(scenario, r))
                                     for r in range(targets.replicates)]
    return {t.name: float(np.mean([run[t.statistic] for run in runs[t.scenario]]))
            for t in targets.targets}
