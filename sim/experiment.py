"""What varies: experiment files and their designs (INTERFACE.md "Experiment YAML").

An experiment names a base scenario (or, for checking the machinery on functions with known
answers, a Python ``target`` callable), a design ``method`` (grid, random, lhs, sobol, morris,
fast),
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

import importlib
import itertools
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim import district, metrics
from sim.errors import Problem, did_you_mean
from sim.loading import get_path, load_yaml_tree, located_at, problem_at, yaml_word
from sim.scenario import (
    Scenario,
    ScenarioError,
    dependencies,
    load_located,
    switch_states,
    switch_values,
)
from sim.schema import (
    bounds,
    field_at,
    field_chain,
    key_paths,
    locate,
    model_class,
    refuse_bool_for_number,
    retired,
)

METHODS = ("grid", "random", "lhs", "sobol", "morris", "fast")
SOBOL_MIN_SAMPLES = 8
"""The smallest Sobol N (base rows of the Saltelli design). SALib's ``sobol.analyze`` gives each
index's interval from ``num_resamples`` = 100 bootstrap resamples of the N rows; N rows have
only C(2N − 1, N) distinct resamples: 1 at N = 1 (the interval is 0 ± 0), 3 at N = 2, 35 at
N = 4, 6,435 at N = 8, the first power of two at which the 100 draws can all differ. The
estimates themselves divide by the variance of 2N outputs: on the Ishigami function (60 seeds)
the largest |S1| is about 39,000 at N = 1, 7 at N = 2, 1.5 at N = 4 and 1.2 at N = 8, where the
share of estimates outside [−0.1, 1.1] (17%) is already near its large-N value (13% at 32)."""
WHOLE_NUMBERS_CHECKED = 1000
"""Whole-number keys sampled over every integer in their bounds are checked value by value at
load; beyond this many values, the first and last half of it (a validator that refuses some
integers, such as an even-only degree, shows within the first few)."""
FIXED_KEYS = ("seed", "name", "description")
"""Scenario keys an experiment cannot vary: every run uses the experiment's seed, and a name or
description changes nothing that runs."""


class Experiment(BaseModel):
    """A validated experiment file."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    scenario: str | None = Field(None, description="base scenario file, relative to this file")
    target: str | None = Field(
        None, description="instead of a scenario: 'module:function' taking (params, rng) and "
        "returning a dict of outputs (for test functions with known indices)",
    )
    method: Literal["grid", "random", "lhs", "sobol", "morris", "fast"]
    samples: int = Field(
        16, ge=1, le=1_000_000,
        description="N: sobol → N·(2D+2) runs (N·(D+2) without second order); morris → N "
        "trajectories of D+1 runs; fast → N·D runs; random and lhs → N runs; grid: levels for "
        "parameters given as bounds",
    )
    replicates: int = Field(1, ge=1, le=10_000, description="runs per design point")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="master seed of the experiment")
    months: int | None = Field(None, ge=1, le=1200, description="override the scenario horizon")
    set: dict[str, Any] = Field({}, description="fixed overrides of the base scenario")
    parameters: dict[str, Any] = Field(
        description="key path → [low, high] bounds, or a list of values (grid/random), or "
        "{bounds: [low, high]} / {values: [...]}; with a target, {bounds: [low, high], "
        "integer: true} makes a whole-number input",
    )
    metrics: list[str] = Field(min_length=1, description="summary metrics to analyse")
    second_order: bool = Field(True, description="sobol: also sample second-order indices")
    morris_levels: int = Field(4, ge=2, le=100, description="morris: grid levels p")
    fast_m: int = Field(4, ge=1, le=50, description="fast: interference parameter M")

    @field_validator("samples", "replicates", "seed", "months", "morris_levels", "fast_m",
                     mode="before")
    @classmethod
    def _no_switch_for_a_number(cls, value: Any) -> Any:
        return refuse_bool_for_number(value, int)

    @field_validator("parameters")
    @classmethod
    def _some_parameters(cls, value: dict) -> dict:
        if not value:
            raise ValueError("needs at least one parameter")
        return value


