"""Every lever at a low and a high value, paired over replicates: the lever table of issue 9.

    python benchmarks/lever_effects.py [--replicates 8] [--workers 2] [--base chengdu_reform]

Each lever is set low and high in the base scenario (everything else as shipped), the same
replicates in both arms (common random numbers), and the table gives the mean paired difference
high − low of participation, trust, satisfaction and needs met over the last 12 months with
its standard error. It uses only ``Scenario.with_overrides`` and ``sim.runner.run``, so it runs
on older checkouts too (``PYTHONPATH=<checkout> python benchmarks/lever_effects.py``), which is
how the before/after table of issue 9 was made.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from sim.runner import run
from sim.scenario import Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
LEVERS: tuple[tuple[str, object, object, dict], ...] = (
    ("policy.devolution", 0.0, 1.0, {}),
    ("policy.transparency", 0.3, 0.9, {}),
    ("policy.fund_per_community", 100_000, 400_000, {}),
    ("policy.training_rate", 0.0, 0.1, {}),
    ("policy.resident_evaluation", False, True, {}),
    ("policy.purchase_share", 0.0, 1.0, {}),
    ("policy.service_focus", 0.4, 1.0, {}),
    ("policy.admin_items", 537, 69, {}),
    ("policy.incentive.scheme", "none", "points", {}),
    ("policy.incentive.points_per_activity", 10, 100, {"policy.incentive.scheme": "points"}),
    ("policy.incentive.scheme", "none", "time_bank", {}),
    ("policy.incentive.scheme", "none", "recognition", {}),
    ("policy.grid.workers_per_grid", 0, 2, {}),
    ("policy.party.contacts_per_month", 0, 12, {}),
    ("policy.party.dual_registration", False, True, {}),
    ("policy.foundation", False, True, {}),
    ("policy.foundation_match", 0.0, 1.0, {"policy.foundation": True}),
    ("policy.supervision", False, True, {}),
    ("policy.incubation_rate", 0.0, 2.0, {}),
)
"""(key, low, high, other settings both arms need)."""
OUTCOMES = ("participation_any_last12", "mean_trust_last12", "mean_satisfaction_last12",
            "needs_met_last12")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--base", default="chengdu_reform")
    args = parser.parse_args(argv)
    base = Scenario.load(SCENARIOS / f"{args.base}.yaml")
    print("| lever | low → high | " + " | ".join(OUTCOMES) + " |")
    print("|---|---|" + "---|" * len(OUTCOMES))
    for key, low, high, extra in LEVERS:
        arms = []
        for value in (low, high):
            scenario = base.with_overrides({**extra, key: value})
            arms.append(run(scenario, replicates=args.replicates, workers=args.workers).summary)
        cells = []
        for outcome in OUTCOMES:
            diff = arms[1][outcome].to_numpy() - arms[0][outcome].to_numpy()
            se = diff.std(ddof=1) / np.sqrt(len(diff))
            cells.append(f"{diff.mean():+.3f} ± {se:.3f}")
        print(f"| `{key}` | {low} → {high} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
