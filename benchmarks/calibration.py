"""Model levels beside the calibration anchors (sources: docs/SOURCES.md), for docs/ODD.md §9.

    python benchmarks/calibration.py [--replicates 10] [--workers 2]

Runs the shipped baseline and chengdu_reform (also with the incentive scheme set to recognition
and to points), and baseline, chengdu_reform and haicang_cocreation at ten communities (20,000
adults, so that organizations per 10,000 are not a count of one or two), over replicates
(replicate r of the scenario's seed, as ``cogov run`` does: ``sim.model.replicate_rng``). Prints
a Markdown table, quantity | anchor | model mean [95% CI] | note, then the yearly trajectories of
public spirit and participation under the three incentive schemes. The CI is the t interval of
the mean over replicates; ratios between scenarios are taken per replicate (same seed, so the
same residents and network: common random numbers) before averaging. An anchor measured on a
different act (an election, a city-wide participatory budget, a laboratory game) is compared in
ratios or in direction, not in level; the note says which. Turnout of one group against another
is compared as an odds ratio, [p₁/(1 − p₁)] ÷ [p₀/(1 − p₀)], not as a ratio of shares: the
anchor's turnout is an election's (14–78%), the model's a council's (a few per cent), and a
ratio of shares is squeezed toward 1 at high turnout while at low turnout it approaches the odds
ratio, so only the odds ratio can be set beside an anchor measured at another level.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from sim import intervals, statistics
from sim.runner import in_processes
from sim.scenario import Scenario
from sim.statistics import REPEAT_MONTHS, odds_ratio

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TEN = "structure.communities_per_street"
RUNS: dict[str, tuple[str, dict[str, object]]] = {
    "baseline": ("baseline.yaml", {}),
    "reform": ("chengdu_reform.yaml", {}),
    "reform_recognition": ("chengdu_reform.yaml", {"policy.incentive.scheme": "recognition"}),
    "reform_points": ("chengdu_reform.yaml", {"policy.incentive.scheme": "points"}),
    "baseline_x10": ("baseline.yaml", {TEN: 10}),
    "reform_x10": ("chengdu_reform.yaml", {TEN: 10}),
    "haicang_x10": ("haicang_cocreation.yaml", {TEN: 10}),
}
"""Label → (scenario file, overrides)."""


def scenario(label: str) -> Scenario:
    path, overrides = RUNS[label]
    loaded = Scenario.load(SCENARIOS / path)
    return loaded.with_overrides(overrides) if overrides else loaded


def measure(job: tuple[str, int]) -> tuple[str, int, dict[str, float]]:
    """Run replicate ``r`` of scenario ``label`` month by month; return its summary metrics
    and derived statistics (``sim.statistics.measure``: one definition of each quantity)."""
    label, r = job
    return label, r, statistics.measure(scenario(label), r)


ANCHOR_OR_AGE = odds_ratio(0.777, 0.138)
"""Election turnout, ages 70–79 (77.7%) vs 18–29 (13.8%), as an odds ratio (≈ 21.8)."""
ANCHOR_OR_PARTY = odds_ratio(0.651, 0.484)
"""Election turnout, party members (65.1%) vs others (48.4%), as an odds ratio (≈ 1.99)."""


# ----------------------------------------------------------------------------------- report
@dataclass(frozen=True)
class Line:
    quantity: str
    anchor: str
    value: Callable[[dict[str, list[dict[str, float]]]], np.ndarray]
    percent: bool
    note: str


def col(label: str, key: str) -> Callable[[dict], np.ndarray]:
    return lambda res: np.array([x[key] for x in res[label]])


def ratio(a: str, b: str, key: str) -> Callable[[dict], np.ndarray]:
    """Per replicate a ÷ b (paired: the same seed in both scenarios)."""
    return lambda res: col(a, key)(res) / col(b, key)(res)


LINES = (
    Line("Annual deliberation turnout (deliberated in months 1–3 of a cycle), baseline",
         "47.9% residents' committee election turnout (Shanghai, N = 6,581)",
         col("baseline", "deliberation_turnout_all"), True,
         "an election is not a council meeting: compare the odds ratios below, not the level"),
    Line("Annual deliberation turnout, chengdu_reform",
         "1.2–1.5% of residents a year in participatory budgeting (Porto Alegre 1999–2000)",
         col("reform", "deliberation_turnout_all"), True,
         "a city-wide budget assembly vs a council of 2,000 adults: levels not comparable"),
    Line("Odds ratio of annual deliberation turnout, elders vs youth, baseline",
         f"(77.7/22.3) ÷ (13.8/86.2) = {ANCHOR_OR_AGE:.1f} (election turnout, ages 70–79 vs "
         "18–29)", col("baseline", "deliberation_odds_elder_youth"), False,
         "model groups are 60+ and 18–34: a smaller odds ratio than between the anchor's "
         "extremes is expected"),
    Line("Odds ratio of annual deliberation turnout, elders vs youth, chengdu_reform",
         f"{ANCHOR_OR_AGE:.1f} (as above)", col("reform", "deliberation_odds_elder_youth"), False,
         ""),
    Line("Odds ratio of annual deliberation turnout, party vs non-party, baseline",
         f"(65.1/34.9) ÷ (48.4/51.6) = {ANCHOR_OR_PARTY:.2f} (election turnout)",
         col("baseline", "deliberation_odds_party_nonparty"), False, ""),
    Line("Odds ratio of annual deliberation turnout, party vs non-party, chengdu_reform",
         f"{ANCHOR_OR_PARTY:.2f} (as above)", col("reform", "deliberation_odds_party_nonparty"),
         False, ""),
    Line("Volunteered this month (mean over months), baseline",
         "registered volunteers 19.7% (Chongqing 2020) – 23.0% (Shanghai 2021); active far fewer",
         col("baseline", "volunteer_monthly"), True, "should sit well below the registered share"),
    Line("Volunteered this month, chengdu_reform", "as above", col("reform", "volunteer_monthly"),
         True, ""),
    Line("Volunteered at least once in a year, baseline", "≤ 19.7–23% (registered)",
         col("baseline", "volunteer_annual"), True, "closest model analogue of being registered"),
    Line("Volunteered at least once in a year, chengdu_reform", "≤ 19.7–23%",
         col("reform", "volunteer_annual"), True, ""),
    Line("Professional social organizations per 10,000, at start (all scenarios)",
         "6.3 nationally (2022); Haicang ≈ 7", col("baseline_x10", "orgs_per_10k_start"), False,
         "an input: Poisson draw around structure.social_orgs_per_10k; 20,000 adults"),
    Line("Active (non-zombie) organizations per 10,000 at month 60, baseline", "6.3",
         col("baseline_x10", "orgs_per_10k_end"), False,
         "no purchase of services: idle organizations turn zombie after 24 months"),
    Line("Zombie organizations per 10,000 at month 60, baseline", "—",
         col("baseline_x10", "zombies_per_10k_end"), False, "no supervision: zombies stay"),
    Line("Active organizations per 10,000 at month 60, chengdu_reform", "6.3",
         col("reform_x10", "orgs_per_10k_end"), False,
         "purchase_share 0.5; zombies cleared yearly"),
    Line("Active organizations per 10,000 at month 60, haicang_cocreation",
         "≈ 7 (205 for 29.49万)", col("haicang_x10", "orgs_per_10k_end"), False,
         "purchase_share 0, incubation 1.0 per 10,000 a year"),
    Line("Fund projects delivered per community per year, chengdu_reform",
         "≈ 4–5 (40,000+ projects in 2,300+ communities, Chengdu 2009–12)",
         col("reform", "projects_per_community_year"), False,
         "anchor: 40,000 ÷ 2,300 ÷ 4 years"),
    Line("Public spirit of repeat participants at month 60 ÷ their own at start, reform "
         "(scheme none)", "contributions decline with repetition, never to zero (start 40–60%)",
         col("reform", "repeat_spirit_ratio"), False,
         f"repeat = took part in ≥ {REPEAT_MONTHS} of the last 12 months"),
    Line("Lowest public spirit among those repeat participants, reform (none)", "> 0",
         col("reform", "repeat_spirit_min"), False, ""),
    Line("Same ratio, reform with recognition (表彰)", "no decline expected (fatigue lifted)",
         col("reform_recognition", "repeat_spirit_ratio"), False, ""),
    Line("Same ratio, reform with points (积分, 0.1 yuan an activity)", "decline (crowding out)",
         col("reform_points", "repeat_spirit_ratio"), False, ""),
    Line("Monthly participation in any activity, last 12 months, points ÷ none (chengdu_reform)",
         "paid compensation halved acceptance of a public burden (~50% → ~25%)",
         ratio("reform_points", "reform", "participation_any_last12"), False,
         "direction only: a payment for a burden, not a reward for community work"),
    Line("Mean public spirit at month 60, points ÷ none (chengdu_reform)", "below 1 (crowding out)",
         ratio("reform_points", "reform", "mean_public_spirit_final"), False, ""),
    Line("Party members, share of adults", "~7% of the population",
         col("baseline", "party_share"), True,
         "an input (party_share 0.08 of adults; children are part of the anchor's denominator)"),
    Line("Elders among party members", "28% aged ≥ 61", col("baseline", "party_elder_share"), True,
         "an input (party_elder_fraction; model elders are 60+)"),
    Line("Adults with no tie to another household of their building", "27.5% almost never talk "
         "with neighbours (Shanghai Urban Neighbourhood Survey 2017)",
         col("baseline", "no_neighbour_tie"), True,
         "base network at start: building ties, plus the few small-world ties (ring in random "
         "order) that happen to fall in the building"),
)


def mean_ci(values: np.ndarray, percent: bool = False) -> tuple[float, float, float]:
    """Mean and interval over replicates by the package's rule (``sim.intervals``): a share
    stays in [0, 1]; every other quantity here (ratios, counts) is ≥ 0."""
    iv = intervals.mean_interval(values, (0.0, 1.0) if percent else (0.0, np.inf))
    return iv.mean, iv.low + 0.0, iv.high + 0.0  # + 0.0 turns -0.0 into 0.0


def fmt(m: float, lo: float, hi: float, percent: bool) -> str:
    if percent:
        return f"{100 * m:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}]"
    return f"{m:.2f} [{lo:.2f}, {hi:.2f}]"


def table(results: dict[str, list[dict[str, float]]]) -> str:
    rows = [f"| quantity | anchor | model mean [{intervals.RULE_SHORT}] | note |",
            "|---|---|---|---|"]
    for line in LINES:
        cell = fmt(*mean_ci(line.value(results), line.percent), line.percent)
        rows.append(f"| {line.quantity} | {line.anchor} | {cell} | {line.note} |")
    return "\n".join(rows)


SCHEMES = {"none": "reform", "recognition": "reform_recognition", "points": "reform_points"}


def trajectories(results: dict[str, list[dict[str, float]]]) -> str:
    """Yearly public spirit (÷ start) and participation under each incentive scheme."""
    years = sorted(int(k[len("spirit_y"):]) for k in results["reform"][0] if
                   k.startswith("spirit_y"))
    head = " | ".join(f"year {y}" for y in years)
    rows = [f"| chengdu_reform, scheme | quantity | {head} |",
            "|---|---|" + "---|" * len(years)]
    for scheme, label in SCHEMES.items():
        for key, name, percent in (("spirit_y", "mean public spirit ÷ start", False),
                                   ("participation_y", "monthly participation, any", True)):
            cells = []
            for y in years:
                m, lo, hi = mean_ci(col(label, f"{key}{y}")(results), percent)
                scale, digits = (100, 1) if percent else (1, 3)
                cells.append(f"{scale * m:.{digits}f} ± {scale * (hi - m):.{digits}f}")
            rows.append(f"| {scheme} | {name}{' (%)' if percent else ''} | {' | '.join(cells)} |")
    return "\n".join(rows)


def run_all(replicates: int, workers: int) -> dict[str, list[dict[str, float]]]:
    jobs = [(label, r) for label in RUNS for r in range(replicates)]
    done = [out for _, out in in_processes(measure, jobs, workers)]
    results: dict[str, list[dict[str, float]]] = {label: [] for label in RUNS}
    for label, _, out in sorted(done, key=lambda x: (x[0], x[1])):
        results[label].append(out)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=10, help="replicates per scenario")
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument("--write-odd", action="store_true",
                        help="also replace the calibration block of docs/ODD.md §9.2")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run_all(args.replicates, args.workers)
    seconds = time.perf_counter() - started
    report = (f"{table(results)}\n\n{trajectories(results)}\n\n{args.replicates} replicates of "
              f"{', '.join(RUNS)}; {date.today().isoformat()}; {seconds:.0f} s on "
              f"{args.workers} worker(s).")
    print(report)
    if args.write_odd:
        write_odd(report, args.replicates, seconds)
    return 0


def write_odd(report: str, replicates: int, seconds: float) -> None:
    """Replace the text between the calibration markers of docs/ODD.md with ``report``."""
    odd = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"
    text = odd.read_text(encoding="utf-8")
    start, end = "<!-- calibration:start -->", "<!-- calibration:end -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=odd.parent).stdout.strip() or "unknown"
    block = (f"{start}\nProduced on {date.today().isoformat()} at commit `{commit}` by\n\n"
             f"```text\npython benchmarks/calibration.py --replicates {replicates}\n```\n\n"
             f"in {seconds:.0f} s on 2 cores. The second table gives yearly means ± the 95% "
             f"half-width.\n\n{report}\n{end}")
    odd.write_text(head + block + tail, encoding="utf-8")


if __name__ == "__main__":  # spawned workers import this module: run nothing on import
    raise SystemExit(main())
