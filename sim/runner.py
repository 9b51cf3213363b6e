"""Replicates, seeds, workers and output files (MODEL.md §8; INTERFACE.md "Commands", "Files").

Seeding: replicate ``r`` of master seed ``s`` runs on ``sim.model.replicate_rng(s, r)``, i.e.
``Generator(PCG64(SeedSequence(s, spawn_key=(r,))))``, which is ``SeedSequence(s).spawn(R)[r]``,
so a replicate's numbers do not depend on how many replicates or workers there are.

Outputs are written into a temporary directory next to the target and renamed into place; a
failure leaves nothing half-written. This module never prints and never exits: the CLI does.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, TypeVar

import mesa
import numpy as np
import pandas as pd
from tqdm import tqdm

from sim import intervals, metrics
from sim.errors import OutputExistsError, OutputNotWritableError, OutputWriteError, RunError
from sim.metrics import LEVEL_COLUMNS, district_rows
from sim.model import CoGovModel, replicate_rng
from sim.scenario import Scenario

__all__ = [
    "KEY_METRICS", "OutputExistsError", "OutputNotWritableError", "OutputWriteError", "RunError",
    "LEVEL_COLUMNS", "RunResult", "check_out_dir", "check_writable", "district_rows", "git_state",
    "has_communities", "manifest", "replicate_frames", "replicate_rng", "run", "run_jobs",
    "run_replicate", "safe_name", "summary_table", "compare_table", "versions",
    "with_communities", "write_comparison", "write_outputs",
]

ID_COLUMNS = ("scenario", "replicate", "seed")
"""Columns that identify a run in every table: scenario name, replicate index, master seed."""

KEY_METRICS = (
    "participation_any_last12",
    "participation_deliberate_last12",
    "participation_migrant_last12",
    "mean_trust_last12",
    "mean_efficacy_last12",
    "mean_dependency_last12",
    "needs_met_last12",
    "representation_gap",
    "yuan_per_satisfaction",
)
"""Summary metrics shown in the printed table, in this order."""
COMMUNITY_KEY_METRICS = ("participation_any_last12_community_min",
                         "participation_any_last12_community_range")
"""Shown after participation when some scenario has several communities: the lowest
community's participation and the spread between the highest and the lowest."""


def key_metrics(summary: pd.DataFrame) -> tuple[str, ...]:
    """:data:`KEY_METRICS`, with :data:`COMMUNITY_KEY_METRICS` after participation when a
    district in ``summary`` has more than one community (its spread is not identically 0)."""
    spread = summary.get(COMMUNITY_KEY_METRICS[1])
    if spread is None or not (spread.fillna(0) > 0).any():
        return KEY_METRICS
    return (KEY_METRICS[0], *COMMUNITY_KEY_METRICS, *KEY_METRICS[1:])

SEEDING = (
    "replicate r of master seed s runs on numpy.random.Generator(PCG64(SeedSequence(s, "
    "spawn_key=(r,)))), which equals SeedSequence(s).spawn(R)[r]; `cogov run`, `compare`, "
    "sweeps (s = the experiment's seed) and the demo (replicate 0) all use it"
)
VERSIONED = ("numpy", "scipy", "pandas", "mesa", "pydantic", "cogov")
T = TypeVar("T")










@dataclass(frozen=True, eq=False)
class RunResult:
    """Replicates of one scenario.

    ``timeseries``: one row per (replicate, month), columns ``ID_COLUMNS``, ``month``, then
    ``metrics.METRICS``. ``summary``: one row per replicate, ``ID_COLUMNS`` then
    ``metrics.summary_names()``. A scenario with a table of communities (``has_communities``)
    adds ``LEVEL_COLUMNS`` after ``ID_COLUMNS`` and, after the district's rows, one row per
    (replicate, community, month) and per (replicate, community); ``district_rows`` selects
    the district's. ``scenario`` is the resolved scenario that ran (its ``seed`` and
    ``months`` are the ones used); ``started``/``finished`` are ISO 8601 local times.
    """

    scenario: Scenario
    seed: int
    replicates: int
    timeseries: pd.DataFrame
    summary: pd.DataFrame
    started: str
    finished: str


