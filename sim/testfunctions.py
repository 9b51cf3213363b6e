"""Functions with known sensitivity indices, to check the sweep and analysis machinery
(SALib's habit: test methods against known answers). An experiment file may name one as its
``target: sim.testfunctions:ishigami`` instead of a scenario.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


def ishigami(params: Mapping[str, float], rng: np.random.Generator,
             a: float = 7.0, b: float = 0.1) -> dict[str, float]:
    """Ishigami & Homma (1990): y = sin x1 + a sin² x2 + b x3⁴ sin x1, x_i ~ U(−π, π).
    With a = 7, b = 0.1: S1 ≈ (0.314, 0.442, 0), ST ≈ (0.558, 0.442, 0.244)."""
    x1, x2, x3 = params["x1"], params["x2"], params["x3"]
    return {"y": math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)}


def noisy_linear(params: Mapping[str, float], rng: np.random.Generator) -> dict[str, float]:
    """y = 2·x1 + x2 + N(0, 1): a known response with replicate noise (x1 dominates)."""
    return {"y": 2.0 * params["x1"] + params["x2"] + float(rng.normal())}


def fails_above(params: Mapping[str, float], rng: np.random.Generator) -> dict[str, float]:
    """y = x1, but raises for x1 > 0.5: to check that failed runs are recorded."""
    if params["x1"] > 0.5:
        raise ValueError(f"x1 = {params['x1']:.3f} is above 0.5")
    return {"y": params["x1"]}


def noisy_box(params: Mapping[str, float], rng: np.random.Generator) -> dict[str, float]:
    """A stochastic outcome with a known box: y = 1 with probability 0.9 where x1 ≥ 0.6 and
    x2 ≤ 0.3, and 0.1 elsewhere (x3 plays no part), else 0; inputs on [0, 1]. Scenario
    discovery of ``y > 0.5`` should find that box, with density 0.9 on fresh runs. The draw
    is independent between points (a stream keyed by the replicate's generator and the
    inputs' bits), unlike one draw from ``rng`` that every point of a replicate would share."""
    inside = params["x1"] >= 0.6 and params["x2"] <= 0.3
    bits = np.array([params["x1"], params["x2"], params["x3"]], dtype=np.float64).view(np.uint64)
    own = np.random.default_rng([int(rng.integers(2**63)), *(int(b) for b in bits)])
    return {"y": float(own.random() < (0.9 if inside else 0.1))}


def integer_lever(params: Mapping[str, float], rng: np.random.Generator) -> dict[str, float]:
    """y = 3·n + 2·x with n a whole number (like grid workers) and x any number. Refuses a
    fractional n, as the scenario schema refuses 1.333 workers. Morris μ* on bounds n ∈ [a, b],
    x ∈ [c, d] is exactly 3·(b − a) and 2·(d − c): SALib divides each step's change in y by
    the step as a share of the range."""
    n = params["n"]
    if not float(n).is_integer():
        raise ValueError(f"n must be a whole number, got {n}")
    return {"y": 3.0 * n + 2.0 * params["x"]}


# ------------------------------------------------------------------ calibration (ABC-SMC)
@dataclass(frozen=True)
class UniformPrior:
    """A uniform prior on [low, high] with the interface of ``sim.targets.Prior``, so the
    calibration engine can be tested without the model."""

    key: str
    low: float
    high: float
    shape: str = "uniform"

    def rvs(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        return np.where(self.contains(x), 1.0 / (self.high - self.low), 0.0)

    def contains(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return (x >= self.low) & (x <= self.high)


GAUSSIAN_NOISE = {"y1": 0.5, "y2": 50.0}
"""Standard deviations of the noise of :func:`gaussian_pair`'s two statistics."""


def gaussian_pair(theta: Mapping[str, float], seed: int) -> dict[str, float]:
    """y1 = a + N(0, 0.5²), y2 = 100·b + N(0, 50²), in the calibration's ``simulate(theta,
    seed)`` form: with flat priors on a, b the exact posterior given observations (y1, y2) is
    a ~ N(y1, 0.5²), b ~ N(y2 / 100, 0.5²) (away from the bounds). The statistics differ in
    scale by 100, which an unscaled distance would get wrong. y1 is undefined (NaN) for
    a > 4.5, to exercise the rejection of non-finite statistics."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=2)
    a, b = theta["a"], theta["b"]
    y1 = math.nan if a > 4.5 else a + GAUSSIAN_NOISE["y1"] * noise[0]
    return {"y1": float(y1), "y2": float(100.0 * b + GAUSSIAN_NOISE["y2"] * noise[1])}
