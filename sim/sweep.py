"""How runs are executed: sweeps over an experiment's design (INTERFACE.md ``cogov sweep``).

A sweep is a list of ``experiment.Run`` handed to an executor — local processes or a Dask
cluster — behind one interface (``submit`` + completion order); nothing flows back into the
model. Finished work is never lost: every finished run is appended as one strict-JSON line to
``journal.jsonl`` (flushed, so a SIGKILL loses only runs in flight; non-finite outputs are
written as ``null`` for NaN and ``"Infinity"``/``"-Infinity"``, and read back as floats, as are
older lines with bare ``NaN``/``Infinity``); ``resume`` skips what the journal holds
(re-running only runs recorded as errors) and the final ``results.parquet`` (real NaN/inf
floats; parameter columns hold the design's values) is sorted by (point, replicate), so an
interrupted and resumed sweep ends identical to an uninterrupted one.

Failing early: the output directory's writability, a Dask ``scheduler``'s answer and the
parameter columns' types are checked before the directory is created or anything runs; a sweep
that fails before any run finished removes what it created.

One sweep at a time may write into a directory: an exclusive POSIX record lock
(``fcntl.lockf``) on ``.lock``, which belongs to the sweeping process alone — forked pool
workers do not inherit it — and which the kernel drops however that process ends, SIGKILL
included. Pool workers die with the process that started them (``runner.in_processes``; Dask's
worker processes watch their parent too), so nothing outlives a killed sweep and ``--resume``
can follow at once. This module never prints and never exits.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import io
import json
import math
import os
import re
import shutil
import socket
import threading
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
from sim.errors import ResultsTypeError, SchedulerError, SweepBusyError
from sim.experiment import LoadedExperiment, Run
from sim.model import replicate_rng
from sim.runner import (
    OutputExistsError,
    OutputWriteError,
    check_writable,
    in_processes,
    manifest_fields,
    now_iso,
    run_replicate,
    strict_json,
    write_manifest,
)
from sim.scenario import ScenarioError

JOURNAL = "journal.jsonl"
RESULTS = "results.parquet"
LOCK = ".lock"
ID_COLUMNS = ("point", "replicate", "seed", "status", "error", "run_time_s")
SCHEDULER_TIMEOUT_S = 5.0
"""How long a Dask ``scheduler`` has to answer before the sweep is refused."""
_NON_FINITE = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}
Executor = Callable[[Iterable[tuple]], Iterator[dict]]
"""Takes (experiment, run) jobs, yields result rows as runs finish (any order)."""








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
        from dask.distributed import as_completed as dask_completed

        with dask_client(scheduler, workers) as client:
            futures = [client.submit(evaluate, job, pure=False) for job in jobs]
            for future in dask_completed(futures):
                yield future.result()

    return execute


@contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A Dask ``Client`` of the cluster at ``scheduler``, or of a LocalCluster of ``workers``
    single-threaded processes on 127.0.0.1 when no address is given; both closed on exit."""
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, host="127.0.0.1")
    client = Client(scheduler or cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


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

    Before anything is created or run, raises ``SchedulerError`` for a ``scheduler`` without
    ``executor="dask"``, one not of the form ``tcp://HOST:PORT`` or one that does not answer
    within ``SCHEDULER_TIMEOUT_S``,
    ``OutputExistsError`` if ``out_dir`` holds a sweep and ``resume`` is false (or a different
    experiment's sweep), ``runner.OutputNotWritableError`` if files cannot be created there,
    ``ScenarioError`` if a parameter's values mix types that no results column can hold, and
    ``SweepBusyError`` if another sweep is writing there. After runs, raises
    ``runner.OutputWriteError`` (naming ``out_dir``) if writing fails, e.g. a full disk, and
    ``ResultsTypeError`` if ``results.parquet`` cannot hold the results; the journal keeps
    every finished run either way. ``on_progress(done, total)`` is called after each finished
    run (including those found in the journal)."""
    out_dir = Path(out_dir)
    workers = workers or os.cpu_count() or 1
    if scheduler is not None and executor != "dask":
        raise SchedulerError(f"--scheduler {scheduler}: a scheduler is used only by the Dask "
                             "executor; add --executor dask")
    if scheduler is not None:
        parse_scheduler(scheduler)  # a malformed address is refused at once
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(f"{out_dir}: exists and is not a directory")
    if out_dir.exists() and any(out_dir.iterdir()):
        if not _holds_sweep(out_dir):
            raise OutputExistsError(
                f"{out_dir}: holds files but no sweep (no journal.jsonl or sweep manifest.json); "
                "a sweep writes only into a new or empty directory, or --resume into its own: "
                "choose another --out")
        if not resume:
            raise OutputExistsError(
                f"{out_dir}: holds earlier results; use --resume to finish that sweep, or "
                "another --out")
    check_writable(out_dir, inside=True)
    design = experiment.design()
    runs = experiment.runs(design)
    _check_parameter_types(experiment, runs)
    if executor == "dask" and scheduler is not None:
        check_scheduler(scheduler)
    created = not out_dir.exists()
    before = set() if created else set(out_dir.iterdir())
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_error(out_dir, exc) from exc
    with _locked(out_dir):
        try:
            done = read_journal(out_dir / JOURNAL)
            if resume and done:
                check_same_experiment(out_dir, experiment)
            results, pending = _run_pending(experiment, out_dir, design, runs, done, workers,
                                            executor, scheduler, command, on_progress)
        except BaseException:
            if not read_journal(out_dir / JOURNAL):  # nothing finished: leave nothing behind
                _remove_new(out_dir, created, before)
            raise
    failed = results[results["status"] != "ok"]
    return SweepOutcome(results, failed, out_dir, ran=len(pending))


def _run_pending(experiment: LoadedExperiment, out_dir: Path, design: Any, runs: list[Run],
                 done: dict, workers: int, executor: str, scheduler: str | None,
                 command: list[str] | None, on_progress: Callable[[int, int], None] | None
                 ) -> tuple[pd.DataFrame, list[Run]]:
    """Run what the journal lacks, appending each row as it finishes; write the results."""
    finished = {k for k, row in done.items() if row["status"] == "ok"}
    pending = [r for r in runs if r.key not in finished]
    started = now_iso()
    with _writing(out_dir):
        if isinstance(design, np.ndarray):  # the values that ran (Morris analysis reads them)
            np.save(out_dir / "design.npy", design)
        _write_manifest(out_dir, experiment, command, started, None, len(runs))
    execute = (dask_executor(scheduler, workers) if executor == "dask"
               else local_executor(workers))
    count = len(runs) - len(pending)
    if on_progress:
        on_progress(count, len(runs))
    with _writing(out_dir):
        journal = open_journal(out_dir / JOURNAL)
    with journal:
        for row in execute((experiment, run) for run in pending):
            with _writing(out_dir):  # only the writes: an executor's OSError is no disk's
                append_line(journal, journal_line(row))
            done[(row["point"], row["replicate"])] = row
            count += 1
            if on_progress:
                on_progress(count, len(runs))
    results = _results_frame(done, runs, experiment)
    with _writing(out_dir):
        _write_results(results, out_dir / RESULTS, experiment)
        _write_manifest(out_dir, experiment, command, started, now_iso(), len(runs))
    return results, pending


def check_scheduler(address: str, timeout: float | None = None) -> None:
    """Raise ``SchedulerError`` (naming ``--scheduler`` and ``address``) unless ``address`` has
    the form ``[tcp://|tls://]HOST:PORT`` (refused at once) and a Dask scheduler answers there
    within ``timeout`` seconds in all (default ``SCHEDULER_TIMEOUT_S``): first a plain TCP
    connection (a closed port is refused at once, a silent host waits the timeout), then
    Dask's handshake in the time left (a port where something else listens). No Dask
    ``Client`` is made here, so a failed check leaves no half-made client to complain when it
    is collected."""
    import distributed.comm  # noqa: F401 - imported before the clock starts

    host, port = parse_scheduler(address)
    timeout = SCHEDULER_TIMEOUT_S if timeout is None else timeout
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:  # refused, timed out, unknown host
        reason = str(exc) or f"no answer within {timeout:g} s"
    else:
        try:
            _dask_handshake(address, max(deadline - time.monotonic(), 0.1))
            return
        except Exception as exc:  # noqa: BLE001 - whatever listens there garbles Dask's comm
            reason = (f"something listens at {host}:{port} but did not answer as a Dask "
                      f"scheduler: {type(exc).__name__}")
    raise SchedulerError(
        f"--scheduler {address}: no Dask scheduler answered within {timeout:g} s ({reason}); "
        "start one there (`dask scheduler`), correct the address, or leave out --scheduler to "
        "run a local Dask cluster")


def parse_scheduler(address: str) -> tuple[str, int]:
    """(host, port) of a scheduler address ``[tcp://|tls://]HOST:PORT`` (IPv6 hosts in
    brackets); ``SchedulerError`` naming ``--scheduler`` for anything else."""
    match = _ADDRESS.fullmatch(address.strip())
    port = int(match["port"]) if match else 0
    if not match or not 1 <= port <= 65535:
        raise SchedulerError(
            f"--scheduler {address!r}: not a scheduler address; expected tcp://HOST:PORT, e.g. "
            "tcp://127.0.0.1:8786 (the address `dask scheduler` prints)")
    return match["host"] or match["ipv6"], port


_ADDRESS = re.compile(r"(?:(?:tcp|tls)://)?(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|"
                      r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)):(?P<port>[0-9]{1,5})")


def _dask_handshake(address: str, timeout: float) -> None:
    """Open and close one Dask comm to ``address`` (Dask's handshake), within ``timeout``."""
    from distributed.comm import connect

    async def probe() -> None:
        comm = await connect(address, timeout=timeout)
        await comm.close()

    asyncio.run(asyncio.wait_for(probe(), timeout))


def journal_line(row: dict[str, Any]) -> str:
    """One journal line: ``row`` as strict JSON (``runner.strict_json``: NaN → null, ±inf →
    "Infinity"/"-Infinity"), newline-terminated. :func:`read_journal` reads it back exactly."""
    return json.dumps(strict_json(row), allow_nan=False) + "\n"


def open_journal(path: Path) -> io.FileIO:
    """``path`` opened for appending whole lines, unbuffered (nothing is held back in a buffer
    that a later ``close`` would try to write again after a failed write). A torn last line —
    the sweep was killed, or the disk filled, in the middle of a record — is cut off first, so
    the next record starts on a line of its own and every line of the journal parses; the torn
    record was never counted as finished (:func:`read_journal` skips it) and runs again."""
    handle = open(path, "ab", buffering=0)  # noqa: SIM115 - the caller closes it
    try:
        size = os.fstat(handle.fileno()).st_size
        if size:
            with open(path, "rb") as reader:
                reader.seek(max(0, size - 1))
                if reader.read(1) != b"\n":
                    os.ftruncate(handle.fileno(), _last_line_end(reader, size))
    except BaseException:
        handle.close()
        raise
    return handle


def _last_line_end(reader: io.BufferedReader, size: int, chunk: int = 65536) -> int:
    """Offset just after the last newline of a file of ``size`` bytes (0 if it has none)."""
    end = size
    while end > 0:
        start = max(0, end - chunk)
        reader.seek(start)
        newline = reader.read(end - start).rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        end = start
    return 0


def append_line(journal: io.FileIO, line: str) -> None:
    """Write ``line`` to the journal to the last byte, or raise the ``OSError`` (e.g. ENOSPC)
    that stopped it; a line cut short by the error is cut off by the next
    :func:`open_journal`."""
    data = memoryview(line.encode("utf-8"))
    while data:
        written = os.write(journal.fileno(), data)
        data = data[written:]


def read_journal(path: Path) -> dict[tuple[int, int], dict]:
    """Rows by (point, replicate); later lines win; a torn last line (killed mid-write) is
    ignored. Outputs and ``run_time_s`` come back as floats: ``null`` → NaN, "Infinity" → inf,
    "-Infinity" → -inf; lines written before the journal was strict JSON (bare ``NaN``,
    ``Infinity``) read alike."""
    rows: dict[tuple[int, int], dict] = {}
    if not path.exists():
        return rows
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        for key, value in row.items():
            if key in ID_COLUMNS[:5] or key.startswith("param:"):
                continue
            if value is None:
                row[key] = math.nan
            elif isinstance(value, str) and value in _NON_FINITE:
                row[key] = _NON_FINITE[value]
        rows[(row["point"], row["replicate"])] = row
    return rows


def _results_frame(done: dict, runs: list[Run], experiment: LoadedExperiment) -> pd.DataFrame:
    # parameter values from the design, not the journal: the journal's are JSON round trips
    rows = [{**done[r.key], **{f"param:{k}": v for k, v in r.params.items()}}
            for r in runs if r.key in done]
    frame = pd.DataFrame(rows)
    params = [f"param:{p.name}" for p in experiment.parameters]
    outputs = metrics.summary_names() if experiment.base is not None else sorted(
        {k for row in rows for k in row} - set(ID_COLUMNS) - set(params))
    for column in (*ID_COLUMNS, *params, *outputs):
        if column not in frame:
            frame[column] = math.nan
    frame = frame[[*ID_COLUMNS, *params, *outputs]]
    return frame.sort_values(["point", "replicate"], ignore_index=True)


def _write_results(frame: pd.DataFrame, path: Path, experiment: LoadedExperiment) -> None:
    """``frame`` as ``path`` via a temporary file and a rename; ``ResultsTypeError`` naming the
    columns whose values Parquet cannot hold in one column."""
    import pyarrow as pa

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except pa.ArrowException as exc:
        mixed = [f"column '{column}' mixes {kinds}" for column, kinds in _mixed_columns(frame)]
        what = "; ".join(mixed) if mixed else f"{type(exc).__name__}: {exc}"
        raise ResultsTypeError(
            f"{path}: could not be written: {what}. Every finished run is kept in "
            f"{path.parent / JOURNAL}. Give each parameter of {experiment.path} values of one "
            "type (e.g. 537, not \"537\") and sweep again into a new --out") from exc
    finally:
        tmp.unlink(missing_ok=True)


def _mixed_columns(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(column, "int (69) and str ('537')") for each column holding values of several types."""
    out = []
    for column in frame.columns:
        examples: dict[str, Any] = {}
        for value in frame[column]:
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                examples.setdefault(type(value).__name__, value)
        if len(examples) > 1:
            kinds = [f"{kind} ({value!r})" for kind, value in examples.items()]
            out.append((column, f"{', '.join(kinds[:-1])} and {kinds[-1]}"))
    return out


def _check_parameter_types(experiment: LoadedExperiment, runs: list[Run]) -> None:
    """Refuse, before anything runs, parameter values that no results column could hold
    together (e.g. ``[69, "537"]``): otherwise every run would run and the results not be
    written."""
    values = pd.DataFrame([r.params for r in runs], columns=[p.name for p in
                                                             experiment.parameters])
    problems = [f"{experiment.path} parameters.{name}: values of several types ({kinds}) cannot "
                "share a results column: give them one type, e.g. all numbers without quotes"
                for name, kinds in _mixed_columns(values)]
    if problems:
        raise ScenarioError(problems)


@contextmanager
def _writing(out_dir: Path) -> Iterator[None]:
    """Turn an ``OSError`` while writing into ``out_dir`` into an ``OutputWriteError``."""
    try:
        yield
    except OutputWriteError:
        raise
    except OSError as exc:
        raise _write_error(out_dir, exc) from exc


def _write_error(out_dir: Path, exc: OSError) -> OutputWriteError:
    kept = read_journal(out_dir / JOURNAL) if out_dir.is_dir() else {}
    after = (f"the {len(kept)} finished runs are kept in {JOURNAL}: free some space and finish "
             f"with --resume --out {out_dir}") if kept else "no run had finished"
    return OutputWriteError(f"{out_dir}: writing the sweep failed ({exc.strerror or exc}); "
                            f"{after}")


def _remove_new(out_dir: Path, created: bool, before: set[Path]) -> None:
    """Remove what a sweep that failed before any run finished made in ``out_dir`` (called
    with the lock held: unlinking the locked ``.lock`` is safe, the lock goes with its
    descriptor)."""
    if created:
        shutil.rmtree(out_dir, ignore_errors=True)
        return
    for path in set(out_dir.iterdir()) - before:
        path.unlink(missing_ok=True)


_LOCKED: set[Path] = set()  # directories a sweep of this process is writing into
_LOCKED_GUARD = threading.Lock()


@contextmanager
def _locked(out_dir: Path, what: str = "sweep") -> Iterator[None]:
    """Hold ``out_dir``'s lock for the block; ``SweepBusyError`` if another sweep holds it.

    A POSIX record lock (``fcntl.lockf``), not ``flock``: a ``flock`` belongs to the open file
    description, which forked pool workers share through the inherited descriptor, so a worker
    that outlived its parent kept the directory locked. A record lock belongs to this process
    alone (fork children do not inherit it) and the kernel drops it when the process ends,
    however it ends; it also works on NFS. Two consequences: record locks never conflict
    within one process, hence ``_LOCKED`` for a second sweep of this process; and closing any
    descriptor of the file drops the lock, so nothing else here opens ``.lock``."""
    key = out_dir.resolve()
    with _LOCKED_GUARD:
        if key in _LOCKED:
            raise SweepBusyError(f"{out_dir}: another {what} is writing here")
        _LOCKED.add(key)
    try:
        with open(out_dir / LOCK, "a") as handle:
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN):
                    raise
                raise SweepBusyError(f"{out_dir}: another {what} is writing here") from None
            yield
    finally:
        with _LOCKED_GUARD:
            _LOCKED.discard(key)


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


def _holds_sweep(out_dir: Path) -> bool:
    """Whether ``out_dir`` holds a sweep: its lock, its journal, or a manifest of kind
    ``sweep``."""
    if (out_dir / JOURNAL).exists() or (out_dir / LOCK).exists():
        return True
    try:
        return json.loads((out_dir / "manifest.json").read_text(encoding="utf-8")).get(
            "kind") == "sweep"
    except (OSError, ValueError, AttributeError):
        return False


def check_same_experiment(out_dir: Path, experiment: LoadedExperiment) -> None:
    path = out_dir / "manifest.json"
    if not path.exists():
        return
    before = json.loads(path.read_text(encoding="utf-8"))
    now = {"experiment": experiment.spec.model_dump(mode="json"),
           "base_scenario": experiment.base.to_dict() if experiment.base is not None else None}
    if any(key in before and before[key] != value for key, value in now.items()):
        raise OutputExistsError(f"{out_dir}: holds a sweep of a different experiment; "
                                "--resume continues only the same experiment")
