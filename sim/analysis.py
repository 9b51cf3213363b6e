"""Sensitivity analysis of a finished sweep (INTERFACE.md ``cogov analyze``).

Reads ``results.parquet``, ``design.npy`` and ``manifest.json`` of a sweep directory (the SALib
problem is saved with the results, as agentpy does), averages replicates per design point, and
runs SALib's analysis for the design's method: Sobol S1/ST (and S2) with confidence intervals,
Morris mu*/mu*_conf/sigma, FAST S1/ST. Beside every index table stands the **noise share**: the
share of the output variance that is stochastic variation between replicates of one design point
(within-point sum of squares / total sum of squares). Near 1, noise swamps the levers and the
indices mean little. Grid designs get response tables and plots (lines for one parameter, a
heatmap for two) with the package's one interval rule (``sim.intervals``).

No index is printed as certain when the data cannot carry it. Each metric gets a
:class:`MetricStatus` (also written to ``analysis/status_<method>.csv``):

- ``non-finite``: some runs gave inf or NaN (e.g. ``yuan_per_satisfaction`` is +inf where money
  bought no satisfaction gain). SALib's estimators would turn them into zeros, so Sobol, Morris
  and FAST give **no indices** for that metric; the status counts the infinite and the NaN runs
  and the design points affected, and says where in the design they lie and what to do. A grid
  still gets its table when some design point has a finite mean (status
  ``partly-non-finite``): points with an infinite mean show ``inf`` and no interval, NaN
  replicates are left out of a point's mean and counted in ``nan`` (the interval rule).
- ``constant``: the metric has one value in every run of a design of several points (or every
  design point's mean is the same): there is no variance to share out, so no indices and no
  table. A grid of a single design point gets its one-row table.
- ``no-runs``: no successful run (a grid whose every run failed).
- ``ok``: indices or a table, with notes on what limits them: the **wide rule** (below), one
  replicate per point (no noise share, no grid interval), a large noise share, and every warning
  SALib or numpy raised during the metric's analysis (collected, deduplicated, never silenced and
  never printed here).

**Wide rule** (:data:`WIDE_RULE`): an index is marked ``<index>_wide`` when its 95% half-width
(SALib's ``*_conf``) exceeds 0.1 of the index's scale — 0.1 for S1/ST, which are shares of
variance in [0, 1]; 0.1 × the largest mu* for Morris, whose mu* has the metric's units — or is
not finite, or (S1/ST) ``index ± conf`` lies wholly outside [0, 1] (the bootstrap missed the
index: its ``*_low``/``*_high`` are then empty). Two indices closer than that cannot be told
apart, so a wide index cannot be ranked.

Sobol/FAST ``S1_conf``/``ST_conf`` and Morris ``mu_star_conf`` are SALib's bootstrap 95%
half-widths; ``*_low``/``*_high`` are ``index ∓ conf`` within the index's range ([0, 1] for S1
and ST — the true index lies there even when the estimate does not; ≥ 0 for mu*), and the plots'
whiskers show them. Every SALib call is seeded from the experiment's seed
(:func:`analysis_seed`) with numpy's global random state saved and restored around it, so two
analyses of one sweep give the same intervals and the caller's global state is untouched. This
module never prints and never exits.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim import intervals
from sim.metrics import range_of
from sim.scenario import ScenarioError
from sim.schema import display_name

METHODS_BY_DESIGN = {"sobol": "sobol", "morris": "morris", "fast": "fast", "grid": "grid",
                     "random": "grid"}
STATUSES = ("ok", "partly-failed", "partly-non-finite", "non-finite", "constant", "no-runs")
"""A metric's status: analysed (``ok``; ``partly-failed``: some runs failed, the table covers
the rest; ``partly-non-finite``: a grid table) or not."""
ANALYSED = ("ok", "partly-failed", "partly-non-finite")
WIDE = 0.1
WIDE_RULE = ("an index is marked wide when its 95% half-width (*_conf) exceeds 0.1 of its "
             "scale (S1/ST: 0.1 on the 0-1 scale; mu*: 0.1 x the largest mu*), is not finite, "
             "or lies wholly outside [0, 1] (S1/ST): it cannot be ranked against indices that "
             "close")
NOISY = 0.5
"""A noise share above this gets a note: most of the variation is between replicates."""
ANALYSIS_SPAWN_KEY = 2**31 + 1
"""Spawn key of the analysis seed (the random design uses 2**31, replicates use 0, 1, …)."""
ID_COLUMNS = ("point", "replicate", "seed", "status", "error", "run_time_s")
ONE_REPLICATE = ("one replicate per design point: the noise share (variation between "
                 "replicates) cannot be estimated; set replicates: 2 or more in the experiment "
                 "and sweep again to get it")
ONE_REPLICATE_GRID = ("one replicate per design point: no interval (low/high are empty) and "
                      "no noise share; set replicates: 2 or more (4 or more for a useful "
                      "width) in the experiment and sweep again")
BETTER_METRICS = {
    "yuan_per_satisfaction": "mean_satisfaction_final (the gain it divides by) or "
                             "fund_spent_last12 (the money)",
    "representation_gap": "participation_migrant_last12 and participation_local_last12",
}


@dataclass
class MetricStatus:
    """What the analysis of one metric gave and why: ``status`` (one of :data:`STATUSES`),
    ``detail`` (a sentence for a reader; empty when ``ok``), counts over the successful runs
    (``runs``; ``inf`` and ``nan`` non-finite runs; ``points`` design points with a
    successful run, ``points_affected`` of them with a non-finite replicate), the sweep's
    ``failed`` runs and the ``points_failed`` design points where some run failed (the
    ``detail`` says which), ``notes`` on what limits the indices, and ``warnings`` raised by
    SALib or numpy during its analysis (deduplicated)."""

    metric: str
    status: str
    detail: str = ""
    runs: int = 0
    inf: int = 0
    nan: int = 0
    points: int = 0
    points_affected: int = 0
    failed: int = 0
    points_failed: int = 0
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def analysed(self) -> bool:
        """True when a table of indices (or grid responses) was made."""
        return self.status in ANALYSED


@dataclass
class Analysis:
    """``tables``: one DataFrame per analysed metric; ``status``: every requested metric's
    :class:`MetricStatus`; ``files``: what was written; ``design``: the sweep's design method
    (``random`` analysed as ``grid`` is a per-point summary, not a grid); ``failures``: a
    statement of the sweep's failed runs and where they lie in the design ("" when none
    failed; also in every metric's ``detail``)."""

    method: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    status: dict[str, MetricStatus] = field(default_factory=dict)
    design: str = ""
    failures: str = ""

    @property
    def label(self) -> str:
        """What the tables are, for a header: e.g. ``sobol``, ``grid``, or ``random design:
        per-point summary`` (a random design's points are no grid: its parameter combinations
        are scattered, not crossed)."""
        return _label(self.method, self.design)

    @property
    def analysed(self) -> list[str]:
        """Metrics that got a table; empty when nothing could be analysed."""
        return [name for name, s in self.status.items() if s.analysed]


