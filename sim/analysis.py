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
from collections.abc import Iterator, Sequence
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
                     "random": "grid", "lhs": "grid"}
SCATTERED = ("random", "lhs")
"""Designs whose points scatter over the ranges: analysed as a per-point summary, drawn as
scatter plots (no grid to draw lines along)."""
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
    ``detail`` says which), the fewest and most ``replicates`` a design point's value
    averages, ``notes`` on what limits the indices, and ``warnings`` raised by
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
    replicates: tuple[int, int] = (0, 0)
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
            metric_names: list[str] | None = None, lang: str = "both") -> Analysis:
    """Analyse the sweep in ``out_dir``; write ``analysis/<method>_<metric>.csv`` and ``.png``
    per analysed metric and ``analysis/status_<method>.csv`` (metric, status, detail, counts,
    notes, warnings) for all. Files of an earlier analysis of a metric that now has no table
    are removed. ``lang``: the plots' language, one of ``sim.labels.LANGS``.
    Raises ScenarioError (bad input: exit 2) for a missing sweep, a method that
    does not match the design, or an unknown metric; a metric that cannot be analysed is not
    an error but a status (see the module docstring)."""
    out_dir = Path(out_dir)
    manifest, results = read_sweep(out_dir)
    spec = manifest["experiment"]
    design_method = spec["method"]
    method = method or METHODS_BY_DESIGN[design_method]
    if method != "grid" and method != design_method:
        raise ScenarioError(f"{out_dir}: --method {method} needs a {method} design; this sweep "
                            f"used {design_method}")
    names = metric_names or spec["metrics"]
    outputs = output_columns(results)
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
                                    target, design_method, design_points, lang))
    path = target / f"status_{method}.csv"
    status_table(analysis).to_csv(path, index=False)
    analysis.files.append(path)
    return analysis


def read_sweep(out_dir: Path) -> tuple[dict, pd.DataFrame]:
    """A finished sweep's ``manifest.json`` and ``results.parquet``; ScenarioError (exit 2)
    when ``out_dir`` holds no finished sweep."""
    manifest_path, results_path = out_dir / "manifest.json", out_dir / "results.parquet"
    if not manifest_path.exists() or not results_path.exists():
        raise ScenarioError(f"{out_dir}: no finished sweep here (manifest.json and "
                            "results.parquet are written when `cogov sweep` ends)")
    return (json.loads(manifest_path.read_text(encoding="utf-8")),
            pd.read_parquet(results_path))


