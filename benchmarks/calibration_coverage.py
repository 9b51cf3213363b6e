"""Do the 90% credible intervals of ``cogov calibrate`` contain the truth 90% of the time?
(issue 10 §4, on cogov's own model; the tiny-model version is in tests/test_calibrate.py).

    python benchmarks/calibration_coverage.py [--trials 20] [--budget 3000] [--jobs 2] [--out DIR]

Trial k draws true coefficients from the priors of ``calibration/coverage.yaml`` (four
coefficients; its own generator, ``SeedSequence(SEED, spawn_key=(k,))``), simulates the six
statistics once at them (model seed from the same sequence), calibrates against that simulation
with the engine of ``cogov calibrate`` (seed k, population 100, at most ``--budget`` (3,000; the
issue allows 5,000) simulations, the first sample from the prior included) and records for each
coefficient whether its 90% credible interval (``sim.calibrate.CREDIBLE_RULE``) contains the
truth, and the interval's width as a share of the prior's range. Each trial writes
``trial-KK.json`` when it finishes; a rerun with the same ``--out`` skips finished trials (a
kill loses only the trials in flight). At the end, ``coverage.csv`` (one row per trial and
coefficient) and a Markdown summary: hits of 20 × 4 intervals with the Clopper–Pearson 95%
interval of the coverage, per coefficient and together.

The truth is drawn from the whole prior, as the check assumes: an exact posterior's 90%
intervals then contain it with probability 0.90 exactly, whatever the data say. An ABC posterior
at a tolerance above zero is wider, so coverage above 0.90 says "conservative", below 0.85
"overconfident".
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim import calibrate as engine
from sim import targets as targets_file
from sim.runner import in_processes

TARGETS = Path(__file__).resolve().parents[1] / "calibration" / "coverage.yaml"
SEED = 20261130
POPULATION = 100


def run_trial(job: tuple[int, int, str]) -> dict:
    """Trial ``k`` (see the module docstring), its results written to ``out/trial-KK.json``."""
    k, budget, out = job
    loaded = targets_file.load(TARGETS)
    rng = np.random.default_rng(np.random.SeedSequence(SEED, spawn_key=(k,)))
    truth = {p.key: float(p.rvs(rng, 1)[0]) for p in loaded.priors}
    observed = targets_file.simulate(loaded, truth, int(rng.integers(2**62)))
    start = time.perf_counter()
    result = engine.calibrate(
        loaded.priors, observed, loaded.sds, functools.partial(targets_file.simulate, loaded),
        out_dir=Path(out) / f"trial-{k:02d}", seed=k, population=POPULATION, budget=budget,
        max_generations=20, predictive_draws=2)
    intervals = engine.credible_intervals(result.posterior).set_index("key")
    rows = []
    for prior in loaded.priors:
        low, high = intervals.loc[prior.key, "low"], intervals.loc[prior.key, "high"]
        rows.append({"trial": k, "key": prior.key, "truth": truth[prior.key],
                     "low": float(low), "high": float(high),
                     "hit": bool(low <= truth[prior.key] <= high),
                     "width_share": float((high - low) / (prior.high - prior.low))})
    record = {"trial": k, "observed": observed, "rows": rows,
              "simulations": result.simulations, "abandoned": result.abandoned,
              "generations": len(result.generations), "stop_reason": result.stop_reason,
              "seconds": time.perf_counter() - start}
    path = Path(out) / f"trial-{k:02d}.json"
    path.with_suffix(".tmp").write_text(json.dumps(record, indent=1))
    path.with_suffix(".tmp").replace(path)
    return record


def clopper_pearson(hits: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval of a proportion (Clopper & Pearson 1934)."""
    alpha = 1 - level
    low = stats.beta.ppf(alpha / 2, hits, n - hits + 1) if hits else 0.0
    high = stats.beta.ppf(1 - alpha / 2, hits + 1, n - hits) if hits < n else 1.0
    return float(low), float(high)


def coverage(trials: int, budget: int, jobs: int, out: Path,
             report: bool = False) -> tuple[pd.DataFrame, list[dict]]:
    """Run the trials not yet finished in ``out`` (``jobs`` at a time) and return the table of
    all ``trials`` (one row per trial and coefficient: ``trial, key, truth, low, high, hit,
    width_share``) and the trial records; ``coverage.csv`` written into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    todo = [(k, budget, str(out)) for k in range(trials)
            if not (out / f"trial-{k:02d}.json").exists()]
    for _, record in in_processes(run_trial, todo, jobs):
        if report:
            hits = sum(r["hit"] for r in record["rows"])
            print(f"trial {record['trial']:2d}: {hits}/{len(record['rows'])} intervals hold the "
                  f"truth; {record['simulations']} simulations, {record['generations']} "
                  f"generations, {record['seconds']:.0f} s ({record['stop_reason']})",
                  flush=True)
    records = [json.loads((out / f"trial-{k:02d}.json").read_text()) for k in range(trials)]
    table = pd.DataFrame([row for record in records for row in record["rows"]])
    table.to_csv(out / "coverage.csv", index=False)
    return table, records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--budget", type=int, default=3000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/coverage"))
    args = parser.parse_args()
    table, records = coverage(args.trials, args.budget, args.jobs, args.out, report=True)
    print("\n| coefficient | hits | coverage [95% CI] | median width ÷ prior range |")
    print("|---|---|---|---|")
    for key, group in [*table.groupby("key", sort=False), ("together", table)]:
        hits, n = int(group["hit"].sum()), len(group)
        low, high = clopper_pearson(hits, n)
        print(f"| {key} | {hits}/{n} | {hits / n:.1%} [{low:.1%}, {high:.1%}] | "
              f"{group['width_share'].median():.2f} |")
    simulations = [r["simulations"] + r["abandoned"] for r in records]
    print(f"\nsimulations per trial: median {int(np.median(simulations))}, "
          f"max {max(simulations)}; wall time per trial: median "
          f"{np.median([r['seconds'] for r in records]):.0f} s")


if __name__ == "__main__":
    main()