def analyze(out_dir: str | Path, method: str | None = None,
            metric_names: list[str] | None = None) -> Analysis:
    """Analyse the sweep in ``out_dir``; write ``analysis/<method>_<metric>.csv`` and ``.png``
    per analysed metric and ``analysis/status_<method>.csv`` (metric, status, detail, counts,
    notes, warnings) for all. Files of an earlier analysis of a metric that now has no table
    are removed. Raises ScenarioError (bad input: exit 2) for a missing sweep, a method that
    does not match the design, or an unknown metric; a metric that cannot be analysed is not
    an error but a status (see the module docstring)."""
    out_dir = Path(out_dir)
    manifest_path, results_path = out_dir / "manifest.json", out_dir / "results.parquet"
    if not manifest_path.exists() or not results_path.exists():
        raise ScenarioError(f"{out_dir}: no finished sweep here (manifest.json and "
                            "results.parquet are written when `cogov sweep` ends)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    spec = manifest["experiment"]
    design_method = spec["method"]
    method = method or METHODS_BY_DESIGN[design_method]
    if method != "grid" and method != design_method:
        raise ScenarioError(f"{out_dir}: --method {method} needs a {method} design; this sweep "
                            f"used {design_method}")
    results = pd.read_parquet(results_path)
    names = metric_names or spec["metrics"]
    outputs = [c for c in results.columns if c not in ID_COLUMNS and not c.startswith("param:")]
    unknown = [m for m in names if m not in outputs]
    if unknown:
        raise ScenarioError(f"{out_dir}: unknown metric(s) {', '.join(unknown)}; the results "
                            f"have: {', '.join(spec['metrics'])}")
    ok = results[results["status"] == "ok"]
    n_points = int(results["point"].max()) + 1
    missing = sorted(set(range(n_points)) - set(ok["point"]))
    if missing and method != "grid":
        raise ScenarioError(f"{out_dir}: design points {missing[:10]} have no successful run; "
                            f"{method} needs every point")
    failed, points_failed, failures = _failure_statement(results, manifest["parameters"],
                                                         method)
    analysis = Analysis(method, design=design_method, failures=failures)
    design_points = results.groupby("point").first()
    target = out_dir / "analysis"
    target.mkdir(exist_ok=True)
    for name in names:
        status, table = _analyze_metric(method, manifest, ok, name, out_dir, target, analysis)
        if failed:
            status.failed, status.points_failed = failed, points_failed
            status.detail = f"{status.detail}; {failures}" if status.detail else failures
            if status.status == "ok":
                status.status = "partly-failed"
        analysis.status[name] = status
        stale = [target / f"{method}_{name}.csv", target / f"{method}_{name}.png"]
        if method == "sobol":
            stale.append(target / f"sobol_S2_{name}.csv")
        if table is None:
            for path in stale:
                path.unlink(missing_ok=True)
            continue
        analysis.tables[name] = table
        path = target / f"{method}_{name}.csv"
        table.to_csv(path, index=False)
        analysis.files.append(path)
        analysis.files.extend(_plot(method, table, manifest["parameters"], name, status,
                                    target, design_method, design_points))
    path = target / f"status_{method}.csv"
    status_table(analysis).to_csv(path, index=False)
    analysis.files.append(path)
    return analysis


def status_table(analysis: Analysis) -> pd.DataFrame:
    """One row per metric: metric, status, detail, runs, inf, nan, points, points_affected,
    failed, points_failed, notes and warnings (each joined with `` | ``)."""
    rows = [{"metric": s.metric, "status": s.status, "detail": s.detail, "runs": s.runs,
             "inf": s.inf, "nan": s.nan, "points": s.points,
             "points_affected": s.points_affected, "failed": s.failed,
             "points_failed": s.points_failed, "notes": " | ".join(s.notes),
             "warnings": " | ".join(s.warnings)} for s in analysis.status.values()]
    return pd.DataFrame(rows, columns=["metric", "status", "detail", "runs", "inf", "nan",
                                       "points", "points_affected", "failed", "points_failed",
                                       "notes", "warnings"])


def _label(method: str, design: str) -> str:
    return "random design: per-point summary" if design == "random" else method


def _failure_statement(results: pd.DataFrame, parameters: list[dict],
                       method: str) -> tuple[int, int, str]:
    """(failed runs, design points with a failed run, a statement: how many runs failed, at
    which points and parameter values, and what that leaves out of the analysis)."""
    bad = (results["status"] != "ok").to_numpy()
    if not bad.any():
        return 0, 0, ""
    by_point = pd.Series(bad, index=results.index).groupby(results["point"])
    failed_at, runs_at = by_point.sum(), by_point.size()
    points = failed_at[failed_at > 0].index
    missing = [p for p in points if failed_at[p] == runs_at[p]]
    first = results.groupby("point").first()
    listed = [f"{_point_text(first.loc[p], parameters)} ({failed_at[p]} of {runs_at[p]} runs)"
              for p in points[:8]]
    if len(points) > 8:
        listed.append(f"and {len(points) - 8} more")
    text = (f"{int(bad.sum())} of {len(bad)} runs failed, at {len(points)} of {len(runs_at)} "
            f"design points: {', '.join(listed)}")
    where = _where_non_finite(results, (failed_at > 0).astype(int), parameters, "failed",
                              "succeeded")
    if where:
        text += f"; {where}"
    if missing and method == "grid":
        text += (f"; {len(missing)} of these points have no successful run and are missing "
                 "from the table, which covers only the other points")
    if len(missing) < len(points):
        text += "; where only some replicates failed, a point's mean is over the rest"
    return int(bad.sum()), len(points), text + (
        ". Their errors are in results.parquet (status 'error', column error); fix the cause "
        "and finish with `cogov sweep --resume`, which reruns only the failed runs")


def _point_text(row: pd.Series, parameters: list[dict]) -> str:
    """'x1=0.75, x2=1' for a design point's parameter values."""
    values = [(p["name"], row[f"param:{p['name']}"]) for p in parameters]
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float | np.floating) else f"{k}={v}"
                     for k, v in values)


