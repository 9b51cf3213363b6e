"""Memory of a sweep worker over many runs (issue 7 §7), reported in figures.

    python benchmarks/bench_memory.py [--runs 200] [--keep-models]

Runs ``--runs`` sweep evaluations of the 2,000-adult reform scenario (60 months) one after
another in this process, as a pool worker runs its share of a sweep (``sim.sweep.evaluate``),
and reports the resident set size (VmRSS, Linux) before, every tenth of the way and after, the
growth per run over the second half (after allocator warm-up), and the CoGovModel objects still
alive at the end. ``--keep-models`` turns ``sim.runner.release`` into a no-op, to measure the
Mesa 3.3 leak it works around (every model kept alive in ``mesa.Agent._ids``; mesa#3180).
Target: flat — well under 0.1 MiB per run, and no live model left.
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
from pathlib import Path

from bench_sweep import DESIGN  # the same runs as the speed benchmark (benchmarks/ is on the path)

from sim import runner
from sim.experiment import load_experiment
from sim.model import CoGovModel
from sim.sweep import evaluate

ROOT = Path(__file__).resolve().parents[1]


def rss_mib() -> float:
    """This process's resident set size in MiB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def live_models() -> int:
    gc.collect()
    return sum(isinstance(o, CoGovModel) for o in gc.get_objects())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--keep-models", action="store_true",
                        help="disable sim.runner.release (the leak it works around)")
    args = parser.parse_args()
    if args.keep_models:
        runner.release = lambda model: None
    with tempfile.TemporaryDirectory() as tmp:
        design = Path(tmp) / "design.yaml"
        design.write_text(DESIGN.format(scenario=ROOT / "scenarios" / "chengdu_reform.yaml",
                                        runs=args.runs))
        experiment = load_experiment(design)
    runs = experiment.runs()
    start = time.perf_counter()
    samples = [(0, rss_mib())]
    for i, run in enumerate(runs, 1):
        row = evaluate((experiment, run))
        if row["status"] != "ok":
            raise RuntimeError(row["error"])
        if i % max(1, args.runs // 10) == 0 or i == args.runs:
            samples.append((i, rss_mib()))
    half = [(i, rss) for i, rss in samples if i >= args.runs // 2]
    (i0, r0), (i1, r1) = half[0], half[-1]
    print(json.dumps({
        "runs": args.runs,
        "release": not args.keep_models,
        "rss_mib_before": round(samples[0][1], 1),
        "rss_mib_after": round(samples[-1][1], 1),
        "rss_mib_by_run": {i: round(rss, 1) for i, rss in samples},
        "mib_per_run_second_half": round((r1 - r0) / max(i1 - i0, 1), 3),
        "live_models_after": live_models(),
        "seconds": round(time.perf_counter() - start, 1),
    }, indent=1))


if __name__ == "__main__":
    main()
