"""PRIM, the patient rule induction method, for scenario discovery.

Friedman, J. H. & Fisher, N. I. (1999). Bump hunting in high-dimensional data. *Statistics and
Computing* 9, 123–143 (friedman1999). Used for scenario discovery as in Bryant, B. P. &
Lempert, R. J. (2010). Thinking inside the box. *Technological Forecasting and Social Change*
77(1), 34–49 (bryant2010).

PRIM looks for a box — an interval on each input — where the cases of interest are dense. It
starts from the whole design and *peels*: at each step it cuts a thin slice (a share ``alpha``
of the points still inside) off the low or the high end of one input, choosing the slice whose
removal raises the density most per point removed, and stops when fewer than ``min_mass``
of the points would be left. Each step is one point of the *peeling trajectory*, described by

- **coverage**: the share of all cases of interest that lie inside the box, in [0, 1];
- **density**: the share of the points inside the box that are cases of interest, in [0, 1];
- **mass**: the share of all points that lie inside the box, in [0, 1];
- **restricted dimensions**: how many inputs the box limits below their design range.

A researcher picks one box on the trajectory (a trade-off between coverage and density;
:meth:`Peeling.choose` gives a default rule). Its limits come with a **quasi-p value** per
restricted input (Bryant & Lempert 2010, §3.3): the one-sided binomial probability of seeing at
least the box's number of cases of interest among its points if the density were that of the
box with that input's limits lifted. Large values flag a limit that adds little. **Covering**
(:func:`cover`) finds several boxes in sequence, each on the points the earlier boxes left.

Labels ``y`` may be 0/1 or, for a stochastic model, a probability in [0, 1] per point (the share
of replicates in which the condition held): coverage and density are then expected counts.
Pasting (Friedman & Fisher §6) is not done: every box is a box of the peeling trajectory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import binom

ALPHA = 0.05
"""Share of the box's points peeled off at each step (Friedman & Fisher 1999 suggest 0.05–0.10)."""
MIN_MASS = 0.05
"""Peeling stops before a box would hold fewer than this share of all points."""


class StepOutOfRange(ValueError):
    """A step asked of a peeling trajectory that it does not have."""


@dataclass(frozen=True)
class Box:
    """An interval ``[lower[j], upper[j]]`` on each input j (closed at both ends)."""

    lower: np.ndarray  # (d,)
    upper: np.ndarray  # (d,)

    def contains(self, x: np.ndarray) -> np.ndarray:
        """(n,) bool: which rows of ``x`` (n, d) lie inside."""
        return np.all((x >= self.lower) & (x <= self.upper), axis=1)

    def restricted(self, bounds: Box) -> np.ndarray:
        """(d,) bool: inputs this box limits inside ``bounds`` (the design's range)."""
        return (self.lower > bounds.lower) | (self.upper < bounds.upper)


@dataclass(frozen=True)
class Step:
    """One box of a peeling trajectory and its statistics (shares in [0, 1])."""

    box: Box
    coverage: float
    density: float
    mass: float
    points: int
    res_dim: int


@dataclass
class Peeling:
    """A peeling trajectory over the points ``x`` (n, d) with labels ``y`` (n,) in [0, 1].

    ``total`` is the number of cases of interest coverage is measured against (the sum of
    ``y``, or of the labels of the whole data set when this peeling is a later box of
    :func:`cover`); ``all_points`` likewise for mass.
    """

    names: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    bounds: Box
    steps: list[Step]
    total: float
    all_points: int

    def trajectory(self) -> pd.DataFrame:
        """One row per step: ``step, coverage, density, mass, points, res_dim``."""
        return pd.DataFrame([{"step": i, "coverage": s.coverage, "density": s.density,
                              "mass": s.mass, "points": s.points, "res_dim": s.res_dim}
                             for i, s in enumerate(self.steps)])

    def choose(self, min_coverage: float = 0.5) -> int:
        """The default box: the densest step whose coverage is at least ``min_coverage``
        (ties: fewer restricted inputs, then more coverage). Raises ValueError if
        ``min_coverage`` is outside [0, 1]."""
        if not 0.0 <= min_coverage <= 1.0:
            raise ValueError(f"min_coverage must be in [0, 1], got {min_coverage}")
        eligible = [i for i, s in enumerate(self.steps) if s.coverage >= min_coverage - 1e-12]
        if not eligible:
            return 0
        return max(eligible, key=lambda i: (round(self.steps[i].density, 12),
                                            -self.steps[i].res_dim, self.steps[i].coverage))

    def limits(self, step: int) -> pd.DataFrame:
        """The restricted inputs of box ``step`` with their quasi-p values
        (:func:`box_limits`)."""
        return box_limits(self.steps[step].box, self.x, self.y, self.bounds, self.names)


