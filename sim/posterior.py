"""Coefficient uncertainty in ``cogov run`` and ``cogov compare`` (issue 10 §3, ``--posterior``).

A directory written by ``cogov calibrate`` (``sim.calibrate``) holds the ABC-SMC posterior:
``posterior.parquet`` (every finished generation's particles: one column per calibrated
coefficient, a dotted scenario key; ``weight``; ``generation``) and ``manifest.json`` (kind
``calibration``; ``settings.priors`` the coefficients and their prior bounds). The posterior is
the **last** generation. :func:`load` reads and checks it; nothing runs on a bad one.

Design (nested): K coefficient vectors are drawn from the posterior, each with probability equal
to its particle's weight (with replacement); each runs R replicates. Draw ``k`` (0 … K − 1) of
master seed ``s`` is chosen by ``numpy.random.default_rng(SeedSequence(s, spawn_key=(DRAW_KEY,
k)))`` (:data:`DRAW_KEY`, apart from replicates' ``(r,)``, sweep designs' ``(2**31,)``, the
analysis' ``(2**31 + 1,)``, the pattern design's ``(2**31, 9)`` and calibration's
``(2**31 + 10 … 12, …)``), so a draw does not depend on K, R or the workers. Replicate ``j`` of
draw ``k`` is replicate ``i = k·R + j`` of the run: ``sim.model.replicate_rng(s, i)``, with the
draw's coefficients applied by ``Scenario.with_overrides`` (the scenario's own values of those
keys are replaced). Same seed, same bits, with any workers.

Intervals follow ``sim.intervals``' split rule (``SPLIT_RULE``: t95 within range over the draw
means, the variance of a run split into coefficient and noise parts by one-way random-effects
ANOVA). A comparison runs every scenario on the same K draws and the same replicate seeds
(common random numbers) and reports, per metric, :data:`PROBABILITY_RULE`.

This module never prints and never exits: the CLI does.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim import intervals, metrics
from sim.calibrate import POSTERIOR
from sim.errors import ScenarioError
from sim.runner import KEY_METRICS, RunResult, now_iso, run_jobs
from sim.scenario import Scenario

DRAW_KEY = 2**31 + 20
"""Spawn key of the posterior draws of ``cogov run``/``compare --posterior`` (module docstring)."""
DEFAULT_DRAWS = 10
"""Posterior draws K when ``--draws`` is not given."""
DEFAULT_REPLICATES = 2
"""Replicates per draw R when ``--replicates`` is not given with ``--posterior``: the fewest
that split the variance."""
DRAWS_TABLE = "posterior_draws"
INTERVALS_TABLE = "posterior_intervals"
PROBABILITY_TABLE = "posterior_compare"
SEEDING = ("posterior draw k of master seed s: the particle chosen (by weight) with "
           f"default_rng(SeedSequence(s, spawn_key=({DRAW_KEY}, k))); replicate j of draw k is "
           "replicate k·R + j of the run (replicate_rng(s, k·R + j))")
PROBABILITY_RULE = (
    "probability that A beats B under the posterior: the share of the K posterior draws at "
    "which the mean over the R paired replicates of (A − B) is above 0 (a draw where it is "
    "exactly 0 counts one half; draws where it is undefined are left out), with its Monte "
    "Carlo uncertainty as the 95% Wilson score interval of that share over the draws")
NON_COEFFICIENTS = ("weight", "generation")


@dataclass(frozen=True, eq=False)
class Posterior:
    """The last generation of a calibration in ``path``: ``particles`` (one row per particle:
    the coefficient columns ``keys`` and ``weight``, weights normalised to sum to 1),
    ``generation`` (its index) and ``identity`` (what the run's manifest records)."""

    path: Path
    keys: tuple[str, ...]
    particles: pd.DataFrame
    generation: int
    identity: Mapping[str, Any]


def load(path: str | Path) -> Posterior:
    """Read and check the posterior in directory ``path`` (module docstring).

    Raises ``ScenarioError`` listing every problem, each naming the directory or file (and the
    column): a missing directory, no calibration manifest, no ``posterior.parquet``, a column
    that is not a calibrated coefficient or not a real-valued scenario key, values outside the
    prior's bounds (which lie inside the scenario schema's range) or not finite, weights that
    are negative, not finite or all 0."""
    from sim.targets import PriorSpec, _prior

    path = Path(path)
    if not path.is_dir():
        raise ScenarioError(f"--posterior {path}: "
                            f"{'is not a directory' if path.exists() else 'no such directory'} "
                            "(give the --out directory of `cogov calibrate`)")
    manifest_path, parquet = path / "manifest.json", path / POSTERIOR
    try:
        raw = manifest_path.read_bytes()
        manifest = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{manifest_path}: cannot be read as JSON "
                            f"({getattr(exc, 'strerror', None) or exc}); --posterior needs the "
                            "--out directory of `cogov calibrate`") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != "calibration":
        raise ScenarioError(f"{manifest_path}: kind is {manifest.get('kind')!r}, not "
                            "'calibration': --posterior needs the --out directory of `cogov "
                            "calibrate`" if isinstance(manifest, dict) else
                            f"{manifest_path}: not a calibration manifest")
    priors = (manifest.get("settings") or {}).get("priors")
    if not isinstance(priors, list) or not priors:
        raise ScenarioError(f"{manifest_path} settings.priors: missing: not a calibration "
                            "manifest")
    try:
        frame = pd.read_parquet(parquet)
    except (OSError, ValueError, ImportError) as exc:
        raise ScenarioError(f"{parquet}: cannot be read ({exc}); the calibration may have "
                            "finished no generation") from None
    problems: list[str] = []
    missing = [c for c in NON_COEFFICIENTS if c not in frame.columns]
    if missing:
        raise ScenarioError(f"{parquet}: no column {', '.join(missing)}: not a posterior "
                            "written by `cogov calibrate`")
    keys = tuple(c for c in frame.columns if c not in NON_COEFFICIENTS)
    bounds = {p.get("key"): p for p in priors if isinstance(p, dict)}
    if not keys:
        problems.append(f"{parquet}: no coefficient columns")
    absent = [k for k in bounds if k not in keys]
    if absent:
        problems.append(f"{parquet}: no column for the calibrated coefficient"
                        f"{'s' if len(absent) > 1 else ''} {', '.join(map(str, absent))} "
                        f"({manifest_path} settings.priors)")
    if frame.empty:
        raise ScenarioError(f"{parquet}: no particles: the calibration finished no generation")
    generation = int(frame["generation"].max())
    last = frame[frame["generation"] == generation].reset_index(drop=True)
    for key in keys:
        where = f"{parquet} column '{key}'"
        if key not in bounds:
            problems.append(f"{where}: not a coefficient of the calibration "
                            f"({manifest_path} settings.priors)")
            continue
        prior = bounds[key]
        try:
            checked = _prior(key, PriorSpec(low=prior["low"], high=prior["high"],
                                            shape=prior.get("shape", "uniform")))
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{where}: {exc}")
            continue
        values = last[key].to_numpy(dtype=float)
        bad = ~(np.isfinite(values) & checked.contains(values))
        if bad.any():
            problems.append(f"{where}: {int(bad.sum())} of {len(values)} values of generation "
                            f"{generation} are not finite or lie outside the prior's "
                            f"[{checked.low:g}, {checked.high:g}], e.g. {values[bad][0]:g}")
    weights = last["weight"].to_numpy(dtype=float)
    if not (np.isfinite(weights).all() and (weights >= 0).all() and weights.sum() > 0):
        problems.append(f"{parquet} column 'weight': generation {generation} needs finite, "
                        "non-negative weights with a positive sum")
    if problems:
        raise ScenarioError(problems)
    last = last.assign(weight=weights / weights.sum())[[*keys, "weight"]]
    settings = manifest.get("settings") or {}
    identity = {
        "directory": str(path.resolve()),
        "manifest_sha256": hashlib.sha256(raw).hexdigest(),
        "posterior_sha256": hashlib.sha256(parquet.read_bytes()).hexdigest(),
        "generation": generation, "particles": len(last),
        "effective_sample_size": float(1 / (last["weight"] ** 2).sum()),
        "coefficients": list(keys),
        **{name: settings[k] for k, name in (("targets_file", "targets_file"),
                                             ("targets_content_sha256", "targets_content_sha256"),
                                             ("seed", "calibration_seed")) if k in settings},
    }
    return Posterior(path, keys, last, generation, identity)