def _analyze_metric(method: str, manifest: dict, ok: pd.DataFrame, name: str, out_dir: Path,
                    target: Path, analysis: Analysis) -> tuple[MetricStatus, pd.DataFrame | None]:
    """The status of one metric and its table (None when it gets none)."""
    values = ok[name].to_numpy(dtype=float)
    inf, nan = int(np.isinf(values).sum()), int(np.isnan(values).sum())
    bad_point = (~np.isfinite(values)).astype(int)
    affected = pd.Series(bad_point, index=ok.index).groupby(ok["point"]).max()
    status = MetricStatus(name, "ok", runs=len(values), inf=inf, nan=nan,
                          points=int(ok["point"].nunique()),
                          points_affected=int(affected.sum()))
    if not len(values):
        status.status = "no-runs"
        status.detail = ("no successful run: nothing to analyse (the runs' errors are in "
                         "results.parquet, column error)")
        return status, None
    if inf or nan:
        partial = method == "grid" and inf + nan < len(values)
        status.detail = _non_finite_statement(status, ok, name, affected, manifest["parameters"],
                                              method, partial)
        if not partial:
            status.status = "non-finite"
            return status, None
    elif _constant(values) and status.points > 1:  # one design point: its table, not a verdict
        status.status = "constant"
        status.detail = (f"constant (value {values[0]:.6g} in all {len(values)} runs): there is "
                         "no variation to attribute to the parameters, so no "
                         f"{'table' if method == 'grid' else 'indices'}; analyse a metric that "
                         "varies, or widen the bounds or lengthen the runs (months) so that "
                         "this one can respond")
        return status, None
    replicates = int(ok.groupby("point")[name].size().max())
    noise = noise_share(ok, name)
    if replicates < 2:
        status.notes.append(ONE_REPLICATE_GRID if method == "grid" else ONE_REPLICATE)
    elif np.isfinite(noise) and noise > NOISY:
        status.notes.append(f"noise share {noise:.2f}: most of the variation is between "
                            "replicates of one design point, so the levers' effects are hard "
                            "to see; raise replicates or choose a less noisy metric")
    if method == "grid":
        table = grid_table(ok, manifest["parameters"], name)
        finite_means = np.isfinite(table["mean"].to_numpy(dtype=float))
        if not finite_means.any():
            status.status = "non-finite"
            status.detail = _non_finite_statement(status, ok, name, affected,
                                                  manifest["parameters"], method, False)
            return status, None
        if inf or nan:
            status.status = "partly-non-finite"
    else:
        # on the scale of the largest |value|: a metric near 1e300 would overflow in the
        # means and SALib's variances (S1 0.0 ± 0.0); Sobol and FAST indices do not change
        # with the scale, Morris's mu, mu* and sigma are scaled back (_indices)
        scale = _scale(values)
        per_point = (ok[name] / scale).groupby(ok["point"]).mean()
        per_point = per_point.reindex(range(status.points)).to_numpy()
        if _constant(per_point):
            status.status = "constant"
            status.detail = (f"constant over the design: the mean over replicates is "
                             f"{per_point[0] * scale:.6g} at all {len(per_point)} design "
                             "points (the runs vary only between replicates), so no indices; "
                             "the parameters have no visible effect on it")
            return status, None
        with _salib_guard(status.warnings):
            table = _indices(method, manifest["problem"], manifest["experiment"], per_point,
                             out_dir, name, analysis, target, scale)
        wide = table[[c for c in table.columns if c.endswith("_wide")]].to_numpy()
        if wide.any():
            status.notes.append(f"{int(wide.sum())} of {wide.size} indices are too wide to "
                                "rank (columns *_wide: half-width above 0.1 of the index's "
                                "scale); raise samples (or replicates) and sweep again")
        for index in ("S1", "ST"):
            flag = f"{index}_out_of_range"
            for row in table[table[flag]].itertuples() if flag in table else ():
                status.notes.append(
                    f"{index} of {row.parameter} is {getattr(row, index):.3g}, outside [0, 1]: "
                    "a raw estimate, not a share of variance (the sample is too small for "
                    "the estimator); raise samples and sweep again")
    table["noise_share"] = noise
    return status, table


