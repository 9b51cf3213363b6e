"""Rewrite the golden run — the only way to change it (STYLE.md habit 12).

    python tests/golden/update.py

Run it only when a change to the model's numbers is intended, and commit the new CSV with a
message that says why the numbers moved: the diff of teaching_seed1.csv is the review.
"""

from __future__ import annotations

from pathlib import Path

from sim.runner import run_replicate
from sim.scenario import Scenario

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parents[1] / "scenarios" / "teaching.yaml"
GOLDEN = HERE / "teaching_seed1.csv"
SEED, MONTHS = 1, 36


def golden_run():
    """Replicate 0 of seed 1 of the teaching scenario, 36 months (``cogov run
    scenarios/teaching.yaml --seed 1 --months 36``): the monthly timeseries."""
    scenario = Scenario.load(SCENARIO).with_overrides({"months": MONTHS, "seed": SEED})
    timeseries, _ = run_replicate(scenario, 0)
    return timeseries.drop(columns=["scenario", "replicate", "seed"])


if __name__ == "__main__":
    golden_run().to_csv(GOLDEN, index=False, float_format="%.12g")
    print(f"wrote {GOLDEN}")