def check_design(draws: int, replicates: int) -> None:
    """``ScenarioError`` (named as the options) unless K ≥ 2 draws and R ≥ 2 replicates per
    draw: fewer cannot split an interval into coefficient and noise parts."""
    problems = []
    if draws < 2:
        problems.append(f"--draws: at least 2 posterior draws to split the interval, got {draws}")
    if replicates < 2:
        problems.append(f"--replicates: at least 2 replicates per posterior draw to split the "
                        f"interval, got {replicates}")
    if problems:
        raise ScenarioError(problems)


def draw_particles(posterior: Posterior, seed: int, draws: int) -> pd.DataFrame:
    """The ``draws`` coefficient vectors of master ``seed``: columns ``draw``, ``particle``
    (row of the last generation) and one per coefficient; draw ``k`` from its own stream
    (:data:`DRAW_KEY`), by the particles' weights (a particle of weight 0 is never drawn)."""
    weights = posterior.particles["weight"].to_numpy(dtype=float)
    rows = []
    for k in range(draws):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DRAW_KEY, k)))
        particle = int(rng.choice(len(weights), p=weights))
        rows.append({"draw": k, "particle": particle,
                     **{key: float(posterior.particles[key].iloc[particle])
                        for key in posterior.keys}})
    return pd.DataFrame(rows, columns=["draw", "particle", *posterior.keys])