def _constant(values: np.ndarray) -> bool:
    """All values equal to within a relative 1e-12 of their largest magnitude (rounding);
    exactly equal values (all zeros too) are constant, values around 1e-300 that differ are
    not."""
    largest = float(np.abs(values).max())
    with np.errstate(over="ignore", invalid="ignore"):
        spread = float(np.max(values) - np.min(values))
    return bool(spread <= 1e-12 * largest)


def _non_finite_statement(status: MetricStatus, ok: pd.DataFrame, name: str,
                          affected: pd.Series, parameters: list[dict], method: str,
                          partial: bool) -> str:
    """How many runs are inf and NaN, at how many points, where in the design, what to do."""
    text = (f"non-finite outputs in {status.inf + status.nan} of {status.runs} runs "
            f"({status.inf} infinite, {status.nan} NaN), at {status.points_affected} of "
            f"{status.points} design points")
    where = _where_non_finite(ok, affected, parameters)
    if where:
        text += f"; {where}"
    if partial:
        text += ("; points with an infinite mean show inf and have no interval, NaN replicates "
                 "are left out of a point's mean (columns inf, nan)")
    elif method == "grid":
        text += "; no design point has a finite mean, so no table"
    else:
        text += (f"; {method} cannot use them, so no indices (SALib would turn them into "
                 "zeros)")
    better = BETTER_METRICS.get(name)
    text += (f". Analyse another metric{f', e.g. {better}' if better else ''}, or narrow the "
             "bounds to where this one is finite")
    return text


