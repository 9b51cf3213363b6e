"""Scenario discovery on a finished sweep: under which combinations of levers does a condition
hold? (``cogov discover``; Bryant & Lempert 2010, bryant2010).

A condition on one summary metric (``--above X``, ``--below X`` or ``--top Q``: the share Q of
design points with the highest replicate mean) labels each design point. The model is
stochastic, so a point is labelled by its replicates, never by one run:

- ``probability`` (default): the share of the point's replicates in which the condition holds,
  in [0, 1] — PRIM's coverage and density are then expected counts;
- ``mean``: 1 if the condition holds for the replicates' mean, else 0.

The **label-flip rate** is the chance that two replicates of one point disagree about the
condition (for a point with k of R replicates holding it, 2k(R − k) / (R(R − 1)); averaged over
points with R ≥ 2): how much of the labelling is noise.

Boxes come from PRIM (``sim.prim``: peeling trajectory, covering) or CART (scikit-learn's
regression tree on the labels, each leaf a box). **Confirmation** (``confirm`` > 0) runs fresh
design points — N drawn uniformly inside each box and N outside them all — as a sweep of its own
(``seeds="fresh"``, the default: a new master seed, so new residents and networks as well as
new points; ``"same"``: the sweep's own seed, so the same R synthetic districts as the sweep,
which isolates the box's own overfitting from the variation between districts — a sweep with
common random numbers has only R districts, and a level shift between districts moves every
label) (resumable: ``confirm/`` holds its journal), and reports the
confirmed density (mean label of the points inside) with its interval (``sim.intervals``), the
density outside, and the confirmed coverage, estimated from the box's share of the design (its
in-sample mass) and the two densities. A box whose confirmed density falls more than
:data:`SHORTFALL` below its in-sample density is flagged.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim import prim
from sim.analysis import output_columns, read_sweep
from sim.errors import did_you_mean
from sim.experiment import Experiment, LoadedExperiment, Parameter
from sim.intervals import mean_interval
from sim.scenario import Scenario, ScenarioError

SHORTFALL = 0.05
"""A confirmed density more than this below the in-sample density flags the box."""
MIN_POINTS = 30
"""Fewer successful design points than this: discovery refuses (a box of 5% mass would hold
one or two points)."""
FEW_POINTS = 200
"""Fewer points than this: a warning (Bryant & Lempert's examples use hundreds to thousands)."""
LABELS = ("probability", "mean")
METHODS = ("prim", "cart")
SEEDS = ("fresh", "same")
OUTPUTS = frozenset({"points.csv", "summary.csv", "boxes.csv", "trajectory.csv", "tradeoff.png",
                     "tradeoff.svg", "manifest.json"})
"""The files :func:`write` may write (a run that writes fewer removes the others)."""
CONFIRM_TAG = 2**31 + 7
"""Spawn key of the confirmation's seeds under the experiment's seed (fresh runs)."""


@dataclass(frozen=True)
class Condition:
    """``metric`` above or below ``threshold``, or among the ``top`` share of point means."""

    metric: str
    above: float | None = None
    below: float | None = None
    top: float | None = None

    def __post_init__(self) -> None:
        given = [v is not None for v in (self.above, self.below, self.top)]
        if sum(given) != 1:
            raise ScenarioError("give exactly one of --above X, --below X, --top Q")
        for value in (self.above, self.below, self.top):
            if value is not None and not math.isfinite(value):
                raise ScenarioError(f"the threshold must be a finite number, got {value}")
        if self.top is not None and not 0 < self.top < 1:
            raise ScenarioError(f"--top Q takes a share of design points in (0, 1), got "
                                f"{self.top}")

    def threshold(self, point_means: np.ndarray) -> float:
        """The value the condition compares with (for ``top``, the (1 − Q) quantile of the
        finite point means)."""
        if self.top is None:
            return self.above if self.above is not None else self.below
        return float(np.quantile(point_means[np.isfinite(point_means)], 1 - self.top))

    def holds(self, values: np.ndarray, threshold: float) -> np.ndarray:
        """(n,) bool: where ``values`` meet the condition (NaN never does)."""
        if self.below is not None:
            return values < threshold
        return values >= threshold if self.top is not None else values > threshold

    @property
    def tag(self) -> str:
        """A file-name part: ``participation_any_last12_above_0.3``."""
        kind, value = next((k, v) for k, v in (("above", self.above), ("below", self.below),
                                               ("top", self.top)) if v is not None)
        return f"{self.metric}_{kind}_{value:g}"

    def text(self, threshold: float) -> str:
        if self.top is not None:
            return f"{self.metric} in the top {self.top:g} of points (≥ {threshold:.4g})"
        return f"{self.metric} {'>' if self.above is not None else '<'} {threshold:g}"


@dataclass
class Labelled:
    """Design points with their labels: ``points`` has ``point``, one column per parameter,
    ``replicates``, ``mean`` (of the metric over finite replicate values), ``holds`` (how many
    replicates meet the condition) and ``label`` in [0, 1]."""

    points: pd.DataFrame
    names: list[str]
    threshold: float
    flip_rate: float  # NaN if no point has two replicates
    dropped: int  # points with no finite value of the metric


def label_points(results: pd.DataFrame, names: Sequence[str], condition: Condition,
                 rule: str = "probability", threshold: float | None = None) -> Labelled:
    """Labels of the design points of ``results`` (one row per run: ``point``, ``param:<name>``
    columns, the metric; only ``status == "ok"`` rows count). ``threshold`` fixes the value
    compared with (a confirmation reuses the sweep's)."""
    if rule not in LABELS:
        raise ScenarioError(f"--label must be one of {', '.join(LABELS)}, got {rule!r}")
    ok = results[results["status"] == "ok"]
    values = ok[condition.metric].to_numpy(dtype=float)
    grouped = ok.assign(_v=np.where(np.isfinite(values), values, np.nan)).groupby("point")
    points = grouped[[f"param:{n}" for n in names]].first()
    points.columns = list(names)
    points["replicates"] = grouped["_v"].count()
    points["mean"] = grouped["_v"].mean()
    finite = points["replicates"] > 0
    dropped = int((~finite).sum())
    points = points[finite].copy()
    if threshold is None:
        threshold = condition.threshold(points["mean"].to_numpy())
    met = ok.assign(_h=condition.holds(values, threshold) & np.isfinite(values))
    points["holds"] = met.groupby("point")["_h"].sum().reindex(points.index)
    if rule == "probability":
        points["label"] = points["holds"] / points["replicates"]
    else:
        points["label"] = condition.holds(points["mean"].to_numpy(), threshold).astype(float)
    r, k = points["replicates"].to_numpy(), points["holds"].to_numpy()
    pairs = r >= 2
    flips = 2 * k[pairs] * (r[pairs] - k[pairs]) / (r[pairs] * (r[pairs] - 1))
    return Labelled(points.reset_index(), list(names), float(threshold),
                    float(flips.mean()) if pairs.any() else float("nan"), dropped)


@dataclass
class Found:
    """One box: its trajectory step (PRIM) or leaf (CART), statistics and limits."""

    box: prim.Box
    step: int
    coverage: float
    density: float
    mass: float
    res_dim: int
    limits: pd.DataFrame
    confirmed: dict[str, float] = field(default_factory=dict)
    freed: list[str] = field(default_factory=list)  # limits lifted by pruning

    @property
    def flagged(self) -> bool:
        d = self.confirmed.get("confirmed_density", float("nan"))
        return bool(np.isfinite(d) and d < self.density - SHORTFALL)


@dataclass
class Discovery:
    """What ``cogov discover`` found; ``trajectories`` holds each PRIM box's peeling."""

    condition: Condition
    method: str
    rule: str
    labelled: Labelled
    boxes: list[Found]
    trajectories: list[pd.DataFrame]
    bounds: prim.Box
    warnings: list[str]
    directory: Path | None = None
    confirm_flip_rate: float = float("nan")
    confirm_seeds: str | None = None
    where: list[str] = field(default_factory=list)  # the --where conditions, as given


def find_boxes(labelled: Labelled, bounds: prim.Box, method: str = "prim", *,
               alpha: float = prim.ALPHA, min_mass: float = prim.MIN_MASS,
               min_coverage: float = 0.5, boxes: int = 1, step: int | None = None,
               seed: int = 0, max_qp: float | None = 0.05
               ) -> tuple[list[Found], list[pd.DataFrame]]:
    """Boxes on the labelled points: PRIM covering (``boxes`` in sequence, the first at
    trajectory ``step`` if given; each box's limits with quasi-p above ``max_qp`` lifted,
    ``prim.prune``, unless ``max_qp`` is None) or the ``boxes`` densest CART leaves holding at
    least ``min_mass`` of the points. Returns the boxes and (PRIM) their trajectories."""
    x = labelled.points[labelled.names].to_numpy(dtype=float)
    y = labelled.points["label"].to_numpy(dtype=float)
    if method == "prim":
        covered = prim.cover(x, y, labelled.names, (bounds.lower, bounds.upper), alpha,
                             min_mass, min_coverage, boxes, first_step=step, max_qp=max_qp)
        found = []
        for c in covered:
            box, freed = (c.chosen.box, []) if c.box is None else (c.box, c.freed)
            inside = box.contains(c.peeling.x)
            hits = float(c.peeling.y[inside].sum())
            found.append(Found(box, c.step, hits / c.peeling.total if c.peeling.total else 0.0,
                               hits / inside.sum() if inside.any() else 0.0,
                               inside.sum() / c.peeling.all_points,
                               int(box.restricted(bounds).sum()),
                               prim.box_limits(box, c.peeling.x, c.peeling.y, bounds,
                                               labelled.names), freed=freed))
        return found, [c.peeling.trajectory() for c in covered]
    if method != "cart":
        raise ScenarioError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    return _cart_leaves(x, y, labelled.names, bounds, min_mass, boxes, seed), []


def _cart_leaves(x: np.ndarray, y: np.ndarray, names: list[str], bounds: prim.Box,
                 min_mass: float, boxes: int, seed: int) -> list[Found]:
    """CART (Breiman et al. 1984; scikit-learn's DecisionTreeRegressor, squared error on the
    labels): each leaf is a box; the ``boxes`` densest leaves denser than the whole set."""
    try:
        from sklearn.tree import DecisionTreeRegressor
    except ImportError:
        raise ScenarioError("--method cart needs scikit-learn: pip install 'cogov[discover]'"
                            ) from None
    leaf_size = max(1, math.ceil(min_mass * len(x)))
    tree = DecisionTreeRegressor(min_samples_leaf=leaf_size, random_state=seed).fit(x, y)
    t = tree.tree_
    found: list[Found] = []

    def walk(node: int, lower: np.ndarray, upper: np.ndarray) -> None:
        if t.children_left[node] == -1:
            box = prim.Box(lower, upper)
            inside = box.contains(x)
            n, hits = int(inside.sum()), float(y[inside].sum())
            found.append(Found(box, node, hits / y.sum() if y.sum() else 0.0,
                               hits / n if n else 0.0, n / len(x),
                               int(box.restricted(bounds).sum()),
                               prim.box_limits(box, x, y, bounds, names)))
            return
        j, cut = t.feature[node], t.threshold[node]
        below, above = upper.copy(), lower.copy()
        # sklearn sends x ≤ cut left; the box edges are the data values either side
        here = prim.Box(lower, upper).contains(x)
        below[j] = x[(x[:, j] <= cut) & here, j].max()
        above[j] = x[(x[:, j] > cut) & here, j].min()
        walk(t.children_left[node], lower.copy(), below)
        walk(t.children_right[node], above, upper.copy())

    walk(0, bounds.lower.copy(), bounds.upper.copy())
    base = float(y.mean())
    found = [f for f in found if f.density > base]
    return sorted(found, key=lambda f: (-f.density, -f.coverage))[:boxes]


# ------------------------------------------------------------------------------ the command
def load_sweep(out_dir: Path) -> tuple[dict, pd.DataFrame]:
    """A finished sweep's manifest and results; ScenarioError if there is none."""
    manifest, results = read_sweep(out_dir)
    if manifest.get("kind") != "sweep":
        raise ScenarioError(f"{out_dir}: manifest.json is not a sweep's")
    return manifest, results


def design_bounds(parameters: list[dict], out_dir: Path) -> prim.Box:
    """The design's range of each parameter; ScenarioError for a parameter PRIM cannot use
    (values that are not numbers)."""
    lower, upper = [], []
    for p in parameters:
        if p["bounds"] is not None:
            low, high = p["bounds"]
        else:
            values = p["values"]
            if not all(isinstance(v, int | float) for v in values):
                raise ScenarioError(f"{out_dir}: parameter {p['name']} takes values "
                                    f"{values}, not numbers: boxes need numeric levers")
            low, high = float(min(values)), float(max(values))
        lower.append(float(low))
        upper.append(float(high))
    return prim.Box(np.array(lower), np.array(upper))


def parse_where(text: str) -> tuple[str, str, float]:
    """``"policy.devolution>=0.6"`` → ("policy.devolution", ">=", 0.6); ScenarioError if it is
    not ``KEY>=X`` or ``KEY<=X``."""
    for op in (">=", "<="):
        key, found, value = text.partition(op)
        if found:
            try:
                return key.strip(), op, float(value)
            except ValueError:
                break
    hint = ("" if "=" in text or "<" in text or ">" in text else
            " (quote it, --where 'KEY>=X': unquoted, the shell takes >= and <= as redirections)")
    raise ScenarioError(f"--where {text!r}: expected KEY>=X or KEY<=X, e.g. "
                        f"policy.devolution>=0.6{hint}")


def restrict(labelled: Labelled, bounds: prim.Box, where: Sequence[tuple[str, str, float]],
             out_dir: Path) -> prim.Box:
    """Keep the points inside ``where`` (a sub-region of the design) and return its bounds:
    boxes are then found, and confirmed, inside that region."""
    lower, upper = bounds.lower.copy(), bounds.upper.copy()
    for key, op, value in where:
        if key not in labelled.names:
            raise ScenarioError(f"{out_dir}: --where {key}: not a parameter of this sweep "
                                f"({', '.join(labelled.names)})")
        j = labelled.names.index(key)
        if op == ">=":
            lower[j] = max(lower[j], value)
        else:
            upper[j] = min(upper[j], value)
        if lower[j] > upper[j]:
            raise ScenarioError(f"{out_dir}: --where leaves no range of {key}")
    region = prim.Box(lower, upper)
    keep = region.contains(labelled.points[labelled.names].to_numpy(dtype=float))
    if keep.sum() < MIN_POINTS:
        raise ScenarioError(f"{out_dir}: --where leaves {int(keep.sum())} of the "
                            f"{len(keep)} design points; discovery needs at least {MIN_POINTS}")
    labelled.points = labelled.points[keep].reset_index(drop=True)
    return region


def discover(out_dir: str | Path, condition: Condition, *, method: str = "prim",
             rule: str = "probability", alpha: float = prim.ALPHA,
             min_mass: float = prim.MIN_MASS, min_coverage: float = 0.5, boxes: int = 1,
             step: int | None = None, confirm: int = 0, workers: int = 1,
             executor: str = "local", scheduler: str | None = None,
             where: Sequence[tuple[str, str, float]] = (), seeds: str = "fresh",
             max_qp: float | None = 0.05,
             command: list[str] | None = None, lang: str = "both") -> Discovery:
    """Scenario discovery on the sweep in ``out_dir``; writes
    ``discovery/<condition tag>_<method>/`` (see ``write``). Raises ScenarioError (bad input,
    exit 2) for a missing sweep, an unknown metric, too few points, a condition that holds at
    every point or at none, or bad settings. ``max_qp``: PRIM boxes keep only limits with a
    quasi-p value at most this (None: keep every limit of the trajectory's box). ``where``
    limits the points to a sub-region (:func:`restrict`); a ``top`` threshold is then taken
    over that region's points."""
    out_dir = Path(out_dir)
    manifest, results = load_sweep(out_dir)
    names = [p["name"] for p in manifest["parameters"]]
    outputs = output_columns(results)
    if condition.metric not in outputs:
        raise ScenarioError(f"{out_dir}: unknown metric '{condition.metric}'"
                            f"{did_you_mean(condition.metric, outputs)}")
    if method not in METHODS:
        raise ScenarioError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    if not 0 < alpha < 0.5 or not 0 < min_mass < 1 or not 0 <= min_coverage <= 1:
        raise ScenarioError("need 0 < --alpha < 0.5, 0 < --min-mass < 1 and "
                            "0 ≤ --min-coverage ≤ 1")
    if boxes < 1 or confirm < 0:
        raise ScenarioError("--boxes must be ≥ 1 and --confirm ≥ 0")
    if seeds not in SEEDS:
        raise ScenarioError(f"--confirm-seeds must be one of {', '.join(SEEDS)}, got {seeds!r}")
    bounds = design_bounds(manifest["parameters"], out_dir)
    labelled = label_points(results, names, condition, rule)
    if where:
        bounds = restrict(labelled, bounds, where, out_dir)
        if condition.top is not None:
            labelled = label_points(results, names, condition, rule,
                                    threshold=condition.threshold(
                                        labelled.points["mean"].to_numpy()))
            restrict(labelled, bounds, where, out_dir)
    warnings = _data_problems(labelled, condition, out_dir)
    try:
        found, trajectories = find_boxes(labelled, bounds, method, alpha=alpha,
                                         min_mass=min_mass, min_coverage=min_coverage,
                                         boxes=boxes, step=step,
                                         seed=manifest["experiment"]["seed"], max_qp=max_qp)
    except prim.StepOutOfRange as exc:
        raise ScenarioError(f"--{exc}") from None
    if not found:
        warnings.append("no box: no step of the trajectory is denser than the design as a "
                        "whole" + ("" if max_qp is None or method != "prim" else
                                   f", or no limit of the chosen one has quasi-p ≤ {max_qp:g}"))
    elif method == "prim" and len(found) < boxes:
        warnings.append(f"covering stopped after {len(found)} box(es): the next is no denser "
                        "than the points the earlier ones left"
                        + ("" if max_qp is None else
                           f", or none of its limits has quasi-p ≤ {max_qp:g}"))
    result = Discovery(condition, method, rule, labelled, found, trajectories, bounds, warnings,
                       where=[f"{key}{op}{value:g}" for key, op, value in where])
    region = "".join(f"_{key.rsplit('.', 1)[-1]}{'ge' if op == '>=' else 'le'}{value:g}"
                     for key, op, value in where)
    target = out_dir / "discovery" / f"{condition.tag}{region}_{method}"
    if confirm and found:
        _confirm(result, manifest, target, confirm, workers, executor, scheduler, seeds)
    result.directory = write(result, target, manifest, command, lang)
    return result


def _data_problems(labelled: Labelled, condition: Condition, out_dir: Path) -> list[str]:
    """Refuse data discovery cannot use; return warnings about data it can."""
    n = len(labelled.points)
    if n < MIN_POINTS:
        raise ScenarioError(f"{out_dir}: {n} design points with a finite {condition.metric}; "
                            f"discovery needs at least {MIN_POINTS} (a random or lhs design "
                            "of a few hundred points is usual)")
    label = labelled.points["label"]
    if (label == 0).all() or (label == 1).all():
        where = "no" if (label == 0).all() else "every"
        raise ScenarioError(f"{out_dir}: {condition.text(labelled.threshold)} holds at {where} "
                            f"design point: choose another threshold (point means range "
                            f"{labelled.points['mean'].min():.4g} to "
                            f"{labelled.points['mean'].max():.4g})")
    warnings = []
    if condition.top is not None:
        share = float((labelled.points["mean"] >= labelled.threshold).mean())
        if abs(share - condition.top) > max(0.2 * condition.top, 1 / n):
            warnings.append(f"--top {condition.top:g}: {share:.3g} of the design points have a "
                            f"mean ≥ {labelled.threshold:.4g} (ties at the threshold), not "
                            f"{condition.top:g}; --above or --below states the condition "
                            "exactly")
    if labelled.dropped:
        warnings.append(f"{labelled.dropped} design points have no finite {condition.metric} "
                        "and are left out")
    if n < FEW_POINTS:
        warnings.append(f"only {n} design points: boxes are rough, confirm them (--confirm)")
    if (labelled.points["replicates"] < 2).all():
        warnings.append("one replicate per point: labels are single noisy runs and the "
                        "label-flip rate is unknown; add replicates: to the experiment")
    return warnings


def _confirm(result: Discovery, manifest: dict, target: Path, n: int, workers: int,
             executor: str, scheduler: str | None, seeds: str = "fresh") -> None:
    """Fresh runs inside each box and outside them all (see the module docstring)."""
    from sim import sweep as sweeping

    experiment = _experiment(manifest)
    rng = np.random.default_rng(np.random.SeedSequence(experiment.spec.seed,
                                                       spawn_key=(CONFIRM_TAG,)))
    integer = np.array([p.integer for p in experiment.parameters])
    samples, where = [], []
    for k, found in enumerate(result.boxes):
        samples.append(_uniform(found.box, integer, n, rng))
        where += [k] * n
    union = [f.box for f in result.boxes]
    outside = _uniform_outside(result.bounds, union, integer, n, rng)
    samples.append(outside)
    where += [-1] * len(outside)
    design = np.vstack(samples)
    replicates = max(2, experiment.spec.replicates)
    seed = (experiment.spec.seed if seeds == "same" else
            int(np.random.SeedSequence(experiment.spec.seed, spawn_key=(CONFIRM_TAG, 1))
                .generate_state(1, dtype=np.uint64)[0] >> 1))
    fixed = FixedDesign(experiment.spec.model_copy(update={
        "method": "random", "samples": len(design), "replicates": replicates, "seed": seed}),
        experiment.path, experiment.base, experiment.parameters,
        points=[tuple(row) for row in design])
    folder = target / f"confirm_{seeds}"
    points_file = target / f"confirm_{seeds}.points.json"  # what the folder's runs are of
    points = json.dumps([list(map(float, row)) for row in design])
    if folder.exists():
        try:
            sweeping.check_same_experiment(folder, fixed)
            same = points_file.read_text(encoding="utf-8") == points
        except (sweeping.OutputExistsError, OSError):
            same = False
        if not same:  # another confirmation (other boxes, N or seeds): its runs are stale
            shutil.rmtree(folder)
    target.mkdir(parents=True, exist_ok=True)
    points_file.write_text(points, encoding="utf-8")
    outcome = sweeping.sweep(fixed, folder, workers=workers, executor=executor,
                             scheduler=scheduler, resume=True,
                             command=["cogov discover", "--confirm", str(n)])
    fresh = label_points(outcome.results, result.labelled.names, result.condition, result.rule,
                         threshold=result.labelled.threshold)
    labels = fresh.points.set_index("point")["label"]
    group = pd.Series(where, index=range(len(where)))
    outside_density = float(labels[group[group == -1].index.intersection(labels.index)].mean())
    masses = np.array([f.mass for f in result.boxes])
    densities = []
    for k, found in enumerate(result.boxes):
        inside = labels[group[group == k].index.intersection(labels.index)]
        interval = mean_interval(inside.to_numpy(), (0.0, 1.0))
        densities.append(interval.mean)
        found.confirmed = {"confirmed_points": interval.n, "confirmed_density": interval.mean,
                           "confirmed_density_low": interval.low,
                           "confirmed_density_high": interval.high,
                           "outside_density": outside_density}
    expected = masses * np.array(densities)
    total = expected.sum() + (1 - masses.sum()) * outside_density
    for found, part in zip(result.boxes, expected, strict=True):
        found.confirmed["confirmed_coverage"] = float(part / total) if total > 0 else float("nan")
    result.confirm_flip_rate = fresh.flip_rate
    result.confirm_seeds = seeds


def _uniform(box: prim.Box, integer: np.ndarray, n: int, rng: np.random.Generator
             ) -> np.ndarray:
    """``n`` points uniform in ``box``; whole-number inputs uniform over its whole numbers."""
    low, high = box.lower, box.upper
    x = rng.uniform(low, np.where(integer, high + 1, high), size=(n, len(low)))
    return np.where(integer, np.minimum(np.floor(x), high), x)


def _uniform_outside(bounds: prim.Box, boxes: list[prim.Box], integer: np.ndarray, n: int,
                     rng: np.random.Generator) -> np.ndarray:
    """``n`` points uniform over the design's range outside every box (rejection)."""
    kept: list[np.ndarray] = []
    for _ in range(1000):
        x = _uniform(bounds, integer, n, rng)
        x = x[~np.any([b.contains(x) for b in boxes], axis=0)]
        kept.append(x)
        if sum(len(k) for k in kept) >= n:
            break
    return np.vstack(kept)[:n]


def _experiment(manifest: dict) -> LoadedExperiment:
    """The sweep's experiment rebuilt from its manifest (no file is read again)."""

    spec = Experiment(**manifest["experiment"])
    base = (Scenario.from_dict(manifest["base_scenario"])
            if manifest.get("base_scenario") is not None else None)
    parameters = [Parameter(p["name"], tuple(p["bounds"]) if p["bounds"] else None,
                            tuple(p["values"]) if p["values"] else None, p["integer"])
                  for p in manifest["parameters"]]
    return LoadedExperiment(spec, Path(manifest["experiment_file"]), base, parameters)


@dataclass
class FixedDesign(LoadedExperiment):
    """An experiment whose design points are given (the confirmation's)."""

    points: list[tuple] = field(default_factory=list)

    def design(self) -> list[tuple]:
        return self.points


# ------------------------------------------------------------------------------------ output
def write(result: Discovery, target: Path, manifest: dict, command: list[str] | None,
          lang: str = "both") -> Path:
    """Write ``points.csv``, ``boxes.csv`` (one row per box and restricted input),
    ``summary.csv`` (one row per box: in-sample and confirmed statistics, flagged),
    ``trajectory.csv`` (PRIM), ``tradeoff.png``/``.svg`` and ``manifest.json`` into ``target``
    (written in a temporary folder and moved into place, the confirmation kept)."""
    from sim import plots
    from sim.runner import manifest_fields, write_manifest

    target.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    result.labelled.points.to_csv(staging / "points.csv", index=False)
    summary_table(result).to_csv(staging / "summary.csv", index=False)
    limits = [f.limits.assign(box=k + 1, step=f.step) for k, f in enumerate(result.boxes)]
    columns = ["box", "step", "input", "low", "high", "design_low", "design_high", "qp"]
    (pd.concat(limits, ignore_index=True)[columns] if limits else pd.DataFrame(columns=columns)
     ).to_csv(staging / "boxes.csv", index=False)
    if result.trajectories:
        pd.concat([t.assign(box=k + 1) for k, t in enumerate(result.trajectories)],
                  ignore_index=True).to_csv(staging / "trajectory.csv", index=False)
        first = summary_table(result).iloc[0].to_dict()
        fig = tradeoff_figure(result.trajectories[0], first,
                              result.condition.text(result.labelled.threshold), lang)
        plots.save(fig, staging / "tradeoff.png")
        import matplotlib

        with matplotlib.rc_context({"svg.hashsalt": "cogov"}):  # the same file every time
            fig.savefig(staging / "tradeoff.svg", metadata={"Date": None})
    write_manifest(staging, manifest_fields("discovery", command, {
        "sweep": manifest.get("experiment_file"), "metric": result.condition.metric,
        "condition": result.condition.text(result.labelled.threshold),
        "threshold": result.labelled.threshold, "method": result.method, "label": result.rule,
        "where": result.where,
        "region": {"lower": result.bounds.lower.tolist(), "upper": result.bounds.upper.tolist(),
                   "names": result.labelled.names},
        "points": len(result.labelled.points), "flip_rate": result.labelled.flip_rate,
        "confirm_flip_rate": result.confirm_flip_rate, "confirm_seeds": result.confirm_seeds,
        "warnings": result.warnings}))
    written = {path.name for path in staging.iterdir()}
    for name in OUTPUTS - written:  # a previous run's figure or trajectory: not this run's
        (target / name).unlink(missing_ok=True)
    for path in staging.iterdir():
        path.replace(target / path.name)
    staging.rmdir()
    return target


def summary_table(result: Discovery) -> pd.DataFrame:
    """One row per box: ``box, step, coverage, density, mass, res_dim`` then the confirmed
    statistics (NaN when not confirmed) and ``flagged``."""
    keys = ["confirmed_points", "confirmed_density", "confirmed_density_low",
            "confirmed_density_high", "confirmed_coverage", "outside_density"]
    rows = [{"box": k + 1, "step": f.step, "coverage": f.coverage, "density": f.density,
             "mass": f.mass, "res_dim": f.res_dim, "freed": " ".join(f.freed),
             **{key: f.confirmed.get(key, float("nan")) for key in keys},
             "flagged": f.flagged} for k, f in enumerate(result.boxes)]
    return pd.DataFrame(rows, columns=["box", "step", "coverage", "density", "mass", "res_dim",
                                       "freed", *keys, "flagged"])


def tradeoff_figure(trajectory: pd.DataFrame, chosen: dict, title: str, lang: str = "both"):
    """PRIM's trade-off: density against coverage along one box's ``trajectory`` (the
    trajectory.csv rows of that box), coloured by the number of restricted inputs, the
    ``chosen`` step marked (a summary.csv row: ``step, coverage, density`` and ``res_dim``, the
    pruned box's restricted levers, else its step's) with its confirmed
    density and 95% t interval when it has one. ``title`` states the condition."""
    from matplotlib import cm as plt_cm
    from matplotlib.colors import BoundaryNorm
    from matplotlib.figure import Figure

    from sim import fonts
    from sim.plots import word

    fonts.register_matplotlib()
    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax = fig.subplots()
    top = int(trajectory["res_dim"].max())
    norm = BoundaryNorm(np.arange(-0.5, top + 1.5), plt_cm.viridis.N)
    dots = ax.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["res_dim"],
                      cmap="viridis", norm=norm, s=18, zorder=2)
    fig.colorbar(dots, ax=ax, label=word("res_dim", lang), ticks=range(top + 1))
    # the box's own restricted levers (after pruning), else those of its trajectory step
    dims = chosen.get("res_dim", trajectory.set_index("step")["res_dim"].get(chosen["step"], 0))
    ax.plot(chosen["coverage"], chosen["density"], "o", ms=12, mfc="none", mec="C3", mew=2,
            label=word("chosen_box", lang, step=int(chosen["step"]), dims=int(dims)), zorder=3)
    confirmed = chosen.get("confirmed_density", float("nan"))
    if np.isfinite(confirmed):
        low, high = chosen["confirmed_density_low"], chosen["confirmed_density_high"]
        whisker = [[confirmed - low], [high - confirmed]] if np.isfinite(low) else None
        ax.errorbar(chosen["confirmed_coverage"], confirmed, yerr=whisker, fmt="s",
                    color="C1", label=word("confirmed_box", lang), zorder=3)
    ax.set_xlabel(word("coverage_axis", lang, sep="\n"))  # both: one line is wider than
    ax.set_ylabel(word("density_axis", lang, sep="\n"))  # the figure
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title(f"{word('tradeoff', lang)}\n{title}", fontsize=9)
    return fig


def read_discoveries(directory: Path) -> list[tuple[dict, dict[str, pd.DataFrame]]]:
    """Every finished discovery of the sweep in ``directory``: (its manifest, its tables by
    name: ``summary``, ``boxes``, ``trajectory`` when PRIM), in name order."""
    found = []
    for folder in sorted((directory / "discovery").glob("*/")):
        if not (folder / "manifest.json").exists():
            continue
        tables = {name: pd.read_csv(folder / f"{name}.csv")
                  for name in ("summary", "boxes", "trajectory")
                  if (folder / f"{name}.csv").exists()}
        found.append((json.loads((folder / "manifest.json").read_text(encoding="utf-8")),
                      tables))
    return found