def output_columns(results: pd.DataFrame) -> list[str]:
    """The outputs (summary metrics) of a sweep's results: neither ids nor parameters."""
    return [c for c in results.columns if c not in ID_COLUMNS and not c.startswith("param:")]


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
    return f"{design} design: per-point summary" if design in SCATTERED else method


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
    runs_per_point = ok.groupby("point")[name].size()
    status = MetricStatus(name, "ok", runs=len(values), inf=inf, nan=nan,
                          points=int(ok["point"].nunique()),
                          points_affected=int(affected.sum()),
                          replicates=(int(runs_per_point.min()), int(runs_per_point.max()))
                          if len(runs_per_point) else (0, 0))
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
        # the wide rule's scale is the largest mu*; mu and sigma stay in the metric's units
        largest = float(np.nanmax(mu_star)) if np.isfinite(mu_star).any() else float("nan")
        table = pd.DataFrame({"parameter": names,
                              "mu": np.asarray(res["mu"], dtype=float) * scale,
                              "mu_star": mu_star,
                              "mu_star_conf": conf,
                              "mu_star_low": np.maximum(mu_star - conf, 0.0),
                              "mu_star_high": mu_star + conf,
                              "mu_star_wide": _wide(conf, largest),
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
STANDS_OUT = 0.05
"""A Morris point is labelled by name when its mu* or sigma is at least this share of the
largest; the rest cluster near the origin and are listed beside the plot instead."""


def name_text(name: str, lang: str = "both", with_unit: bool = True) -> str:
    """A metric's or parameter's label in ``lang`` (``sim.labels``; ``both`` on one line), or
    with a parameter's unit unless ``with_unit`` is false (``both`` then on two lines, one per
    language, so that an axis label stays short); the name itself where it has no label (a test
    function's ``x1``)."""
    from sim import labels

    try:
        text = labels.label(name, lang)
    except KeyError:
        return display_name(name) if with_unit else name
    if not with_unit:
        return text
    if lang == "both":
        return "\n".join(name_text(name, one) for one in ("zh", "en"))
    try:
        unit = labels.unit(name, lang)
    except KeyError:
        param = _param(name)
        unit = param.unit if param is not None else ""
    if not unit or not name.count(".") or unit == name.rpartition(".")[2]:  # no unit, or
        return text  # a choice whose "unit" is only its own name
    return f"{text}（{unit}）" if lang == "zh" else f"{text} ({unit})"


def _param(path: str):
    from sim.schema import Param, metadata

    try:
        return metadata(path, Param)
    except (KeyError, TypeError, AttributeError):
        return None


def _plot(method: str, table: pd.DataFrame, parameters: list[dict], name: str,
          status: MetricStatus, target: Path, design: str = "",
          design_points: pd.DataFrame | None = None, lang: str = "both") -> list[Path]:
    """Save :func:`metric_figure` as ``target/<method>_<name>.png`` (nothing when it draws
    nothing); the list of files written."""
    fig = metric_figure(method, table, parameters, name, status, design, design_points, lang)
    if fig is None:
        return []
    path = target / f"{method}_{name}.png"
    fig.savefig(path, dpi=200)
    return [path]


def metric_figure(method: str, table: pd.DataFrame, parameters: list[dict], name: str,
                  status: MetricStatus, design: str = "",
                  design_points: pd.DataFrame | None = None, lang: str = "both"):
    """The figure of one metric's analysis (``table`` as :func:`analyze` gives it), 7 inches
    wide, in ``lang`` (English where no CJK font can be had, ``sim.fonts.matplotlib_lang``):
    S1/ST bars (Sobol, FAST), μ* against σ (Morris), points per parameter (random designs), a
    line or points or a heatmap (grids); None where a grid varies more than two parameters. A
    ``matplotlib.figure.Figure`` outside pyplot: nothing to close."""
    from matplotlib.figure import Figure

    from sim.fonts import matplotlib_lang
    from sim.plots import word

    lang = matplotlib_lang(lang)[0]
    noise = float(table["noise_share"].iloc[0])
    parts = [word("noise_share", lang, v=f"{noise:.2f}") if np.isfinite(noise) else None,
             _replicate_text(status.replicates, lang)]
    if status.status == "partly-non-finite":
        not_drawn = int((~np.isfinite(table["mean"].to_numpy(dtype=float))).sum())
        parts.append(word("not_drawn", lang, n=not_drawn, total=len(table)))
    if status.failed:
        parts.append(word("failed", lang, n=status.failed, points=status.points_failed))
    subtitle = "; ".join(p for p in parts if p)
    title = f"{name_text(name, lang, with_unit=False)} — {word(_label(method, design), lang)}"
    if design in SCATTERED and method == "grid":
        fig = _scatter_plot(table, parameters, name, lang)
    else:
        fig = Figure(figsize=(7, 4.6), layout="constrained")
    # the title first: labels placed by their drawn boxes (Morris) need the final layout
    fig.suptitle(f"{_wrapped(title)}\n{_wrapped(subtitle)}", fontsize=10)
    if method == "morris":
        ax, key = fig.subplots(1, 2, width_ratios=[2.3, 1])
        _morris_plot(ax, key, table, lang)
    elif method in {"sobol", "fast"}:
        _share_plot(fig.subplots(), table, lang)
    elif design not in SCATTERED and not _grid_plot(fig.subplots(), table, parameters, name, fig,
                                               design_points, lang):
        return None
    return fig


def _replicate_text(replicates: tuple[int, int], lang: str) -> str:
    """How many replicates each design point's value averages, for a title."""
    from sim.plots import word

    low, high = replicates
    if high < 2:
        return word("one_replicate", lang)
    return word("replicates", lang, n=f"{low}" if low == high else f"{low}–{high}")


def _wrapped(text: str) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, TITLE_WIDTH, break_on_hyphens=False))


