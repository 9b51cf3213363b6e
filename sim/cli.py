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
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim import errors

# Heavy modules (the model, pandas, scipy, SALib, Dask) are imported inside the commands that
# need them, so that `cogov --help` and `cogov validate` answer at once.
if TYPE_CHECKING:
    import pandas as pd

    from sim.scenario import Scenario

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``cogov`` command; return its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args, ["cogov", *argv])
    except errors.BadInput as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (errors.OutputWriteError, errors.ResultsTypeError) as exc:  # after the runs: say
        # what, and where
        print(f"cogov: {exc}", file=sys.stderr)
        return EXIT_FAILED
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
    _add_report_option(p)
    p.set_defaults(handler=cmd_run)

    p = commands.add_parser("compare", help="run several scenarios and compare them")
    p.add_argument("scenarios", metavar="SCENARIO.yaml", nargs="+")
    _add_run_options(p)
    _add_report_option(p)
    p.set_defaults(handler=cmd_compare)

    p = commands.add_parser("validate", help="check scenario or experiment files; run nothing")
    p.add_argument("files", metavar="FILE.yaml", nargs="+")
    p.set_defaults(handler=cmd_validate)

    p = commands.add_parser(
        "sweep", help="run an experiment's design (grid, random, sobol, morris, fast)"
    )
    p.add_argument("experiment", metavar="EXPERIMENT.yaml")
    p.add_argument("--workers", type=_int_in(1), help="worker processes (default: all cores)")
    _add_executor_options(p)
    p.add_argument("--resume", action="store_true",
                   help="finish an interrupted sweep in --out without redoing finished runs")
    p.add_argument("--out", type=Path, metavar="DIR", help="results directory")
    _add_lang_option(p, "of the analysis and report written at the end")
    _add_report_option(p, "then analyse the sweep (as `cogov analyze DIR`) and ")
    p.set_defaults(handler=cmd_sweep)

    p = commands.add_parser("analyze", help="sensitivity analysis of a finished sweep")
    p.add_argument("directory", metavar="DIR", type=Path)
    p.add_argument("--method", choices=("sobol", "morris", "fast", "grid"),
                   help="default: the sweep's design")
    p.add_argument("--metric", dest="metrics", action="append", metavar="NAME",
                   help="summary metric to analyse (repeatable; default: the experiment's)")
    _add_lang_option(p, "of the figures and the printed tables' labels")
    p.set_defaults(handler=cmd_analyze)

    p = commands.add_parser(
        "patterns", help="check the ODD §9 patterns over a Latin-hypercube design of contexts")
    p.add_argument("--contexts", type=_int_in(1), default=32, metavar="N",
                   help="contexts in the design (default 32; issue 9 asks for at least 32)")
    p.add_argument("--replicates", type=_int_in(2), default=8, metavar="R",
                   help="paired replicates per arm and context (default 8, at least 2)")
    p.add_argument("--months", type=_schema_int("months"), metavar="M",
                   help="horizon (default: each pattern's scenario file; the steady-state "
                        "pattern always runs 240)")
    p.add_argument("--workers", type=_int_in(1), default=1, help="worker processes (default 1)")
    p.add_argument("--seed", type=_schema_int("seed"), default=1,
                   help="master seed of the runs and of the design (default 1)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY.PATH=VALUE",
                   help="fix a scenario value in every run, e.g. "
                        "structure.residents_per_community=500 (repeatable; a pattern's own "
                        "levers still come from its arms)")
    p.add_argument("--pattern", dest="pattern_ids", action="append", metavar="ID",
                   help="evaluate only this pattern (repeatable; default: all but steady_state)")
    p.add_argument("--steady", action="store_true",
                   help="also evaluate the steady-state pattern (240-month runs: slow)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 if any pattern holds in fewer than 90%% of contexts")
    p.add_argument("--out", type=Path, metavar="DIR", help="output directory")
    p.set_defaults(handler=cmd_patterns)

    p = commands.add_parser(
        "discover", help="scenario discovery on a finished sweep: PRIM or CART boxes of levers "
                         "where a condition holds, confirmed on fresh runs")
    p.add_argument("directory", metavar="DIR", type=Path)
    p.add_argument("--metric", required=True, metavar="NAME", help="summary metric")
    condition = p.add_mutually_exclusive_group(required=True)
    condition.add_argument("--above", type=float, metavar="X", help="condition: metric > X")
    condition.add_argument("--below", type=float, metavar="X", help="condition: metric < X")
    condition.add_argument("--top", type=_fraction, metavar="Q",
                           help="condition: among the share Q of design points with the "
                                "highest mean")
    p.add_argument("--method", choices=("prim", "cart"), default="prim",
                   help="PRIM (default) or CART")
    p.add_argument("--label", choices=("probability", "mean"), default="probability",
                   help="label a point by the share of its replicates meeting the condition "
                        "(default) or by whether their mean does")
    p.add_argument("--min-coverage", type=_fraction, default=0.5, metavar="C",
                   help="the chosen box is the densest with at least this coverage "
                        "(default 0.5)")
    p.add_argument("--step", type=_int_in(0), metavar="K",
                   help="choose step K of the first box's peeling trajectory instead")
    p.add_argument("--boxes", type=_int_in(1), default=1, metavar="B",
                   help="boxes found in sequence (covering; default 1)")
    p.add_argument("--alpha", type=float, default=0.05, help="PRIM peeling share (0.05)")
    p.add_argument("--max-qp", type=_fraction, metavar="P",
                   help="PRIM: lift a box's limits whose quasi-p value is above P, the largest "
                        "first (default 0.05; 1 keeps every limit)")
    p.add_argument("--min-mass", type=_fraction, default=0.05, metavar="M",
                   help="smallest box, as a share of the points (0.05)")
    p.add_argument("--where", action="append", default=[], metavar="KEY>=X",
                   help="only the design points with KEY>=X or KEY<=X (repeatable; quote it), "
                        "e.g. 'policy.devolution>=0.6': boxes are found and confirmed in that "
                        "region")
    p.add_argument("--confirm", type=_int_in(0), default=0, metavar="N",
                   help="run N fresh points inside each box and N outside, and report the "
                        "confirmed density and coverage (default 0: none)")
    p.add_argument("--confirm-seeds", choices=("fresh", "same"), default="fresh",
                   help="confirmation runs on a new master seed (fresh residents too; default) "
                        "or on the sweep's own (the same synthetic districts)")
    p.add_argument("--workers", type=_int_in(1), default=1, help="worker processes (default 1)")
    _add_executor_options(p)
    _add_lang_option(p, "of the figure")
    p.set_defaults(handler=cmd_discover)

    p = commands.add_parser(
        "calibrate", help="ABC-SMC calibration of coefficients against a targets file")
    p.add_argument("targets", metavar="TARGETS.yaml")
    p.add_argument("--workers", type=_int_in(1), default=1, help="worker processes (default 1)")
    _add_executor_options(p)
    p.add_argument("--resume", action="store_true",
                   help="continue the calibration in --out from its last finished generation "
                        "(its seed and population unless given; the same targets file)")
    p.add_argument("--out", type=Path, metavar="DIR", help="output directory")
    p.add_argument("--seed", type=_schema_int("seed"),
                   help="master seed (default: the targets file's; with --resume, the "
                        "calibration's)")
    p.add_argument("--population", type=_int_in(1), metavar="N",
                   help="particles per generation (default 200; with --resume, the "
                        "calibration's)")
    p.add_argument("--budget", type=_int_in(1), metavar="N",
                   help="simulations at most, the calibration sample included (default 20000)")
    p.add_argument("--min-acceptance", type=_fraction, metavar="A",
                   help="stop when a generation accepts fewer than this share of its "
                        "simulations (default 0.02)")
    p.add_argument("--max-generations", type=_int_in(1), metavar="G",
                   help="generations at most, counted from the first (default 8)")
    p.add_argument("--predictive-draws", type=_int_in(2), metavar="N",
                   help="posterior draws simulated for the posterior-predictive table "
                        "(default 100)")
    p.add_argument("--pattern-draws", type=_int_in(0), default=4, metavar="N",
                   help="posterior draws at which the targets file's patterns are checked "
                        "(default 4; 0 skips this slow step)")
    p.add_argument("--pattern-replicates", type=_int_in(2), default=2, metavar="R",
                   help="paired replicates per pattern check (default 2)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_calibrate)

    p = commands.add_parser("demo", help="the teaching app in the browser (Mesa SolaraViz)")
    p.add_argument("scenario", metavar="SCENARIO.yaml", nargs="?",
                   help="loaded first (default scenarios/teaching.yaml)")
    p.add_argument("--port", type=_int_in(0, 65535), default=8765, help="port (default 8765)")
    p.add_argument("--no-browser", dest="open_browser", action="store_false",
                   help="do not open a browser window")
    p.set_defaults(handler=cmd_demo)

    p = commands.add_parser(
        "report", help="one self-contained HTML file of a run, compare, sweep (analysed) or "
                       "calibrate directory: tables, figures, scenario, manifest, command")
    p.add_argument("directory", metavar="DIR", type=Path)
    p.add_argument("--lang", choices=("zh", "en", "both"), default="both",
                   help="language of headings, labels and figures (default both: 中文 English)")
    p.add_argument("--out", type=Path, metavar="FILE", help="default DIR/report.html")
    p.set_defaults(handler=cmd_report)
    return parser


LANGS = ("zh", "en", "both")
"""``--lang`` values: ``sim.labels.LANGS`` (written out so that building the parser loads no
labels)."""


def _add_lang_option(p: argparse.ArgumentParser, what: str) -> None:
    """``--lang zh|en|both``, default ``both`` (中文 English): figures are drawn at page width
    with room for both; a printed table keeps each metric's key beside its label (Chinese only
    under ``both``, where the key is the English name, so that it fits a terminal)."""
    p.add_argument("--lang", choices=LANGS, default="both",
                   help=f"language {what}: zh, en or both (default: 中文 English); English "
                        "with a notice where no CJK font can be loaded")


def _figure_lang(args: argparse.Namespace) -> str:
    """The language the figures can be drawn in (``sim.fonts.matplotlib_lang``); its one-line
    notice on stderr when that is not ``--lang``."""
    from sim.fonts import matplotlib_lang

    lang, notice = matplotlib_lang(args.lang)
    if notice:
        print(notice, file=sys.stderr)
    return lang
def _add_report_option(p: argparse.ArgumentParser, first: str = "") -> None:
    """``--report``: the command ends by writing ``DIR/report.html`` (``cogov report``)."""
    p.add_argument("--report", action="store_true",
                   help=f"{first}write the self-contained HTML report DIR/report.html "
                        "(as `cogov report DIR`)")


def _add_executor_options(p: argparse.ArgumentParser) -> None:
    """``--executor`` and ``--scheduler``, as ``sweep`` and ``calibrate`` take them."""
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local processes (default) or a Dask cluster")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="Dask scheduler, e.g. tcp://host:8786, with --executor dask; checked "
                        "before anything runs (default: a local Dask cluster)")


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=_schema_int("seed"), help="master seed (default: the file's)")
    p.add_argument("--replicates", type=_int_in(1),
                   help="replicates (default 1); with --posterior, replicates per posterior "
                        "draw (default 2)")
    p.add_argument("--first-replicate", type=_int_in(0), default=0, metavar="K",
                   help="index of the first replicate (default 0): --first-replicate K "
                        "--replicates 1 reruns replicate K alone, e.g. one row of a sweep")
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
    p.add_argument("--cost-effectiveness", action="store_true",
                   help="also run each replicate with no fund and report satisfaction, needs "
                        "met, trust and participation gained per 10,000 yuan a year "
                        "(cost_effectiveness.csv; doubles the run time)")
    p.add_argument("--posterior", type=Path, metavar="DIR",
                   help="draw the coefficients from the ABC-SMC posterior in DIR (the --out of "
                        "`cogov calibrate`): --draws K draws × --replicates R replicates each; "
                        "intervals split into coefficient and noise parts")
    p.add_argument("--draws", type=_int_in(1), metavar="K",
                   help="posterior draws with --posterior (default 10, at least 2)")
    _add_lang_option(p, "of the plots and the printed table's labels")