@dataclass(frozen=True)
class Parameter:
    """One varying input: a key path with bounds (continuous or whole-number) or a list of
    values (already of the key's type)."""

    name: str
    bounds: tuple[float, float] | None = None
    values: tuple[Any, ...] | None = None
    integer: bool = False

    def value(self, x: float) -> Any:
        """The scenario value of a design number (whole-number keys get whole design values:
        this only changes the type)."""
        return int(round(x)) if self.integer else float(x)

    def levels(self, samples: int) -> tuple[Any, ...]:
        """Grid levels: the values, or ``samples`` evenly spaced numbers over the bounds (for a
        whole-number key the distinct whole numbers nearest to them)."""
        if self.values is not None:
            return self.values
        spaced = np.linspace(*self.bounds, samples)
        if self.integer:
            return tuple(int(v) for v in np.unique(np.floor(spaced + 0.5)))
        return tuple(float(v) for v in spaced)


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
    warnings: list[str] = field(default_factory=list)
    """Located warnings (a ``set:`` key or a parameter that replaces a column of the base
    scenario's table of communities), printed by ``cogov validate`` and ``cogov sweep``."""

    @property
    def problem(self) -> dict[str, Any]:
        """SALib's problem dict (numeric parameters only), exactly as the sampler gets it. For a
        whole-number key under sobol, fast and random the bounds are [low, high + 1): the
        value run is the floor of the sampled number (see :meth:`design`)."""
        return {"num_vars": len(self.parameters), "names": [p.name for p in self.parameters],
                "bounds": [list(self._sampled_bounds(p)) for p in self.parameters
                           if p.bounds is not None]}

    def _sampled_bounds(self, p: Parameter) -> tuple[float, float]:
        low, high = p.bounds
        if p.integer and self.spec.method != "morris":  # morris: levels land on whole numbers
            return (low, high + 1.0)
        return (low, high)

    def design(self) -> np.ndarray | list[tuple]:
        """Design points in order: an (n, D) float array (SALib methods) or a list of value
        tuples (grid, random). Every entry is the value that runs: a whole-number key holds
        whole numbers — uniform over low..high for sobol, fast, random and lhs (the floor of
        a number sampled on [low, high + 1)), Morris grid levels (whole by the check at load)
        for morris. ``lhs`` is a Latin hypercube (McKay, Beckman & Conover 1979; scipy's
        ``qmc.LatinHypercube``): each parameter's range cut into N equal strata, one point in
        each, the strata paired at random — the design scenario discovery (``cogov discover``)
        is meant for. The same experiment gives the same design on every call; numpy's global
        random state is neither used nor changed."""
        s, params = self.spec, self.parameters
        if s.method == "grid":
            return list(itertools.product(*[p.levels(s.samples) for p in params]))
        rng = np.random.default_rng(np.random.SeedSequence(s.seed, spawn_key=(2**31,)))
        if s.method == "random":
            cols = []
            for p in params:
                if p.values is not None:
                    cols.append([p.values[i] for i in rng.choice(len(p.values), size=s.samples)])
                elif p.integer:
                    cols.append(rng.integers(int(p.bounds[0]), int(p.bounds[1]) + 1,
                                             size=s.samples))
                else:
                    cols.append(rng.uniform(*p.bounds, size=s.samples))
            return list(zip(*cols, strict=True))
        if s.method == "lhs":
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(d=len(params), rng=rng).random(s.samples)
            x = qmc.scale(unit, *np.array([self._sampled_bounds(p) for p in params]).T)
            return self._whole(x)
        from SALib.sample import fast_sampler, morris, sobol

        with _global_random_state_kept():
            if s.method == "sobol":
                x = sobol.sample(self.problem, s.samples, calc_second_order=s.second_order,
                                 seed=s.seed)
            elif s.method == "morris":
                x = morris.sample(self.problem, s.samples, num_levels=s.morris_levels,
                                  seed=s.seed)
            else:
                x = fast_sampler.sample(self.problem, s.samples, M=s.fast_m, seed=s.seed)
        return self._whole(x)

    def _whole(self, x: np.ndarray) -> np.ndarray:
        """``x`` with whole-number parameters made whole: Morris levels rounded, other
        designs' numbers on [low, high + 1) floored (capped at high)."""
        for j, p in enumerate(self.parameters):
            if p.integer:
                whole = np.round(x[:, j]) if self.spec.method == "morris" else np.floor(x[:, j])
                x[:, j] = np.clip(whole, *p.bounds)
        return x

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
    """Read and validate an experiment file; raise ScenarioError with every problem located
    (``file:line key.path: message``). Checked here, before any run: the base scenario with
    ``set:`` and ``months:`` applied; every parameter is a scenario key that can vary, is not
    also fixed, acts somewhere in the design (its switch, if any, is on in the base, turned on
    by the base's schedule or varied too) and has bounds or values the key accepts (values are
    converted to the key's type); whole-number keys land on whole numbers; sample sizes meet
    each method's minimum."""
    path = Path(path)
    data, where = load_yaml_tree(path)
    source = str(path)
    try:
        spec = Experiment.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(locate(exc, Experiment, where, source)) from None

    def at(*keys: str | int) -> str:
        """Where ``keys`` was set, as a label for overrides: ``file:line``."""
        file, line = located_at(keys, where, source)
        return f"{file}:{line}" if line else file

    def problem(message: str, *keys: str | int) -> Problem:
        return problem_at(keys, message, where, source)

    problems: list[Problem] = []
    if (spec.scenario is None) == (spec.target is None):
        problems.append(problem("give exactly one of 'scenario' or 'target'", "scenario"))
        raise ScenarioError(problems)
    base = None
    if spec.scenario is not None:
        fixed = dict(spec.set)
        origin = {key: f"{at('set', key)} set" for key in fixed}
        if spec.months is not None:
            fixed["months"], origin["months"] = spec.months, f"{at('months')} experiment"
        try:
            base, base_where = load_located(path.parent / spec.scenario, fixed, origin)
        except ScenarioError as exc:
            raise ScenarioError([problem(p, "scenario") for p in exc.problems]) from None
    else:
        try:
            module, _, name = spec.target.partition(":")
            getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError) as exc:
            problems.append(problem(f"cannot import {spec.target!r}: {exc}", "target"))

    parameters = []
    for name, given in spec.parameters.items():
        try:
            if base is not None:
                _can_vary(name, spec)
            parameters.append(_parameter(name, given, spec, base))
        except ValueError as exc:
            problems.append(problem(str(exc), "parameters", name))
    if base is not None:
        known = metrics.summary_names()
        for i, metric in enumerate(spec.metrics):
            if metric not in known:
                problems.append(problem(f"unknown metric '{metric}'"
                                        f"{did_you_mean(metric, known)}", "metrics", i))
    problems += [problem(msg, key) for key, msg in _sample_problems(spec, parameters)]
    if spec.method in {"sobol", "morris", "fast", "lhs"}:
        for p in parameters:
            if p.values is not None:
                problems.append(problem(f"{spec.method} needs numeric bounds [low, high]; lists "
                                        "of values are for grid and random designs",
                                        "parameters", p.name))
    if spec.method == "morris":
        problems += [problem(msg, "parameters", name)
                     for name, msg in _morris_grid_problems(spec, parameters)]
    loaded = LoadedExperiment(spec, path, base, parameters)
    if base is not None:
        loaded.warnings = _table_warnings(parameters, base_where, where, source)
    if base is not None:  # every value must make a valid scenario (catch it before any run)
        for i, p in enumerate(parameters):
            try:
                parameters[i] = _typed(p, loaded)
            except ValueError as exc:
                problems.append(problem(str(exc), "parameters", p.name))
        problems += [problem(msg, "parameters", name)
                     for name, msg in _inert_problems(base, parameters)]
    if problems:
        raise ScenarioError(problems)
    return loaded