def _share_plot(ax, table: pd.DataFrame, lang: str = "both") -> None:
    """S1 and ST bars on the 0-1 share scale with whiskers; wide indices hatched. An estimate
    outside [0, 1] is no share of variance: no bar, but a red marker at the scale's edge
    labelled with the raw estimate."""
    from sim.plots import word

    x = np.arange(len(table))
    width = 0.38
    outside_any = False
    for index, offset, label in (("S1", -width / 2, word("s1", lang)),
                                 ("ST", width / 2, word("st", lang))):
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
            ax.annotate(f"{index} = {value:.2g}\n{word('outside', lang)}", (at, edge),
                        fontsize=7, color="red", ha="center",
                        xytext=(0, -22 if value > 1 else 8), textcoords="offset points")
    ax.set_ylim(-0.05, 1.12)
    ax.set_xticks(x, [name_text(p, lang) for p in table["parameter"]], rotation=35, ha="right",
                  fontsize=7, rotation_mode="anchor")
    ax.set_ylabel(word("share_axis", lang, sep="\n"))
    title = word("sobol_whiskers", lang, sep="\n")
    if table[["S1_wide", "ST_wide"]].to_numpy().any():
        title += "\n" + word("hatched", lang, sep="\n")
    if outside_any:
        ax.plot([], [], marker="^", color="red", linestyle="none",
                label=word("outside_marker", lang))
    ax.legend(title=title, title_fontsize=7, fontsize=7)


def _morris_plot(ax, key, table: pd.DataFrame, lang: str = "both") -> None:
    """mu* against sigma with mu*'s whiskers. Points that stand out (:data:`STANDS_OUT`) are
    labelled by name where a label fits without covering another (else by their number, keyed
    at the right); the rest, crowded near the origin, are listed at the right."""
    from matplotlib.ticker import MaxNLocator

    from sim.plots import word

    ax.plot(table["mu_star"], table["sigma"], "o", markersize=4)
    _whiskers(ax, table["sigma"], table["mu_star_low"], table["mu_star_high"], "C0",
              vertical=False)
    ax.set_xlabel(word("mu_star_axis", lang, sep="\n"), fontsize=8)
    ax.set_ylabel(word("sigma_axis", lang, sep="\n"), fontsize=8)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    # at most five ticks, large or small values as a power of ten at the axis' end: the
    # labels of a 7-inch figure's narrower panel do not run into each other
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.ticklabel_format(style="sci", scilimits=(-3, 4), useMathText=True)
    mu, sigma = table["mu_star"].to_numpy(dtype=float), table["sigma"].to_numpy(dtype=float)
    stands = ((mu >= STANDS_OUT * np.nanmax(mu)) | (sigma >= STANDS_OUT * np.nanmax(sigma))) \
        if np.isfinite(mu).any() else np.zeros(len(table), bool)
    order = sorted(np.flatnonzero(stands), key=lambda i: -mu[i])
    names = [name_text(p, lang, with_unit=False) for p in table["parameter"]]
    numbered = place_labels(ax, [(mu[i], sigma[i], names[i], str(n + 1))
                                 for n, i in enumerate(order)],
                            avoid=[(mu[i], sigma[i]) for i in np.flatnonzero(~stands)])
    lines = [f"{n + 1}. {names[order[n]]}" if how == "number" else
             f"{names[order[n]]} (μ* {mu[order[n]]:.3g}, σ {sigma[order[n]]:.3g})"
             for n, how in numbered.items() if how != "name"]
    rest = [names[i] for i in np.argsort(-mu) if not stands[i]]
    if rest:
        lines += ["", word("not_labelled", lang, sep="\n", share=f"{STANDS_OUT:.0%}"), *rest]
    key.axis("off")
    key.text(0, 1, "\n".join(lines), va="top", ha="left", fontsize=7,
             transform=key.transAxes, wrap=True, in_layout=False)