def box_limits(box: Box, x: np.ndarray, y: np.ndarray, bounds: Box, names: Sequence[str]
               ) -> pd.DataFrame:
    """The inputs ``box`` restricts inside ``bounds``: ``input, low, high, design_low,
    design_high, qp`` (quasi-p value, see the module docstring), most significant first;
    ``x`` (n, d) and ``y`` (n,) are the points the box was found on."""
    inside = box.contains(x)
    n, hits = int(inside.sum()), float(y[inside].sum())
    rows = []
    for j in np.flatnonzero(box.restricted(bounds)):
        lifted = Box(box.lower.copy(), box.upper.copy())
        lifted.lower[j], lifted.upper[j] = bounds.lower[j], bounds.upper[j]
        wider = lifted.contains(x)
        rows.append({"input": names[j], "low": float(box.lower[j]), "high": float(box.upper[j]),
                     "design_low": float(bounds.lower[j]),
                     "design_high": float(bounds.upper[j]),
                     "qp": quasi_p(hits, n, float(y[wider].sum()), int(wider.sum()))})
    columns = ["input", "low", "high", "design_low", "design_high", "qp"]
    return pd.DataFrame(rows, columns=columns).sort_values("qp", kind="stable", ignore_index=True)


def prune(box: Box, x: np.ndarray, y: np.ndarray, bounds: Box, names: Sequence[str],
          max_qp: float = 0.05) -> tuple[Box, list[str]]:
    """``box`` with its limits that add little lifted, one at a time, the largest quasi-p value
    first, until every limit left has quasi-p ≤ ``max_qp`` (Bryant & Lempert 2010 §3.3: a
    simpler box that generalises). Returns the box and the names of the inputs freed."""
    freed: list[str] = []
    while True:
        limits = box_limits(box, x, y, bounds, names)
        if limits.empty or limits["qp"].iloc[-1] <= max_qp:
            return box, freed
        j = list(names).index(limits["input"].iloc[-1])
        box = Box(box.lower.copy(), box.upper.copy())
        box.lower[j], box.upper[j] = bounds.lower[j], bounds.upper[j]
        freed.append(names[j])


def quasi_p(hits: float, points: int, hits_wider: float, points_wider: int) -> float:
    """P(at least ``hits`` cases among ``points``) under a binomial with the density of the
    wider box, ``hits_wider / points_wider`` (one-sided; Bryant & Lempert 2010, §3.3). Expected
    counts from probability labels are rounded to whole cases."""
    if points_wider == 0 or points == 0:
        return 1.0
    rate = hits_wider / points_wider
    return float(binom.sf(round(hits) - 1, points, rate))


def peel(x: np.ndarray | pd.DataFrame, y: np.ndarray, names: Sequence[str] | None = None,
         bounds: tuple[np.ndarray, np.ndarray] | None = None, alpha: float = ALPHA,
         min_mass: float = MIN_MASS, total: float | None = None,
         all_points: int | None = None) -> Peeling:
    """The peeling trajectory of PRIM over ``x`` (n, d; a DataFrame gives the names) with
    labels ``y`` (n,) in [0, 1].

    ``bounds`` (lower, upper), each (d,), is the design's range (default: the data's range); a
    box limits an input when it cuts inside it. ``alpha`` in (0, 0.5), ``min_mass`` in (0, 1).
    Raises ValueError for empty or non-finite data, labels outside [0, 1], or bad settings.
    """
    x, y, names = _arrays(x, y, names)
    if x.ndim != 2 or len(x) == 0 or len(y) != len(x):
        raise ValueError(f"need x of shape (n, d) with n ≥ 1 and y of shape (n,), got "
                         f"{x.shape} and {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x and y must be finite")
    if ((y < 0) | (y > 1)).any():
        raise ValueError("labels y must be in [0, 1]")
    if not 0 < alpha < 0.5 or not 0 < min_mass < 1:
        raise ValueError(f"need 0 < alpha < 0.5 and 0 < min_mass < 1, got {alpha}, {min_mass}")
    names = tuple(names) if names is not None else tuple(f"x{j}" for j in range(x.shape[1]))
    if len(names) != x.shape[1]:
        raise ValueError(f"{len(names)} names for {x.shape[1]} inputs")
    low, high = (x.min(axis=0), x.max(axis=0)) if bounds is None else map(np.asarray, bounds)
    design = Box(np.asarray(low, dtype=float), np.asarray(high, dtype=float))
    total = float(y.sum()) if total is None else total
    all_points = len(x) if all_points is None else all_points

    def step_of(box: Box, inside: np.ndarray) -> Step:
        n = int(inside.sum())
        hits = float(y[inside].sum())
        return Step(box, hits / total if total > 0 else 0.0, hits / n if n else 0.0,
                    n / all_points, n, int(box.restricted(design).sum()))

    box = Box(design.lower.copy(), design.upper.copy())
    inside = box.contains(x)
    steps = [step_of(box, inside)]
    while True:
        candidate = _best_peel(x, y, box, inside, alpha)
        if candidate is None:
            break
        box, kept = candidate
        if kept.sum() < min_mass * all_points:
            break
        inside = kept
        steps.append(step_of(box, inside))
    return Peeling(names, x, y, design, steps, total, all_points)


