"""How runs are executed: sweeps over an experiment's design (INTERFACE.md ``cogov sweep``).

A sweep is a list of ``experiment.Run`` handed to an executor — local processes or a Dask
cluster — behind one interface (``submit`` + completion order); nothing flows back into the
model. Finished work is never lost: every finished run is appended as one JSON line to
``journal.jsonl`` (flushed, so a SIGKILL loses only runs in flight); ``resume`` skips what the
journal holds (re-running only runs recorded as errors) and the final ``results.parquet`` is
sorted by (point, replicate), so an interrupted and resumed sweep ends identical to an
uninterrupted one. One sweep at a time may write into a directory (an exclusive lock).
This module never prints and never exits.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import metrics
from sim.experiment import LoadedExperiment, Run
from sim.model import replicate_rng
from sim.runner import (
    OutputExistsError,
    in_processes,
    manifest_fields,
    now_iso,
    run_replicate,
    write_manifest,
)

JOURNAL = "journal.jsonl"
RESULTS = "results.parquet"
LOCK = ".lock"
ID_COLUMNS = ("point", "replicate", "seed", "status", "error", "run_time_s")
Executor = Callable[[Iterable[tuple]], Iterator[dict]]
"""Takes (experiment, run) jobs, yields result rows as runs finish (any order)."""


class SweepBusyError(Exception):
    """Another sweep holds the directory's lock."""


@dataclass
class SweepOutcome:
    results: pd.DataFrame
    failed: pd.DataFrame
    out_dir: Path
    ran: int  # runs executed by this call (the rest came from the journal)


# ----------------------------------------------------------------------------- evaluation
def evaluate(job: tuple) -> dict[str, Any]:
    """One run → one results row; exceptions become ``status: error`` rows. Module level so
    both executors can ship it to workers."""
    experiment, run = job
    row: dict[str, Any] = {"point": run.point, "replicate": run.replicate, "seed": run.seed}
    start = time.perf_counter()
    try:
        if experiment.base is not None:
            _, outputs = run_replicate(experiment.scenario_for(run.params), run.replicate)
            outputs = {name: outputs[name] for name in metrics.summary_names()}
        else:
            rng = replicate_rng(run.seed, run.replicate)
            outputs = dict(experiment.target_function()(dict(run.params), rng))
        row.update(status="ok", error="")
    except Exception as exc:  # a failed run is recorded; the sweep goes on
        outputs = {}
        last = traceback.extract_tb(exc.__traceback__)[-1]
        row.update(status="error", error=f"{type(exc).__name__}: {exc} ({last.filename}:"
                                         f"{last.lineno})")
    row["run_time_s"] = time.perf_counter() - start
    row.update({f"param:{k}": v for k, v in run.params.items()})
    row.update({k: float(v) for k, v in outputs.items()})
    return row


# ------------------------------------------------------------------------------ executors
def local_executor(workers: int) -> Executor:
    """Local worker processes; yields rows as runs finish."""

    def execute(jobs: Iterable[tuple]) -> Iterator[dict]:
        for _, row in in_processes(evaluate, list(jobs), workers):
            yield row

    return execute


def dask_executor(scheduler: str | None, workers: int) -> Executor:
    """A Dask distributed cluster at ``scheduler`` (``tcp://host:port``), or a LocalCluster of
    ``workers`` single-threaded processes when no address is given."""

    def execute(jobs: Iterable[tuple]) -> Iterator[dict]:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed

        cluster = None
        if scheduler is None:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, host="127.0.0.1")
        client = Client(scheduler or cluster)
        try:
            futures = [client.submit(evaluate, job, pure=False) for job in jobs]
            for future in dask_completed(futures):
                yield future.result()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    return execute