# ------------------------------------------------------------------------------------- running
def run(
    scenario: Scenario | str | Path,
    seed: int | None = None,
    replicates: int = 1,
    months: int | None = None,
    workers: int = 1,
    progress: bool = False,
    first_replicate: int = 0,
) -> RunResult:
    """Run replicates ``first_replicate`` … ``first_replicate + replicates − 1`` of ``scenario``
    (a Scenario or a YAML path).

    ``seed`` (default ``scenario.seed``) and ``months`` (default ``scenario.months``) are folded
    into the resolved scenario. ``workers`` > 1 runs replicates in processes; the result is
    identical for any worker count. ``progress`` shows a tqdm bar on stderr. Raises
    ``ScenarioError`` for a bad override, ``RunError`` if a replicate fails.
    """
    if replicates < 1 or workers < 1 or first_replicate < 0:
        raise ValueError(f"replicates and workers must be ≥ 1 and first_replicate ≥ 0, got "
                         f"{replicates}, {workers} and {first_replicate}")
    if not isinstance(scenario, Scenario):
        scenario = Scenario.load(scenario)
    overrides: dict[str, Any] = {}
    if seed is not None and seed != scenario.seed:
        overrides["seed"] = seed
    if months is not None and months != scenario.months:
        overrides["months"] = months
    if overrides:
        scenario = scenario.with_overrides(overrides, origin="run()")
    started = now_iso()
    indices = range(first_replicate, first_replicate + replicates)
    outputs = run_jobs([(scenario, r) for r in indices], workers, progress, scenario.name,
                       frames=True)
    return RunResult(
        scenario=scenario,
        seed=scenario.seed,
        replicates=replicates,
        timeseries=pd.concat([ts for ts, _ in outputs], ignore_index=True),
        summary=pd.concat([summary for _, summary in outputs], ignore_index=True),
        started=started,
        finished=now_iso(),
    )


def make_model(scenario: Scenario, replicate: int = 0) -> CoGovModel:
    """The model of replicate ``replicate`` of ``scenario`` (seeded by ``scenario.seed``): the
    one way every command, the demo and the tests build a run (:data:`SEEDING`)."""
    return CoGovModel(scenario, rng=replicate_rng(scenario.seed, replicate))


