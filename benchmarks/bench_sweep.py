"""Speed of the sweep machinery, reported in figures (issue: sweeps, "Speed").

    python benchmarks/bench_sweep.py [--runs 96] [--sobol]

- throughput: the same random design of ``--runs`` runs of the 2,000-resident reform scenario
  (60 months) with ``--workers 1`` and ``--workers 2``; runs per second and the speed-up
  (target ≥ 1.7× on 2 cores).
- machinery cost: at one worker, 1 − (sum of the runs' own times) / wall time: what sweeping
  adds to running (target < 5%).
- Sobol estimate: the shipped experiments/sobol_levers.yaml (10 levers, N = 256: 5,632 runs)
  projected from the two-worker throughput (target < 30 minutes); ``--sobol`` runs it for real.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sim.experiment import load_experiment
from sim.sweep import sweep

ROOT = Path(__file__).resolve().parents[1]
DESIGN = """\
scenario: {scenario}
method: random
samples: {runs}
seed: 1
parameters:
  policy.devolution: [0, 1]
  policy.fund_per_community: [0, 400000]
  policy.service_focus: [0, 1]
  policy.admin_items: [69, 537]
metrics: [participation_any_last12]
"""


def timed_sweep(experiment_path: Path, workers: int, out: Path) -> tuple[float, float]:
    """(wall seconds, sum of the runs' own seconds)."""
    start = time.perf_counter()
    outcome = sweep(load_experiment(experiment_path), out, workers=workers)
    wall = time.perf_counter() - start
    return wall, float(outcome.results["run_time_s"].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=96)  # fewer: startup noise
    parser.add_argument("--sobol", action="store_true", help="run the 5,632-run Sobol design")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        design = tmp / "design.yaml"
        design.write_text(DESIGN.format(scenario=ROOT / "scenarios" / "chengdu_reform.yaml",
                                        runs=args.runs))
        wall1, own1 = timed_sweep(design, 1, tmp / "w1")
        wall2, _ = timed_sweep(design, 2, tmp / "w2")
        sobol_runs = len(load_experiment(ROOT / "experiments" / "sobol_levers.yaml").runs())
        report = {
            "runs": args.runs,
            "workers1_runs_per_s": args.runs / wall1,
            "workers2_runs_per_s": args.runs / wall2,
            "speedup_2_workers": wall1 / wall2,
            "machinery_share_1_worker": 1 - own1 / wall1,
            "sobol_runs": sobol_runs,
            "sobol_projected_min_2_workers": sobol_runs / (args.runs / wall2) / 60,
        }
        if args.sobol:
            wall, _ = timed_sweep(ROOT / "experiments" / "sobol_levers.yaml", 2, tmp / "sobol")
            report["sobol_measured_min_2_workers"] = wall / 60
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
