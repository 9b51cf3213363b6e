"""The ``cogov`` command line (INTERFACE.md "Commands"): parse, call the library, print.

This is the one place that talks to the terminal. Exit codes: 0 success; 2 bad input (every
problem on stderr as ``file:line key.path: message``, no traceback, no output directory left
behind); 1 a run failed (no traceback unless the environment sets ``COGOV_DEBUG=1``).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.runner import (
    OutputExistsError,
    RunError,
    check_out_dir,
    run,
    safe_name,
    summary_table,
    write_comparison,
    write_outputs,
)
from sim.scenario import Scenario, ScenarioError, _bounds, parse_assignments, read_yaml

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``cogov`` command; return its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args, ["cogov", *argv])
    except (ScenarioError, OutputExistsError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("cogov: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a failed run or an unexpected error: say what, not where
        _report_failure(exc)
        return EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``cogov`` command."""
    parser = argparse.ArgumentParser(
        prog="cogov", description="Community co-governance simulation (共建共治共享)."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("run", help="run replicates of a scenario and write outputs")
    p.add_argument("scenario", metavar="SCENARIO.yaml")
    _add_run_options(p)
    p.set_defaults(handler=cmd_run)

    p = commands.add_parser("compare", help="run several scenarios and compare them")
    p.add_argument("scenarios", metavar="SCENARIO.yaml", nargs="+")
    _add_run_options(p)
    p.set_defaults(handler=cmd_compare)

    p = commands.add_parser("validate", help="check scenario or experiment files; run nothing")
    p.add_argument("files", metavar="FILE.yaml", nargs="+")
    p.set_defaults(handler=cmd_validate)
    return parser


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=_schema_int("seed"), help="master seed (default: the file's)")
    p.add_argument("--replicates", type=_int_in(1), default=1, help="replicates (default 1)")
    p.add_argument(
        "--months", type=_schema_int("months"), help="horizon in months (default: the file's)"
    )
    p.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
        help="override a scenario value, e.g. policy.devolution=0.8 (repeatable)",
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="output directory")
    p.add_argument("--workers", type=_int_in(1), default=1, help="worker processes (default 1)")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty output directory")


# ---------------------------------------------------------------------------------- commands
def cmd_run(args: argparse.Namespace, command: list[str]) -> int:
    """``cogov run``: replicates of one scenario → timeseries, summary, manifest, plots."""
    scenario = load_scenario(args.scenario, args)
    out = args.out or default_out(scenario.name)
    check_out_dir(out, args.overwrite)
    result = run(scenario, replicates=args.replicates, workers=args.workers, progress=_tty())
    write_outputs(out, result, command, overwrite=args.overwrite)
    print(_run_line(result.scenario, result.replicates))
    print(format_table(summary_table(result.summary)))
    print(f"wrote {out}")
    return EXIT_OK


def cmd_compare(args: argparse.Namespace, command: list[str]) -> int:
    """``cogov compare``: run each scenario, print them side by side, write compare files."""
    scenarios, problems, seen = [], [], {}
    for path in args.scenarios:
        try:
            scenario = load_scenario(path, args)
        except ScenarioError as exc:  # a bad --set fails every file alike: say it once
            problems += [p for p in exc.problems if p not in problems]
            continue
        if scenario.name in seen:
            problems.append(
                f"{path}: name '{scenario.name}' is also the name of {seen[scenario.name]}; "
                "compared scenarios need distinct names (they label the columns)"
            )
        seen.setdefault(scenario.name, path)
        scenarios.append(scenario)
    if problems:
        raise ScenarioError(problems)
    out = args.out or default_out("compare")
    check_out_dir(out, args.overwrite)
    results = [
        run(s, replicates=args.replicates, workers=args.workers, progress=_tty())
        for s in scenarios
    ]
    write_comparison(out, results, command, overwrite=args.overwrite)
    for result in results:
        print(_run_line(result.scenario, result.replicates))
    summary = pd.concat([r.summary for r in results], ignore_index=True)
    print(format_table(summary_table(summary)))
    print(f"wrote {out}")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, command: list[str]) -> int:
    """``cogov validate``: ``OK file`` or every problem of every file; 2 if any is bad."""
    bad = False
    for path in args.files:
        problems = problems_in(Path(path))
        for problem in problems:
            print(problem, file=sys.stderr)
        if not problems:
            print(f"OK {path}")
        bad = bad or bool(problems)
    return EXIT_BAD_INPUT if bad else EXIT_OK


