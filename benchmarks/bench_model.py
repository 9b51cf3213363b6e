"""Speed of the core model, reported in figures (issue: core model, "Speed").

    python benchmarks/bench_model.py            # all four cases
    python benchmarks/bench_model.py build      # one case: build|community|per_resident|district

- build: building a 100,000-adult model (10 communities × 10,000) in a warm process, best of
  3 (target < 0.5 s; issue 8), and its first month.
- community: the 2,000-resident reform community for 60 months in a warm process (target
  < 0.5 s), best of 5.
- per_resident: 100,000 residents (10 communities × 10,000), 24 months, µs per resident-month
  (target < 0.4 µs), best of 3.
- district: 1,000,000 residents (10 street offices × 10 communities × 10,000): build time
  (target < 60 s), mean month (target < 3 s) over 3 months, peak resident memory (target < 4 GiB),
  measured in a fresh process so the peak is this case's alone.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from sim.model import CoGovModel
from sim.scenario import Scenario

REFORM = Path(__file__).resolve().parents[1] / "scenarios" / "chengdu_reform.yaml"


def reform(**overrides) -> Scenario:
    return Scenario.load(REFORM).with_overrides(overrides)


def build() -> dict:
    scenario = reform(**{"months": 3, "structure.street_offices": 1,
                         "structure.communities_per_street": 10,
                         "structure.residents_per_community": 10_000})
    CoGovModel(reform()).run(1)  # warm the process: imports, caches
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        model = CoGovModel(scenario)
        best = min(best, time.perf_counter() - start)
    start = time.perf_counter()
    model.step()
    return {"case": "build 100,000 residents", "build_s": best,
            "first_month_s": time.perf_counter() - start, "target_s": 0.5}


def community() -> dict:
    scenario = reform(**{"months": 60})
    CoGovModel(scenario).run(3)  # warm the process: imports, caches
    times = []
    for _ in range(5):
        start = time.perf_counter()
        CoGovModel(scenario).run()
        times.append(time.perf_counter() - start)
    return {"case": "community 2,000 × 60 months", "best_s": min(times),
            "median_s": sorted(times)[2], "target_s": 0.5}


def per_resident() -> dict:
    n, months = 100_000, 24
    scenario = reform(**{"months": months, "structure.street_offices": 1,
                         "structure.communities_per_street": 10,
                         "structure.residents_per_community": 10_000})
    best = float("inf")
    for _ in range(3):
        model = CoGovModel(scenario)
        start = time.perf_counter()
        model.run()
        best = min(best, time.perf_counter() - start)
    return {"case": "100,000 residents", "us_per_resident_month": best / months / n * 1e6,
            "target_us": 0.4}


def district() -> dict:
    scenario = reform(**{"months": 3, "structure.street_offices": 10,
                         "structure.communities_per_street": 10,
                         "structure.residents_per_community": 10_000})
    start = time.perf_counter()
    model = CoGovModel(scenario)
    build = time.perf_counter() - start
    months = []
    for _ in range(3):
        start = time.perf_counter()
        model.step()
        months.append(time.perf_counter() - start)
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
    return {"case": "district 1,000,000 residents", "build_s": build,
            "month_s": sum(months) / len(months), "peak_gib": peak_gib,
            "targets": {"build_s": 60, "month_s": 3, "peak_gib": 4}}


CASES = {"build": build, "community": community, "per_resident": per_resident, "district": district}


def main(argv: list[str]) -> None:
    names = argv or list(CASES)
    for name in names:
        if name == "district" and len(names) > 1:  # its own process: a clean memory peak
            out = subprocess.run([sys.executable, __file__, "district"], capture_output=True,
                                 text=True, check=True).stdout
            print(out, end="")
            continue
        print(json.dumps(CASES[name](), indent=None))


if __name__ == "__main__":
    main(sys.argv[1:])