def _arrays(x: np.ndarray | pd.DataFrame, y: np.ndarray, names: Sequence[str] | None
            ) -> tuple[np.ndarray, np.ndarray, Sequence[str] | None]:
    """``x`` and ``y`` as float arrays; a DataFrame ``x`` gives the names unless given."""
    if isinstance(x, pd.DataFrame):
        names = tuple(x.columns) if names is None else names
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float), names


def _best_peel(x: np.ndarray, y: np.ndarray, box: Box, inside: np.ndarray, alpha: float
               ) -> tuple[Box, np.ndarray] | None:
    """The one-sided cut of about ``alpha`` of the box's points with the largest gain in mean
    label per share of the box's points removed, (ȳ_after − ȳ_before) / (removed / n)
    (Friedman & Fisher 1999, §8.1): for a continuous input every cut removes ``alpha``, and this
    is the cut leaving the highest mean; a whole-number input whose tied values make a cut
    remove far more pays for it, so coarse cuts are not taken early just because they are
    coarse (ties: the cut that removes fewest points). None when no cut removes anything and
    keeps anything (every input constant inside the box)."""
    rows = np.flatnonzero(inside)
    n = len(rows)
    k = max(1, int(np.floor(alpha * n)))
    before = float(y[rows].mean())
    best: tuple[float, int, Box, np.ndarray] | None = None
    for j in range(x.shape[1]):
        values = x[rows, j]
        ordered = np.sort(values)
        for side in ("low", "high"):
            if side == "low":  # drop every point at or below the k-th smallest value
                keep = values > ordered[k - 1]
            else:
                keep = values < ordered[n - k]
            kept_n = int(keep.sum())
            if kept_n == 0 or kept_n == n:
                continue
            gain = (float(y[rows[keep]].mean()) - before) / ((n - kept_n) / n)
            if best is not None and (gain, kept_n) <= (best[0], best[1]):
                continue
            lower, upper = box.lower.copy(), box.upper.copy()
            if side == "low":
                lower[j] = values[keep].min()
            else:
                upper[j] = values[keep].max()
            mask = np.zeros(len(x), dtype=bool)
            mask[rows[keep]] = True
            best = (gain, kept_n, Box(lower, upper), mask)
    return None if best is None else (best[2], best[3])


@dataclass
class Covered:
    """One box of :func:`cover`: its peeling (on the points left by earlier boxes) and the
    step chosen."""

    peeling: Peeling
    step: int
    box: Box | None = None  # the step's box with its pruned limits lifted (max_qp given)
    freed: list[str] = field(default_factory=list)

    @property
    def chosen(self) -> Step:
        return self.peeling.steps[self.step]


def cover(x: np.ndarray | pd.DataFrame, y: np.ndarray, names: Sequence[str] | None = None,
          bounds: tuple[np.ndarray, np.ndarray] | None = None, alpha: float = ALPHA,
          min_mass: float = MIN_MASS, min_coverage: float = 0.5, max_boxes: int = 3,
          first_step: int | None = None, max_qp: float | None = None) -> list[Covered]:
    """Up to ``max_boxes`` boxes in sequence (covering, Friedman & Fisher 1999 §5): each is
    :meth:`Peeling.choose` of a peeling of the points outside the earlier boxes. Coverage and
    mass stay shares of the whole data set. Stops early when the chosen box is no denser than
    the points it was peeled from, or when no case of interest is left. ``first_step`` picks
    the first box's step on its trajectory instead of the default rule
    (:class:`StepOutOfRange` if the trajectory is shorter). ``max_qp``: each chosen box is
    :func:`prune`d (``Covered.box``) before the next is sought outside it, and covering stops
    at a box left with no limit."""
    x, y, names = _arrays(x, y, names)
    if bounds is None and len(x):
        bounds = (x.min(axis=0), x.max(axis=0))
    total, all_points = float(y.sum()), len(x)
    left = np.ones(len(x), dtype=bool)
    boxes: list[Covered] = []
    while len(boxes) < max_boxes and left.sum() > 0 and y[left].sum() > 0:
        peeling = peel(x[left], y[left], names, bounds, alpha, min_mass, total, all_points)
        step = peeling.choose(min_coverage * y[left].sum() / total if total else 0.0)
        if first_step is not None and not boxes:
            if not 0 <= first_step < len(peeling.steps):
                raise StepOutOfRange(f"step {first_step}: the trajectory has steps 0 to "
                                     f"{len(peeling.steps) - 1}")
            step = first_step
        elif peeling.steps[step].density <= peeling.steps[0].density + 1e-12:
            break
        box, freed = peeling.steps[step].box, []
        if max_qp is not None:
            box, freed = prune(box, peeling.x, peeling.y, peeling.bounds, peeling.names, max_qp)
            if not box.restricted(peeling.bounds).any():  # the whole rest: not a box
                break
        boxes.append(Covered(peeling, step, box, freed))
        left &= ~box.contains(x)
    return boxes