def _where_non_finite(ok: pd.DataFrame, affected: pd.Series, parameters: list[dict],
                      bad_word: str = "non-finite", good_word: str = "finite") -> str:
    """'non-finite exactly where <p> ≥ v (finite where ≤ u)' for the first numeric parameter
    that separates the affected design points from the others; '' if none does."""
    if affected.all() or not affected.any():
        return ""
    first = ok.groupby("point").first()
    for p in parameters:
        column = f"param:{p['name']}"
        if column not in first or not pd.api.types.is_numeric_dtype(first[column]):
            continue
        x = first[column].reindex(affected.index).to_numpy(dtype=float)
        bad, good = x[affected.to_numpy() == 1], x[affected.to_numpy() == 0]
        if bad.min() > good.max():
            return (f"{bad_word} exactly where {p['name']} ≥ {bad.min():.4g} ({good_word} "
                    f"where ≤ {good.max():.4g})")
        if bad.max() < good.min():
            return (f"{bad_word} exactly where {p['name']} ≤ {bad.max():.4g} ({good_word} "
                    f"where ≥ {good.min():.4g})")
    return ""


def noise_share(ok: pd.DataFrame, name: str) -> float:
    """Share of the runs' variation that lies between replicates of one design point:
    within-point sum of squares / total sum of squares, in [0, 1], over the design points whose
    replicates are all finite (NaN with a single replicate per point or no variation at
    all)."""
    if ok.groupby("point")[name].count().max() < 2:
        return float("nan")
    finite = np.isfinite(ok[name].to_numpy(dtype=float))
    keep = pd.Series(finite, index=ok.index).groupby(ok["point"]).transform("all").to_numpy()
    ok = ok[keep]
    values = ok[name].to_numpy(dtype=float)
    if len(values) == 0:
        return float("nan")
    values = values / _scale(values)  # a ratio of sums of squares: no overflow near 1e300
    point_means = pd.Series(values).groupby(ok["point"].to_numpy()).transform("mean")
    point_means = point_means.to_numpy(dtype=float)
    total = float(((values - values.mean()) ** 2).sum())
    within = float(((values - point_means) ** 2).sum())
    return within / total if total > 0 else float("nan")


def analysis_seed(experiment_seed: int) -> int:
    """The seed of SALib's bootstrap, derived from the experiment's seed: the first 32-bit word
    of ``SeedSequence(experiment_seed, spawn_key=(2**31 + 1,))``, never 0 (``sobol.analyze``
    takes 0 as "no seed" and draws from numpy's global state) and below 2**32 (as
    ``fast.analyze``'s ``np.random.seed`` needs)."""
    sequence = np.random.SeedSequence(experiment_seed, spawn_key=(ANALYSIS_SPAWN_KEY,))
    return int(sequence.generate_state(1, dtype=np.uint32)[0]) or 1


@contextmanager
def _salib_guard(caught: list[str]) -> Iterator[None]:
    """Around a SALib call: collect its warnings into ``caught`` (deduplicated, in order) and
    restore numpy's global random state afterwards (``fast.analyze`` reseeds it)."""
    state = np.random.get_state()  # noqa: NPY002 - saved to undo SALib's reseeding
    try:
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            yield
        for record in records:
            text = f"{record.category.__name__}: {record.message}"
            if text not in caught:
                caught.append(text)
    finally:
        np.random.set_state(state)  # noqa: NPY002 - the caller's global state, unchanged


def _scale(values: np.ndarray) -> float:
    """The largest finite |value| (1 when there is none or it is 0): outputs divided by it lie
    in [-1, 1], where no square or sum overflows."""
    finite = np.abs(values[np.isfinite(values)])
    largest = float(finite.max()) if finite.size else 0.0
    return largest if largest > 0 else 1.0


