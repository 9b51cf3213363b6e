"""Loading a city-sized table of communities (issue 14, "Speed and scale": a 10,000-community
table loads in under 2 s).

    python benchmarks/bench_table_load.py [COMMUNITIES]     # default 10,000

Writes a CSV of COMMUNITIES rows — Chinese names, 100 street offices, 50–500 adults each (a
city of about 2.75 million adults: the layout's arrays stay within a laptop's memory), a
migrant share, a party share and a fund in every row, a few blank cells — and a scenario that
names it, then times, best of 3: reading and checking the table and the scenario
(``Scenario.load``: parse, located cell checks, pydantic validation), and building the layout
(``population.build_layout``: sizes, households, buildings, names). Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sim.population import build_layout
from sim.scenario import Scenario


def write_city(folder: Path, n: int) -> Path:
    """A scenario and its table of ``n`` communities in ``folder``; returns the scenario."""
    rng = np.random.default_rng(14)
    residents = rng.integers(50, 501, n)
    migrant = rng.uniform(0.05, 0.8, n).round(3)
    party = rng.uniform(0.02, 0.12, n).round(3)
    fund = rng.choice([0, 200_000, 300_000], n)
    lines = ["name,street_office,residents,population.migrant_share,population.party_share,"
             "policy.fund_per_community"]
    for c in range(n):
        street = f"第{c % 100 + 1}街道"
        blank = c % 7 == 0  # some rows leave the fund to the scenario
        lines.append(f"{street}第{c // 100 + 1}社区,{street},{residents[c]},{migrant[c]},"
                     f"{party[c]},{'' if blank else fund[c]}")
    (folder / "communities.csv").write_text("\ufeff" + "\n".join(lines) + "\n",
                                            encoding="utf-8")
    scenario = folder / "city.yaml"
    scenario.write_text("name: city\nstructure: {communities: communities.csv}\n"
                        "policy: {fund_per_community: 200000}\n", encoding="utf-8")
    return scenario


def best(fn, repeat: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main(n: int = 10_000) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = write_city(Path(folder), n)
        load_s, scenario = best(lambda: Scenario.load(path))
        layout_s, layout = best(lambda: build_layout(scenario.structure))
    out = {"communities": n, "street_offices": len(layout.street_names),
           "adults": int(layout.n_residents), "load_s": round(load_s, 3),
           "layout_s": round(layout_s, 3), "total_s": round(load_s + layout_s, 3),
           "target_s": 2.0}
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