# ---------------------------------------------------------------------------------- sweep
def sweep(
    experiment: LoadedExperiment,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    resume: bool = False,
    command: list[str] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> SweepOutcome:
    """Run every (design point, replicate) of ``experiment`` into ``out_dir``.

    Raises ``OutputExistsError`` if ``out_dir`` holds a sweep and ``resume`` is false, and
    ``SweepBusyError`` if another sweep is writing there. ``on_progress(done, total)`` is called
    after each finished run (including those found in the journal)."""
    out_dir = Path(out_dir)
    workers = workers or os.cpu_count() or 1
    if out_dir.exists() and any(out_dir.iterdir()) and not resume:
        raise OutputExistsError(
            f"{out_dir}: holds earlier results; use --resume to finish that sweep, or another "
            "--out")
    design = experiment.design()
    runs = experiment.runs(design)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir):
        done = read_journal(out_dir / JOURNAL)
        if resume and done:
            _check_same_experiment(out_dir, experiment)
        finished = {k for k, row in done.items() if row["status"] == "ok"}
        pending = [r for r in runs if r.key not in finished]
        started = now_iso()
        if isinstance(design, np.ndarray):  # unrounded, as SALib sampled it (Morris needs it)
            np.save(out_dir / "design.npy", design)
        _write_manifest(out_dir, experiment, command, started, None, len(runs))
        execute = (dask_executor(scheduler, workers) if executor == "dask"
                   else local_executor(workers))
        count = len(runs) - len(pending)
        if on_progress:
            on_progress(count, len(runs))
        with open(out_dir / JOURNAL, "a", encoding="utf-8") as journal:
            for row in execute((experiment, run) for run in pending):
                journal.write(json.dumps(row, allow_nan=True) + "\n")
                journal.flush()
                done[(row["point"], row["replicate"])] = row
                count += 1
                if on_progress:
                    on_progress(count, len(runs))
        results = _results_frame(done, runs, experiment)
        _atomic_parquet(results, out_dir / RESULTS)
        _write_manifest(out_dir, experiment, command, started, now_iso(), len(runs))
    failed = results[results["status"] != "ok"]
    return SweepOutcome(results, failed, out_dir, ran=len(pending))


def read_journal(path: Path) -> dict[tuple[int, int], dict]:
    """Rows by (point, replicate); later lines win; a torn last line (killed mid-write) is
    ignored."""
    rows: dict[tuple[int, int], dict] = {}
    if not path.exists():
        return rows
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        rows[(row["point"], row["replicate"])] = row
    return rows


def _results_frame(done: dict, runs: list[Run], experiment: LoadedExperiment) -> pd.DataFrame:
    rows = [done[r.key] for r in runs if r.key in done]
    frame = pd.DataFrame(rows)
    params = [f"param:{p.name}" for p in experiment.parameters]
    outputs = metrics.summary_names() if experiment.base is not None else sorted(
        {k for row in rows for k in row} - set(ID_COLUMNS) - set(params))
    for column in (*ID_COLUMNS, *params, *outputs):
        if column not in frame:
            frame[column] = math.nan
    frame = frame[[*ID_COLUMNS, *params, *outputs]]
    return frame.sort_values(["point", "replicate"], ignore_index=True)


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


@contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    handle = open(out_dir / LOCK, "w")  # noqa: SIM115 - held for the whole sweep
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SweepBusyError(f"{out_dir}: another sweep is writing here") from None
        yield
    finally:
        handle.close()


def _write_manifest(out_dir: Path, experiment: LoadedExperiment, command: list[str] | None,
                    started: str, finished: str | None, total: int) -> None:
    write_manifest(out_dir, manifest_fields("sweep", command, {
        "experiment": experiment.spec.model_dump(mode="json"),
        "experiment_file": str(experiment.path),
        "problem": experiment.problem,
        "parameters": [{"name": p.name, "bounds": p.bounds, "values": p.values,
                        "integer": p.integer} for p in experiment.parameters],
        "base_scenario": experiment.base.to_dict() if experiment.base is not None else None,
        "runs": total,
        "rerun": "row (point, replicate, seed) runs as `cogov run` of the base scenario with "
                 "--seed <seed> --first-replicate <replicate> --replicates 1, the experiment's "
                 "set: and months:, and --set <key>=<value> for each param:<key> column "
                 "(sim.experiment.LoadedExperiment.rerun_command)",
        "started": started,
        "finished": finished,
    }))


def _check_same_experiment(out_dir: Path, experiment: LoadedExperiment) -> None:
    path = out_dir / "manifest.json"
    if not path.exists():
        return
    before = json.loads(path.read_text(encoding="utf-8"))
    now = {"experiment": experiment.spec.model_dump(mode="json"),
           "base_scenario": experiment.base.to_dict() if experiment.base is not None else None}
    if any(key in before and before[key] != value for key, value in now.items()):
        raise OutputExistsError(f"{out_dir}: holds a sweep of a different experiment; "
                                "--resume continues only the same experiment")