def _indices(method: str, problem: dict, spec: dict, y: np.ndarray, out_dir: Path, name: str,
             analysis: Analysis, target: Path, scale: float = 1.0) -> pd.DataFrame:
    """The method's index table for the per-point outputs ``y`` (divided by ``scale``);
    Morris's mu, mu*, its half-width and sigma are multiplied back into the metric's units."""
    from SALib.analyze import fast, morris, sobol

    names = problem["names"]
    seed = analysis_seed(spec["seed"])
    if method == "sobol":
        res = sobol.analyze(problem, y, calc_second_order=spec["second_order"], seed=seed)
        table = _share_indices(names, res)
        if spec["second_order"]:
            rows = [{"parameter_i": names[i], "parameter_j": names[j], "S2": res["S2"][i, j],
                     "S2_conf": res["S2_conf"][i, j]}
                    for i in range(len(names)) for j in range(i + 1, len(names))]
            path = target / f"sobol_S2_{name}.csv"
            pd.DataFrame(rows).to_csv(path, index=False)
            analysis.files.append(path)
    elif method == "morris":
        x = np.load(out_dir / "design.npy")
        res = morris.analyze(problem, x, y, num_levels=spec["morris_levels"], seed=seed)
        mu_star = np.asarray(res["mu_star"], dtype=float) * scale
        conf = np.asarray(res["mu_star_conf"], dtype=float) * scale
        scale = float(np.nanmax(mu_star)) if np.isfinite(mu_star).any() else float("nan")
        table = pd.DataFrame({"parameter": names,
                              "mu": np.asarray(res["mu"], dtype=float) * scale,
                              "mu_star": mu_star,
                              "mu_star_conf": conf,
                              "mu_star_low": np.maximum(mu_star - conf, 0.0),
                              "mu_star_high": mu_star + conf,
                              "mu_star_wide": _wide(conf, scale),
                              "sigma": np.asarray(res["sigma"], dtype=float) * scale})
    else:
        res = fast.analyze(problem, y, M=spec["fast_m"], seed=seed)
        table = _share_indices(names, res)
    return table


def _share_indices(names: list[str], res: dict) -> pd.DataFrame:
    """S1 and ST (shares of variance) with SALib's half-widths, bounds within [0, 1], the
    wide flags and ``*_out_of_range`` (the raw estimate lies outside [0, 1], so it is no share
    of variance: a sample too small for the estimator), in the README's column order plus the
    new columns after each index."""
    table = pd.DataFrame({"parameter": names})
    for index in ("S1", "ST"):
        estimate = np.asarray(res[index], dtype=float)
        conf = np.asarray(res[f"{index}_conf"], dtype=float)
        table[index] = estimate
        table[f"{index}_conf"] = conf
        # an interval wholly outside [0, 1] missed the index: no bounds rather than [0, 0]
        missed = (estimate + conf < 0) | (estimate - conf > 1)
        table[f"{index}_low"] = np.where(missed, np.nan, np.clip(estimate - conf, 0.0, 1.0))
        table[f"{index}_high"] = np.where(missed, np.nan, np.clip(estimate + conf, 0.0, 1.0))
        table[f"{index}_wide"] = _wide(conf, 1.0) | missed
        table[f"{index}_out_of_range"] = (estimate < 0) | (estimate > 1)
    return table


def _wide(conf: np.ndarray, scale: float) -> np.ndarray:
    """The wide rule: half-width above WIDE × scale, or not finite."""
    with np.errstate(invalid="ignore"):
        return ~(np.isfinite(conf) & (conf <= WIDE * scale))


def grid_table(ok: pd.DataFrame, parameters: list[dict], name: str) -> pd.DataFrame:
    """One row per design point: its parameter values (``param:<key>``), then by the interval
    rule of ``sim.intervals`` within ``sim.metrics.range_of(name)``: ``n`` replicates with a
    value (NaN left out), ``mean`` (inf when a replicate is infinite), ``sd``, ``low``/``high``
    (NaN with fewer than two values or an infinite mean); then the ``nan`` and ``inf`` replicate
    counts."""
    columns = [f"param:{p['name']}" for p in parameters]
    by = ["point", *columns]
    table = intervals.grouped_intervals(ok, by, name, range_of(name))
    values = ok[name].to_numpy(dtype=float)
    counts = pd.DataFrame({"nan": np.isnan(values), "inf": np.isinf(values)},
                          index=ok.index).groupby(ok["point"]).sum()
    table["nan"] = table["point"].map(counts["nan"]).astype(int)
    table["inf"] = table["point"].map(counts["inf"]).astype(int)
    return table.drop(columns="point")


# ---------------------------------------------------------------------------------- plots
TITLE_WIDTH = 60
"""Characters per title line: a long metric name or subtitle wraps instead of running off
the figure."""


def _plot(method: str, table: pd.DataFrame, parameters: list[dict], name: str,
          status: MetricStatus, target: Path, design: str = "",
          design_points: pd.DataFrame | None = None) -> list[Path]:
    """Save :func:`metric_figure` as ``target/<method>_<name>.png`` (nothing when it draws
    nothing); the list of files written."""
    import matplotlib.pyplot as plt

    fig = metric_figure(method, table, parameters, name, status, design, design_points)
    if fig is None:
        return []
    path = target / f"{method}_{name}.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return [path]