# ---------------------------------------------------------------------------------- commands
def cmd_run(args: argparse.Namespace, command: list[str]) -> int:
    """``cogov run``: replicates of one scenario → timeseries, summary, manifest, plots."""
    from sim.runner import check_out_dir, check_writable, run, summary_table, write_outputs

    chosen = _posterior_options(args)
    scenario = load_scenario(args.scenario, args)
    out = args.out or default_out(scenario.name)
    if chosen is not None:
        return _run_posterior([scenario], chosen, args, command, out)
    check_out_dir(out, args.overwrite)
    check_writable(out)
    lang = _figure_lang(args)
    result = run(scenario, replicates=args.replicates, workers=args.workers, progress=_tty(),
                 first_replicate=args.first_replicate)
    tables = _cost_effectiveness([result], args)
    write_outputs(out, result, command, overwrite=args.overwrite, tables=tables, lang=lang)
    print(_run_line(result.scenario, result.replicates))
    print(format_table(summary_table(result.summary), args.lang))
    _print_cost_effectiveness(tables)
    print(f"wrote {out}")
    _report_at_end(args, out)
    return EXIT_OK


def cmd_compare(args: argparse.Namespace, command: list[str]) -> int:
    """``cogov compare``: run each scenario, print them side by side with their differences
    from the first, write compare files.

    Scenarios of different horizons (``months``) are refused (exit 2, before anything runs)
    unless ``--months`` sets one for all: every summary (``<metric>_final``, ``_last12``, the
    totals) is taken at a run's own end, so a 60- and a 72-month run side by side would
    compare different months under one name; cutting the longer one short to align them would
    silently give it other numbers than ``cogov run`` does. ``--months M`` makes that choice
    explicit and reproducible (a scheduled change after month M is then refused too)."""
    import pandas as pd

    from sim.runner import (
        DIFFERENCE_RULE,
        DIFFERENCE_RULE_ZH,
        check_out_dir,
        check_writable,
        compare_table,
        run,
        write_comparison,
    )

    chosen = _posterior_options(args)
    scenarios, problems, seen = [], [], {}
    for path in args.scenarios:
        try:
            scenario = load_scenario(path, args)
        except errors.ScenarioError as exc:  # a bad --set fails every file alike: say it once
            problems += [p for p in exc.problems if p not in problems]
            continue
        if scenario.name in seen:
            problems.append(
                f"{path}: name '{scenario.name}' is also the name of {seen[scenario.name]}; "
                "compared scenarios need distinct names (they label the columns)"
            )
        seen.setdefault(scenario.name, path)
        scenarios.append(scenario)
    horizons = {s.months for s in scenarios}
    if len(horizons) > 1 and args.months is None:
        listed = ", ".join(f"{path}: {s.months} months"
                           for path, s in zip(args.scenarios, scenarios, strict=True))
        problems.append(
            f"compare: the scenarios have different horizons ({listed}); their summaries "
            f"(_final, _last12) would be taken at different months. Compare them over one "
            f"horizon with --months M, e.g. --months {min(horizons)}")
    if problems:
        raise errors.ScenarioError(problems)
    out = args.out or default_out("compare")
    if chosen is not None:
        return _run_posterior(scenarios, chosen, args, command, out)
    check_out_dir(out, args.overwrite)
    check_writable(out)
    lang = _figure_lang(args)
    results = [
        run(s, replicates=args.replicates, workers=args.workers, progress=_tty(),
            first_replicate=args.first_replicate)
        for s in scenarios
    ]
    tables = _cost_effectiveness(results, args)
    write_comparison(out, results, command, overwrite=args.overwrite, tables=tables, lang=lang)
    for result in results:
        print(_run_line(result.scenario, result.replicates))
    summary = pd.concat([r.summary for r in results], ignore_index=True)
    table = compare_table(summary)
    print(format_table(table, args.lang))
    if len(scenarios) > 1:
        first = scenarios[0].name
        print("\n" + in_lang(
            args.lang, f"与 {first} 之差（情景 − {first}；全部汇总指标见 compare_table.csv）：",
            f"Difference from {first} (scenario − {first}; every summary metric in "
            "compare_table.csv):", sep="\n"))
        print(format_table(_differences(table), args.lang, interval_note=False,
                           value="difference"))
        print(in_lang(args.lang, f"{DIFFERENCE_RULE_ZH}。", f"{DIFFERENCE_RULE}.", sep="\n"))
    _print_cost_effectiveness(tables)
    print(f"wrote {out}")
    _report_at_end(args, out)
    return EXIT_OK