def place_labels(ax, points: list[tuple[float, float, str, str]],
                 avoid: Sequence[tuple[float, float]] = ()) -> dict[int, str]:
    """Label each point (x, y, name, number) in turn by ``name`` at the nearest of 24 offsets
    where its box covers no label placed before and no marker (of ``points`` or at ``avoid``,
    data coordinates) and stays inside the axes; failing that by ``number`` the same way.
    Returns, per point, how it was labelled: ``name``, ``number`` or ``none`` (no room even
    for its number)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.transforms import Bbox

    fig = ax.figure
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw_without_rendering()  # final layout, so that boxes are where they will be drawn
    inside = ax.get_window_extent(renderer)
    placed = [Bbox.from_bounds(px - 4, py - 4, 8, 8)  # every marker stays uncovered
              for px, py in ax.transData.transform([(x, y) for x, y, *_ in points]
                                                   + [tuple(xy) for xy in avoid])
              if np.isfinite(px) and np.isfinite(py)]
    how = {}
    offsets = [(r * dx, r * dy) for r in (4, 12, 24)  # near first; a leader line when far
               for dx, dy in ((1, 1), (1, -1), (-1, 1), (-1, -1), (0, 1.4), (0, -1.4),
                              (1.4, 0), (-1.4, 0))]
    for index, (x, y, name, number) in enumerate(points):
        how[index] = next((kind for kind, text in (("name", name), ("number", number))
                           if _place(ax, x, y, text, offsets, placed, inside, renderer)),
                          "none")
    return how


def _place(ax, x, y, text, offsets, placed, inside, renderer) -> bool:
    from sim.plots import place_text

    def at(dx, dy):
        far = abs(dx) + abs(dy) > 10
        return {"xy": (x, y), "xytext": (dx, dy), "textcoords": "offset points",
                "ha": "left" if dx > 0 else ("right" if dx < 0 else "center"),
                "va": "bottom" if dy > 0 else ("top" if dy < 0 else "center"),
                "arrowprops": {"arrowstyle": "-", "color": "0.5", "lw": 0.5, "shrinkA": 0,
                               "shrinkB": 3} if far else None}

    return place_text(ax, text, (at(dx, dy) for dx, dy in offsets), placed, inside, renderer,
                      fontsize=7) is not None


def _scatter_plot(table: pd.DataFrame, parameters: list[dict], name: str, lang: str = "both"):
    """A random design's points: one panel per varying parameter, each point's mean over
    replicates against that parameter's value, with its interval as a whisker. Random points
    cross no grid, so a heatmap of them would be mostly empty cells."""
    from matplotlib.figure import Figure

    from sim.plots import word

    varying = [p for p in parameters if table[f"param:{p['name']}"].nunique() > 1] or \
        parameters[:1]
    columns = min(3, len(varying))
    rows = -(-len(varying) // columns)
    fig = Figure(figsize=(7, 2.4 * rows + 1.2), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False, sharey=True)
    mean = table["mean"].where(np.isfinite(table["mean"].to_numpy(dtype=float)))
    banded = table["low"].notna().any()
    for ax, p in zip(axes.ravel(), varying, strict=False):
        x = table[f"param:{p['name']}"]
        if banded:
            ax.errorbar(x, mean, yerr=[mean - table["low"], table["high"] - mean], fmt="o",
                        capsize=3, lw=1, markersize=4)
        else:
            ax.plot(x, mean, "o", markersize=4)
        ax.set_xlabel(name_text(p["name"], lang), fontsize=8)
    for ax in axes.ravel()[len(varying):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(f"{name_text(name, lang)}\n{word('mean_over', lang)}", fontsize=8)
    how = word("whiskers_ci", lang) if banded else word("no_interval", lang)
    fig.supxlabel(word("each_dot", lang, n=len(table), how=how), fontsize=8)
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
               design_points: pd.DataFrame | None = None, lang: str = "both") -> bool:
    """One varying parameter: a line with its band for a numeric one, points with whiskers for
    categorical levels (a line between categories would suggest values between them) or a
    single value; two: a heatmap; nothing for more. Non-finite means are not drawn; a heatmap
    (over every value of ``design_points``, the ``param:`` columns of all design points, failed
    ones included) marks a cell it cannot colour with ``inf``/``NaN`` (a point whose mean is
    not finite) or ``no run`` (every run of the point failed) on grey, and explains the marks
    under the plot."""
    from sim.plots import word

    varying = [p for p in parameters if table[f"param:{p['name']}"].nunique() > 1]
    columns = [f"param:{p['name']}" for p in varying]
    mean = table["mean"].where(np.isfinite(table["mean"].to_numpy(dtype=float)))
    banded = table["low"].notna().any()
    band_label = word("band", lang)
    value_label = f"{name_text(name, lang)}\n{word('mean_over', lang)}"
    if len(columns) <= 1:
        p = varying[0] if varying else parameters[0]
        column = f"param:{p['name']}"
        categorical = not pd.api.types.is_numeric_dtype(table[column]) or \
            pd.api.types.is_bool_dtype(table[column])
        if categorical or len(table) == 1:
            x = np.arange(len(table)) if categorical else table[column].to_numpy(dtype=float)
            whiskers = [mean - table["low"], table["high"] - mean] if banded else None
            ax.errorbar(x, mean, yerr=whiskers, fmt="o", linestyle="none", capsize=4,
                        label=word("mean_over", lang))
            if categorical:
                ax.set_xticks(x, [_tick(v, p["name"], lang) for v in table[column]])
                ax.set_xlim(-0.5, len(table) - 0.5)
            if banded:
                ax.plot([], [], color="C0", label=band_label)
        else:
            ax.plot(table[column], mean, marker="o", label=word("mean_over", lang))
            if banded:
                ax.fill_between(table[column], table["low"], table["high"], alpha=0.25,
                                label=band_label)
        if not banded:
            ax.plot([], [], " ", label=word("no_interval", lang))
        ax.set_xlabel(name_text(p["name"], lang))
        ax.set_ylabel(value_label, fontsize=8)
        ax.legend(fontsize=7)
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
        from matplotlib import colormaps

        cmap = colormaps["viridis"].with_extremes(bad="0.85")
        image = ax.imshow(np.ma.masked_invalid(cells), origin="lower", aspect="auto",
                          cmap=cmap)
        marks = set()
        for (i, j), value in np.ndenumerate(raw):
            if np.isfinite(value):
                continue
            text = "no run" if not sampled.to_numpy()[i, j] else (
                "NaN" if np.isnan(value) else ("inf" if value > 0 else "-inf"))
            marks.add(text.removeprefix("-"))
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="black")
        ax.set_yticks(range(len(sampled.index)),
                      [_tick(v, varying[0]["name"], lang) for v in sampled.index])
        ax.set_xticks(range(len(sampled.columns)),
                      [_tick(v, varying[1]["name"], lang) for v in sampled.columns],
                      rotation=30)
        ax.set_ylabel(name_text(varying[0]["name"], lang))
        ax.set_xlabel(name_text(varying[1]["name"], lang))
        fig.colorbar(image, ax=ax, label=value_label)
        notes = [word(f"cell_{m.replace(' ', '_')}", lang, sep="\n")
                 for m in ("inf", "NaN", "no run") if m in marks]
        if notes:
            fig.supxlabel("\n".join(notes), fontsize=7, ha="left", x=0.02)
        return True
    return False


def _tick(value: object, key: str = "", lang: str = "en") -> str:
    """A level of parameter ``key`` on an axis: a number as such; a choice (an incentive
    scheme) by its Chinese name from the schema's ``Control`` under ``zh``, as the scenario
    file spells it under ``en``, both under ``both``."""
    if isinstance(value, str):
        from sim import schema
        from sim.labels import in_lang

        control = schema.metadata(key, schema.Control) if key else None
        zh = dict(control.choices).get(value) if control else None
        return in_lang(lang, zh, value) if zh else value
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    return f"{value:,.6g}"