def draw_scenarios(scenario: Scenario, posterior: Posterior, chosen: pd.DataFrame
                   ) -> list[Scenario]:
    """``scenario`` with each draw's coefficients applied (``Scenario.with_overrides``), in draw
    order; ``ScenarioError`` if the scenario refuses a value (checked before anything runs)."""
    return [scenario.with_overrides({key: float(row[key]) for key in posterior.keys},
                                    origin=f"--posterior {posterior.path} draw {int(row['draw'])}")
            for _, row in chosen.iterrows()]


def run(scenario: Scenario, posterior: Posterior, chosen: pd.DataFrame, replicates: int,
        workers: int = 1, progress: bool = False) -> RunResult:
    """Run R = ``replicates`` replicates at each draw of ``chosen`` (:func:`draw_particles`):
    replicate ``k·R + j`` with draw ``k``'s coefficients (module docstring). The result's
    ``timeseries`` and ``summary`` gain a column ``draw`` after ``replicate``; its
    ``scenario`` is ``scenario`` without the draws (its seed is the master seed)."""
    started = now_iso()
    variants = draw_scenarios(scenario, posterior, chosen)
    jobs = [(variant, k * replicates + j) for k, variant in enumerate(variants)
            for j in range(replicates)]
    outputs = run_jobs(jobs, workers, progress, scenario.name)
    frames, rows = [], []
    for (_, i), (ts, row) in zip(jobs, outputs, strict=True):
        draw = i // replicates
        frames.append(ts.assign(draw=draw))
        rows.append({**row, "draw": draw})
    ts, summary = pd.concat(frames, ignore_index=True), pd.DataFrame(rows)
    order = ["scenario", "replicate", "draw"]
    return RunResult(scenario=scenario, seed=scenario.seed, replicates=len(jobs),
                     timeseries=ts[[*order, *[c for c in ts.columns if c not in order]]],
                     summary=summary[[*order, *[c for c in summary if c not in order]]],
                     started=started, finished=now_iso())


def draws_table(chosen: pd.DataFrame, replicates: int) -> pd.DataFrame:
    """``posterior_draws.csv``: one row per replicate — ``replicate``, ``draw``, ``particle``
    and each coefficient it ran with."""
    rows = [{"replicate": int(row["draw"]) * replicates + j, **row.to_dict()}
            for _, row in chosen.iterrows() for j in range(replicates)]
    table = pd.DataFrame(rows)
    table[["draw", "particle"]] = table[["draw", "particle"]].astype(int)
    return table