def metric_figure(method: str, table: pd.DataFrame, parameters: list[dict], name: str,
                  status: MetricStatus, design: str = "",
                  design_points: pd.DataFrame | None = None):
    """The figure of one metric's analysis (``table`` as :func:`analyze` gives it): S1/ST bars
    (Sobol, FAST), μ* against σ (Morris), points per parameter (random designs), lines or a
    heatmap (grids); None where a grid varies more than two parameters. A pyplot figure:
    close it with ``matplotlib.pyplot.close`` when done."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    noise = float(table["noise_share"].iloc[0])
    subtitle = f"noise share {noise:.2f}" if np.isfinite(noise) else "one replicate per point"
    fig, ax = plt.subplots(figsize=(7, 4.2), constrained_layout=True)
    if method in {"sobol", "fast"}:
        _share_plot(ax, table)
    elif method == "morris":
        ax.plot(table["mu_star"], table["sigma"], "o")
        _whiskers(ax, table["sigma"], table["mu_star_low"], table["mu_star_high"], "C0",
                  vertical=False)
        for _, row in table.iterrows():
            ax.annotate(display_name(row["parameter"]), (row["mu_star"], row["sigma"]), fontsize=8,
                        xytext=(4, 4), textcoords="offset points")
        ax.set_xlabel("μ* (mean absolute elementary effect; whiskers: SALib bootstrap 95%)")
        ax.set_ylabel("σ (interactions, non-linearity)")
    elif design == "random":
        plt.close(fig)
        fig = _scatter_plot(table, parameters, name, plt)
        ax = None
    elif not _grid_plot(ax, table, parameters, name, fig, design_points):
        plt.close(fig)
        return None
    if status.status == "partly-non-finite":
        not_drawn = int((~np.isfinite(table["mean"].to_numpy(dtype=float))).sum())
        subtitle += f"; {not_drawn} of {len(table)} means not finite, not drawn"
    if status.failed:
        subtitle += (f"; {status.failed} runs failed at {status.points_failed} design points"
                     " (see status csv)")
    title = _wrapped(f"{name} — {_label(method, design)} ({subtitle})")
    if ax is None:
        fig.suptitle(title, fontsize=10)
    else:
        ax.set_title(title, fontsize=10)
    return fig


def _wrapped(text: str) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, TITLE_WIDTH, break_on_hyphens=False))


def _share_plot(ax, table: pd.DataFrame) -> None:
    """S1 and ST bars on the 0-1 share scale with whiskers; wide indices hatched. An estimate
    outside [0, 1] is no share of variance: no bar, but a red marker at the scale's edge
    labelled with the raw estimate."""
    x = np.arange(len(table))
    width = 0.38
    outside_any = False
    for index, offset, label in (("S1", -width / 2, "S1 (first order)"),
                                 ("ST", width / 2, "ST (total)")):
        estimate = table[index].to_numpy(dtype=float)
        outside = table[f"{index}_out_of_range"].to_numpy(dtype=bool)
        bars = ax.bar(x + offset, np.where(outside, 0.0, estimate), width, label=label)  # no
        # bar of an estimate outside [0, 1]: a marker at the edge instead
        for bar, wide in zip(bars.patches, table[f"{index}_wide"], strict=True):
            if wide:  # too wide to rank: hatched, paler
                bar.set_hatch("//")
                bar.set_alpha(0.5)
        _whiskers(ax, x + offset, table[f"{index}_low"], table[f"{index}_high"],
                  bars.patches[0].get_facecolor(), vertical=True)
        for at, value in zip(x[outside] + offset, estimate[outside], strict=True):
            outside_any = True
            edge = 1.0 if value > 1 else 0.0
            ax.plot(at, edge, marker="^" if value > 1 else "v", color="red", markersize=9,
                    linestyle="none")
            ax.annotate(f"{index} = {value:.2g}\noutside [0, 1]", (at, edge), fontsize=7,
                        color="red", ha="center", xytext=(0, -22 if value > 1 else 8),
                        textcoords="offset points")
    ax.set_ylim(-0.05, 1.12)
    ax.set_xticks(x, [display_name(p) for p in table["parameter"]], rotation=30, ha="right")
    ax.set_ylabel("sensitivity index (share of variance)")
    title = "whiskers: SALib bootstrap 95%, within [0, 1]"
    if table[["S1_wide", "ST_wide"]].to_numpy().any():
        title += "\nhatched: interval too wide to rank"
    if outside_any:
        ax.plot([], [], marker="^", color="red", linestyle="none",
                label="estimate outside [0, 1]: not a share (no bar)")
    ax.legend(title=title, title_fontsize=8, fontsize=8)


def _scatter_plot(table: pd.DataFrame, parameters: list[dict], name: str, plt):
    """A random design's points: one panel per varying parameter, each point's mean over
    replicates against that parameter's value, with its interval as a whisker. Random points
    cross no grid, so a heatmap of them would be mostly empty cells."""
    varying = [p for p in parameters if table[f"param:{p['name']}"].nunique() > 1] or \
        parameters[:1]
    columns = min(3, len(varying))
    rows = -(-len(varying) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns + 1.0, 3.2 * rows + 1.0),
                             constrained_layout=True, squeeze=False, sharey=True)
    mean = table["mean"].where(np.isfinite(table["mean"].to_numpy(dtype=float)))
    banded = table["low"].notna().any()
    for ax, p in zip(axes.ravel(), varying, strict=False):
        x = table[f"param:{p['name']}"]
        if banded:
            ax.errorbar(x, mean, yerr=[mean - table["low"], table["high"] - mean], fmt="o",
                        capsize=3, lw=1, markersize=4)
        else:
            ax.plot(x, mean, "o", markersize=4)
        ax.set_xlabel(display_name(p["name"]))
    for ax in axes.ravel()[len(varying):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(f"{name}\n(mean over replicates)")
    how = (f"whiskers: {intervals.RULE_SHORT} over replicates" if banded
           else "one replicate per point: no interval")
    fig.supxlabel(f"each dot: one design point of {len(table)}; {how}", fontsize=8)
    return fig


def _whiskers(ax, at, low, high, color, vertical: bool) -> None:
    """Interval whiskers from ``low`` to ``high`` (which need not surround the estimate)."""
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    centre, half = (low + high) / 2, (high - low) / 2
    if vertical:
        ax.errorbar(at, centre, yerr=half, fmt="none", ecolor="black", capsize=3, lw=1)
    else:
        ax.errorbar(centre, at, xerr=half, fmt="none", ecolor=color, capsize=3, lw=1)


def _grid_plot(ax, table: pd.DataFrame, parameters: list[dict], name: str, fig,
               design_points: pd.DataFrame | None = None) -> bool:
    """Lines with bands for one varying parameter (markers with whiskers where there is a
    single value), a heatmap for two; nothing for more. Non-finite means are not drawn; a
    heatmap (over every value of ``design_points``, the ``param:`` columns of all design
    points, failed ones included) says why a cell is blank: ``inf``/``NaN`` (a point whose
    mean is not finite) or ``no run`` (every run of the point failed)."""
    varying = [p for p in parameters if table[f"param:{p['name']}"].nunique() > 1]
    columns = [f"param:{p['name']}" for p in varying]
    mean = table["mean"].where(np.isfinite(table["mean"].to_numpy(dtype=float)))
    banded = table["low"].notna().any()
    band_label = f"{intervals.RULE_SHORT} over replicates (within the metric's range)"
    if len(columns) <= 1:
        if columns:
            column, xlabel = columns[0], display_name(varying[0]["name"])
        else:  # a single design point
            column, xlabel = f"param:{parameters[0]['name']}", display_name(parameters[0]["name"])
        x = table[column].astype(str) if table[column].dtype == object else table[column]
        ax.plot(x, mean, marker="o", label="mean over replicates")
        if banded and len(table) > 1:
            ax.fill_between(x, table["low"], table["high"], alpha=0.25, label=band_label)
        elif banded:
            _whiskers(ax, x, table["low"], table["high"], "C0", vertical=True)
            ax.plot([], [], color="black", label=band_label)
        if not banded:
            ax.plot([], [], " ", label="one replicate per point: no interval")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(name)
        ax.legend(fontsize=8)
        return True
    if len(columns) == 2:
        every = table if design_points is None else design_points
        rows, cols = (sorted(pd.unique(every[c])) for c in columns)
        raw = table.pivot_table(index=columns[0], columns=columns[1], values="mean",
                                dropna=False, aggfunc="first").reindex(index=rows, columns=cols)
        raw = raw.to_numpy(dtype=float)
        sampled = table.assign(one=1).pivot_table(index=columns[0], columns=columns[1],
                                                  values="one", aggfunc="sum", fill_value=0)
        sampled = sampled.reindex(index=rows, columns=cols, fill_value=0)
        cells = np.where(np.isfinite(raw), raw, np.nan)
        image = ax.imshow(np.ma.masked_invalid(cells), origin="lower", aspect="auto",
                          cmap="viridis")
        for (i, j), value in np.ndenumerate(raw):
            if np.isfinite(value):
                continue
            text = "no run" if not sampled.to_numpy()[i, j] else (
                "NaN" if np.isnan(value) else ("inf" if value > 0 else "-inf"))
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="dimgray")
        ax.set_yticks(range(len(sampled.index)), [_tick(v) for v in sampled.index])
        ax.set_xticks(range(len(sampled.columns)), [_tick(v) for v in sampled.columns],
                      rotation=30)
        ax.set_ylabel(display_name(varying[0]["name"]))
        ax.set_xlabel(display_name(varying[1]["name"]))
        fig.colorbar(image, ax=ax, label=f"{name} (mean over replicates)")
        return True
    return False


def _tick(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