def run_replicate(scenario: Scenario, replicate: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One replicate: (district timeseries with id columns, district summary row). The one
    function that runs a replicate, for ``cogov run``/``compare``, sweeps and the tests; module
    level so it pickles."""
    ts, row, _ = _replicate(scenario, replicate, communities=False)
    return ts, row


def replicate_frames(scenario: Scenario, replicate: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One replicate as the rows of :class:`RunResult`: (timeseries, summary). For a scenario
    without a table of communities, the frames of :func:`run_replicate` (one summary row); with
    one (:func:`has_communities`), each gains ``LEVEL_COLUMNS`` after the id columns and one
    row per community (``CoGovModel.community_timeseries``/``community_summary``) after the
    district's rows (:func:`with_communities`)."""
    if not has_communities(scenario):
        ts, row = run_replicate(scenario, replicate)
        return ts, pd.DataFrame([row])
    ts, row, communities = _replicate(scenario, replicate, communities=True)
    community_ts, community_summary = communities
    ids = {column: row[column] for column in ID_COLUMNS}
    return (with_communities(ts, community_ts.assign(**ids)),
            with_communities(pd.DataFrame([row]), community_summary.assign(**ids)))


def _replicate(scenario: Scenario, replicate: int, communities: bool
               ) -> tuple[pd.DataFrame, dict[str, Any],
                          tuple[pd.DataFrame, pd.DataFrame] | None]:
    model = make_model(scenario, replicate)
    try:
        model.run()
        ids = {"scenario": scenario.name, "replicate": replicate, "seed": scenario.seed}
        ts = model.timeseries()[["month", *metrics.METRICS]]
        for column, value in reversed(ids.items()):
            ts.insert(0, column, value)
        summary = model.summary()
        by_community = ((model.community_timeseries(), model.community_summary())
                        if communities else None)
    finally:
        release(model)
    return ts, {**ids, **{name: summary[name] for name in metrics.summary_names()}}, by_community


def has_communities(scenario: Scenario) -> bool:
    """Whether ``scenario`` gives its communities as a table (``structure.communities``): then
    its outputs carry a row per community beside the district's (:data:`LEVEL_COLUMNS`)."""
    return getattr(scenario.structure, "communities", None) is not None


def with_communities(district: pd.DataFrame, communities: pd.DataFrame) -> pd.DataFrame:
    """``district`` rows (id columns first) then ``communities`` rows (with ``street_office``
    and ``community``), as one tidy frame: :data:`LEVEL_COLUMNS` after :data:`ID_COLUMNS`,
    then the other columns of ``district`` in their order."""
    district = district.assign(level="district", street_office="", community="")
    communities = communities.assign(level="community")
    columns = [*ID_COLUMNS, *LEVEL_COLUMNS,
               *[c for c in district.columns if c not in (*ID_COLUMNS, *LEVEL_COLUMNS)]]
    return pd.concat([district[columns], communities[columns]], ignore_index=True)


def release(model: mesa.Model) -> None:
    """Let ``model`` be freed when its run ends. Mesa 3.3 keeps every model alive in the
    class-level ``mesa.Agent._ids`` (a unique-id counter per model; fixed upstream in
    mesa#3180, not in 3.3.x): without this a worker grows by ~1.65 MiB per 2,000-adult run.
    Remove once Mesa is upgraded past that fix."""
    mesa.Agent._ids.pop(model, None)


def run_jobs(jobs: Sequence[tuple[Scenario, int]], workers: int, progress: bool, label: str,
             frames: bool = False) -> list[tuple[pd.DataFrame, Any]]:
    """:func:`run_replicate` of each ``(scenario, replicate)`` of ``jobs`` (with ``frames``,
    :func:`replicate_frames`), in processes when ``workers`` > 1, outputs in ``jobs`` order
    (identical for any worker count). ``label`` names the progress bar. Raises ``RunError``
    naming the scenario, replicate and seed of the first job that fails. Used by :func:`run`
    and by ``sim.posterior`` (one scenario per posterior draw)."""
    bar = tqdm(total=len(jobs), desc=label, unit="replicate", disable=not progress)
    done: dict[int, tuple[pd.DataFrame, dict[str, Any]]] = {}
    with bar:
        try:
            for i, output in in_processes(_frames_job if frames else _replicate_job, jobs,
                                          workers):
                done[i] = output
                bar.update()
        except _JobError as failure:
            scenario, r = jobs[failure.index]
            raise RunError(
                f"scenario '{scenario.name}' replicate {r} (seed {scenario.seed}): "
                f"{type(failure.cause).__name__}: {failure.cause}"
            ) from failure.cause
    return [done[i] for i in range(len(jobs))]


def _replicate_job(job: tuple[Scenario, int]) -> tuple[pd.DataFrame, dict[str, Any]]:
    return run_replicate(*job)


def _frames_job(job: tuple[Scenario, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return replicate_frames(*job)


class _JobError(Exception):
    """Job ``index`` of :func:`in_processes` raised ``cause``."""

    def __init__(self, index: int, cause: BaseException):
        super().__init__(index, cause)
        self.index, self.cause = index, cause


def in_processes(
    function: Callable[[Any], T], jobs: Sequence[Any], workers: int
) -> Iterator[tuple[int, T]]:
    """``(i, function(jobs[i]))`` in completion order: in this process when ``workers`` is 1
    or there is one job, else in a pool of ``min(workers, len(jobs))`` processes that die with
    this one (even on SIGKILL, so they never outlive a killed command or hold its files). The
    one process-pool path of the package. A job that raises stops the rest and raises
    ``_JobError`` naming it. ``function`` must be a module-level function (it pickles)."""
    if workers == 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            try:
                result = function(job)
            except Exception as exc:
                raise _JobError(i, exc) from exc
            yield i, result
        return
    pool = ProcessPoolExecutor(min(workers, len(jobs)), mp_context=start_method(),
                               initializer=_die_with_parent, initargs=(os.getpid(),))
    try:
        futures: dict[Future, int] = {pool.submit(function, job): i for i, job in enumerate(jobs)}
        for future in as_completed(futures):
            i = futures[future]
            try:
                result = future.result()
            except Exception as exc:
                raise _JobError(i, exc) from exc
            yield i, result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _die_with_parent(parent: int) -> None:
    """Pool initializer: end this worker when the process that started it ends. On Linux the
    kernel sends SIGKILL (prctl PR_SET_PDEATHSIG); elsewhere a thread watches the parent."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
        return
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def start_method() -> BaseContext:
    """fork on Linux: workers start in milliseconds, not seconds, and scripts need no
    ``__main__`` guard; spawn elsewhere (fork is unsafe on macOS). Importing mesa sets the global
    default to spawn, so choose explicitly. The start method never changes the numbers."""
    return get_context("fork" if sys.platform.startswith("linux") else "spawn")


# ------------------------------------------------------------------------------------- summary
def summary_table(summary: pd.DataFrame, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean and interval over replicates, per scenario and metric, by the one rule of
    ``sim.intervals`` (95% t interval within the metric's range).

    Only the district's rows are read (:func:`district_rows`); the spread across communities
    is there as summary names (``metrics.spread_names``).
    Returns tidy rows ``scenario, metric, n, mean, ci_low, ci_high, nan, inf`` (scenarios in
    order of first appearance, metrics in ``names`` order): ``n`` counts the non-NaN replicates,
    ``nan``/``inf`` the NaN and infinite ones; the interval is NaN when none is possible
    (``intervals.no_interval_reason``).
    """
    summary = district_rows(summary)
    names = key_metrics(summary) if names is None else names
    rows = []
    for name in pd.unique(summary["scenario"]):
        group = summary[summary["scenario"] == name]
        for metric in names:
            iv = intervals.mean_interval(group[metric], metrics.range_of(metric))
            rows.append({"scenario": name, "metric": metric, "n": iv.n, "mean": iv.mean,
                         "ci_low": iv.low, "ci_high": iv.high, "nan": iv.nan, "inf": iv.inf})
    return pd.DataFrame(rows, columns=["scenario", "metric", "n", "mean", "ci_low", "ci_high",
                                       "nan", "inf"])


COMPARE_TABLE = "compare_table"
"""``cogov compare`` writes :func:`compare_table` as ``compare_table.csv``."""
DIFFERENCE_RULE = ("difference from the first scenario: per replicate (paired: the same seed "
                   "and replicate, so common random numbers) and its 95% t interval of the "
                   "mean over replicates, within the difference's range; scenarios that ran "
                   "on other seeds are not paired: the difference of the means, no interval")
DIFFERENCE_RULE_ZH = ("与第一个情景之差：逐个重复配对（同一种子与重复编号，即共同随机数）求差，"
                      "取差值均值的 95% t 区间，截取在差值的取值范围内；种子不同的情景不配对："
                      "只给均值之差，无区间")
""":data:`DIFFERENCE_RULE` in Chinese."""


def compare_table(summary: pd.DataFrame, names: Sequence[str] | None = None) -> pd.DataFrame:
    """:func:`summary_table` with each scenario's difference from the first (the reference):
    columns ``scenario, metric, n, mean, ci_low, ci_high, nan, inf, reference, paired,
    diff_n, difference, diff_low, diff_high`` (the difference columns empty on the
    reference's own rows), then the metric's ``label_zh`` and ``label_en``
    (``sim.labels.label``).

    Rule (:data:`DIFFERENCE_RULE`): a scenario that ran the same replicates on the same seed
    as the reference is paired with it run by run (common random numbers: the same residents
    and network), so the difference is taken per replicate, d_r = x_r − ref_r, and gets the
    interval rule of ``sim.intervals`` (95% t interval of the mean of d, within
    [low − high, high − low] of the metric's range; an infinite or undefined d is counted as
    the rule counts them). Unpaired scenarios get the difference of the means and no
    interval (``paired`` False). Summary rows need ``scenario``, ``replicate`` and ``seed``."""
    from sim import labels

    summary = district_rows(summary)
    table = summary_table(summary, names)
    scenarios = list(pd.unique(summary["scenario"]))
    runs = {name: summary[summary["scenario"] == name].set_index("replicate").sort_index()
            for name in scenarios}
    reference = runs[scenarios[0]]
    rows = []
    for row in table.itertuples(index=False):
        extra = {"reference": scenarios[0], "paired": None, "diff_n": None,
                 "difference": float("nan"), "diff_low": float("nan"),
                 "diff_high": float("nan")}
        if row.scenario != scenarios[0]:
            mine = runs[row.scenario]
            paired = (mine.index.equals(reference.index)
                      and (mine["seed"] == reference["seed"]).all())
            low, high = metrics.range_of(row.metric)
            if paired:
                values = (mine[row.metric].to_numpy(dtype=float)
                          - reference[row.metric].to_numpy(dtype=float))
                iv = intervals.mean_interval(values, (low - high, high - low))
                extra.update(paired=True, diff_n=iv.n, difference=iv.mean, diff_low=iv.low,
                             diff_high=iv.high)
            else:
                mean = table[(table["scenario"] == scenarios[0])
                             & (table["metric"] == row.metric)]["mean"].iloc[0]
                extra.update(paired=False, difference=row.mean - mean)
        rows.append({**row._asdict(), **extra})
    out = pd.DataFrame(rows, columns=[*table.columns, "reference", "paired", "diff_n",
                                      "difference", "diff_low", "diff_high"])
    for lang in ("zh", "en"):  # added after the columns scripts read: their places stay
        out[f"label_{lang}"] = [labels.label(metric, lang) for metric in out["metric"]]
    return out


# -------------------------------------------------------------------------------------- output
def write_outputs(
    out_dir: str | Path,
    results: RunResult | Sequence[RunResult],
    command: Sequence[str],
    *,
    overwrite: bool = False,
    plots: bool = True,
    tables: Mapping[str, pd.DataFrame] | None = None,
    extra: Mapping[str, Any] | None = None,
    lang: str = "both",
) -> Path:
    """Write a ``cogov run`` directory and return its path.

    Files: ``timeseries.csv``, ``timeseries.parquet``, ``summary.csv``, ``manifest.json`` and
    ``plots/*.png`` (one set per scenario, prefixed with its name when there are several), and
    each of ``tables`` as ``<name>.csv`` (e.g. ``cost_effectiveness``). ``extra``: more
    manifest fields (e.g. ``posterior``, the posterior the coefficients were drawn from).
    ``lang``: the plots' language (``sim.labels.LANGS``); each scenario's schedule is
    marked on them.
    Raises ``OutputExistsError`` if ``out_dir`` is non-empty and not ``overwrite``, and
    ``OutputWriteError`` (naming ``out_dir``) if writing fails; then nothing is left behind.
    """
    from sim import plots as figures  # matplotlib loads only when figures are wanted

    results = _as_list(results)
    with _staging_dir(Path(out_dir), overwrite) as tmp:
        ts, summary = _combined(results)
        ts.to_csv(tmp / "timeseries.csv", index=False)
        ts.to_parquet(tmp / "timeseries.parquet", index=False)
        summary.to_csv(tmp / "summary.csv", index=False)
        for name, table in (tables or {}).items():
            table.to_csv(tmp / f"{name}.csv", index=False)
        if plots:
            for result in results:
                prefix = "" if len(results) == 1 else f"{safe_name(result.scenario.name)}-"
                figures.write_run_plots(district_rows(result.timeseries), tmp / "plots",
                                        prefix=prefix,
                                        lang=lang, schedule=result.scenario.policy.schedule)
                # a community table: the spread between communities too (its rows are there)
                if getattr(result.scenario.structure, "communities", None) is not None:
                    figures.write_community_plots(result.timeseries, tmp / "plots",
                                                  prefix=prefix, lang=lang,
                                                  schedule=result.scenario.policy.schedule)
        _write_manifest(tmp, "run", results, command, extra)
    return Path(out_dir)


def write_comparison(
    out_dir: str | Path,
    results: Sequence[RunResult],
    command: Sequence[str],
    *,
    overwrite: bool = False,
    tables: Mapping[str, pd.DataFrame] | None = None,
    extra: Mapping[str, Any] | None = None,
    lang: str = "both",
) -> Path:
    """Write a ``cogov compare`` directory and return its path.

    Files: ``compare.csv`` (summary rows of every scenario), ``compare_table.csv`` (every
    summary metric's mean and interval per scenario and its difference from the first,
    :func:`compare_table`; not for runs drawn from a posterior, whose
    ``posterior_compare.csv`` compares them over draws), ``timeseries.parquet``,
    ``manifest.json``, ``compare.png`` (key metrics over time, bands per scenario) and each of
    ``tables`` as ``<name>.csv``; ``extra`` and ``lang`` as in :func:`write_outputs`. Raises as
    :func:`write_outputs` does.
    """
    from sim import plots as figures

    results = _as_list(results)
    with _staging_dir(Path(out_dir), overwrite) as tmp:
        ts, summary = _combined(results)
        summary.to_csv(tmp / "compare.csv", index=False)
        if "draw" not in summary:
            names = [c for c in summary.columns if c not in (*ID_COLUMNS, *LEVEL_COLUMNS)]
            compare_table(summary, names).to_csv(tmp / f"{COMPARE_TABLE}.csv", index=False)
        for name, table in (tables or {}).items():
            table.to_csv(tmp / f"{name}.csv", index=False)
        ts.to_parquet(tmp / "timeseries.parquet", index=False)
        schedules = {r.scenario.name: r.scenario.policy.schedule for r in results}
        figures.save(figures.compare_figure(district_rows(ts), lang=lang, schedules=schedules),
                     tmp / "compare.png")
        _write_manifest(tmp, "compare", results, command, extra)
    return Path(out_dir)


def check_out_dir(out_dir: str | Path, overwrite: bool = False) -> None:
    """Raise ``OutputExistsError`` unless ``out_dir`` is absent, empty, or may be overwritten."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(f"{out_dir}: exists and is not a directory")
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return
    if not overwrite:
        raise OutputExistsError(
            f"{out_dir}: output directory exists and is not empty (use --overwrite to replace it)"
        )
    foreign = _not_written_by_cogov(out_dir)
    if foreign:
        raise OutputExistsError(
            f"{out_dir}: holds {foreign}, which cogov did not write: --overwrite replaces only a "
            "directory of cogov run or compare outputs; choose another --out")
    if out_dir.resolve() in (Path.cwd().resolve(), *Path.cwd().resolve().parents):
        raise OutputExistsError(f"{out_dir}: is the current directory or one above it; "
                                "choose another --out")


def _not_written_by_cogov(out_dir: Path) -> str | None:
    """The first file in ``out_dir`` that its manifest (``cogov run``/``compare``) does not
    list, or a reason there is no such manifest; None when every file is cogov's own."""
    try:
        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
        listed = set(manifest["files"]) if manifest.get("kind") in ("run", "compare") else None
    except (OSError, ValueError, KeyError, TypeError):
        listed = None
    if listed is None:
        return "files but no manifest.json of a cogov run or compare"
    for path in sorted(out_dir.rglob("*")):
        name = path.relative_to(out_dir).as_posix()
        if path.is_file() and name not in listed and name not in ("manifest.json", REPORT):
            return f"'{name}'"
    return None


REPORT = "report.html"
"""``--report``'s file (``sim.report.REPORT_NAME``), written after the manifest: its own."""


def check_writable(out_dir: str | Path, inside: bool = False) -> None:
    """Raise ``OutputNotWritableError`` (naming ``out_dir``) unless files can be created where
    the outputs will go: next to ``out_dir`` (run and compare stage their files in a sibling
    directory), or in ``out_dir`` itself if ``inside`` (a sweep writes there) and it exists.
    A directory still to be made is judged by its nearest existing ancestor.

    The test is to create and delete an empty file: the one check that sees read-only mounts,
    permissions and ACLs alike (``os.access`` ignores them for root). A file system with no
    free space left is refused too; one that fills up later still fails while writing
    (``OutputWriteError``)."""
    out_dir = Path(out_dir)
    place = out_dir if inside and out_dir.is_dir() else out_dir.parent
    while not place.exists() and place != place.parent:
        place = place.parent
    if not place.is_dir():
        raise OutputNotWritableError(f"{out_dir}: cannot be created: {place} is a file, not a "
                                     "directory")
    try:
        handle, probe = tempfile.mkstemp(prefix=f".{out_dir.name}.probe-", dir=place)
        os.close(handle)
        os.unlink(probe)
        stats = os.statvfs(place)
    except OSError as exc:
        raise OutputNotWritableError(
            f"{out_dir}: cannot write there: creating a file in {place} failed "
            f"({exc.strerror or exc}); choose another --out") from None
    if stats.f_bavail == 0:
        raise OutputNotWritableError(f"{out_dir}: the file system of {place} is full; free some "
                                     "space or choose another --out")


def safe_name(name: str) -> str:
    """``name`` made safe for a file name (letters, digits, ``.``, ``_``, ``-`` kept)."""
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "scenario"


def manifest(kind: str, results: Sequence[RunResult], command: Sequence[str]) -> dict[str, Any]:
    """What a reader needs to reproduce ``results``: scenarios, seeds, versions, code, command."""
    return manifest_fields(kind, command, {
        "started": min(r.started for r in results),
        "finished": now_iso(),
        "runs": [
            {
                "scenario": r.scenario.to_dict(),
                "seed": r.seed,
                "replicates": r.replicates,
                "replicate_seeds": [
                    {"replicate": int(i), "entropy": r.seed, "spawn_key": [int(i)]}
                    for i in pd.unique(r.summary["replicate"])
                ],
                "started": r.started,
                "finished": r.finished,
            }
            for r in results
        ],
    })


def manifest_fields(kind: str, command: Sequence[str] | None, fields: dict[str, Any]
                    ) -> dict[str, Any]:
    """Every manifest's common fields — kind, command and the directory it ran in (its paths
    are relative to it), seeding rule, interval rule, versions, git state — around ``fields``
    (the command's own). Used by run, compare, sweep and calibrate."""
    return {"kind": kind, "command": list(command or []), "cwd": os.getcwd(), **fields,
            "seeding": SEEDING,
            "interval_rule": intervals.RULE, "versions": versions(), "git": code_state()}


def write_manifest(directory: Path, data: dict[str, Any], list_files: bool = False) -> Path:
    """Write ``data`` as ``directory/manifest.json``, strict JSON (:func:`strict_json`), via a
    temporary file and a rename, so a reader never sees half a manifest. ``list_files`` adds
    the sorted list of the directory's files. The one manifest writer of the package."""
    if list_files:
        data = {**data, "files": sorted(
            p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())}
    path, tmp = directory / "manifest.json", directory / ".manifest.json.tmp"
    try:
        tmp.write_text(json.dumps(strict_json(data), indent=2, ensure_ascii=False,
                                  allow_nan=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # never leave half a manifest behind (e.g. a full disk)
        raise
    return path


def strict_json(value: Any) -> Any:
    """``value`` made representable in strict JSON (RFC 8259 has no NaN or Infinity): NaN →
    null, ±inf → the strings "Infinity"/"-Infinity"; numpy scalars → Python numbers; tuples,
    paths and other objects → lists and strings."""
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if value != value:
            return None
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def versions() -> dict[str, str | None]:
    """Versions of Python and the packages that decide the numbers (None if not installed)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for package in VERSIONED:
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = None
    return out


PACKAGE_DIR = Path(__file__).resolve().parent


def code_state() -> dict[str, Any] | None:
    """The git state of the cogov code that is running: ``git_state`` of the checkout whose
    ``sim/`` package this is (an editable install), never of the directory a command is run
    from; None for an installed copy outside a cogov checkout."""
    state = git_state(PACKAGE_DIR)
    if state is None or Path(state["toplevel"]).resolve() / "sim" != PACKAGE_DIR:
        return None
    return state


def git_state(directory: Path) -> dict[str, Any] | None:
    """``{"commit", "dirty", "toplevel"}`` of the git work tree at ``directory``; None without
    git or a repo."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=directory, capture_output=True, text=True, timeout=20
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None,
            "toplevel": git("rev-parse", "--show-toplevel")}


def _write_manifest(
    directory: Path, kind: str, results: Sequence[RunResult], command: Sequence[str],
    extra: Mapping[str, Any] | None = None,
) -> None:
    write_manifest(directory, {**manifest(kind, results, command), **(extra or {})},
                   list_files=True)


def _combined(results: Sequence[RunResult]) -> tuple[pd.DataFrame, pd.DataFrame]:
    ts = pd.concat([r.timeseries for r in results], ignore_index=True)
    summary = pd.concat([r.summary for r in results], ignore_index=True)
    return ts, summary


def _as_list(results: RunResult | Sequence[RunResult]) -> list[RunResult]:
    out = [results] if isinstance(results, RunResult) else list(results)
    if not out:
        raise ValueError("no results to write")
    return out


@contextmanager
def _staging_dir(out_dir: Path, overwrite: bool) -> Iterator[Path]:
    """A fresh directory next to ``out_dir``, renamed onto it if the block succeeds. Any
    ``OSError`` on the way (disk full, read-only) removes it and becomes an ``OutputWriteError``
    that names ``out_dir``: the staging path is ours, not the user's."""
    check_out_dir(out_dir, overwrite)
    tmp = _sibling(out_dir, "partial")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        yield tmp
        _move_into_place(tmp, out_dir, overwrite)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OutputWriteError):
            raise
        raise OutputWriteError(f"{out_dir}: writing the outputs failed ({exc.strerror or exc}); "
                               "nothing was written there") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _move_into_place(tmp: Path, out_dir: Path, overwrite: bool) -> None:
    check_out_dir(out_dir, overwrite)  # again: something may have appeared while we ran
    if not out_dir.exists():
        os.rename(tmp, out_dir)
        return
    if not any(out_dir.iterdir()):
        out_dir.rmdir()
        os.rename(tmp, out_dir)
        return
    old = _sibling(out_dir, "old")
    os.rename(out_dir, old)
    try:
        os.rename(tmp, out_dir)
    except BaseException:
        os.rename(old, out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _sibling(path: Path, tag: str) -> Path:
    return path.parent / f".{path.name}.{tag}-{os.getpid()}-{time.monotonic_ns()}"


def now_iso() -> str:
    """The local time now, ISO 8601 to the second with its UTC offset."""
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")
