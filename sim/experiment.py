"""What varies: experiment files and their designs (INTERFACE.md "Experiment YAML").

An experiment names a base scenario (or, for checking the machinery on functions with known
answers, a Python ``target`` callable), a design ``method`` (grid, random, sobol, morris, fast),
the parameters that vary (any scenario key path: numbers, integers, and categorical values for
grid and random designs), replicates, a seed and the summary metrics to analyse. ``design``
turns it into a list of runs; it knows nothing of how runs are executed (sim.sweep) or analysed
(sim.analysis).

Seeds: replicate ``r`` of every design point runs exactly as replicate ``r`` of ``cogov run
--seed SEED`` (``sim.runner.make_model``: ``SeedSequence(seed, spawn_key=(r,))``, with ``seed``
the experiment's) — the same residents and network at every point (common random numbers), so
differences between points are the parameters' doing, and averaging replicates per point gives
the expected response SALib's estimators need. :meth:`LoadedExperiment.rerun_command` is the
``cogov run`` command that reproduces one run bit for bit.
"""

from __future__ import annotations

import difflib
import importlib
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim import metrics
from sim.scenario import (
    Scenario,
    ScenarioError,
    _bounds,
    _field_at,
    _locate,
    load_yaml_tree,
)

METHODS = ("grid", "random", "sobol", "morris", "fast")


