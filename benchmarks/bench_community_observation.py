"""Cost of observing every community each month (issue 14, "Speed and scale": at most 10% more
per month at 1,000,000 adults in 100 communities).

    python benchmarks/bench_community_observation.py [MONTHS]

Builds the 1,000,000-adult reform district (10 street offices × 10 communities × 10,000 adults)
twice on the same seed and runs MONTHS months (default 6) of each: once as the model runs
(district and per-community observation), once with the per-community observation switched
off (``Observer.observe_communities`` replaced by a no-op; it draws no random numbers, so both
runs simulate the same months). Prints the mean month of each, the extra share, and the mean
time of one per-community observation measured inside the first run.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

from sim import metrics
from sim.model import CoGovModel
from sim.scenario import Scenario

REFORM = Path(__file__).resolve().parents[1] / "scenarios" / "chengdu_reform.yaml"
DISTRICT = {"structure.street_offices": 10, "structure.communities_per_street": 10,
            "structure.residents_per_community": 10_000}


def months_of(model: CoGovModel, months: int) -> list[float]:
    times = []
    for _ in range(months):
        start = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - start)
    return times


def main(months: int = 6) -> dict:
    scenario = Scenario.load(REFORM).with_overrides({**DISTRICT, "months": months})
    observe = metrics.Observer.observe_communities
    observing: list[float] = []

    def timed(self, *args, **kwargs):
        start = time.perf_counter()
        rows = observe(self, *args, **kwargs)
        observing.append(time.perf_counter() - start)
        return rows

    metrics.Observer.observe_communities = timed
    with_times = months_of(CoGovModel(scenario), months)
    gc.collect()
    metrics.Observer.observe_communities = lambda self, *args, **kwargs: None
    try:
        without_times = months_of(CoGovModel(scenario), months)
    finally:
        metrics.Observer.observe_communities = observe
    with_mean = sum(with_times) / months
    without_mean = sum(without_times) / months
    return {"case": "1,000,000 adults, 100 communities", "months": months,
            "month_with_s": with_mean, "month_without_s": without_mean,
            "extra_share": with_mean / without_mean - 1,
            "observe_communities_s": sum(observing) / len(observing),
            "observe_share_of_month": sum(observing) / sum(with_times),
            "target_extra_share": 0.10}


if __name__ == "__main__":
    print(json.dumps(main(*(int(a) for a in sys.argv[1:])), indent=2))
