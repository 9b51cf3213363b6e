"""Calibration by approximate Bayesian computation with sequential Monte Carlo (ABC-SMC; issue 10
§2, ``cogov calibrate``), on pyABC 0.13.0 (Klinger, Rickert & Hasenauer 2018; Toni et al. 2009).

What varies is a set of coefficients with priors; what is observed is a set of summary
statistics, each with its standard deviation (the uncertainty of the observation); the model is
a function ``simulate(theta, seed) -> {statistic: value}`` that is deterministic in
``(theta, seed)`` (``sim.targets.simulate`` with its targets bound). :func:`calibrate` returns
the ABC-SMC posterior: a weighted sample of coefficient vectors.

The algorithm, and why each part is as it is:

- **Distance**: pyABC's ``AdaptivePNormDistance`` (Prangle 2017), p = 2, refitted every
  generation on every simulated particle (accepted and rejected). Each statistic's scale is
  :class:`ObservedSdScale`: ``sqrt(MAD² + sd²)``, the median absolute deviation of the
  simulations around their median (the model's spread at the current proposal, so statistics
  in different units weigh alike) combined with the observation's own standard deviation, so a
  statistic observed imprecisely counts less and no scale is ever zero.
- **Epsilon**: pyABC's ``QuantileEpsilon``, the weighted :data:`EPSILON_QUANTILE` quantile of
  the previous generation's distances (the first from a calibration sample from the prior).
- **Population**: fixed at ``population`` particles per generation. pyABC's
  ``AdaptivePopulationSize`` bootstraps the kernel density with numpy's global random state in
  the parent and retargets a coefficient of variation, which makes the number of simulations
  per generation unpredictable against a fixed ``budget``; a fixed size keeps the budget
  honest and is what the reference runs of ABC-SMC use. The effective sample size of each
  generation is reported (``generations.csv``), so a too-small population shows.
- **Proposal**: pyABC's ``MultivariateNormalTransition`` (Silverman bandwidth).
- **Stops**: after ``max_generations`` generations; when the simulations used would exceed
  ``budget`` (a generation is not started when the budget left is below what it would need at
  the last generation's acceptance rate; one that still cannot finish within the budget is
  abandoned: its simulations are reported, its particles are not used); when a generation's
  acceptance rate falls below ``min_acceptance`` (a generation that would need more than
  ``population / min_acceptance`` simulations is abandoned). The reason is recorded
  (:data:`STOP_REASONS`).
- **Non-finite statistics** (a statistic the model leaves undefined, NaN or ±inf): the particle
  is rejected and left out of the sample the distance adapts to (a NaN would poison every
  scale), and counted (``nonfinite`` per generation and in all).

Determinism (same seed, same posterior, bit for bit, with any ``workers`` and either
executor): :class:`OrderedSampler` evaluates candidate particles ``0, 1, 2, …`` of generation
``t`` in fixed contiguous chunks over a map (local processes or Dask ``client.map``), particle
``i`` seeded from ``SeedSequence(seed, spawn_key=(PARTICLE_KEY, t + 1, i))``, and accepts in
index order, stopping at the ``population``-th acceptance; particles evaluated beyond it are
discarded (counted as ``discarded``) and do not count as simulations used. pyABC draws
proposals with numpy's **global** random state (the transitions' ``np.random.choice`` and
``multivariate_normal``, scipy's priors); so each particle's task seeds that global state from
its own seed, under a lock (threads of one process, as in a Dask ``LocalCluster`` without
processes, take turns), and restores it after; in the parent, every pyABC call that may use it
(the calibration sample, the update between generations) runs with the global state seeded
from ``(seed, t)`` and restored afterwards. The priors draw from a Generator of the particle's
own, never from global state; the model's own randomness comes only from the seed passed to
``simulate``.

Checkpoints: pyABC's History (SQLite, ``abc.db``) stores every finished generation; beside it
``checkpoint.pkl`` (written whole, then renamed) holds what pyABC's own ``load`` cannot restore
— the adapted distance, epsilon and transition as they were when the last finished generation
ran, and that generation's whole sample. ``resume`` continues from there exactly as the
uninterrupted run would have (the update between generations is deterministic and replayed),
so a run of 3 generations equals a run of 2 resumed to 3, and a SIGKILL loses at most the
generation in flight. The stopping rules (``budget``, ``min_acceptance``, ``max_generations``)
may change on resume; everything that decides the posterior's path may not.

This module never prints (the progress bar aside, on stderr, as ``runner.run`` does) and never
exits: the CLI does.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import math
import os
import pickle
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from sim.errors import OutputExistsError, OutputWriteError, RunError, ScenarioError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DB = "abc.db"
CHECKPOINT = "checkpoint.pkl"
POSTERIOR = "posterior.parquet"
GENERATIONS = "generations.csv"
PREDICTIVE = "predictive.csv"
PATTERNS = "patterns.csv"
PLOTS = "plots"
DEFAULT_POPULATION = 200
"""Particles per generation: enough for a kernel density of a few coefficients (the ESS is
reported to show when it is not)."""
DEFAULT_BUDGET = 20_000
"""Simulations at most, the calibration sample from the prior included."""
DEFAULT_MIN_ACCEPTANCE = 0.02
"""Stop when fewer than 2% of a generation's simulations are accepted: the posterior has
stopped narrowing for the simulations it costs."""
DEFAULT_MAX_GENERATIONS = 8
EPSILON_QUANTILE = 0.5
"""Each generation's epsilon: the weighted median of the previous generation's distances."""
ALL_NONFINITE = 20
"""A generation stops with a RunError once at least this many simulations (and at least a
population's worth) have been made and every one gave a non-finite statistic: a target that is
never defined would otherwise draw from the prior for ever."""
PREDICTIVE_DRAWS = 100
"""Posterior draws simulated for the posterior-predictive table."""
INTERVAL = 0.90
PREDICTIVE_RULE = (
    "equal-tailed 90% posterior-predictive interval: the 5th and 95th percentiles (linear "
    "interpolation) of the statistic simulated once at each of N posterior draws (coefficients "
    "drawn from the last generation with probability equal to their weights, each simulation "
    "with its own seed); hit when the observed value lies inside it")
CREDIBLE_RULE = ("equal-tailed 90% credible interval: the weighted 5th and 95th percentiles of "
                 "the last generation's particles")
PREDICTIVE_RULE_ZH = (
    "等尾 90% 后验预测区间：在 N 个后验抽样（按权重从最后一代抽取系数，每次模拟各用其种子）上"
    "各模拟一次该统计量，取其第 5 和第 95 百分位数（线性插值）；观测值落在区间内即为命中")
CREDIBLE_RULE_ZH = "等尾 90% 可信区间：最后一代粒子按权重计算的第 5 和第 95 百分位数"
PARTICLE_KEY = 2**31 + 10
"""Spawn keys of calibration streams, apart from replicates' ``(r,)``, sweep designs'
``(2**31,)`` and the pattern design's ``(2**31, 9)``: particle ``i`` of generation ``t`` is
``(PARTICLE_KEY, t + 1, i)`` (``t = -1`` is the calibration sample from the prior), the parent's
pyABC updates before generation ``t`` ``(PARTICLE_KEY + 1, t + 1)``, the posterior-predictive
draws ``(PARTICLE_KEY + 2,)``."""
STOP_REASONS = {
    "max_generations": "the maximum number of generations ran",
    "budget": "the simulation budget would be exceeded",
    "min_acceptance": "the acceptance rate fell below the minimum",
}
MIN_POPULATION = 10


class PriorLike(Protocol):
    """One calibrated coefficient (``sim.targets.Prior``): a dotted key, bounds and a density."""

    key: str
    low: float
    high: float

    def rvs(self, rng: np.random.Generator, size: int) -> np.ndarray: ...
    def pdf(self, x: np.ndarray) -> np.ndarray: ...
    def contains(self, x: np.ndarray) -> np.ndarray: ...


Simulate = Callable[[Mapping[str, float], int], Mapping[str, float]]
Mapper = Callable[[Callable[[Any], Any], list], list]
"""``mapper(function, jobs)`` → ``[function(job) for job in jobs]``, in order, anywhere."""


@dataclass(frozen=True)
class Calibration:
    """A finished (or stopped) calibration in ``out_dir``.

    ``posterior``: the last generation's particles, one row each: a column per coefficient key,
    ``weight`` (summing to 1) and ``generation``; empty when no generation finished.
    ``generations``: one row per finished generation (``generation, epsilon, acceptance_rate,
    simulations, population, ess, nonfinite, discarded, wall_time_s``). ``predictive``: one row
    per statistic (``statistic, observed, sd, median, low, high, hit, draws, nonfinite``;
    :data:`PREDICTIVE_RULE`). ``patterns``: one row per posterior draw checked (``draw``, then
    a column per pattern, True where it holds), or None. ``simulations``: simulations used,
    the calibration sample from the prior included; ``abandoned``: those of a generation that
    could not finish; ``nonfinite``: simulations rejected for a non-finite statistic."""

    out_dir: Path
    posterior: pd.DataFrame
    generations: pd.DataFrame
    predictive: pd.DataFrame | None
    patterns: pd.DataFrame | None
    stop_reason: str
    simulations: int
    abandoned: int
    nonfinite: int
    wall_time_s: float
    ran_now: int


# ------------------------------------------------------------------------ per-particle state
@dataclass(frozen=True)
class _Draw:
    rng: np.random.Generator
    model_seed: int


_DRAW: contextvars.ContextVar[_Draw] = contextvars.ContextVar("cogov_calibration_draw")
_TASK_LOCK = threading.Lock()
"""Held by a particle's task while numpy's global random state is seeded for it, so tasks run
by threads of one process (a Dask ``LocalCluster`` without processes) never interleave on it.
The parent does not take it: it touches that state only between maps, never during one."""


@contextlib.contextmanager
def seeded_global_random(sequence: np.random.SeedSequence) -> Iterator[None]:
    """numpy's global random state seeded from ``sequence`` for the block and restored after:
    how pyABC's global-state draws are made reproducible without leaving any trace on the
    caller's global state."""
    saved = np.random.get_state()  # noqa: NPY002 - saved to be restored, never drawn from
    np.random.seed(sequence.generate_state(4))  # noqa: NPY002 - pyABC draws from it
    try:
        yield
    finally:
        np.random.set_state(saved)  # noqa: NPY002


def particle_sequence(seed: int, t: int, i: int) -> np.random.SeedSequence:
    """The seed sequence of candidate particle ``i`` of generation ``t`` (``t = -1``: the
    calibration sample from the prior)."""
    return np.random.SeedSequence(seed, spawn_key=(PARTICLE_KEY, t + 1, i))


def model_seed(sequence: np.random.SeedSequence) -> int:
    """A seed for ``simulate`` from ``sequence``: a whole number in [0, 2⁶³ − 1], the range of a
    scenario's ``seed``."""
    return int(sequence.generate_state(1, np.uint64)[0] >> np.uint64(1))


class PriorRV:
    """pyABC's random-variable interface (``pyabc.RVBase``: ``rvs``, ``pdf``, ``pmf``, ``cdf``,
    ``copy``; pyABC checks none by type) over one :class:`PriorLike`: draws come from the
    current particle's own Generator, never from global state; the density is zero outside
    the prior's support. Module level, so it pickles by reference."""

    def __init__(self, prior: PriorLike):
        self.prior = prior

    def copy(self) -> PriorRV:
        return PriorRV(self.prior)

    def rvs(self, *args: Any, **kwargs: Any) -> float:
        return float(self.prior.rvs(_DRAW.get().rng, 1)[0])

    def pdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        value = np.asarray([x], dtype=float)
        return float(self.prior.pdf(value)[0]) if bool(self.prior.contains(value)[0]) else 0.0

    def pmf(self, x: float, *args: Any, **kwargs: Any) -> float:
        raise TypeError(f"{self.prior.key}: a continuous prior has no probability mass")

    def cdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        raise TypeError(f"{self.prior.key}: the calibration never needs a prior's cdf")


class Model:
    """The model as pyABC calls it: ``model(parameter) → {statistic: float}``, calling
    ``simulate(theta, seed)`` with the current particle's model seed. Raises ``KeyError``
    naming a statistic ``simulate`` did not return (a bug, not an undefined value: those are
    NaN)."""

    def __init__(self, simulate: Simulate, keys: Sequence[str], names: Sequence[str]):
        self.simulate, self.keys, self.names = simulate, tuple(keys), tuple(names)
        self.__name__ = "cogov"

    def __call__(self, parameter: Mapping[str, float]) -> dict[str, float]:
        theta = {key: float(parameter[key]) for key in self.keys}
        seed = _DRAW.get().model_seed
        try:
            stats = self.simulate(theta, seed)
        except Exception as exc:
            raise RunError(f"simulate failed at {theta} (seed {seed}): "
                           f"{type(exc).__name__}: {exc}") from exc
        missing = [name for name in self.names if name not in stats]
        if missing:
            raise KeyError(f"simulate returned no {', '.join(missing)} for {theta}")
        return {name: float(stats[name]) for name in self.names}


@dataclass(frozen=True)
class ObservedSdScale:
    """The adaptive distance's scale of each statistic: ``sqrt(MAD² + sd²)`` (module
    docstring). ``sds``: statistic → observed standard deviation (> 0)."""

    sds: Mapping[str, float]
    __name__ = "sqrt_mad2_plus_sd2"  # pyABC records the scale function by its name

    def __call__(self, *, samples: np.ndarray, s_ids: Sequence[str], **kwargs: Any
                 ) -> np.ndarray:
        from pyabc.distance.scale import median_absolute_deviation

        mad = median_absolute_deviation(samples=samples)
        sd = np.array([self.sds[name] for name in s_ids], dtype=float)
        return np.sqrt(mad**2 + sd**2)


# -------------------------------------------------------------------------------- the sampler
def evaluate_chunk(job: tuple[bytes, int, int, int, int]) -> list[Any]:
    """Candidates ``start … stop − 1`` of generation ``t``: a list, in index order, of each
    particle, or None where a statistic is not finite. Module level, so it pickles for every
    executor; ``payload`` is pyABC's ``simulate_one``, pickled once per generation."""
    import cloudpickle

    payload, seed, t, start, stop = job
    simulate_one = cloudpickle.loads(payload)
    out = []
    for i in range(start, stop):
        sequence = particle_sequence(seed, t, i)
        legacy, prior, model = sequence.spawn(3)
        draw = _Draw(np.random.default_rng(prior), model_seed(model))
        with _TASK_LOCK, seeded_global_random(legacy):
            token = _DRAW.set(draw)
            try:
                particle = simulate_one()
            finally:
                _DRAW.reset(token)
        finite = all(math.isfinite(v) for v in np.asarray(
            list(particle.sum_stat.values()), dtype=float).ravel())
        out.append(particle if finite else None)
    return out


def _ordered_sampler_class() -> type:
    from pyabc.sampler import Sampler

    class OrderedSampler(Sampler):
        """pyABC sampler whose generation depends only on (seed, t): see the module docstring.

        ``mapper`` runs chunks anywhere and returns them in order; ``workers`` sets how many
        chunks a round is cut into. ``cap`` bounds the simulations of one generation (the
        budget left). After a call: ``nr_evaluations_`` = simulations used (up to and
        including the last accepted particle), ``nonfinite_`` = those rejected for a
        non-finite statistic, ``discarded_`` = candidates evaluated beyond the last accepted
        one (not used; the same with any workers), ``capped_`` = whether the
        generation stopped at ``cap`` rather than at ``max_eval``."""

        def __init__(self, seed: int, mapper: Mapper, workers: int):
            super().__init__()
            self.seed, self.mapper, self.workers = seed, mapper, workers
            self.cap: float = math.inf
            self.nonfinite_ = self.discarded_ = 0
            self.capped_ = False

        def sample_until_n_accepted(self, n: int, simulate_one: Callable, t: int, *,
                                    max_eval: float = np.inf, all_accepted: bool = False,
                                    ana_vars: Any = None) -> Any:
            import cloudpickle

            payload = cloudpickle.dumps(simulate_one)
            limit = min(max_eval, self.cap)
            limit = math.ceil(limit) if math.isfinite(limit) else limit  # whole simulations
            sample = self._create_empty_sample()
            accepted = evaluated = nonfinite = 0
            next_index, rate = 0, 1.0
            while accepted < n and evaluated < limit:
                size = _round_size(n - accepted, rate, limit - next_index)
                jobs = [(payload, self.seed, t, a, b)
                        for a, b in _chunks(next_index, next_index + size, self.workers)]
                next_index += size
                for chunk in self.mapper(evaluate_chunk, jobs):
                    for particle in chunk:
                        if accepted == n or evaluated >= limit:
                            break
                        evaluated += 1
                        if particle is None:
                            nonfinite += 1
                            continue
                        sample.append(particle)
                        accepted += bool(particle.accepted)
                rate = max(accepted, 1) / max(evaluated, 1)
                if nonfinite == evaluated >= max(n, ALL_NONFINITE):
                    raise RunError(
                        f"every one of the first {evaluated} simulations of generation {t} "
                        "gave a non-finite statistic (NaN or ±inf): a target the model "
                        "leaves undefined over these scenarios and priors (for example a "
                        "statistic no one in a group can reach); check the targets with a "
                        "single `cogov run` of their scenarios")
            self.nr_evaluations_ = evaluated
            self.nonfinite_, self.discarded_ = nonfinite, next_index - evaluated
            self.capped_ = accepted < n and self.cap <= max_eval
            sample.ok = accepted == n
            return sample

    return OrderedSampler


def _round_size(needed: int, rate: float, room: float) -> int:
    """Candidates to evaluate next: enough for ``needed`` acceptances at ``rate`` with 20% to
    spare, never beyond ``room``. Independent of the workers, so even the count of discarded
    candidates is the same with any; the posterior does not depend on it at all."""
    size = math.ceil(needed / max(rate, 1e-3) * 1.2)
    return max(1, int(min(size, room, 50 * needed)))


def _chunks(start: int, stop: int, parts: int) -> list[tuple[int, int]]:
    edges = np.linspace(start, stop, min(parts, stop - start) + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


# ---------------------------------------------------------------------------------- executors
@contextlib.contextmanager
def executor_map(executor: str, workers: int, scheduler: str | None) -> Iterator[Mapper]:
    """A :data:`Mapper` over local processes (``runner.in_processes``, which die with this one)
    or a Dask cluster (``scheduler``, or a ``LocalCluster`` of ``workers`` processes)."""
    if executor == "dask":
        from sim.sweep import dask_client

        with dask_client(scheduler, workers) as client:
            yield lambda function, jobs: client.gather(client.map(function, jobs, pure=False))
        return

    from sim.runner import _JobError, in_processes

    def mapper(function: Callable[[Any], Any], jobs: list) -> list:
        out: dict[int, Any] = {}
        try:
            for i, result in in_processes(function, jobs, workers):
                out[i] = result
        except _JobError as failure:
            raise failure.cause from failure
        return [out[i] for i in range(len(jobs))]

    yield mapper


# ----------------------------------------------------------------------------------- checking
def check_options(*, population: int, budget: int, min_acceptance: float,
                  max_generations: int, workers: int, executor: str, predictive_draws: int,
                  pattern_draws: int) -> None:
    """``ScenarioError`` listing every bad setting, named as the command line's option; the
    command line calls it before reading the targets file."""
    problems = []
    if population < MIN_POPULATION:
        problems.append(f"--population: at least {MIN_POPULATION} particles, got {population}")
    if budget < 2 * population:
        problems.append(f"--budget: at least twice --population ({2 * population}: the "
                        f"calibration sample and one generation), got {budget}")
    if not 0 < min_acceptance <= 1:
        problems.append(f"--min-acceptance: must be in (0, 1], got {min_acceptance}")
    if max_generations < 1:
        problems.append(f"--max-generations: at least 1, got {max_generations}")
    if workers < 1:
        problems.append(f"--workers: at least 1, got {workers}")
    if executor not in ("local", "dask"):
        problems.append(f"--executor: local or dask, got {executor!r}")
    if predictive_draws < 2:
        problems.append(f"--predictive-draws: at least 2 for an interval, got {predictive_draws}")
    if pattern_draws < 0:
        problems.append(f"--pattern-draws: at least 0, got {pattern_draws}")
    if problems:
        raise ScenarioError(problems)


def check_targets(priors: Sequence[PriorLike], observed: Mapping[str, float],
                  sds: Mapping[str, float]) -> None:
    """``ScenarioError`` listing every problem of the coefficients and statistics given to
    :func:`calibrate` (a targets file is checked, and located, by ``sim.targets.load``)."""
    problems = []
    keys = [p.key for p in priors]
    if not keys:
        problems.append("priors: at least one coefficient must be calibrated")
    if len(set(keys)) != len(keys):
        problems.append(f"priors: keys repeat: {sorted(k for k in set(keys) if keys.count(k) > 1)}")
    if not observed:
        problems.append("targets: at least one observed statistic is needed")
    if set(observed) != set(sds):
        problems.append("targets: every observed statistic needs an sd and only those")
    for name, value in observed.items():
        if not math.isfinite(float(value)):
            problems.append(f"targets {name}: the observed value must be finite, got {value}")
    for name, value in sds.items():
        if not (math.isfinite(float(value)) and float(value) > 0):
            problems.append(f"targets {name}: the sd must be a positive number, got {value}")
    if problems:
        raise ScenarioError(problems)


def settings_of(priors: Sequence[PriorLike], observed: Mapping[str, float],
                sds: Mapping[str, float], seed: int, population: int,
                identity: Mapping[str, Any]) -> dict[str, Any]:
    """What decides the posterior's path (strict JSON): a resumed calibration must match it."""
    return {
        "seed": int(seed), "population": int(population),
        "priors": [{"key": p.key, "low": float(p.low), "high": float(p.high),
                    "shape": str(getattr(p, "shape", type(p).__name__))} for p in priors],
        "observed": {k: float(v) for k, v in observed.items()},
        "sds": {k: float(v) for k, v in sds.items()},
        "distance": "AdaptivePNormDistance(p=2, scale=sqrt(MAD^2 + sd^2), all particles)",
        "epsilon": f"QuantileEpsilon(alpha={EPSILON_QUANTILE}, weighted)",
        "transition": "MultivariateNormalTransition(silverman)",
        **{k: v for k, v in identity.items()},
    }


def _holds_calibration(out_dir: Path) -> bool:
    try:
        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return (out_dir / DB).exists() or (out_dir / CHECKPOINT).exists()
    return isinstance(manifest, dict) and manifest.get("kind") == "calibration"


def check_out_dir(out_dir: Path, resume: bool, settings: Mapping[str, Any]) -> None:
    """``OutputExistsError`` unless ``out_dir`` is new or empty (and not ``resume``), or holds
    a calibration of the same settings (and ``resume``)."""
    from sim.runner import check_writable

    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(f"{out_dir}: exists and is not a directory")
    busy = out_dir.is_dir() and any(out_dir.iterdir())
    if resume:
        if not busy or not _holds_calibration(out_dir):
            raise OutputExistsError(f"--resume --out {out_dir}: holds no calibration to resume")
        try:
            before = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            before = {}
        old = before.get("settings")
        if old != json.loads(json.dumps(dict(settings))):
            differ = sorted(k for k in {*(old or {}), *settings}
                            if (old or {}).get(k) != json.loads(json.dumps(settings.get(k))))
            raise OutputExistsError(
                f"--resume --out {out_dir}: holds a calibration of other settings (differing: "
                f"{', '.join(differ) or 'no manifest'}); --resume continues only the same "
                "targets, seed and population")
    elif busy:
        what = ("an earlier calibration: use --resume to continue it, or choose another --out"
                if _holds_calibration(out_dir) else
                "files but no calibration: choose another --out")
        raise OutputExistsError(f"{out_dir}: holds {what}")
    check_writable(out_dir, inside=True)


# ------------------------------------------------------------------------------------- engine
@dataclass
class _State:
    """What the checkpoint holds after generation ``t`` finished (module docstring)."""

    t: int
    components: tuple  # distance, epsilon, acceptor, transitions, population strategy
    sample: Any
    rows: list[dict[str, Any]]
    used: int  # simulations used by finished generations and the calibration sample
    nonfinite: int
    settings: dict[str, Any] = field(default_factory=dict)


def calibrate(priors: Sequence[PriorLike], observed: Mapping[str, float],
              sds: Mapping[str, float], simulate: Simulate, *, out_dir: str | Path,
              seed: int, workers: int = 1, executor: str = "local",
              scheduler: str | None = None, population: int = DEFAULT_POPULATION,
              budget: int = DEFAULT_BUDGET, min_acceptance: float = DEFAULT_MIN_ACCEPTANCE,
              max_generations: int = DEFAULT_MAX_GENERATIONS, resume: bool = False,
              progress: bool = False, predictive_draws: int = PREDICTIVE_DRAWS,
              pattern_check: Callable[[Mapping[str, float], int], Mapping[str, bool]] | None
              = None, pattern_draws: int = 0, identity: Mapping[str, Any] | None = None,
              labels: Mapping[str, str] | None = None,
              describe: Mapping[str, Mapping[str, Any]] | None = None,
              command: Sequence[str] | None = None) -> Calibration:
    """Calibrate ``priors`` against ``observed`` (statistic → value, with ``sds`` its standard
    deviations) by ABC-SMC (module docstring) and write the outputs into ``out_dir``:
    ``abc.db``, ``checkpoint.pkl``, ``posterior.parquet`` (every finished generation's
    particles: coefficient columns, ``weight``, ``generation``; the posterior is the last
    generation), ``generations.csv``, ``predictive.csv`` (:data:`PREDICTIVE_RULE`),
    ``patterns.csv`` (when ``pattern_check`` and ``pattern_draws``), ``plots/marginals.png``,
    ``plots/pairs.png`` and ``manifest.json`` (settings, seed, versions, stop reason). Each is
    written whole and renamed into place.

    ``simulate(theta, seed)`` must be picklable (a module-level function or a
    ``functools.partial`` of one) for ``workers`` > 1 or Dask. ``pattern_check(theta, seed)``
    gives pattern id → holds, for the first ``pattern_draws`` posterior draws. ``identity``
    (e.g. the targets file and its hash) joins the settings a resume must match. ``labels``:
    axis label per coefficient key (default ``sim.schema.display_name``). ``describe``: per
    target, columns to show beside it in ``predictive.csv`` (e.g. its statistic, zh/en labels
    and source).

    Raises, before anything runs: ``ScenarioError`` for bad settings, ``OutputExistsError``
    for an ``out_dir`` that is not new, or (``resume``) not a calibration of the same settings,
    ``OutputNotWritableError``, ``SchedulerError``, ``SweepBusyError`` if another process
    writes there. ``RunError`` if ``simulate`` raises."""
    from sim.errors import require_extra

    require_extra("pyabc", "calibrate", "calibration")
    check_targets(priors, observed, sds)
    check_options(population=population, budget=budget,
                 min_acceptance=min_acceptance, max_generations=max_generations,
                 workers=workers, executor=executor, predictive_draws=predictive_draws,
                 pattern_draws=pattern_draws)
    from sim.sweep import SchedulerError, _locked, check_scheduler, parse_scheduler

    if scheduler is not None:
        if executor != "dask":
            raise SchedulerError(f"--scheduler {scheduler}: a scheduler is used only by the "
                                 "Dask executor; add --executor dask")
        parse_scheduler(scheduler)
    out_dir = Path(out_dir)
    settings = settings_of(priors, observed, sds, seed, population, identity or {})
    check_out_dir(out_dir, resume, settings)
    if scheduler is not None:
        check_scheduler(scheduler)
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    stopping = {"budget": int(budget), "min_acceptance": float(min_acceptance),
                "max_generations": int(max_generations)}
    with _locked(out_dir, "calibration"):
        if not resume:
            _write_manifest(out_dir, command, settings, stopping, None)
        try:
            with executor_map(executor, workers, scheduler) as mapper, _quiet_pyabc():
                engine = _Engine(priors, observed, sds, simulate, out_dir, settings, mapper,
                                 workers, stopping, progress)
                outcome = engine.run(resume)
                predictive = patterns_table = None
                if outcome["state"] is not None:
                    draws = _posterior_draws(outcome["posterior"], seed, predictive_draws)
                    predictive = _predictive(draws, observed, sds, simulate, mapper, seed,
                                             workers, describe or {})
                    if pattern_check is not None and pattern_draws:
                        patterns_table = _pattern_table(draws[:pattern_draws], pattern_check,
                                                        seed)
        except BaseException:
            if created and not (out_dir / CHECKPOINT).exists():
                shutil.rmtree(out_dir, ignore_errors=True)  # nothing finished: leave nothing
            raise
        result = Calibration(
            out_dir=out_dir, posterior=outcome["posterior"],
            generations=pd.DataFrame(outcome["rows"], columns=ROW_COLUMNS),
            predictive=predictive, patterns=patterns_table, stop_reason=outcome["stop"],
            simulations=outcome["used"], abandoned=outcome["abandoned"],
            nonfinite=outcome["nonfinite"], wall_time_s=time.monotonic() - started,
            ran_now=outcome["ran_now"])
        try:
            _write_outputs(result, outcome["all_generations"], priors, labels)
            _write_manifest(out_dir, command, settings, stopping, result, resumed=resume)
        except OSError as exc:
            raise OutputWriteError(
                f"{out_dir}: writing the calibration's outputs failed ({exc.strerror or exc}); "
                f"the {len(result.generations)} finished generations are kept in {DB} and "
                f"{CHECKPOINT}: free some space and write them with --resume --out "
                f"{out_dir}") from exc
    return result


@contextlib.contextmanager
def _quiet_pyabc() -> Iterator[None]:
    """pyABC reports every step at INFO on stderr, where the progress bar says what matters:
    its "ABC" logger and every "ABC.*" logger (pyABC sets some of their levels itself, so the
    parent's level alone does not hold them) are held at WARNING while a calibration runs, and
    given back their levels."""
    import logging

    import pyabc  # noqa: F401  (creates its loggers, so that they can be held)

    names = ["ABC", *(name for name in logging.Logger.manager.loggerDict
                      if name.startswith("ABC."))]
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


ROW_COLUMNS = ["generation", "epsilon", "acceptance_rate", "simulations", "population", "ess",
               "nonfinite", "discarded", "wall_time_s"]


class _Engine:
    """One calibration's generation loop over pyABC's ``ABCSMC`` (module docstring)."""

    def __init__(self, priors: Sequence[PriorLike], observed: Mapping[str, float],
                 sds: Mapping[str, float], simulate: Simulate, out_dir: Path,
                 settings: dict[str, Any], mapper: Mapper, workers: int,
                 stopping: Mapping[str, Any], progress: bool):
        import pyabc

        self.keys = [p.key for p in priors]
        self.names = list(observed)
        self.observed = {name: float(observed[name]) for name in self.names}
        self.seed, self.population = int(settings["seed"]), int(settings["population"])
        self.out_dir, self.settings, self.stopping = out_dir, settings, stopping
        self.progress = progress
        self.sampler = _ordered_sampler_class()(self.seed, mapper, workers)
        model = pyabc.FunctionModel(Model(simulate, self.keys, self.names), name="cogov")
        prior = pyabc.Distribution(**{p.key: PriorRV(p) for p in priors})
        distance = pyabc.AdaptivePNormDistance(
            p=2, scale_function=ObservedSdScale({n: float(sds[n]) for n in self.names}),
            all_particles_for_scale=True)
        self.abc = pyabc.ABCSMC(
            model, prior, distance, population_size=self.population,
            transitions=pyabc.MultivariateNormalTransition(),
            eps=pyabc.QuantileEpsilon(alpha=EPSILON_QUANTILE, weighted=True),
            sampler=self.sampler)
        self.db = f"sqlite:///{(out_dir / DB).resolve()}"

    # -------------------------------------------------------------------------------- run
    def run(self, resume: bool) -> dict[str, Any]:
        from tqdm import tqdm

        state = _read_checkpoint(self.out_dir) if resume else None
        abandoned, ran_now, stop = 0, 0, None
        if state is None:
            (self.out_dir / DB).unlink(missing_ok=True)  # a start that never finished
            self._start()
            rows, used, nonfinite, t = [], self.sampler.nr_evaluations_, \
                self.sampler.nonfinite_, 0
        else:
            self._restore(state)
            rows, used, nonfinite = list(state.rows), state.used, state.nonfinite
            stop = self._after(state, state.rows[-1]["acceptance_rate"])
            t = state.t + 1
        bar = tqdm(total=self.stopping["max_generations"], initial=len(rows), unit="gen",
                   desc="ABC-SMC", file=sys.stderr, disable=not self.progress)
        with bar:
            while stop is None:
                if t >= self.stopping["max_generations"]:
                    stop = "max_generations"
                    break
                # the simulations the next generation is expected to need at the last
                # acceptance rate (rates fall as epsilon does, so this is a lower bound)
                expected = self.population / (rows[-1]["acceptance_rate"] if rows else 1.0)
                if self.stopping["budget"] - used < expected:
                    stop = "budget"
                    break
                clock = time.monotonic()
                eps = float(self.abc.eps(t))
                simulate_one = self.abc._create_simulate_function(t)
                self.sampler.cap = self.stopping["budget"] - used
                sample = self.sampler.sample_until_n_accepted(
                    self.population, simulate_one, t,
                    max_eval=self.population / self.stopping["min_acceptance"])
                n_sim = self.sampler.nr_evaluations_
                nonfinite += self.sampler.nonfinite_
                if not sample.ok:
                    abandoned = n_sim
                    stop = "budget" if self.sampler.capped_ else "min_acceptance"
                    break
                used += n_sim
                ran_now += 1
                sample.normalize_weights()
                weights = np.array([p.weight for p in sample.accepted_particles])
                row = {"generation": t, "epsilon": eps,
                       "acceptance_rate": self.population / n_sim, "simulations": n_sim,
                       "population": self.population,
                       "ess": float(weights.sum() ** 2 / (weights**2).sum()),
                       "nonfinite": self.sampler.nonfinite_,
                       "discarded": self.sampler.discarded_,
                       "wall_time_s": time.monotonic() - clock}
                rows.append(row)
                state = _State(t, self._components(), sample, list(rows), used, nonfinite,
                               self.settings)
                _write_checkpoint(self.out_dir, state)
                stop = self._after(state, row["acceptance_rate"])
                bar.update()
                bar.set_postfix(eps=f"{eps:.4g}", acceptance=f"{row['acceptance_rate']:.3f}",
                                simulations=used)
                t += 1
        all_generations = self._all_generations(state)
        posterior = (all_generations[all_generations["generation"] == state.t]
                     .reset_index(drop=True) if state is not None else
                     pd.DataFrame(columns=[*self.keys, "weight", "generation"]))
        return {"state": state, "rows": rows, "used": used, "nonfinite": nonfinite,
                "abandoned": abandoned, "stop": stop, "ran_now": ran_now,
                "posterior": posterior, "all_generations": all_generations}

    def _start(self) -> None:
        """A new run: pyABC's history, then its calibration sample from the prior (which fits
        the first distance scales and epsilon), in the parent's seeded global state."""
        self.abc.new(self.db, self.observed)
        with seeded_global_random(self._parent_sequence(-1)):
            self.abc.initialize_components_before_run(
                minimum_epsilon=0.0, max_nr_populations=self.stopping["max_generations"],
                min_acceptance_rate=self.stopping["min_acceptance"],
                max_total_nr_simulations=self.stopping["budget"], max_walltime=None,
                min_eps_diff=0.0)

    def _restore(self, state: _State) -> None:
        """pyABC as it was when generation ``state.t`` ran, on the stored history; the
        generation is stored again if the process died before the history had it."""
        from datetime import datetime

        self.abc.load(self.db, 1, self.observed)
        (self.abc.distance_function, self.abc.eps, self.abc.acceptor, self.abc.transitions,
         self.abc.population_size) = state.components
        self.abc.minimum_epsilon, self.abc.min_eps_diff = 0.0, 0.0
        self.abc.max_nr_populations = self.stopping["max_generations"]
        self.abc.min_acceptance_rate = self.stopping["min_acceptance"]
        self.abc.max_total_nr_simulations = self.stopping["budget"]
        self.abc.max_walltime, self.abc.init_walltime = None, datetime.now()
        self.abc.max_t = self.stopping["max_generations"] - 1
        self.abc.distance_function.configure_sampler(self.sampler)
        self.abc.eps.configure_sampler(self.sampler)

    def _after(self, state: _State, acceptance: float) -> str | None:
        """Store generation ``state.t`` in the history (unless it is there), then stop for
        low acceptance or update distance, epsilon and transition for the next generation."""
        history = self.abc.history
        if history.max_t < state.t:
            row = state.rows[-1]
            history.append_population(state.t, row["epsilon"],
                                      state.sample.get_accepted_population(),
                                      row["simulations"], ["cogov"],
                                      wall_time=row["wall_time_s"])
        if acceptance < self.stopping["min_acceptance"]:
            return "min_acceptance"
        population = state.sample.get_accepted_population()
        with seeded_global_random(self._parent_sequence(state.t + 1)):
            self.abc._prepare_next_iteration(t=state.t + 1, sample=state.sample,
                                             population=population, acceptance_rate=acceptance)
        return None

    def _components(self) -> tuple:
        abc = self.abc
        return (abc.distance_function, abc.eps, abc.acceptor, abc.transitions,
                abc.population_size)

    def _parent_sequence(self, t: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.seed, spawn_key=(PARTICLE_KEY + 1, t + 1))

    def _all_generations(self, state: _State | None) -> pd.DataFrame:
        frames = []
        for t in range(0, state.t + 1 if state is not None else 0):
            params, weights = self.abc.history.get_distribution(m=0, t=t)
            frame = params.reset_index(drop=True)[self.keys].astype(float)
            frame["weight"] = np.asarray(weights, dtype=float)
            frame["generation"] = t
            frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=[*self.keys, "weight", "generation"])
        return pd.concat(frames, ignore_index=True)


# -------------------------------------------------------------------------------- checkpoint
def _write_checkpoint(out_dir: Path, state: _State) -> None:
    """``checkpoint.pkl`` written whole (flushed to disk) and renamed into place."""
    import cloudpickle

    path = out_dir / CHECKPOINT
    tmp = out_dir / f".{CHECKPOINT}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as handle:
            cloudpickle.dump(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read_checkpoint(out_dir: Path) -> _State | None:
    path = out_dir / CHECKPOINT
    if not path.exists():
        return None
    with open(path, "rb") as handle:
        return pickle.load(handle)


# ---------------------------------------------------------------------- predictive and patterns
def _posterior_draws(posterior: pd.DataFrame, seed: int, n: int) -> list[dict[str, float]]:
    """``n`` coefficient vectors drawn from the last generation with probability equal to
    their weights (with replacement), from ``SeedSequence(seed, (PARTICLE_KEY + 2,))``."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(PARTICLE_KEY + 2,)))
    weights = posterior["weight"].to_numpy(dtype=float)
    rows = rng.choice(len(posterior), size=n, replace=True, p=weights / weights.sum())
    keys = [c for c in posterior.columns if c not in ("weight", "generation")]
    return [{k: float(posterior[k].iloc[r]) for k in keys} for r in rows]


def simulate_draws(job: tuple[Simulate, list[dict[str, float]], list[int]]
                   ) -> list[Mapping[str, float]]:
    """``simulate`` at each (theta, seed) of one chunk (module level: it pickles)."""
    simulate, thetas, seeds = job
    return [dict(simulate(theta, s)) for theta, s in zip(thetas, seeds, strict=True)]


def _predictive(draws: list[dict[str, float]], observed: Mapping[str, float],
                sds: Mapping[str, float], simulate: Simulate, mapper: Mapper, seed: int,
                workers: int, describe: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """The posterior-predictive table (:data:`PREDICTIVE_RULE`); draw ``j`` is simulated with
    the model seed of ``SeedSequence(seed, (PARTICLE_KEY + 2, j))``."""
    seeds = [model_seed(np.random.SeedSequence(seed, spawn_key=(PARTICLE_KEY + 2, j)))
             for j in range(len(draws))]
    jobs = [(simulate, draws[a:b], seeds[a:b]) for a, b in _chunks(0, len(draws), workers)]
    try:
        sims = [row for chunk in mapper(simulate_draws, jobs) for row in chunk]
    except Exception as exc:
        raise RunError(f"posterior predictive: simulate failed: {type(exc).__name__}: "
                       f"{exc}") from exc
    rows = []
    tail = (1 - INTERVAL) / 2
    for name in observed:
        values = np.array([float(s.get(name, math.nan)) for s in sims])
        finite = values[np.isfinite(values)]
        low, median, high = (np.quantile(finite, [tail, 0.5, 1 - tail]) if len(finite) >= 2
                             else (math.nan,) * 3)
        rows.append({"target": name, **describe.get(name, {}),
                     "observed": float(observed[name]),
                     "sd": float(sds[name]), "median": float(median), "low": float(low),
                     "high": float(high),
                     "hit": bool(low <= observed[name] <= high) if len(finite) >= 2 else None,
                     "draws": int(len(finite)), "nonfinite": int(len(values) - len(finite))})
    return pd.DataFrame(rows)


def _pattern_table(draws: list[dict[str, float]],
                   check: Callable[[Mapping[str, float], int], Mapping[str, bool]],
                   seed: int) -> pd.DataFrame:
    rows = []
    for j, theta in enumerate(draws):
        verdicts = check(theta, seed)
        rows.append({"draw": j, **theta, **{f"holds:{k}": bool(v) for k, v in
                                             verdicts.items()},
                     "all_hold": all(verdicts.values())})
    return pd.DataFrame(rows)


def pattern_verdicts(pattern_ids: Sequence[str], replicates: int, workers: int,
                     theta: Mapping[str, float], seed: int) -> dict[str, bool]:
    """Whether each pattern of ``pattern_ids`` holds (``sim.patterns.HOLD_RULE``) with the
    coefficients ``theta`` set in every arm, at each pattern's shipped scenario in the centre
    of the context design (``sim.patterns.central_context``), over ``replicates`` paired
    replicates of master ``seed``. Bind the first three arguments with
    ``functools.partial`` to make a ``pattern_check`` for :func:`calibrate`."""
    from sim import patterns

    chosen = patterns.select(list(pattern_ids), steady=True)
    chosen = [p for p in chosen if p.id in pattern_ids]
    evaluation = patterns.evaluate(chosen, patterns.central_context(),
                                   replicates=replicates, seed=seed, workers=workers,
                                   fixed=dict(theta))
    rows = evaluation.rows
    return {p.id: bool(rows.loc[rows["pattern"] == p.id, "pattern_holds"].all())
            for p in chosen}


# ------------------------------------------------------------------------------------ outputs
def credible_intervals(posterior: pd.DataFrame) -> pd.DataFrame:
    """Per coefficient: weighted median and :data:`CREDIBLE_RULE` bounds (``key, median, low,
    high``)."""
    weights = posterior["weight"].to_numpy(dtype=float)
    rows = []
    for key in [c for c in posterior.columns if c not in ("weight", "generation")]:
        values = posterior[key].to_numpy(dtype=float)
        low, median, high = weighted_quantiles(values, weights,
                                               [(1 - INTERVAL) / 2, 0.5, (1 + INTERVAL) / 2])
        rows.append({"key": key, "median": median, "low": low, "high": high})
    return pd.DataFrame(rows, columns=["key", "median", "low", "high"])


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]
                       ) -> list[float]:
    """Quantiles of a weighted sample: the inverse of its weighted empirical distribution
    function, each value at the midpoint of its weight (Hazen's rule, weighted)."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order] / weights.sum()
    positions = np.cumsum(w) - w / 2
    return [float(np.interp(q, positions, v)) for q in qs]


def _write_outputs(result: Calibration, all_generations: pd.DataFrame,
                   priors: Sequence[PriorLike], labels: Mapping[str, str] | None) -> None:
    out = result.out_dir
    _atomic(out / GENERATIONS, lambda p: result.generations.to_csv(p, index=False))
    if result.posterior.empty:
        return
    _atomic(out / POSTERIOR, lambda p: all_generations.to_parquet(p, index=False))
    if result.predictive is not None:
        _atomic(out / PREDICTIVE, lambda p: result.predictive.to_csv(p, index=False))
    if result.patterns is not None:
        _atomic(out / PATTERNS, lambda p: result.patterns.to_csv(p, index=False))
    _write_plots(out, result.posterior, priors, labels)


def _atomic(path: Path, write: Callable[[Path], Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def axis_label(key: str, labels: Mapping[str, str] | None = None) -> str:
    """A coefficient's axis label: ``labels[key]``, else the schema's label, key and unit
    (``sim.schema.display_name``; the key alone outside the scenario schema), broken into
    lines of at most :data:`AXIS_LABEL_WIDTH` characters where it has spaces, so that it stays
    under its own panel."""
    import textwrap

    from sim.schema import display_name

    text = labels[key] if labels and key in labels else display_name(key)
    return textwrap.fill(text, AXIS_LABEL_WIDTH, break_long_words=False,
                         break_on_hyphens=False)


AXIS_LABEL_WIDTH = 36
"""Characters per line of a coefficient's axis label (a panel is about 4 inches wide)."""


def _write_plots(out: Path, posterior: pd.DataFrame, priors: Sequence[PriorLike],
                 labels: Mapping[str, str] | None) -> None:
    """``plots/marginals.png`` (:func:`marginals_figure`) and ``plots/pairs.png``
    (:func:`pairs_figure`), written into a fresh directory renamed into place."""
    from sim import plots as figures

    tmp = out / f".{PLOTS}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        figures.save(marginals_figure(posterior, priors, labels), tmp / "marginals.png")
        figures.save(pairs_figure(posterior, priors, labels), tmp / "pairs.png")
        old = out / f".{PLOTS}.{os.getpid()}.old"
        if (out / PLOTS).exists():
            os.rename(out / PLOTS, old)
        os.rename(tmp, out / PLOTS)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def marginals_figure(posterior: pd.DataFrame, priors: Sequence[PriorLike],
                     labels: Mapping[str, str] | None = None, lang: str = "en") -> Figure:
    """A weighted histogram of each coefficient of ``posterior`` (the last generation's
    particles) over its prior's bounds, with the 90% credible interval and the median; its
    own words in ``lang`` (``sim.labels.LANGS``)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from sim.plots import word

    keys = [p.key for p in priors]
    weights = posterior["weight"].to_numpy(dtype=float)
    intervals = credible_intervals(posterior).set_index("key")
    columns = min(3, len(keys))
    rows = math.ceil(len(keys) / columns)
    fig = Figure(figsize=(4.2 * columns, 3.2 * rows + 0.4), layout="constrained")
    grid = list(fig.subplots(rows, columns, squeeze=False).ravel())
    for ax in grid[len(keys):]:
        ax.set_axis_off()
    for ax, prior in zip(grid, priors, strict=False):
        ax.hist(posterior[prior.key], bins=30, range=(prior.low, prior.high),
                weights=weights, density=True, color="#4c72b0", alpha=0.8)
        row = intervals.loc[prior.key]
        ax.axvspan(row["low"], row["high"], color="#dd8452", alpha=0.15,
                   label=word("credible_90", lang))
        ax.axvline(row["median"], color="#dd8452", label=word("median", lang))
        ax.set_xlabel(axis_label(prior.key, labels))
        ax.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))  # not 7 yuan ticks
        ax.set_ylabel(word("posterior_density", lang))
    grid[0].legend(fontsize=7)
    fig.suptitle(word("posterior_marginals", lang))
    return fig


def pairs_figure(posterior: pd.DataFrame, priors: Sequence[PriorLike],
                 labels: Mapping[str, str] | None = None, lang: str = "en") -> Figure:
    """A weighted scatter of every pair of coefficients (point size ∝ weight), histograms on
    the diagonal, each axis over its prior's bounds; its title in ``lang``."""
    from matplotlib.figure import Figure

    from sim.plots import word

    weights = posterior["weight"].to_numpy(dtype=float)
    n = len(priors)
    fig = Figure(figsize=(2.8 * n + 0.5, 2.8 * n + 0.5), layout="constrained")
    axes = fig.subplots(n, n, squeeze=False)
    size = 4 + 60 * weights / weights.max()
    for i, pi in enumerate(priors):
        for j, pj in enumerate(priors):
            ax = axes[i][j]
            if i == j:
                ax.hist(posterior[pi.key], bins=30, range=(pi.low, pi.high),
                        weights=weights, color="#4c72b0")
            else:
                # an image inside the panel in SVG: a mark per particle made MBs
                ax.scatter(posterior[pj.key], posterior[pi.key], s=size, alpha=0.4,
                           color="#4c72b0", linewidths=0, rasterized=True)
                ax.set_xlim(pj.low, pj.high)
                ax.set_ylim(pi.low, pi.high)
            if i == n - 1:
                ax.set_xlabel(axis_label(pj.key, labels), fontsize=7)
            if j == 0:
                ax.set_ylabel(axis_label(pi.key, labels), fontsize=7)
    fig.suptitle(word("posterior_pairs", lang))
    return fig


def _write_manifest(out_dir: Path, command: Sequence[str] | None, settings: Mapping[str, Any],
                    stopping: Mapping[str, Any], result: Calibration | None,
                    resumed: bool = False) -> None:
    """The manifest. After a ``--resume`` the ``command`` stays the one that started the
    calibration, each resume is listed under ``resumed`` (its command, when it finished, its
    git commit, the generations it ran) and ``wall_time_s`` adds up every invocation's."""
    from importlib import metadata

    from sim.runner import manifest_fields, now_iso, write_manifest

    fields: dict[str, Any] = {"settings": dict(settings), "stopping": dict(stopping),
                              "pyabc": metadata.version("pyabc"),
                              "predictive_rule": PREDICTIVE_RULE,
                              "credible_rule": CREDIBLE_RULE,
                              "seeding": ("particle i of generation t: SeedSequence(seed, "
                                          f"spawn_key=({PARTICLE_KEY}, t + 1, i)); see "
                                          "sim/calibrate.py"),
                              "finished": None, "stop_reason": None}
    if result is not None:
        fields.update({
            "finished": now_iso(), "stop_reason": result.stop_reason,
            "stop_reason_text": STOP_REASONS[result.stop_reason],
            "generations": len(result.generations), "simulations": result.simulations,
            "abandoned_simulations": result.abandoned, "nonfinite": result.nonfinite,
            "wall_time_s": result.wall_time_s, "generations_run_now": result.ran_now,
            "credible_intervals": (credible_intervals(result.posterior).to_dict("records")
                                   if not result.posterior.empty else []),
        })
    data = manifest_fields("calibration", command, fields)
    data["kind"] = "calibration"
    before = _previous_manifest(out_dir) if resumed else {}
    if before.get("command"):
        data["command"] = before["command"]
        data["resumed"] = [*before.get("resumed", []),
                           {"command": list(command or []), "finished": fields["finished"],
                            "git": data.get("git"),
                            "generations_run_now": fields.get("generations_run_now")}]
        if result is not None and before.get("wall_time_s") is not None:
            data["wall_time_s"] = float(before["wall_time_s"]) + result.wall_time_s
    write_manifest(out_dir, data)


def _previous_manifest(out_dir: Path) -> dict[str, Any]:
    """The calibration's manifest as it was before this invocation (empty if unreadable)."""
    try:
        return json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


__all__ = ["Calibration", "ObservedSdScale", "PriorLike", "calibrate",
           "credible_intervals", "marginals_figure", "pairs_figure", "pattern_verdicts",
           "weighted_quantiles"]