def intervals_table(summary: pd.DataFrame, names: Sequence[str] = KEY_METRICS) -> pd.DataFrame:
    """Per scenario and metric, ``intervals.split_interval`` of the replicates: ``scenario,
    metric, draws, n, mean, ci_low, ci_high, predictive_low, predictive_high, sd_coefficients,
    sd_noise, share_coefficients, nan, inf, note`` (``note``: why there is no split, if so).
    Its first columns are those of ``runner.summary_table``, so the CLI prints it alike."""
    rows = []
    for name in pd.unique(summary["scenario"]):
        group = summary[summary["scenario"] == name]
        for metric in names:
            split = intervals.split_interval(group[metric], group["draw"],
                                             metrics.range_of(metric))
            iv = split.interval
            rows.append({
                "scenario": name, "metric": metric, "draws": split.draws, "n": iv.n,
                "mean": iv.mean, "ci_low": iv.low, "ci_high": iv.high,
                "predictive_low": split.predictive_low, "predictive_high": split.predictive_high,
                "sd_coefficients": math.sqrt(split.var_coefficients),
                "sd_noise": math.sqrt(split.var_noise),
                "share_coefficients": split.share_coefficients, "nan": iv.nan, "inf": iv.inf,
                "note": split.reason or ""})
    return pd.DataFrame(rows)


def wilson(successes: float, n: int, level: float = intervals.LEVEL) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``successes / n`` (Wilson 1927); a half
    success (a tie) is allowed. (NaN, NaN) when ``n`` is 0."""
    if n == 0:
        return math.nan, math.nan
    z = stats.norm.ppf(0.5 + level / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def probability_table(summary: pd.DataFrame, names: Sequence[str] = KEY_METRICS
                      ) -> pd.DataFrame:
    """:data:`PROBABILITY_RULE` for the first scenario of ``summary`` against each other one:
    ``scenario_a, scenario_b, metric, draws, mean_difference, ci_low, ci_high (the t95 rule
    over the per-draw mean differences), p_a_greater, p_low, p_high, ties, undefined``.
    Replicates are paired by index (the same draw and seed in both)."""
    scenarios = list(pd.unique(summary["scenario"]))
    first = summary[summary["scenario"] == scenarios[0]].set_index("replicate")
    rows = []
    for other in scenarios[1:]:
        second = summary[summary["scenario"] == other].set_index("replicate")
        if not first.index.equals(second.index) or not (first["draw"] == second["draw"]).all():
            raise ValueError(f"'{scenarios[0]}' and '{other}' ran different replicates or "
                             "draws: they are not paired")
        for metric in names:
            difference = (first[metric] - second[metric]).to_numpy(dtype=float)
            per_draw = pd.Series(difference).groupby(first["draw"].to_numpy()).mean()
            finite = per_draw[np.isfinite(per_draw)].to_numpy()
            k = len(finite)
            wins = float((finite > 0).sum() + 0.5 * (finite == 0).sum())
            iv = intervals.mean_interval(finite)
            low, high = wilson(wins, k)
            rows.append({"scenario_a": scenarios[0], "scenario_b": other, "metric": metric,
                         "draws": k, "mean_difference": iv.mean, "ci_low": iv.low,
                         "ci_high": iv.high, "p_a_greater": wins / k if k else math.nan,
                         "p_low": low, "p_high": high, "ties": int((finite == 0).sum()),
                         "undefined": int(len(per_draw) - k)})
    return pd.DataFrame(rows)


def manifest_fields(posterior: Posterior, draws: int, replicates: int) -> dict[str, Any]:
    """The manifest's ``posterior`` entry: where the coefficients came from and how they were
    drawn and summarised."""
    return {"posterior": {**posterior.identity, "draws": draws, "replicates_per_draw": replicates,
                          "seeding": SEEDING, "interval_rule": intervals.SPLIT_RULE,
                          "probability_rule": PROBABILITY_RULE}}


__all__ = ["DRAW_KEY", "PROBABILITY_RULE", "Posterior", "check_design", "draw_particles",
           "draws_table", "intervals_table", "load", "manifest_fields", "probability_table",
           "run", "wilson"]