def _table_warnings(parameters: list[Parameter], base_where: Mapping, where: Mapping,
                    source: str) -> list[str]:
    """Warnings for the ``set:`` keys and parameters that replace a column of the base
    scenario's table of communities (README "Your own district"): the value then holds in
    every community, as for ``--set``."""
    cells = district.table_columns(base_where)
    warnings = district.replaced_warnings(base_where, source)
    for p in parameters:
        warnings += [str(problem_at(("parameters", p.name), message, where, source))
                     for message in district.replaced_messages(p.name, cells)]
    return warnings


def _can_vary(name: str, spec: Experiment) -> None:
    """ValueError if the scenario key ``name`` cannot be a parameter of ``spec``."""
    if name in FIXED_KEYS:
        why = ("every run uses the experiment's seed (seed:), and replicates: gives more draws"
               if name == "seed" else "it changes nothing that runs")
        raise ValueError(f"cannot vary: {why}")
    if name == "months" and spec.months is not None:
        raise ValueError(f"cannot vary: the experiment fixes months: {spec.months}; remove one "
                         "of them")
    for key in spec.set:
        if key == name or key.startswith(name + ".") or name.startswith(key + "."):
            raise ValueError(f"cannot vary: also fixed under set: as '{key}'; a key is either "
                             "fixed or varied")