class Experiment(BaseModel):
    """A validated experiment file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str | None = Field(None, description="base scenario file, relative to this file")
    target: str | None = Field(
        None, description="instead of a scenario: 'module:function' taking (params, rng) and "
        "returning a dict of outputs (for test functions with known indices)",
    )
    method: Literal["grid", "random", "sobol", "morris", "fast"]
    samples: int = Field(
        16, ge=1, le=1_000_000,
        description="N: sobol → N·(2D+2) runs (N·(D+2) without second order); morris → N "
        "trajectories of D+1 runs; fast → N·D runs; random → N runs; grid: levels for "
        "parameters given as bounds",
    )
    replicates: int = Field(1, ge=1, le=10_000, description="runs per design point")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="master seed of the experiment")
    months: int | None = Field(None, ge=1, le=1200, description="override the scenario horizon")
    set: dict[str, Any] = Field({}, description="fixed overrides of the base scenario")
    parameters: dict[str, Any] = Field(
        description="key path → [low, high] bounds, or a list of values (grid/random), or "
        "{bounds: [low, high]} / {values: [...]}",
    )
    metrics: list[str] = Field(min_length=1, description="summary metrics to analyse")
    second_order: bool = Field(True, description="sobol: also sample second-order indices")
    morris_levels: int = Field(4, ge=2, le=100, description="morris: grid levels p")
    fast_m: int = Field(4, ge=1, le=50, description="fast: interference parameter M")

    @field_validator("parameters")
    @classmethod
    def _some_parameters(cls, value: dict) -> dict:
        if not value:
            raise ValueError("needs at least one parameter")
        return value


@dataclass(frozen=True)
class Parameter:
    """One varying input: a key path with bounds (continuous/integer) or a list of values."""

    name: str
    bounds: tuple[float, float] | None = None
    values: tuple[Any, ...] | None = None
    integer: bool = False

    def value(self, x: float) -> Any:
        """The scenario value for a sampled number (rounded for integer fields)."""
        return int(round(x)) if self.integer else float(x)


@dataclass(frozen=True)
class Run:
    """One model evaluation: design point, replicate, the master seed (the experiment's) and
    parameter values. It runs as replicate ``replicate`` of ``cogov run --seed seed``."""

    point: int
    replicate: int
    seed: int
    params: dict[str, Any]

    @property
    def key(self) -> tuple[int, int]:
        return (self.point, self.replicate)


@dataclass
class LoadedExperiment:
    """An experiment with its base scenario (or target), parameters and design matrix."""

    spec: Experiment
    path: Path
    base: Scenario | None
    parameters: list[Parameter]

    @property
    def problem(self) -> dict[str, Any]:
        """SALib's problem dict (numeric parameters only)."""
        return {"num_vars": len(self.parameters), "names": [p.name for p in self.parameters],
                "bounds": [list(p.bounds) for p in self.parameters if p.bounds is not None]}

    def design(self) -> np.ndarray | list[tuple]:
        """Design points in order: an (n, D) array (SALib methods, random) or a list of
        value tuples (grid)."""
        s, params = self.spec, self.parameters
        if s.method == "grid":
            levels = [p.values if p.values is not None
                      else tuple(np.linspace(*p.bounds, s.samples)) for p in params]
            return list(itertools.product(*levels))
        rng = np.random.default_rng(np.random.SeedSequence(s.seed, spawn_key=(2**31,)))
        if s.method == "random":
            cols = [rng.choice(len(p.values), size=s.samples) if p.values is not None
                    else rng.uniform(*p.bounds, size=s.samples) for p in params]
            return list(zip(*[[p.values[i] for i in col] if p.values is not None else col
                              for p, col in zip(params, cols, strict=True)], strict=True))
        from SALib.sample import fast_sampler, morris, sobol

        if s.method == "sobol":
            return sobol.sample(self.problem, s.samples, calc_second_order=s.second_order,
                                seed=s.seed)
        if s.method == "morris":
            return morris.sample(self.problem, s.samples, num_levels=s.morris_levels,
                                 seed=s.seed)
        return fast_sampler.sample(self.problem, s.samples, M=s.fast_m, seed=s.seed)

    def runs(self, points: np.ndarray | list[tuple] | None = None) -> list[Run]:
        """Every (design point, replicate) in order, with its seed and parameter values."""
        points = self.design() if points is None else points
        out = []
        for i, row in enumerate(points):
            params = {}
            for p, x in zip(self.parameters, row, strict=True):
                params[p.name] = (x.item() if isinstance(x, np.generic) else x) if p.values \
                    is not None else p.value(x)
            for r in range(self.spec.replicates):
                out.append(Run(i, r, self.spec.seed, params))
        return out

    def scenario_for(self, params: Mapping[str, Any]) -> Scenario:
        """The base scenario with the fixed ``set`` overrides, this point's values, the
        experiment's ``months`` and its seed (the master seed of every run)."""
        return self.base.with_overrides(self._overrides(params), origin=str(self.path))

    def _overrides(self, params: Mapping[str, Any]) -> dict[str, Any]:
        overrides = {**self.spec.set, **params}
        if self.spec.months is not None:
            overrides["months"] = self.spec.months
        overrides["seed"] = self.spec.seed
        return overrides

    def rerun_command(self, run: Run) -> list[str]:
        """The ``cogov run`` command (argv) that reproduces ``run`` bit for bit: the base
        scenario file, ``--seed``, ``--first-replicate``, and one ``--set`` per fixed override
        and parameter value (floats written so that they read back exactly)."""
        overrides = self._overrides(run.params)
        command = ["cogov", "run", str(self.path.parent / self.spec.scenario),
                   "--seed", str(overrides.pop("seed")),
                   "--first-replicate", str(run.replicate), "--replicates", "1"]
        if "months" in overrides:
            command += ["--months", str(overrides.pop("months"))]
        for key, value in overrides.items():
            command += ["--set", f"{key}={_yaml_flow(value)}"]
        return command

    def target_function(self) -> Callable[[dict, np.random.Generator], dict]:
        module, _, name = self.spec.target.partition(":")
        return getattr(importlib.import_module(module), name)


def _yaml_flow(value: Any) -> str:
    """``value`` as one line of YAML that ``parse_assignments`` reads back as the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int | str) and not isinstance(value, bool):
        return str(value)
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    yaml.default_flow_style = True
    yaml.width = 1_000_000
    buffer = io.StringIO()
    yaml.dump(value, buffer)
    return buffer.getvalue().strip().removesuffix("...").strip()


# ------------------------------------------------------------------------------- loading
def load_experiment(path: str | Path) -> LoadedExperiment:
    """Read and validate an experiment file; raise ScenarioError with located problems."""
    path = Path(path)
    data, where = load_yaml_tree(path)
    source = str(path)
    try:
        spec = Experiment.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_locate(exc, Experiment, where, source)) from None

    def at(*keys) -> str:
        for n in range(len(keys), 0, -1):
            hit = where.get(tuple(keys[:n]))
            if hit:
                return f"{hit[0]}:{hit[1]}"
        return source

    problems: list[str] = []
    if (spec.scenario is None) == (spec.target is None):
        problems.append(f"{at('scenario')} scenario: give exactly one of 'scenario' or 'target'")
        raise ScenarioError(problems)
    base = None
    if spec.scenario is not None:
        scenario_path = path.parent / spec.scenario
        try:
            base = Scenario.load(scenario_path)
            if spec.set:
                base = base.with_overrides(spec.set, origin=f"{at('set')} set")
        except ScenarioError as exc:
            raise ScenarioError([f"{at('scenario')} scenario: {p}" for p in exc.problems]) from None
    else:
        try:
            module, _, name = spec.target.partition(":")
            getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError) as exc:
            problems.append(f"{at('target')} target: cannot import {spec.target!r}: {exc}")

    parameters = []
    for name, given in spec.parameters.items():
        try:
            parameters.append(_parameter(name, given, spec, base))
        except ValueError as exc:
            problems.append(f"{at('parameters', name)} parameters.{name}: {exc}")
    if base is not None:
        known = metrics.summary_names()
        for i, metric in enumerate(spec.metrics):
            if metric not in known:
                hint = difflib.get_close_matches(metric, known, n=1, cutoff=0.6)
                tip = f" (did you mean '{hint[0]}'?)" if hint else ""
                problems.append(f"{at('metrics', i)} metrics[{i}]: unknown metric '{metric}'{tip}")
    if spec.method == "sobol" and spec.samples & (spec.samples - 1):
        nxt = 1 << spec.samples.bit_length()
        problems.append(f"{at('samples')} samples: sobol needs a power of 2 (Saltelli), "
                        f"got {spec.samples}; try {nxt}")
    if spec.method in {"sobol", "morris", "fast"}:
        for p in parameters:
            if p.values is not None:
                problems.append(f"{at('parameters', p.name)} parameters.{p.name}: {spec.method} "
                                "needs numeric bounds [low, high]; lists of values are for grid "
                                "and random designs")
    if problems:
        raise ScenarioError(problems)
    loaded = LoadedExperiment(spec, path, base, parameters)
    if base is not None:  # every value must make a valid scenario (catch it before any run)
        for p in parameters:
            for value in p.values if p.values is not None else (p.bounds[0], p.bounds[1]):
                try:
                    loaded.scenario_for({p.name: p.value(value) if p.values is None else value})
                except ScenarioError as exc:
                    problems.append(f"{at('parameters', p.name)} parameters.{p.name}: value "
                                    f"{value!r}: {exc.problems[0].split(': ', 1)[-1]}")
    if problems:
        raise ScenarioError(problems)
    return loaded


def _parameter(name: str, given: Any, spec: Experiment, base: Scenario | None) -> Parameter:
    integer = False
    if base is not None:
        keys = tuple(name.split("."))
        info = _field_at(Scenario, keys)
        if info is None:
            raise ValueError(f"not a scenario key{_suggest(name)}")
        integer = info.annotation is int
        low, high = _bounds(Scenario, keys)
    if isinstance(given, Mapping):
        unknown = set(given) - {"bounds", "values"}
        if unknown or len(given) != 1:
            raise ValueError("give either {bounds: [low, high]} or {values: [...]}")
        given_bounds, values = given.get("bounds"), given.get("values")
    elif isinstance(given, list):
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in given)
        as_bounds = spec.method != "grid" and numeric and len(given) == 2
        given_bounds, values = (given, None) if as_bounds else (None, given)
    else:
        raise ValueError("must be [low, high] bounds or a list of values")
    if values is not None:
        if not values:
            raise ValueError("needs at least one value")
        return Parameter(name, values=tuple(values), integer=integer)
    if (len(given_bounds) != 2 or not all(isinstance(v, int | float) for v in given_bounds)
            or given_bounds[0] >= given_bounds[1]):
        raise ValueError(f"bounds must be [low, high] numbers with low < high, got {given_bounds}")
    if base is not None:
        too_low = low is not None and given_bounds[0] < low
        if too_low or (high is not None and given_bounds[1] > high):
            raise ValueError(f"bounds {given_bounds} outside the key's range [{low}, {high}]")
    return Parameter(name, bounds=(float(given_bounds[0]), float(given_bounds[1])),
                     integer=integer)


def _suggest(name: str) -> str:
    options = _all_key_paths(Scenario)
    hint = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f" (did you mean '{hint[0]}'?)" if hint else ""


def _all_key_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for key, info in model.model_fields.items():
        ann = info.annotation
        path = f"{prefix}{key}"
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.extend(_all_key_paths(ann, path + "."))
        else:
            out.append(path)
    return out


def is_experiment_file(data: Any) -> bool:
    """An experiment file has top-level ``method:`` and ``parameters:`` keys (INTERFACE.md)."""
    return isinstance(data, Mapping) and "method" in data and "parameters" in data
