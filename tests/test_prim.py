"""PRIM against cases whose answer is known by construction (sim/prim.py)."""

import numpy as np
import pandas as pd
import pytest

from sim import prim


def uniform(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((n, d))


def test_finds_the_box_that_defines_the_cases():
    """y = 1 exactly in x0 ≥ 0.6, x1 ≤ 0.3 (12% of the cube), x2 irrelevant: the densest box
    with 80% coverage has its limits within 0.05 of the true ones, leaves x2 free, and both
    limits are significant."""
    x = uniform(4000, 3, 1)
    y = ((x[:, 0] >= 0.6) & (x[:, 1] <= 0.3)).astype(float)
    peeling = prim.peel(pd.DataFrame(x, columns=["a", "b", "c"]), y, bounds=([0, 0, 0], [1, 1, 1]))
    step = peeling.choose(min_coverage=0.8)
    chosen = peeling.steps[step]
    assert chosen.density >= 0.9
    assert chosen.coverage >= 0.8
    limits = peeling.limits(step).set_index("input")
    assert set(limits.index) == {"a", "b"}
    assert limits.loc["a", "low"] == pytest.approx(0.6, abs=0.05)
    assert limits.loc["b", "high"] == pytest.approx(0.3, abs=0.05)
    assert limits.loc["a", "high"] == 1 and limits.loc["b", "low"] == 0
    assert (limits["qp"] < 1e-6).all()


def test_trajectory_shrinks_step_by_step_and_stops_at_min_mass():
    x = uniform(2000, 4, 2)
    y = (x[:, 0] + x[:, 1] > 1.4).astype(float)
    peeling = prim.peel(x, y, alpha=0.1, min_mass=0.1)
    table = peeling.trajectory()
    assert (np.diff(table["mass"]) < 0).all()
    assert (np.diff(table["coverage"]) <= 1e-12).all()
    assert table["mass"].iloc[-1] >= 0.1
    assert table["mass"].iloc[-1] * 0.9 < 0.1 + 0.01  # one more peel would go below
    assert table["density"].iloc[-1] > 3 * table["density"].iloc[0]
    assert table["coverage"].iloc[0] == 1 and table["mass"].iloc[0] == 1


def test_a_limit_on_an_input_that_does_not_matter_has_a_large_quasi_p():
    """Cases of interest at random (25%) whatever the inputs: no limit is significant."""
    rng = np.random.default_rng(3)
    x = rng.random((3000, 3))
    y = (rng.random(3000) < 0.25).astype(float)
    peeling = prim.peel(x, y)
    limits = peeling.limits(len(peeling.steps) // 3)
    assert len(limits)
    assert limits["qp"].median() > 0.05


def test_quasi_p_is_the_binomial_tail():
    # 8 of 10 when the wider box has density 0.5: P(X ≥ 8) = 56/1024
    assert prim.quasi_p(8, 10, 50, 100) == pytest.approx(56 / 1024)
    assert prim.quasi_p(0, 10, 5, 10) == pytest.approx(1.0)


def test_probability_labels_give_expected_counts():
    """Labels as probabilities over replicates: 0.9 inside x0 ≥ 0.7, 0.1 elsewhere; the box
    found has density ≈ 0.9 and its limit near 0.7."""
    x = uniform(3000, 2, 4)
    y = np.where(x[:, 0] >= 0.7, 0.9, 0.1)
    peeling = prim.peel(x, y, bounds=([0, 0], [1, 1]))
    step = peeling.choose(0.7)
    assert peeling.steps[step].density == pytest.approx(0.9, abs=0.03)
    low = peeling.limits(step).set_index("input").loc["x0", "low"]
    assert low == pytest.approx(0.7, abs=0.05)


def test_whole_number_inputs_peel_whole_values():
    """An integer input with ties: the cut never splits a value, and the box is x0 = 4."""
    rng = np.random.default_rng(5)
    x = np.column_stack([rng.integers(0, 5, 1000), rng.random(1000)])
    y = (x[:, 0] == 4).astype(float)
    peeling = prim.peel(x, y)
    best = peeling.steps[peeling.choose(0.9)]
    assert best.density == 1.0 and best.coverage == 1.0
    assert best.box.lower[0] == 4 and best.box.upper[0] == 4


def test_covering_finds_two_separate_regions():
    x = uniform(5000, 2, 6)
    first = (x[:, 0] <= 0.2) & (x[:, 1] <= 0.2)
    second = (x[:, 0] >= 0.75) & (x[:, 1] >= 0.75)
    y = (first | second).astype(float)
    boxes = prim.cover(x, y, bounds=([0, 0], [1, 1]), min_coverage=0.3, max_boxes=3,
                       min_mass=0.02)
    assert len(boxes) >= 2
    found = [b.chosen.box for b in boxes[:2]]
    centres = sorted(tuple((b.lower + b.upper) / 2) for b in found)
    assert np.allclose(centres, [(0.1, 0.1), (0.875, 0.875)], atol=0.04)
    assert sum(b.chosen.coverage for b in boxes[:2]) >= 0.8
    assert all(b.chosen.density >= 0.85 for b in boxes[:2])


def test_refuses_bad_data():
    with pytest.raises(ValueError, match="finite"):
        prim.peel(np.array([[np.nan], [1.0]]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        prim.peel(np.array([[0.0], [1.0]]), np.array([0.0, 2.0]))
    with pytest.raises(ValueError, match="shape"):
        prim.peel(np.zeros((0, 2)), np.zeros(0))


def test_a_coarse_whole_number_cut_waits_for_the_finer_cuts_that_gain_more_per_point():
    """x0 takes 0, 1, 2 (a third each) and matters a little (cases 20% at 0, 35% above);
    x1 matters a lot (cases only above 0.5). Cutting x0 = 0 raises the density more in one
    step than a 5% slice of x1, but removes a third of the points: the peel takes x1 first,
    and the box with 90% coverage leaves x0 free."""
    rng = np.random.default_rng(7)
    n = 6000
    x = np.column_stack([rng.integers(0, 3, n), rng.random(n)])
    rate = np.where(x[:, 1] > 0.5, np.where(x[:, 0] == 0, 0.4, 0.7), 0.0)
    y = (rng.random(n) < rate).astype(float)
    peeling = prim.peel(x, y)
    assert peeling.steps[1].box.lower[1] > 0  # the first cut is on x1
    best = peeling.steps[peeling.choose(0.9)]
    assert best.box.lower[0] == 0
    assert best.box.lower[1] == pytest.approx(0.5, abs=0.05)


def test_pruning_lifts_the_limits_that_add_little_and_keeps_those_that_matter():
    """The known box of x0 ≥ 0.6, x1 ≤ 0.3 with a needless cut on x2 added: pruning frees x2
    and keeps both real limits."""
    x = uniform(4000, 3, 8)
    y = ((x[:, 0] >= 0.6) & (x[:, 1] <= 0.3)).astype(float)
    design = prim.Box(np.zeros(3), np.ones(3))
    padded = prim.Box(np.array([0.6, 0.0, 0.2]), np.array([1.0, 0.3, 0.9]))
    box, freed = prim.prune(padded, x, y, design, ["a", "b", "c"])
    assert freed == ["c"]
    assert box.lower[2] == 0 and box.upper[2] == 1
    assert box.lower[0] == 0.6 and box.upper[1] == 0.3