def _parameter(name: str, given: Any, spec: Experiment, base: Scenario | None) -> Parameter:
    integer = False
    if base is not None:
        keys = tuple(name.split("."))
        info = field_at(Scenario, keys)
        if info is None:
            raise ValueError(retired(name) or f"not a scenario key{_suggest(name)}")
        integer = info.annotation is int
        switch = info.annotation is bool
        low, high = bounds(Scenario, keys)
    if isinstance(given, Mapping):
        unknown = set(given) - {"bounds", "values", "integer"}
        if unknown or ("bounds" in given) == ("values" in given):
            raise ValueError("give either {bounds: [low, high]} or {values: [...]}")
        if "integer" in given:
            if base is not None and given["integer"] != integer:
                kind = "a whole number" if integer else "not a whole number"
                raise ValueError(f"integer: the scenario schema decides this key's type: it is "
                                 f"{kind}; remove 'integer'")
            if not isinstance(given["integer"], bool) or "values" in given:
                raise ValueError("integer: must be true or false, beside bounds")
            integer = given["integer"]
        given_bounds, values = given.get("bounds"), given.get("values")
    elif isinstance(given, list):
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in given)
        as_bounds = spec.method != "grid" and numeric and len(given) == 2
        given_bounds, values = (given, None) if as_bounds else (None, given)
    else:
        raise ValueError("must be [low, high] bounds or a list of values")
    if values is not None:
        if not isinstance(values, list) or not values:
            raise ValueError("needs a list of at least one value")
        for value in values:
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"values must be finite numbers, got {value}")
        return Parameter(name, values=tuple(values), integer=integer)
    if base is not None and switch:
        raise ValueError(f"a switch (true or false) cannot be sampled between bounds "
                         f"{given_bounds}: give it as a list of values [false, true] in a grid or "
                         f"random design, or fix it under set:")
    if (not isinstance(given_bounds, list) or len(given_bounds) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool)
                       for v in given_bounds)
            or not all(math.isfinite(v) for v in given_bounds)
            or given_bounds[0] >= given_bounds[1]):
        raise ValueError("bounds must be [low, high] finite numbers with low < high, got "
                         f"{given_bounds}")
    if integer and not all(float(v).is_integer() for v in given_bounds):
        raise ValueError(f"bounds {given_bounds} of a whole-number key must be whole numbers")
    if base is not None:
        too_low = low is not None and given_bounds[0] < low
        if too_low or (high is not None and given_bounds[1] > high):
            raise ValueError(f"bounds {given_bounds} outside the key's range [{low}, {high}]")
    return Parameter(name, bounds=(float(given_bounds[0]), float(given_bounds[1])),
                     integer=integer)


