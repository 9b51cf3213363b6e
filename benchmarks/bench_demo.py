"""Server-side cost of one demo month, reported in figures (issue: teaching demo, "Feel").

    python benchmarks/bench_demo.py

Steps the 2,000-resident teaching scenario through its 36 months and, each month, draws the
community picture and the chart panels as the page does (sim/demo/, without loading solara);
prints the median and the maximum in ms (target: the whole step renders in under 0.5 s in the
browser; the in-browser figure is written by tests/test_app.py to
test-artifacts/demo-step-render-ms.txt).
"""

from __future__ import annotations

import json
import statistics
import time

from sim.demo.adapter import DemoModel, DemoSettings
from sim.demo.charts_svg import chart_panels, history_of
from sim.demo.community_svg import community_map, community_svg


def main() -> None:
    settings = DemoSettings.for_path(None)
    model = DemoModel(preset="teaching", presets=settings.presets)
    cmap = community_map(model.layout, 0)
    times = []
    for _ in range(model.scenario.months):
        start = time.perf_counter()
        model.step()
        community_svg(model, cmap)
        chart_panels(history_of(model), model.scenario.months,
                     [m for m, _ in model.change_marks()])
        times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"case": "teaching step + picture + charts, server side",
                      "median_ms": statistics.median(times), "max_ms": max(times)}))


if __name__ == "__main__":
    main()
