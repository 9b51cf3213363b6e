"""Write a finished ``cogov calibrate`` of ``calibration/anchors.yaml`` into docs/ODD.md §9.8.

    python benchmarks/calibration_odd.py results/anchors [--check]

Reads the calibration's own outputs (``manifest.json``, ``generations.csv``, ``predictive.csv``,
``patterns.csv``, ``posterior.parquet``) and rewrites the block between ``<!-- abc:start -->``
and ``<!-- abc:end -->``: how it was produced (the recorded command, commit, wall time,
simulations, stop reason), the posterior of each coefficient beside the schema's default at this
commit (whether the default lies inside the 90% credible interval), the generations (epsilon,
acceptance rate, effective sample size) and the posterior-predictive table (observed ± sd, the
model's median and 90% interval, hit or miss), and the share of posterior draws at which the
patterns hold. Nothing here is typed by hand: the block changes only with a new calibration.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from sim import calibrate as engine
from sim import labels, odd_table
from sim.scenario import Scenario

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"
START, END = "<!-- abc:start -->", "<!-- abc:end -->"


def _default(key: str) -> float:
    value: object = Scenario()
    for part in key.split("."):
        value = getattr(value, part)
    return float(value)  # type: ignore[arg-type]


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def render(out_dir: Path) -> str:
    """The Markdown block for the calibration in ``out_dir``."""
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    generations = pd.read_csv(out_dir / "generations.csv")
    predictive = pd.read_csv(out_dir / "predictive.csv")
    posterior = pd.read_parquet(out_dir / "posterior.parquet")
    last = posterior[posterior["generation"] == posterior["generation"].max()]
    intervals = engine.credible_intervals(last.drop(columns=["generation"]).assign(
        generation=0)).set_index("key")
    priors = {p["key"]: p for p in manifest["settings"]["priors"]}
    git = manifest.get("git") or {}
    commit = (git.get("commit") or "unknown")[:7] + (" with uncommitted changes"
                                                      if git.get("dirty") else "")
    command = " ".join(manifest.get("command") or []) or "(not recorded)"
    reason = manifest.get("stop_reason", "")
    lines = [
        f"Produced at commit `{commit}` on {manifest.get('finished', '')[:10]} by", "",
        "```text", command, "```", "",
        f"{len(generations)} generations, {manifest['simulations']} simulations (the "
        f"calibration sample from the prior included), "
        f"{generations['wall_time_s'].sum() / 60:.1f} minutes of wall time in its generations "
        f"on this machine's 2 cores (shared with other work: see §9.8's text for CPU time); "
        f"stopped: {engine.STOP_REASONS.get(reason, reason)}.",
        *[f"Resumed by `{' '.join(r['command'])}` at commit "
          f"`{((r.get('git') or {}).get('commit') or 'unknown')[:7]}` "
          f"({r.get('generations_run_now', 0)} generations run then; the outputs after the "
          f"last generation, predictive table and pattern check, are from this run)."
          for r in manifest.get("resumed", [])],
        "", f"Coefficients ({engine.CREDIBLE_RULE}):", "",
        "| coefficient | prior | posterior median [90% CI] | default at this commit | "
        "default inside the CI |", "|---|---|---|---|---|"]
    for key, prior in priors.items():
        row, default = intervals.loc[key], _default(key)
        inside = row["low"] <= default <= row["high"]
        lines.append(
            f"| `{key}` ({labels.label(key, 'en')}) | {prior['shape']} [{_number(prior['low'])}, "
            f"{_number(prior['high'])}] | {_number(row['median'])} [{_number(row['low'])}, "
            f"{_number(row['high'])}] | {_number(default)} | {'yes' if inside else '**no**'} |")
    lines += ["", "| generation | epsilon | acceptance rate | simulations | effective sample "
              "size |", "|---|---|---|---|---|"]
    for g in generations.itertuples():
        lines.append(f"| {g.generation} | {g.epsilon:.3g} | {g.acceptance_rate:.3f} | "
                     f"{g.simulations} | {g.ess:.0f} |")
    lines += ["", f"Posterior predictive ({engine.PREDICTIVE_RULE}):", "",
              "| target | statistic | observed ± sd | model median [90% interval] | |",
              "|---|---|---|---|---|"]
    for t in predictive.itertuples():
        verdict = {True: "hit", False: "**miss**"}.get(t.hit, "n/a")
        lines.append(f"| {t.target} | `{t.statistic}` | {t.observed:.3g} ± {t.sd:.2g} | "
                     f"{t.median:.3g} [{t.low:.3g}, {t.high:.3g}] | {verdict} |")
    patterns_file = out_dir / "patterns.csv"
    if patterns_file.exists():
        patterns = pd.read_csv(patterns_file)
        ids = [c for c in patterns.columns if c.startswith("holds:")]
        held = ", ".join(f"`{p.removeprefix('holds:')}` {patterns[p].mean():.0%}" for p in ids)
        lines += ["", f"Patterns at {len(patterns)} posterior draws: {held}; all at once "
                  f"{patterns['all_hold'].mean():.0%}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--check", action="store_true", help="print the block, write nothing")
    args = parser.parse_args()
    block = render(args.out_dir)
    if args.check:
        print(block)
        return
    text = ODD.read_text(encoding="utf-8")
    ODD.write_text(odd_table.replace_block(text, block, START, END), encoding="utf-8")
    print(f"{ODD}: §9.8 rewritten from {args.out_dir}")


if __name__ == "__main__":
    main()