def _sample_problems(spec: Experiment, parameters: list[Parameter]) -> list[tuple[str, str]]:
    """(key, message) for sample sizes and levels below what each method needs (SALib 1.6)."""
    s, out = spec.samples, []
    if spec.method == "sobol" and s & (s - 1):
        out.append(("samples", f"sobol needs a power of 2 (Saltelli), got {s}; try "
                               f"{1 << s.bit_length()}"))
    elif spec.method == "sobol" and s < SOBOL_MIN_SAMPLES:
        out.append(("samples", f"sobol needs at least {SOBOL_MIN_SAMPLES} samples, got {s}: "
                               f"with fewer base rows its indices are unstable (S1 can exceed 1) "
                               f"and SALib's bootstrap interval has too few distinct resamples "
                               f"to mean anything; try {SOBOL_MIN_SAMPLES}"))
    if spec.method == "fast" and s <= 4 * spec.fast_m**2:
        out.append(("samples", f"fast needs more than 4·M² = {4 * spec.fast_m**2} samples "
                               f"(M = fast_m = {spec.fast_m}); the minimum is "
                               f"{4 * spec.fast_m**2 + 1}, got {s}"))
    if spec.method == "morris":
        if s < 2:
            out.append(("samples", f"morris needs at least 2 trajectories (σ and the μ* "
                                   f"interval compare them), got {s}"))
        if spec.morris_levels % 2:
            out.append(("morris_levels", "morris needs an even number of levels (with an odd "
                                         "number SALib's steps leave the grid and the sample is "
                                         f"biased), got {spec.morris_levels}; try "
                                         f"{spec.morris_levels + 1}"))
    if spec.method == "grid" and s < 2 and any(p.bounds is not None for p in parameters):
        out.append(("samples", f"a grid needs at least 2 levels for parameters given as bounds "
                               f"(one level would not vary them), got {s}"))
    return out


