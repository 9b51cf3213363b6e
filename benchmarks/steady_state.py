"""Steady-state check (issue 9, item 2): 240-month runs of the reform and the baseline.

    python benchmarks/steady_state.py [replicates] [months]

For each scenario prints, as JSON lines: participation_any by year (1, 5, 10, 15, 20), the slope of
monthly participation_any over years 16–20 in percentage points per year (least squares over
the replicates' mean series), mean_degree by year, its slope over months 120–240 (ties per
resident per year), and residents_moved per month. Slow (minutes); not a test.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from sim.runner import run

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def slope_per_year(series, first_month: int, last_month: int) -> float:
    """Least-squares slope of a monthly series over [first_month, last_month], per year."""
    months = series.index.to_numpy()
    keep = (months >= first_month) & (months <= last_month)
    return float(np.polyfit(months[keep], series.to_numpy()[keep], 1)[0] * 12)


def check(name: str, replicates: int, months: int) -> dict:
    result = run(SCENARIOS / f"{name}.yaml", replicates=replicates, months=months, workers=1)
    mean = result.timeseries.groupby("month").mean(numeric_only=True)
    years = [y for y in (1, 5, 10, 15, 20) if 12 * y <= months]

    def by_year(metric: str, scale: float = 1.0) -> dict:
        return {y: round(float(mean[metric].loc[12 * y - 11:12 * y].mean()) * scale, 3)
                for y in years}

    out = {
        "scenario": name, "replicates": replicates, "months": months,
        "participation_any_pct_by_year": by_year("participation_any", 100),
        "participation_slope_pts_per_year_y16_20": round(
            slope_per_year(mean["participation_any"] * 100, months - 59, months), 3),
        "mean_degree_by_year": by_year("mean_degree"),
        "mean_degree_slope_per_year_m120_240": round(
            slope_per_year(mean["mean_degree"], months // 2, months), 4),
    }
    if "residents_moved" in mean:
        out["residents_moved_per_month"] = round(float(mean["residents_moved"].mean()), 2)
    return out


def main(argv: list[str]) -> None:
    replicates = int(argv[0]) if argv else 4
    months = int(argv[1]) if len(argv) > 1 else 240
    for name in ("chengdu_reform", "baseline"):
        print(json.dumps(check(name, replicates, months)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
