"""Cost of tie growth (MODEL.md §7.6, ``network.Network.grow``) against horizon and community
size, in the running model (issue 8, item 8).

    python benchmarks/bench_network.py            # both cases
    python benchmarks/bench_network.py horizon    # one case: horizon | community_size

- horizon: 100,000 adults (10 communities × 10,000) of the reform scenario for 24 and for 240
  months; µs of ``grow`` per resident-month over the whole run and over its last 12 months.
  Flat means the month's cost does not rise with the ties already held.
- community_size: the same 100,000 adults as 1, 10 and 100 communities, 24 months. The number of
  candidate pairs rises with community size (co-participants of one community may meet), so
  the case also reports µs per tie handled (kept + newly formed).

Both cases also time the hot path ``Network.neighbour_shares`` (every month, before anyone
acts) and the mobility calls ``Network.move_out`` and ``Network.acquaint`` (ODD §7.9), in µs per
resident-month over the whole run.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from sim.model import CoGovModel
from sim.network import Network
from sim.scenario import Scenario

REFORM = Path(__file__).resolve().parents[1] / "scenarios" / "chengdu_reform.yaml"
ADULTS = 100_000


def timed_run(communities: int, months: int) -> dict:
    """Run the reform scenario with ``ADULTS`` adults in ``communities`` communities, timing
    every call of ``Network.grow``."""
    scenario = Scenario.load(REFORM).with_overrides({
        "months": months, "structure.street_offices": 1,
        "structure.communities_per_street": communities,
        "structure.residents_per_community": ADULTS // communities,
    })
    grow = Network.grow
    seconds: list[float] = []
    handled: list[int] = []

    def timed_grow(network: Network, *args, **kwargs) -> None:
        start = time.perf_counter()
        grow(network, *args, **kwargs)
        seconds.append(time.perf_counter() - start)
        handled.append(network.n_new_ties)

    others = {name: getattr(Network, name)
              for name in ("neighbour_shares", "move_out", "acquaint") if hasattr(Network, name)}
    spent = dict.fromkeys(others, 0.0)

    def timer(name):
        method = others[name]

        def timed(network: Network, *args, **kwargs):
            start = time.perf_counter()
            out = method(network, *args, **kwargs)
            spent[name] += time.perf_counter() - start
            return out
        return timed

    Network.grow = timed_grow
    for name in others:
        setattr(Network, name, timer(name))
    try:
        start = time.perf_counter()
        model = CoGovModel(scenario)
        model.run()
        total = time.perf_counter() - start
    finally:
        Network.grow = grow
        for name, method in others.items():
            setattr(Network, name, method)
    last = seconds[-12:]
    return {
        "communities": communities, "months": months,
        "grow_us_per_resident_month": sum(seconds) / months / ADULTS * 1e6,
        "grow_us_per_resident_month_last12": sum(last) / len(last) / ADULTS * 1e6,
        "grow_share_of_run": sum(seconds) / total,
        "grown_ties_at_end": handled[-1],
        "grow_us_per_tie_held": sum(seconds) / max(sum(handled), 1) * 1e6,
        **{f"{name}_us_per_resident_month": seconds_ / months / ADULTS * 1e6
           for name, seconds_ in spent.items()},
        "run_seconds": total,
    }


def horizon() -> list[dict]:
    return [timed_run(10, months) for months in (24, 240)]


def community_size() -> list[dict]:
    return [timed_run(communities, 24) for communities in (100, 10, 1)]


CASES = {"horizon": horizon, "community_size": community_size}


def main(argv: list[str]) -> None:
    for name in argv or list(CASES):
        for row in CASES[name]():
            print(json.dumps({"case": name, **row}))


if __name__ == "__main__":
    main(sys.argv[1:])