# -------------------------------------------------------------------------------- file kinds
def problems_in(path: Path) -> list[str]:
    """Every problem of a scenario or experiment file (empty when it is valid)."""
    try:
        data = read_yaml(path)
    except ScenarioError as exc:
        return exc.problems
    check = experiment_problems if is_experiment(data) else scenario_problems
    return check(path)


def is_experiment(data: Any) -> bool:
    """An experiment file has top-level ``method:`` and ``parameters:`` keys (INTERFACE.md)."""
    return isinstance(data, dict) and "method" in data and "parameters" in data


def scenario_problems(path: Path) -> list[str]:
    """Problems of a scenario file, following ``extends:``."""
    try:
        Scenario.load(path)
    except ScenarioError as exc:
        return exc.problems
    return []


def experiment_problems(path: Path) -> list[str]:
    """Problems of an experiment file. Until ``sim/sweep.py`` exists it cannot be checked."""
    return [f"{path}: experiment files need `cogov sweep` support, which this version lacks"]


# ---------------------------------------------------------------------------------- helpers
def load_scenario(path: str | Path, args: argparse.Namespace) -> Scenario:
    """Load ``path`` and apply ``--set``, ``--seed`` and ``--months``; ScenarioError if bad."""
    try:
        scenario = Scenario.load(path)
    except ScenarioError:
        if is_experiment(_quiet_read(path)):
            raise ScenarioError(
                f"{path}: is an experiment file (method:, parameters:); run it with `cogov sweep`"
            ) from None
        raise
    overrides = parse_assignments(args.overrides)
    if overrides:
        scenario = scenario.with_overrides(overrides)
    options = {key: getattr(args, key) for key in ("seed", "months")}  # in range: argparse checked
    options = {key: value for key, value in options.items() if value is not None}
    return scenario.with_overrides(options) if options else scenario


def default_out(label: str) -> Path:
    """``results/<label>-<YYYYmmdd-HHMMSS>`` (local time)."""
    return Path("results") / f"{safe_name(label)}-{datetime.now():%Y%m%d-%H%M%S}"


def format_table(table: pd.DataFrame) -> str:
    """Scenarios as columns, metrics as rows, cells ``mean [95% CI]`` (CI blank for n = 1)."""
    scenarios = list(pd.unique(table["scenario"]))
    cells = {(r.scenario, r.metric): _cell(r.mean, r.ci_low, r.ci_high) for r in table.itertuples()}
    rows = [["metric (mean [95% CI])", *map(str, scenarios)]]
    rows += [[m, *(cells[s, m] for s in scenarios)] for m in pd.unique(table["metric"])]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(text.ljust(w) for text, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _cell(mean: float, low: float, high: float) -> str:
    if math.isnan(mean):
        return "n/a"
    if math.isnan(low) or math.isnan(high):
        return f"{mean:.4g}"
    return f"{mean:.4g} [{low:.4g}, {high:.4g}]"


def _run_line(scenario: Scenario, replicates: int) -> str:
    return (
        f"{scenario.name}: {replicates} replicate{'s' if replicates != 1 else ''}, "
        f"seed {scenario.seed}, {scenario.months} months"
    )


def _int_in(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, got {value}")
        return value

    return parse


def _schema_int(field: str) -> Callable[[str], int]:
    """A parser for a whole-number option with the scenario schema's bounds for ``field``."""
    low, high = _bounds(Scenario, (field,))
    return _int_in(int(low if low is not None else 0), None if high is None else int(high))


def _quiet_read(path: str | Path) -> Any:
    try:
        return read_yaml(Path(path))
    except ScenarioError:
        return None


def _tty() -> bool:
    return sys.stderr.isatty()


def _report_failure(exc: Exception) -> None:
    if os.environ.get("COGOV_DEBUG") == "1":
        traceback.print_exception(exc)
    kind = "run failed" if isinstance(exc, RunError) else f"error: {type(exc).__name__}"
    print(f"cogov: {kind}: {exc}", file=sys.stderr)
    if os.environ.get("COGOV_DEBUG") != "1":
        print("cogov: set COGOV_DEBUG=1 to see the traceback", file=sys.stderr)