def _morris_grid_problems(spec: Experiment, parameters: list[Parameter]
                          ) -> list[tuple[str, str]]:
    """(parameter, message) for whole-number keys whose Morris levels are not whole numbers:
    the p levels low + k·(high − low)/(p − 1) are whole only when p − 1 divides high − low."""
    p = spec.morris_levels
    whole = [q for q in parameters if q.integer and q.bounds is not None]
    bad = [q for q in whole if int(q.bounds[1] - q.bounds[0]) % (p - 1)]
    if not bad or p % 2:
        return []
    fits = [levels for levels in range(2, 101, 2)
            if all(int(q.bounds[1] - q.bounds[0]) % (levels - 1) == 0 for q in whole)]
    best = max(fits)  # 2 always fits
    out = []
    for q in bad:
        low, high = int(q.bounds[0]), int(q.bounds[1])
        span = high - low
        wider = low + -(-span // (p - 1)) * (p - 1)
        _, key_high = bounds(Scenario, tuple(q.name.split(".")))
        narrower = low + span // (p - 1) * (p - 1)
        options = [f"[{low}, {wider}]" if key_high is None or wider <= key_high else None,
                   f"[{low}, {narrower}]" if narrower > low else None]
        suggested = " or ".join(o for o in options if o)
        levels = [low + k * span / (p - 1) for k in range(p)]
        shown = ", ".join(f"{v:g}" for v in levels)
        out.append((q.name, f"a whole-number key, but morris_levels: {p} puts its levels at "
                            f"{shown} (steps of (high − low)/{p - 1}); use bounds whose width is "
                            f"a multiple of {p - 1} (e.g. {suggested})"
                            + (f" or morris_levels: {best}" if best != p else "")))
    return out


def _typed(p: Parameter, experiment: LoadedExperiment) -> Parameter:
    """``p`` with its values converted to the key's type as the scenario schema reads them
    (``"537"`` → 537 for a whole-number key); ValueError naming a value the key refuses, or
    two values that are the same after conversion. Bounds are checked at both ends."""
    keys = tuple(p.name.split("."))
    given = p.values if p.values is not None else p.bounds
    if p.values is None and p.integer and _has_own_check(keys):
        given = _whole_numbers_drawn(p, experiment.spec)  # every whole number it can run
    typed = []
    for value in given:
        try:
            scenario = experiment.scenario_for({p.name: value if p.values is not None
                                                else p.value(value)})
        except ScenarioError as exc:
            drawn = ("" if p.values is not None or not p.integer else
                     f" (the design can run every whole number from {int(p.bounds[0])} to "
                     f"{int(p.bounds[1])})" if experiment.spec.method in {"sobol", "fast",
                                                                          "random", "lhs"}
                     else " (one of the design's levels)")
            raise ValueError(f"value {value!r}{drawn}: {exc.located[0].message}") from None
        typed.append(get_path(scenario.model_dump(mode="python"), keys))
    if p.values is None:
        return p
    for i, value in enumerate(typed):
        if value in typed[:i]:
            j = typed.index(value)
            raise ValueError(f"values {p.values[j]!r} and {p.values[i]!r} are the same value "
                             f"({yaml_word(value)}) of this key; give each value once")
    return Parameter(p.name, values=tuple(typed), integer=p.integer)


def _has_own_check(keys: tuple[str, ...]) -> bool:
    """Whether the key has a validator of its own beyond its bounds (e.g. an even number):
    then a value between two valid bounds may still be refused, and every whole number the
    design can draw is checked; otherwise its bounds, checked at both ends, decide."""
    chain = field_chain(Scenario, keys)
    if not chain:
        return True
    owner = Scenario
    for key in keys[:-1]:
        owner = model_class(owner.model_fields[key].annotation)
    validators = owner.__pydantic_decorators__.field_validators.values()
    return any(keys[-1] in v.info.fields for v in validators)


def _whole_numbers_drawn(p: Parameter, spec: Experiment) -> list[int]:
    """The whole numbers a design can run for the whole-number parameter ``p``: every one in
    its bounds for sobol, fast, random and lhs (at most :data:`WHOLE_NUMBERS_CHECKED` of them, from
    both ends), the levels for grid and morris."""
    low, high = int(p.bounds[0]), int(p.bounds[1])
    if spec.method == "grid":
        return list(p.levels(spec.samples))
    if spec.method == "morris":
        levels = spec.morris_levels
        return [round(low + k * (high - low) / (levels - 1)) for k in range(levels)]
    if high - low + 1 <= WHOLE_NUMBERS_CHECKED:
        return list(range(low, high + 1))
    half = WHOLE_NUMBERS_CHECKED // 2
    return [*range(low, low + half), *range(high - half + 1, high + 1)]


def _inert_problems(base: Scenario, parameters: list[Parameter]) -> list[tuple[str, str]]:
    """(parameter, message) for varied keys that act nowhere in the design: their condition
    (:class:`~sim.schema.ActiveWhen`) fails in the base scenario (at the start and after each
    scheduled change), and no switch the experiment varies can make it hold. A varied switch
    counts as on if any of its values (or its upper bound) turns it on, so a condition on
    several switches is judged generously: never a false refusal."""
    varied = {p.name: p for p in parameters}
    out = []
    for p in parameters:
        dep = dependencies().get(p.name)
        if dep is None or any(dep.holds(state)
                              for state in switch_states(base, dep.switches)):
            continue

        def can_be_on(leaf, base=base) -> bool:
            switch = varied.get(leaf.switch)
            values = switch_values(base, leaf.switch) + (
                [] if switch is None
                else list(switch.values if switch.values is not None else switch.bounds[1:]))
            return any(leaf.on(v) for v in values)

        if dep.holds(can_be_on):
            continue
        current = base.model_dump(mode="python")
        state = " and ".join(
            f"{switch} is {yaml_word(get_path(current, tuple(switch.split('.'))))}"
            for switch in dep.switches)
        out.append((p.name, f"has no effect anywhere in this design: it acts only when "
                            f"{dep.condition()}, but {state} in the base scenario and the "
                            f"experiment does not vary it; fix it under set: "
                            f"(e.g. {dep.example()}) or vary it too"))
    return out


def _suggest(name: str) -> str:
    return did_you_mean(name, key_paths(Scenario))


def is_experiment_file(data: Any) -> bool:
    """An experiment file has top-level ``method:`` and ``parameters:`` keys (INTERFACE.md)."""
    return isinstance(data, Mapping) and "method" in data and "parameters" in data


@contextmanager
def _global_random_state_kept() -> Iterator[None]:
    """Run a SALib sampler without touching numpy's global random state. SALib 1.6's samplers
    draw from a Generator seeded with the experiment's seed (``handle_seed``), but older
    versions seeded ``np.random`` globally; the state is restored either way."""
    state = np.random.get_state()  # noqa: NPY002 - kept, never drawn from
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002