def _report_at_end(args: argparse.Namespace, out: Path) -> None:
    """With ``--report``: ``out/report.html``, in the command's ``--lang`` (both without)."""
    if args.report:
        from sim import report

        print(f"wrote {report.write(out, lang=getattr(args, 'lang', None) or 'both')}")


def cmd_report(args: argparse.Namespace, command: list[str]) -> int:
    """``cogov report``: the self-contained HTML report of an output directory."""
    from sim import report

    print(f"wrote {report.write(args.directory, args.out, args.lang)}")
    return EXIT_OK


def _posterior_options(args: argparse.Namespace) -> Any:
    """With ``--posterior``: the checked posterior (``sim.posterior.load``) and the design
    (``--draws`` K, ``--replicates`` R per draw), all refused before anything runs; None
    without it (``--replicates`` then defaults to 1)."""
    if args.posterior is None:
        if args.draws is not None:
            raise errors.ScenarioError("--draws: needs --posterior DIR (the posterior to draw "
                                       "coefficients from)")
        args.replicates = 1 if args.replicates is None else args.replicates
        return None
    from sim import posterior

    problems = []
    draws = posterior.DEFAULT_DRAWS if args.draws is None else args.draws
    args.replicates = (posterior.DEFAULT_REPLICATES if args.replicates is None
                       else args.replicates)
    try:
        posterior.check_design(draws, args.replicates)
    except errors.ScenarioError as exc:
        problems += exc.problems
    if args.first_replicate:
        problems.append("--first-replicate: not with --posterior (replicate k·R + j is "
                        "replicate j of draw k)")
    if args.cost_effectiveness:
        problems.append("--cost-effectiveness: not yet with --posterior (its no-fund "
                        "counterpart does not draw coefficients)")
    try:
        loaded = posterior.load(args.posterior)
    except errors.ScenarioError as exc:
        problems += exc.problems
        loaded = None
    if loaded is not None:
        from sim.scenario import parse_assignments

        both = sorted(set(parse_assignments(args.overrides)) & set(loaded.keys))
        problems += [f"--set {key}: is drawn from the posterior in {args.posterior}; drop one"
                     for key in both]
    if problems:
        raise errors.ScenarioError(problems)
    return loaded, draws, args.replicates


def _run_posterior(scenarios: list[Scenario], chosen: Any, args: argparse.Namespace,
                   command: list[str], out: Path) -> int:
    """``cogov run``/``compare --posterior``: every scenario on the same K posterior draws and
    replicate seeds (the first scenario's seed unless ``--seed``), the split intervals printed
    and written (``posterior_intervals.csv``), the draws (``posterior_draws.csv``) and, for
    several scenarios, the probability that the first beats each other
    (``posterior_compare.csv``)."""
    import pandas as pd

    from sim import posterior
    from sim.runner import check_out_dir, check_writable, write_comparison, write_outputs

    loaded, draws, replicates = chosen
    seed = scenarios[0].seed
    scenarios = [s if s.seed == seed else s.with_overrides({"seed": seed}, origin="--posterior")
                 for s in scenarios]
    picked = posterior.draw_particles(loaded, seed, draws)
    for scenario in scenarios:  # a value a scenario refuses: before anything runs
        posterior.draw_scenarios(scenario, loaded, picked)
    check_out_dir(out, args.overwrite)
    check_writable(out)
    lang = _figure_lang(args)
    results = [posterior.run(s, loaded, picked, replicates, args.workers, _tty())
               for s in scenarios]
    summary = pd.concat([r.summary for r in results], ignore_index=True)
    split = posterior.intervals_table(summary)
    tables = {posterior.DRAWS_TABLE: posterior.draws_table(picked, replicates),
              posterior.INTERVALS_TABLE: split}
    probability = posterior.probability_table(summary) if len(results) > 1 else None
    if probability is not None:
        tables[posterior.PROBABILITY_TABLE] = probability
    extra = posterior.manifest_fields(loaded, draws, replicates)
    if len(results) == 1:
        write_outputs(out, results[0], command, overwrite=args.overwrite, tables=tables,
                      extra=extra, lang=lang)
    else:
        write_comparison(out, results, command, overwrite=args.overwrite, tables=tables,
                         extra=extra, lang=lang)
    for result in results:
        print(f"{_run_line(result.scenario, result.replicates)} ({draws} posterior draws × "
              f"{replicates} replicates, posterior generation {loaded.generation} of "
              f"{args.posterior})")
    print(format_table(split, args.lang))
    if probability is not None:
        print(f"\n{posterior.PROBABILITY_RULE}:")
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            print(probability.round(4).to_string(index=False))
    print(f"wrote {out}")
    _report_at_end(args, out)
    return EXIT_OK


def _cost_effectiveness(results: list, args: argparse.Namespace) -> dict[str, pd.DataFrame]:
    """``--cost-effectiveness``: each result against its no-fund counterpart (same replicates),
    as the table ``cost_effectiveness``; nothing without the flag."""
    if not args.cost_effectiveness:
        return {}
    import pandas as pd

    from sim import cost_effectiveness

    return {"cost_effectiveness": pd.concat(
        [cost_effectiveness.evaluate(result, args.workers, _tty()) for result in results],
        ignore_index=True)}


