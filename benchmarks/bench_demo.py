"""Server-side cost of one demo month, reported in figures (issue: teaching demo, "Feel").

    python benchmarks/bench_demo.py

Steps the 2,000-resident teaching scenario through its 36 months and, each month, draws the
community picture and the chart panels as the page does; prints the median and the maximum in
ms (target: the whole step renders in under 0.5 s in the browser; the in-browser figure is
written by tests/test_app.py to test-artifacts/demo-step-render-ms.txt).
"""

from __future__ import annotations

import json
import statistics
import time

from sim import app


def main() -> None:
    settings = app.DemoSettings.for_path(None)
    model = app.DemoModel(preset="teaching", presets=settings.presets)
    cmap = app.community_map(model.layout, 0)
    times = []
    for _ in range(model.scenario.months):
        start = time.perf_counter()
        model.step()
        app.community_svg(model, cmap)
        app.chart_panels(app.history_of(model), model.scenario.months,
                         [m for m, _ in model.change_marks()])
        times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"case": "teaching step + picture + charts, server side",
                      "median_ms": statistics.median(times), "max_ms": max(times)}))


if __name__ == "__main__":
    main()
