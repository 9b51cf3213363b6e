"""Steady states (issue 9, ODD §9.4): every shipped scenario run for 240 months settles.

For each scenario in ``scenarios/`` (R replicates, 240 months) it prints and writes
``docs/steady_state.csv``:

- the slope of monthly ``participation_any`` over years 16–20 (months 181–240), least squares,
  in percentage points a year, mean over replicates with the 95% t interval — settled when
  |slope| < 0.1 points a year;
- the mean participation of years 16–20 and the slope of ``mean_degree`` (ties a year) over
  the same years;
- the spread of attitudes between residents at month 240: for trust, efficacy, public spirit,
  attachment and satisfaction, the standard deviation between the residents of one community
  (mean over communities and replicates), and the narrowest of them — an attitude that collapses
  to one value per community has SD near 0.

and draws ``docs/steady_state.png`` (participation by year, one line per scenario).

Run: ``python benchmarks/steady_state.py [--replicates R] [--workers W] [--months M]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim import intervals  # noqa: E402
from sim.patterns import yearly_slope  # noqa: E402
from sim.runner import in_processes, make_model, release  # noqa: E402
from sim.scenario import Scenario  # noqa: E402

ATTITUDES = ("trust", "efficacy", "public_spirit", "attachment", "satisfaction")
SETTLED = 0.1
"""Points of participation a year: a slope below this over years 16–20 is settled."""


def one_run(job: tuple[Scenario, int]) -> dict:
    """Participation by month and the residents' attitude spread at the end of one run."""
    scenario, replicate = job
    model = make_model(scenario, replicate)
    model.run()
    frame = model.timeseries()
    series = frame["participation_any"].to_numpy()
    degree = frame["mean_degree"].to_numpy()
    community = model.layout.community
    spread = {}
    for name in ATTITUDES:  # SD between residents of one community, mean over communities
        value = getattr(model.residents, name)
        mean = np.bincount(community, weights=value) / np.bincount(community)
        square = np.bincount(community, weights=(value - mean[community]) ** 2)
        spread[name] = float(np.sqrt(square / np.bincount(community)).mean())
    release(model)
    return {"series": series, "degree": degree, "spread": spread}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--months", type=int, default=240)
    parser.add_argument("--scenario", action="append", help="file name(s) in scenarios/")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    names = args.scenario or sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))
    window = args.months - 59  # years 16–20 of a 240-month run
    rows, curves = [], {}
    for name in names:
        scenario = Scenario.load(ROOT / "scenarios" / name).with_overrides(
            {"months": args.months}, origin="steady_state")
        done = in_processes(one_run, [(scenario, r) for r in range(args.replicates)],
                            args.workers)
        runs = [run for _, run in sorted(done, key=lambda pair: pair[0])]
        slopes = [100 * yearly_slope(run["series"], args.months - window + 1) for run in runs]
        iv = intervals.mean_interval(slopes)
        by_attitude = {a: float(np.mean([run["spread"][a] for run in runs])) for a in ATTITUDES}
        narrowest = min(by_attitude, key=by_attitude.get)
        spread = by_attitude[narrowest]
        level = np.mean([run["series"][window - 1:].mean() for run in runs])
        degree_slope = np.mean([yearly_slope(run["degree"], args.months - window + 1)
                                for run in runs])
        rows.append({"scenario": scenario.name, "slope_points_per_year": iv.mean,
                     "ci_low": iv.low, "ci_high": iv.high,
                     "participation_years_16_20": level, "min_attitude_sd": spread,
                     "narrowest_attitude": narrowest, "degree_slope_per_year": degree_slope,
                     "settled": abs(iv.mean) < SETTLED})
        curves[scenario.name] = np.mean([run["series"] for run in runs], axis=0)
        print(f"{scenario.name:28s} slope {iv.mean:+.3f} [{iv.low:+.3f}, {iv.high:+.3f}] "
              f"points/yr  level {level:.3f}  narrowest SD {spread:.3f} ({narrowest})  "
              f"degree slope {degree_slope:+.3f}/yr", flush=True)
    table = pd.DataFrame(rows)
    if not args.no_write:
        table.to_csv(ROOT / "docs" / "steady_state.csv", index=False, float_format="%.4g")
        draw(curves, ROOT / "docs" / "steady_state.png")
    return 0 if table["settled"].all() else 1


def draw(curves: dict[str, np.ndarray], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, series in curves.items():
        years = len(series) // 12
        yearly = series[: years * 12].reshape(years, 12).mean(axis=1) * 100
        ax.plot(np.arange(1, years + 1), yearly, label=name)
    ax.set_xlabel("year")
    ax.set_ylabel("participation, any activity (% of adults, yearly mean)")
    ax.set_ylim(bottom=0)
    ax.axvspan(16, years, color="0.9", zorder=0, label="years 16–20 (slope window)")
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("Every shipped scenario over 240 months (mean of replicates)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