def _print_cost_effectiveness(tables: dict[str, pd.DataFrame]) -> None:
    if "cost_effectiveness" in tables:
        from sim.metrics import district_rows

        # the district's rows: a table's community rows (cost_effectiveness.csv) share its
        # scenario and metric names, and the printed table holds one cell per pair
        effect = district_rows(tables["cost_effectiveness"])
        print("\nEffect per 10,000 yuan a year of fund spending (last 12 months), against the "
              "same replicates with no fund (cost_effectiveness.csv; n/a where the fund spent "
              "nothing extra):")
        print(format_table(effect.rename(columns={"per_10k_yuan": "mean"}).assign(nan=0, inf=0)))


def cmd_validate(args: argparse.Namespace, command: list[str]) -> int:
    """``cogov validate``: ``OK file`` or every problem of every file; 2 if any is bad."""
    bad = False
    for path in args.files:
        problems, warnings_ = _check_file(Path(path))
        for line in (*problems, *warnings_):
            print(line, file=sys.stderr)
        if not problems:
            print(f"OK {path}")
        bad = bad or bool(problems)
    return EXIT_BAD_INPUT if bad else EXIT_OK


def cmd_sweep(args: argparse.Namespace, command: list[str]) -> int:
    """``cogov sweep``: every run of the design into ``--out``; 1 if any run failed."""
    from sim.experiment import load_experiment
    from sim.sweep import parse_scheduler, sweep

    if args.scheduler is not None:  # a malformed address: refused before anything else
        parse_scheduler(args.scheduler)
    if args.executor == "dask":
        errors.require_extra("distributed", "dask", "cogov sweep --executor dask")
    experiment = load_experiment(args.experiment)
    for warning in experiment.warnings:
        print(warning, file=sys.stderr)
    if args.resume and args.out is None:
        raise errors.ScenarioError("--resume needs --out DIR: the directory of the sweep to finish")
    out = args.out or default_out(Path(args.experiment).stem)
    started = time.monotonic()
    with _progress("runs") as report:
        outcome = sweep(experiment, out, workers=args.workers, executor=args.executor,
                        scheduler=args.scheduler, resume=args.resume, command=command,
                        on_progress=report)
    results, failed = outcome.results, outcome.failed
    print(f"{experiment.spec.method} sweep: {len(results)} runs ({outcome.ran} run now, "
          f"{len(results) - outcome.ran} from the journal), {len(failed)} failed, "
          f"{time.monotonic() - started:.1f} s")
    print(f"wrote {out / 'results.parquet'}")
    if len(failed):
        for row in failed.head(20).itertuples():
            print(f"cogov: run failed: point {row.point} replicate {row.replicate}: {row.error}",
                  file=sys.stderr)
        if len(failed) > 20:
            print(f"cogov: ... and {len(failed) - 20} more (status 'error' in results.parquet)",
                  file=sys.stderr)
        if args.report:
            print(f"cogov: no report: runs failed; finish them with --resume, then `cogov "
                  f"analyze {out}` and `cogov report {out}`", file=sys.stderr)
        return EXIT_FAILED
    if args.report:
        from sim.analysis import analyze

        analysis = analyze(out, lang=_figure_lang(args))
        print(f"wrote {out / 'analysis'} ({len(analysis.analysed)} of {len(analysis.status)} "
              "metrics analysed; `cogov analyze` prints the tables)")
        _report_at_end(args, out)
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace, command: list[str]) -> int:
    """``cogov analyze``: SALib indices (or grid responses) with intervals and noise share.

    Tables and their notes go to stdout; a statement for every metric that got no table (or a
    partial one) and every warning SALib raised go to stderr. Exit 1 when no metric could be
    analysed, else 0."""
    import pandas as pd

    from sim.analysis import WIDE_RULE, analyze

    analysis = analyze(args.directory, args.method, args.metrics, lang=_figure_lang(args))
    with pd.option_context("display.width", 120, "display.max_columns", 30,
                           "display.unicode.east_asian_width", True):
        for name, table in analysis.tables.items():
            status = analysis.status[name]
            noise = _noise_text(table["noise_share"].iloc[0], args.lang)
            print(f"{name} ({analysis.label}, {noise}):")
            if _label_text(name, args.lang):
                print(f"  {_label_text(name, args.lang)}")
            print(_printable(table, args.lang).to_string(index=False))
            for note in _analysis_notes(status, table, analysis.method, args.lang):
                print(f"  {note}")
            print()
    if analysis.tables:
        print(in_lang(args.lang, _analysis_legend_zh(analysis.method),
                      _analysis_legend(analysis.method, WIDE_RULE), sep="\n"))
    for status in analysis.status.values():
        if status.detail:
            print(f"cogov: {status.metric}: {status.detail}", file=sys.stderr)
    for text, names in _grouped_warnings(analysis).items():
        print(f"cogov: SALib warning ({', '.join(names)}): {text}", file=sys.stderr)
    print(f"wrote {args.directory / 'analysis'} ({len(analysis.files)} files; per-metric "
          f"status in status_{analysis.method}.csv)")
    if not analysis.analysed:
        print("cogov: no metric could be analysed (see above); choose other metrics with "
              "--metric NAME", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _printable(table: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """The table as printed: rounded; a Sobol/FAST estimate outside [0, 1] (the raw value SALib
    gave, kept in the CSV) is marked ``(out of range)``, never shown as if it were a share;
    the ``*_out_of_range`` flags are then said by the marks. With ``lang``, each parameter's
    label follows its key."""
    printed = table.drop(columns="noise_share").round(4)
    if lang is not None and "parameter" in printed:
        printed.insert(1, "label", [_label_text(p, lang) for p in printed["parameter"]])
    for index in ("S1", "ST"):
        flag = f"{index}_out_of_range"
        if flag not in printed:
            continue
        if printed[flag].any():
            printed[index] = [f"{v:.4g} (out of range)" if out else f"{v:.4f}"
                              for v, out in zip(printed[index], printed[flag], strict=True)]
        printed = printed.drop(columns=flag)
    return printed


def _noise_text(noise: float, lang: str | None = None) -> str:
    """The noise share in a table's heading: in Chinese under zh, else in English (the
    heading names the metric by its key, as under both)."""
    if math.isnan(noise):
        return ("噪声占比 n/a：每个设计点只有一个重复" if lang == "zh" else
                "noise share n/a: one replicate per point")
    return f"噪声占比 {noise:.2f}" if lang == "zh" else f"noise share {noise:.2f}"


def _analysis_notes(status: Any, table: pd.DataFrame, method: str,
                    lang: str | None) -> list[str]:
    """What limits a metric's indices, as printed under its table: failed runs, one
    replicate per point, a noisy metric, intervals too wide, estimates outside [0, 1]; in
    Chinese (the report's sentences, ``sim.report``) under zh, then in English under both."""
    english = [f"note: {n}" for n in (
        [f"{status.failed} runs failed at {status.points_failed} design points; a point whose "
         f"runs all failed has no row (which: below, and status_{method}.csv)"]
        if status.failed else []) + status.notes]
    if lang not in ("zh", "both"):
        return english
    from sim.report import _notes_zh

    chinese = [f"注：{n}" for n in (
        [f"{status.failed} 次运行在 {status.points_failed} 个设计点失败；运行全部失败的设计点"
         f"没有行（见下文及 status_{method}.csv）"] if status.failed else [])
        + _notes_zh({"notes": " ".join(status.notes)}, table)]
    return chinese if lang == "zh" else chinese + english


def _analysis_legend_zh(method: str) -> str:
    """:func:`_analysis_legend` in Chinese."""
    from sim import intervals

    if method == "grid":
        return (f"low/high：{intervals.RULE_ZH}；只有一个重复时为空。n：有值的重复数；"
                "nan/inf：无定义与无穷大的重复数。")
    conf = "mu_star_conf" if method == "morris" else "S1_conf/ST_conf"
    legend = (f"{conf}：SALib 自助法 95% 区间的半宽；*_low/*_high：该区间，限于指数的取值范围；"
              "*_wide：半宽（*_conf）超过指数尺度的 0.1（S1/ST：0–1 尺度的 0.1；mu*：最大 mu* 的 "
              "0.1）、不是有限值或（S1/ST）整个落在 [0, 1] 之外时标为过宽：无法与相近的指数排序。")
    if method != "morris":
        legend += ("(out of range)：SALib 的原始估计落在 [0, 1] 之外，不是方差占比：样本太少，"
                   "估计量不可靠；请增加样本数。")
    return legend


def _analysis_legend(method: str, wide_rule: str) -> str:
    from sim import intervals

    if method == "grid":
        return (f"low/high: {intervals.RULE}; none with one replicate. n: replicates with a "
                "value; nan/inf: undefined and infinite replicates.")
    conf = "mu_star_conf" if method == "morris" else "S1_conf/ST_conf"
    legend = (f"{conf}: SALib's bootstrap 95% half-width; *_low/*_high: that interval within "
              f"the index's range; *_wide: {wide_rule}.")
    if method != "morris":
        legend += (" (out of range): SALib's raw estimate lies outside [0, 1], so it is not a "
                   "share of variance: the sample is too small for the estimator; raise "
                   "samples.")
    return legend


def _grouped_warnings(analysis: Any) -> dict[str, list[str]]:
    """Each distinct warning once, with the metrics whose analysis raised it."""
    grouped: dict[str, list[str]] = {}
    for status in analysis.status.values():
        for text in status.warnings:
            grouped.setdefault(text, []).append(status.metric)
    return grouped


def cmd_patterns(args: argparse.Namespace, command: list[str]) -> int:
    """``cogov patterns``: every pattern over a design of contexts; where each holds and fails.
    Exit 0 even where patterns fail (it is a report), unless ``--strict``."""
    from sim import patterns
    from sim.runner import check_out_dir, check_writable
    from sim.scenario import parse_assignments

    try:
        chosen = patterns.select(args.pattern_ids, args.steady)
    except ValueError as exc:
        raise errors.ScenarioError(f"--pattern: {exc}") from None
    fixed = parse_assignments(args.overrides)
    for key in ("seed", "months"):
        if key in fixed:
            raise errors.ScenarioError(f"--set {key}: use --{key}")
    out = args.out or default_out("patterns")
    if out.is_dir() and any(out.iterdir()):  # no --overwrite: a report is never replaced
        raise errors.OutputExistsError(f"{out}: output directory exists and is not empty; "
                                       "choose another --out")
    check_out_dir(out)
    check_writable(out)
    contexts = patterns.design(args.contexts, args.seed)
    for key, value in fixed.items():  # a fixed context variable is fixed in the design too
        if key in contexts.columns:
            contexts[key] = [value] * len(contexts)
    for pattern in chosen:  # every override is checked before anything runs
        for arm in pattern.arms:
            patterns.scenario_for(pattern, arm, contexts.to_dict("records")[0], args.seed,
                                  args.months, fixed)
    started = time.monotonic()
    with _progress("runs") as report:
        evaluation = patterns.evaluate(chosen, contexts, replicates=args.replicates,
                                       seed=args.seed, months=args.months,
                                       workers=args.workers, fixed=fixed, on_progress=report)
    patterns.write(out, evaluation, command)
    summary = patterns.summarize(evaluation)
    print(f"{len(chosen)} patterns × {args.contexts} contexts × {args.replicates} paired "
          f"replicates (seed {args.seed}): {evaluation.runs} runs, "
          f"{time.monotonic() - started:.1f} s")
    print(f"rule: {patterns.HOLD_RULE}; interval: {_interval_rule()}\n")
    weak = []
    for pattern in chosen:
        rows = summary[summary["pattern"] == pattern.id]
        share = float(rows["pattern_holds_share"].iloc[0])
        if share < patterns.STRICT_SHARE:
            weak.append(pattern.id)
        print(f"{pattern.id} ({pattern.zh} / {pattern.en}; {pattern.source}): holds in "
              f"{share:.0%} of contexts")
        for row in rows.itertuples():
            print(f"  check {row.check}: {row.measure}, {row.compared} {row.rule}: holds in "
                  f"{row.check_holds_share:.0%}; median effect {row.median_effect:.4g} "
                  f"(range {row.min_effect:.4g} to {row.max_effect:.4g})")
        print(_failure_text(patterns, evaluation, pattern))
    print(f"wrote {out}")
    if args.strict and weak:
        print(f"cogov: --strict: {', '.join(weak)} hold in fewer than "
              f"{patterns.STRICT_SHARE:.0%} of contexts", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _interval_rule() -> str:
    from sim import intervals

    return intervals.RULE


def _failure_text(patterns: Any, evaluation: Any, pattern: Any) -> str:
    """Where ``pattern`` fails: the context variables whose failing contexts differ most from
    the holding ones, and up to five failing contexts with their effects."""
    rows = evaluation.rows[evaluation.rows["pattern"] == pattern.id]
    failing = rows[~rows["pattern_holds"]]
    if failing.empty:
        return "  fails nowhere\n"
    profile = patterns.failure_profile(evaluation, pattern)
    count, total = failing["context"].nunique(), rows["context"].nunique()
    if profile.empty:
        lines = [f"  fails in all {total} contexts: no context variable separates them"]
    else:
        lines = [f"  fails in {count} of {total} contexts; where failures cluster (median where "
                 "it fails vs where it holds, [range where it fails]):"]
    for row in profile.head(3).itertuples():
        lines.append(f"    {row.variable}: {row.failing_median:.4g} vs "
                     f"{row.holding_median:.4g} [{row.failing_low:.4g}, "
                     f"{row.failing_high:.4g}]")
    shown = sorted(failing["context"].unique())[:5]
    keys = [k for k in profile["variable"].head(3)]
    for c in shown:
        effects = ", ".join(f"check {r.check} {r.effect:.4g} [{r.ci_low:.4g}, {r.ci_high:.4g}]"
                            f"{'' if r.holds else ' ✗'}"
                            for r in rows[rows["context"] == c].itertuples())
        where = ", ".join(f"{k.rsplit('.', 1)[-1]} {rows[rows['context'] == c][k].iloc[0]:.4g}"
                          for k in keys)
        lines.append(f"    context {c}{f' ({where})' if where else ''}: {effects}")
    return "\n".join(lines) + "\n"


def cmd_discover(args: argparse.Namespace, command: list[str]) -> int:
    """``cogov discover``: boxes, their limits with quasi-p values and, with ``--confirm``,
    their confirmed density; exit 1 if a confirmed box falls short."""
    import pandas as pd

    from sim.discover import Condition, discover, parse_where, summary_table

    where = [parse_where(text) for text in args.where]
    ignored = [option for option, given in (
        ("--step", args.method == "cart" and args.step is not None),
        ("--max-qp", args.method == "cart" and args.max_qp is not None),
        ("--min-coverage", args.method == "cart" and args.min_coverage != 0.5),
        ("--confirm-seeds", not args.confirm and args.confirm_seeds != "fresh")) if given]
    for option in ignored:
        why = "without --confirm" if option == "--confirm-seeds" else "with --method cart"
        print(f"warning: {option} has no effect {why}", file=sys.stderr)
    found = discover(args.directory, Condition(args.metric, args.above, args.below, args.top),
                     method=args.method, rule=args.label, alpha=args.alpha,
                     min_mass=args.min_mass, min_coverage=args.min_coverage, boxes=args.boxes,
                     step=args.step, confirm=args.confirm, workers=args.workers,
                     executor=args.executor, scheduler=args.scheduler, where=where,
                     seeds=args.confirm_seeds,
                     max_qp=0.05 if args.max_qp is None else args.max_qp,
                     command=command, lang=_figure_lang(args))
    labelled = found.labelled
    print(f"{found.condition.text(labelled.threshold)}: {len(labelled.points)} design points, "
          f"mean label {labelled.points['label'].mean():.3f} ({found.rule}); label-flip rate "
          f"between replicates {labelled.flip_rate:.3f}")
    for warning in found.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    with pd.option_context("display.width", 120, "display.max_columns", 30):
        for k, box in enumerate(found.boxes):
            where_in = "leaf" if found.method == "cart" else "step"
            print(f"\nbox {k + 1} ({found.method}, {where_in} {box.step}): coverage "
                  f"{box.coverage:.3f}, density {box.density:.3f}, mass {box.mass:.3f}, "
                  f"{box.res_dim} restricted"
                  + (f"; limits lifted (quasi-p > {args.max_qp:g}): {', '.join(box.freed)}"
                     if box.freed else ""))
            print(box.limits.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
            if box.confirmed:
                c = box.confirmed
                print(f"confirmed on {c['confirmed_points']} new points ({found.confirm_seeds} "
                      f"seeds): density "
                      f"{c['confirmed_density']:.3f} [{c['confirmed_density_low']:.3f}, "
                      f"{c['confirmed_density_high']:.3f}] (95% t CI), coverage "
                      f"{c['confirmed_coverage']:.3f}; outside the boxes "
                      f"{c['outside_density']:.3f}"
                      + ("  FLAGGED: falls short of the in-sample density" if box.flagged
                         else ""))
    if found.boxes and found.boxes[0].confirmed:
        print(f"\nlabel-flip rate on the confirmation runs: {found.confirm_flip_rate:.3f}")
    print(f"\nwritten: {found.directory}")
    return 1 if any(b.flagged for b in summary_table(found).itertuples()) else 0


def cmd_calibrate(args: argparse.Namespace, command: list[str]) -> int:
    """``cogov calibrate``: ABC-SMC posterior of a targets file's coefficients into ``--out``;
    1 when no generation finished."""
    errors.require_extra("pyabc", "calibrate", "cogov calibrate")
    import functools

    from sim.sweep import parse_scheduler

    if args.scheduler is not None:  # a malformed address: refused before anything else
        parse_scheduler(args.scheduler)
    if args.executor == "dask":
        errors.require_extra("distributed", "dask", "cogov calibrate --executor dask")
    if args.resume and args.out is None:
        raise errors.ScenarioError("--resume needs --out DIR: the directory of the calibration "
                                   "to continue")
    from sim import calibrate as engine

    before = _calibration_settings(args.out) if args.resume else {}
    for option, default in (("budget", engine.DEFAULT_BUDGET),  # the library's defaults, once
                            ("min_acceptance", engine.DEFAULT_MIN_ACCEPTANCE),
                            ("max_generations", engine.DEFAULT_MAX_GENERATIONS),
                            ("predictive_draws", engine.PREDICTIVE_DRAWS)):
        if getattr(args, option) is None:
            setattr(args, option, default)
    population = args.population if args.population is not None else before.get(
        "population", engine.DEFAULT_POPULATION)
    engine.check_options(population=population, budget=args.budget,
                         min_acceptance=args.min_acceptance,
                         max_generations=args.max_generations, workers=args.workers,
                         executor=args.executor, predictive_draws=args.predictive_draws,
                         pattern_draws=args.pattern_draws)
    from sim import targets as targets_file

    loaded = targets_file.load(args.targets)
    seed = args.seed if args.seed is not None else before.get("seed", loaded.seed)
    out = args.out or default_out(f"calibrate-{Path(args.targets).stem}")
    check = (functools.partial(engine.pattern_verdicts, tuple(loaded.patterns),
                               args.pattern_replicates, args.workers)
             if loaded.patterns and args.pattern_draws else None)
    result = engine.calibrate(
        loaded.priors, {t.name: t.observed for t in loaded.targets},
        {t.name: t.sd for t in loaded.targets}, functools.partial(targets_file.simulate, loaded),
        out_dir=out, seed=seed, workers=args.workers, executor=args.executor,
        scheduler=args.scheduler, population=population, budget=args.budget,
        min_acceptance=args.min_acceptance, max_generations=args.max_generations,
        resume=args.resume, progress=_tty() and not args.quiet,
        predictive_draws=args.predictive_draws, pattern_check=check,
        pattern_draws=args.pattern_draws,
        describe={t.name: {"statistic": t.statistic, "label_zh": t.label.zh,
                           "label_en": t.label.en, "source": " ".join(t.source.split())}
                  for t in loaded.targets},
        identity={"targets_file": str(Path(args.targets).resolve()),
                  "targets_content_sha256": loaded.content_digest,
                  "replicates": int(loaded.replicates)},
        command=command)
    print(_calibration_report(engine, result))
    print(f"wrote {out}")
    return EXIT_OK if len(result.generations) else EXIT_FAILED


def _calibration_settings(out: Path) -> dict[str, Any]:
    """The settings of the calibration in ``out`` (empty when there is none: the library
    then refuses the resume, naming the directory)."""
    import json

    try:
        settings = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["settings"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return settings if isinstance(settings, dict) else {}


def _calibration_report(engine: Any, result: Any) -> str:
    """Generations, the posterior's credible intervals, the posterior-predictive table and the
    pattern pass rate, as printed by ``cogov calibrate``."""
    import pandas as pd

    lines = [f"ABC-SMC: {len(result.generations)} generations ({result.ran_now} run now), "
             f"{result.simulations} simulations used ({result.abandoned} more in an abandoned "
             f"generation, {result.nonfinite} rejected for a non-finite statistic), "
             f"{result.wall_time_s:.1f} s; stopped: {engine.STOP_REASONS[result.stop_reason]}"]
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        if len(result.generations):
            shown = result.generations.drop(columns=["wall_time_s"]).round(4)
            lines += ["", shown.to_string(index=False)]
        if result.posterior.empty:
            lines += ["", "no generation finished: no posterior (raise --budget or lower "
                      "--min-acceptance)"]
            return "\n".join(lines)
        lines += ["", f"posterior ({engine.CREDIBLE_RULE}):",
                  engine.credible_intervals(result.posterior).round(4).to_string(index=False)]
        if result.predictive is not None:
            table = result.predictive.drop(columns=["source", "statistic"], errors="ignore")
            table = table.assign(
                hit=table["hit"].map({True: "hit", False: "miss"}).fillna("n/a"))
            lines += ["", f"posterior predictive ({engine.PREDICTIVE_RULE}):",
                      table.round(4).to_string(index=False)]
        if result.patterns is None:
            lines += ["", "patterns: not checked (--pattern-draws 0, or the targets file "
                      "lists none)"]
        else:
            rate = result.patterns["all_hold"].mean()
            lines += ["", f"patterns hold at {rate:.0%} of {len(result.patterns)} posterior "
                      "draws (every listed pattern at once; per pattern in patterns.csv)"]
    return "\n".join(lines)


def cmd_demo(args: argparse.Namespace, command: list[str]) -> int:
    """``cogov demo``: serve the teaching app on 127.0.0.1 until Ctrl-C."""
    errors.require_extra("solara", "demo", "cogov demo")
    errors.require_extra("ipyvuetify", "demo", "cogov demo")
    _check_port_free(args.port)
    from sim.app import serve  # a leaf: only the CLI imports it

    serve(args.scenario, args.port, open_browser=args.open_browser,
          on_ready=lambda url: print(f"cogov demo: {url} (Ctrl-C to stop)", flush=True))
    return EXIT_OK


def _check_port_free(port: int) -> None:
    """BadInput (exit 2) naming ``--port`` if something already listens on 127.0.0.1:port
    (another demo, say), checked before the demo's slow start."""
    import errno
    import socket

    if port == 0:  # any free port
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise errors.BadInput(
                f"--port {port}: the port is in use (is a demo already running? open "
                f"http://127.0.0.1:{port}), or choose another, e.g. --port {port + 1}"
            ) from None


@contextmanager
def _progress(unit: str) -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar with ETA on a terminal; otherwise a quiet line every tenth of the way."""
    from tqdm import tqdm

    bar: tqdm | None = None
    last_tenth = -1

    def report(done: int, total: int) -> None:
        nonlocal bar, last_tenth
        if _tty():
            if bar is None:
                bar = tqdm(total=total, initial=done, unit=unit, file=sys.stderr)
            else:
                bar.update(done - bar.n)
            return
        tenth = done * 10 // max(total, 1)
        if tenth != last_tenth:
            last_tenth = tenth
            print(f"cogov: {done}/{total} {unit} ({done / max(total, 1):.0%})", file=sys.stderr,
                  flush=True)

    try:
        yield report
    finally:
        if bar is not None:
            bar.close()


# -------------------------------------------------------------------------------- file kinds
def problems_in(path: Path) -> list[str]:
    """Every problem of a scenario, experiment or calibration targets file (empty when it is
    valid)."""
    return _check_file(path)[0]


def _check_file(path: Path) -> tuple[list[str], list[str]]:
    """(problems, warnings) of a scenario, experiment or targets file; never raises for bad
    input."""
    from sim.experiment import is_experiment_file
    from sim.scenario import read_yaml
    from sim.targets import is_targets_file

    try:
        data = read_yaml(path)
    except errors.ScenarioError as exc:
        return exc.problems, []
    if is_experiment_file(data):
        return _experiment_check(path)
    if is_targets_file(data):
        return targets_problems(path), []
    return _scenario_check(path)


def scenario_problems(path: Path) -> list[str]:
    """Problems of a scenario file, following ``extends:``."""
    return _scenario_check(path)[0]


def _scenario_check(path: Path) -> tuple[list[str], list[str]]:
    """(problems, warnings): warnings name settings that have no effect (their switch is off)
    and scheduled changes that wait for the next fund cycle."""
    from sim.scenario import load_located, setting_warnings

    try:
        scenario, where = load_located(path)
    except errors.ScenarioError as exc:
        return exc.problems, []
    return [], setting_warnings(scenario, where, str(path))


def experiment_problems(path: Path) -> list[str]:
    """Problems of an experiment file: keys, bounds, metric names and its base scenario."""
    return _experiment_check(path)[0]


def _experiment_check(path: Path) -> tuple[list[str], list[str]]:
    """(problems, warnings) of an experiment file: warnings name the keys that replace a
    column of the base scenario's table of communities."""
    from sim.experiment import load_experiment

    try:
        return [], load_experiment(path).warnings
    except errors.ScenarioError as exc:
        return exc.problems, []


def targets_problems(path: Path) -> list[str]:
    """Problems of a calibration targets file: keys, scenarios, statistics, priors, patterns."""
    from sim.targets import load

    return _problems_of(load, path)


def _problems_of(load: Callable[[Path], object], path: Path) -> list[str]:
    """The located problems ``load(path)`` raises as a ScenarioError (empty when it loads)."""
    try:
        load(path)
    except errors.ScenarioError as exc:
        return exc.problems
    return []


# ---------------------------------------------------------------------------------- helpers
def load_scenario(path: str | Path, args: argparse.Namespace) -> Scenario:
    """Load ``path`` with ``--set``, ``--seed`` and ``--months`` applied, validated together
    (a scheduled change is judged against the horizon that will run); ScenarioError if bad.
    Settings with no effect (their switch is off) are warned about on stderr."""
    from sim.experiment import is_experiment_file
    from sim.scenario import load_located, parse_assignments, setting_warnings

    overrides = parse_assignments(args.overrides)
    origin = dict.fromkeys(overrides, "--set")
    for key in ("seed", "months"):  # in range: argparse checked
        if getattr(args, key) is not None:
            overrides[key], origin[key] = getattr(args, key), f"--{key}"
    try:
        scenario, where = load_located(path, overrides, origin)
    except errors.ScenarioError:
        data = _quiet_read(path)
        if is_experiment_file(data):
            raise errors.ScenarioError(
                f"{path}: is an experiment file (method:, parameters:); run it with `cogov sweep`"
            ) from None
        from sim.targets import is_targets_file

        if is_targets_file(data):
            raise errors.ScenarioError(
                f"{path}: is a calibration targets file (targets:, priors:); run it with "
                "`cogov calibrate`") from None
        raise
    for warning in setting_warnings(scenario, where, str(path)):
        print(warning, file=sys.stderr)
    return scenario


def default_out(label: str) -> Path:
    """``results/<label>-<YYYYmmdd-HHMMSS>`` (local time)."""
    from sim.runner import safe_name

    return Path("results") / f"{safe_name(label)}-{datetime.now():%Y%m%d-%H%M%S}"


def format_table(table: pd.DataFrame, lang: str | None = None,
                 interval_note: bool = True, value: str = "mean") -> str:
    """Scenarios as columns, metrics as rows, cells ``mean [low, high]`` by the interval rule
    of ``sim.intervals``, named in the header; notes below say where no interval exists
    (the rule's own note left out when not ``interval_note``); ``value`` names what the
    cells hold in the header. With ``lang`` each metric's
    label (``sim.labels``) follows its key. A table of ``sim.posterior.intervals_table`` (it
    has ``share_coefficients``) is labelled by the split rule, and each cell adds the
    coefficient share of a run's variance."""
    from sim import intervals

    scenarios = list(dict.fromkeys(table["scenario"]))
    split = "share_coefficients" in table
    cells = {(r.scenario, r.metric): _cell(r) + (_share(r) if split else "")
             for r in table.itertuples()}
    some_interval = table["ci_low"].notna().any()
    short = intervals.SPLIT_RULE_SHORT if split else intervals.RULE_SHORT
    short_zh = intervals.SPLIT_RULE_SHORT_ZH if split else intervals.RULE_SHORT_ZH
    zh, en = f"指标：{TABLE_WORDS[value][0]}", f"metric: {TABLE_WORDS[value][1]}"
    if some_interval:
        zh, en = f"{zh} [{short_zh}]", f"{en} [{short}]"
    header = in_lang(lang, zh, en, sep="  ")
    named = lang is not None
    rows = [[header, *([in_lang(lang, "名称", "label")] if named else []),
             *map(str, scenarios)]]
    rows += [[m, *([_label_text(m, lang)] if named else []), *(cells[s, m] for s in scenarios)]
             for m in dict.fromkeys(table["metric"])]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(text + " " * (w - _width(text))
                  for text, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    notes = _table_notes(table)
    if not interval_note and some_interval:
        notes = notes[1:]
    return "\n".join([*lines, *(in_lang(lang, zh, en, sep="\n") for zh, en in notes)])


TABLE_WORDS = {"mean": ("均值", "mean"), "difference": ("差值", "difference")}
"""What the cells of a printed table hold (``format_table``'s ``value``): (Chinese, English)."""


def in_lang(lang: str | None, zh: str, en: str, sep: str = " ") -> str:
    """``sim.labels.in_lang`` (kept here for the table code that calls it by this name)."""
    from sim.labels import in_lang as pick

    return pick(lang, zh, en, sep)


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: two for each wide (CJK) character."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _label_text(name: str, lang: str, prefix: str = "") -> str:
    """``prefix`` and the label of a metric or parameter in ``lang`` for a printed table; ""
    where it has none. ``both`` prints the Chinese label only: the key beside it is the English
    name, and both labels would not fit a terminal's width."""
    from sim import labels

    try:
        return prefix + labels.label(name, "zh" if lang == "both" else lang)
    except KeyError:
        return ""


def _differences(table: pd.DataFrame) -> pd.DataFrame:
    """The difference columns of ``runner.compare_table`` in the shape ``format_table``
    prints (scenarios other than the reference as columns)."""
    import pandas as pd

    others = table[table["scenario"] != table["reference"]]
    return pd.DataFrame({"scenario": others["scenario"], "metric": others["metric"],
                         "n": others["diff_n"].fillna(0).astype(int),
                         "mean": others["difference"], "ci_low": others["diff_low"],
                         "ci_high": others["diff_high"], "nan": 0, "inf": 0})


def _cell(row: Any) -> str:
    if math.isnan(row.mean):
        return "n/a†" if row.nan else "n/a"
    text = f"{row.mean:.4g}"
    if not (math.isnan(row.ci_low) or math.isnan(row.ci_high)):
        text += f" [{row.ci_low:.4g}, {row.ci_high:.4g}]"
    marks = "*" if row.inf else ""
    marks += "†" if row.nan else ""
    return text + marks


def _share(row: Any) -> str:
    """`` c=NN%``: the coefficient share of a run's variance (``--posterior``)."""
    return "" if math.isnan(row.share_coefficients) else f" c={row.share_coefficients:.0%}"


def _table_notes(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The notes under a printed table, each as (Chinese, English); the interval rule
    first."""
    from sim import intervals

    split = "share_coefficients" in table
    short, rule, short_zh, rule_zh = (
        (intervals.SPLIT_RULE_SHORT, intervals.SPLIT_RULE, intervals.SPLIT_RULE_SHORT_ZH,
         intervals.SPLIT_RULE_ZH) if split else
        (intervals.RULE_SHORT, intervals.RULE, intervals.RULE_SHORT_ZH, intervals.RULE_ZH))
    notes = ([(f"[{short_zh}]：{rule_zh}。", f"[{short}]: {rule}.")]
             if table["ci_low"].notna().any() else [])
    if split:
        notes.append(("c=：单次运行的方差中来自系数不确定性的比例（其余为随机噪声）；预测区间与两个"
                      "标准差见 posterior_intervals.csv。",
                      "c=: share of a run's variance from coefficient uncertainty (the rest is "
                      "stochastic noise); predictive intervals and both standard deviations "
                      "in posterior_intervals.csv."))
        notes += sorted({(f"{r.scenario} {r.metric}：无法拆分：{r.note}",
                          f"{r.scenario} {r.metric}: no split: {r.note}")
                         for r in table.itertuples() if r.note})
    if (table["n"] == 1).any():
        notes.append(("情景只有一个重复时无区间：请用 --replicates 2 或更多"
                      "（4 或更多区间才有用）。",
                      "No interval where a scenario has one replicate: run --replicates 2 or "
                      "more (4 or more for a useful width)."))
    if table["inf"].any():
        notes.append(("* 部分重复为无穷大（如花了钱而满意度没有提高）："
                      "均值为无穷大或无定义，无区间。",
                      "* some replicates are infinite (e.g. money spent for no satisfaction "
                      "gain): the mean is infinite or undefined and has no interval."))
    if table["nan"].any():
        notes.append(("† 部分重复无定义（NaN，如代表性差距无参与者，或 yuan_per_satisfaction 没有"
                      "支出），不计入均值；全部无定义时为 n/a†。",
                      "† some replicates are undefined (NaN, e.g. no participants for the "
                      "representation gap, or no money spent for yuan_per_satisfaction) and are "
                      "left out of the mean; n/a† where all are."))
    return notes


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


def _fraction(text: str) -> float:
    """A number in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1, got {value}")
    return value


def _schema_int(field: str) -> Callable[[str], int]:
    """A parser for a whole-number option with the scenario schema's bounds for ``field``
    (read when an option is parsed, so that building the parser loads no schema)."""

    def parse(text: str) -> int:
        from sim.schema import Scenario, bounds

        low, high = bounds(Scenario, (field,))
        return _int_in(int(low if low is not None else 0),
                       None if high is None else int(high))(text)

    return parse


def _quiet_read(path: str | Path) -> Any:
    from sim.scenario import read_yaml

    try:
        return read_yaml(Path(path))
    except errors.ScenarioError:
        return None


def _tty() -> bool:
    return sys.stderr.isatty()


def _report_failure(exc: Exception) -> None:
    if os.environ.get("COGOV_DEBUG") == "1":
        traceback.print_exception(exc)
    kind = "run failed" if isinstance(exc, errors.RunError) else f"error: {type(exc).__name__}"
    print(f"cogov: {kind}: {exc}", file=sys.stderr)
    if os.environ.get("COGOV_DEBUG") != "1":
        print("cogov: set COGOV_DEBUG=1 to see the traceback", file=sys.stderr)
