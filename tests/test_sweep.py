"""Sweeps: checkpointing, resume after SIGKILL, failed runs, locks, executors (sim/sweep.py)."""

from __future__ import annotations

import errno
import gc
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pipe, get_context
from multiprocessing.process import BaseProcess
from pathlib import Path

import pandas as pd
import pytest

from sim import metrics
from sim import sweep as sweep_module
from sim.cli import main
from sim.experiment import load_experiment
from sim.model import CoGovModel
from sim.runner import OutputExistsError, in_processes
from sim.sweep import (
    JOURNAL,
    ResultsTypeError,
    SchedulerError,
    SweepBusyError,
    _locked,
    _write_results,
    append_line,
    check_scheduler,
    evaluate,
    journal_line,
    open_journal,
    read_journal,
    sweep,
)

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Results without the wall-clock column, which legitimately differs between runs."""
    return frame.drop(columns=["run_time_s"])


SMALL_MODEL = f"""\
scenario: {(ROOT / "scenarios" / "baseline.yaml").as_posix()}
method: random
samples: 3
replicates: 2
seed: 5
months: 6
set: {{structure.residents_per_community: 150}}
parameters:
  policy.devolution: [0, 1]
  policy.fund_per_community: [0, 300000]
metrics: [participation_any_last12]
"""


def test_model_sweep_rows_and_identical_for_any_worker_count(tmp_path):
    exp = load_experiment(write(tmp_path, SMALL_MODEL))
    one = sweep(exp, tmp_path / "w1", workers=1)
    two = sweep(exp, tmp_path / "w2", workers=2)
    assert len(one.results) == 3 * 2
    assert (one.results["status"] == "ok").all()
    assert {"param:policy.devolution", "participation_any_last12", "yuan_per_satisfaction",
            "seed", "run_time_s"} <= set(one.results.columns)
    pd.testing.assert_frame_equal(comparable(one.results), comparable(two.results))
    assert (tmp_path / "w1" / "manifest.json").exists()


def test_a_sweep_row_is_reproduced_bit_for_bit_by_cogov_run(tmp_path):
    """Issue 7 §1: the rerun command of a row (documented in the README) gives its numbers."""
    text = SMALL_MODEL.replace("set: {structure.residents_per_community: 150}",
                               "set:\n  structure.residents_per_community: 150\n"
                               "  policy.schedule: [{month: 4, set: {transparency: 0.9}}]")
    exp = load_experiment(write(tmp_path, text))
    results = sweep(exp, tmp_path / "sweep", workers=1).results
    run = next(r for r in exp.runs() if r.key == (2, 1))
    row = results[(results["point"] == 2) & (results["replicate"] == 1)].iloc[0]
    command = exp.rerun_command(run)
    assert command[:2] == ["cogov", "run"] and "--first-replicate" in command
    assert main([*command[1:], "--out", str(tmp_path / "rerun")]) == 0
    summary = pd.read_csv(tmp_path / "rerun" / "summary.csv")
    assert summary["replicate"].tolist() == [1] and summary["seed"].tolist() == [5]
    for name in metrics.summary_names():
        assert summary[name].iloc[0] == pytest.approx(row[name], rel=1e-12, abs=0, nan_ok=True)
    timeseries = pd.read_parquet(tmp_path / "rerun" / "timeseries.parquet")
    assert timeseries["month"].max() == 6  # the experiment's months, not the scenario's


def test_failed_runs_are_recorded_and_the_rest_go_on(tmp_path):
    text = """\
target: sim.testfunctions:fails_above
method: grid
parameters:
  x1: [0.1, 0.4, 0.7, 0.9]
metrics: [y]
"""
    outcome = sweep(load_experiment(write(tmp_path, text)), tmp_path / "out", workers=1)
    assert list(outcome.results["status"]) == ["ok", "ok", "error", "error"]
    assert outcome.failed["error"].str.contains("above 0.5").all()
    assert list(outcome.results["y"][:2]) == [0.1, 0.4]


def test_existing_results_are_never_overwritten_without_resume(tmp_path):
    exp = load_experiment(write(tmp_path, SMALL_MODEL))
    sweep(exp, tmp_path / "out", workers=1)
    with pytest.raises(OutputExistsError, match="--resume"):
        sweep(exp, tmp_path / "out", workers=1)
    again = sweep(exp, tmp_path / "out", workers=1, resume=True)
    assert again.ran == 0  # everything was already in the journal


def _hold_lock(out: Path, report) -> None:
    try:
        with _locked(out):
            report.send("locked")
            time.sleep(120)
    except SweepBusyError:
        report.send("busy")


def _lock_in_another_process(out: Path) -> tuple[BaseProcess, str]:
    """Another process that takes ``out``'s sweep lock as a sweep does and keeps it until
    killed; with what it said: "locked", or "busy" if it could not."""
    receive, send = Pipe(duplex=False)
    proc = get_context("fork").Process(target=_hold_lock, args=(out, send), daemon=True)
    proc.start()
    said = receive.recv() if receive.poll(30) else "nothing"
    return proc, said


def _hold_lock_elsewhere(out: Path) -> subprocess.Popen:
    proc, said = _lock_in_another_process(out)
    assert said == "locked"
    return proc


def test_two_sweeps_cannot_write_into_one_directory(tmp_path):
    exp = load_experiment(write(tmp_path, SMALL_MODEL))
    out = tmp_path / "out"
    out.mkdir()
    other = _hold_lock_elsewhere(out)
    try:
        with pytest.raises(SweepBusyError):
            sweep(exp, out, workers=1, resume=True)
    finally:
        other.kill()
        other.join()
    assert sweep(exp, out, workers=1, resume=True).ran == 6  # the lock went with its owner


def test_a_second_sweep_of_the_same_process_is_refused_too(tmp_path):
    exp = load_experiment(write(tmp_path, SMALL_MODEL))
    out = tmp_path / "out"
    out.mkdir()
    with _locked(out), pytest.raises(SweepBusyError, match="another sweep is writing here"):
        sweep(exp, out, workers=1, resume=True)


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def test_the_lock_is_not_held_by_forked_workers_after_the_owner_lets_go(tmp_path):
    """Issue 7 §6: a worker forked while the lock is held (it inherits the descriptor) must
    not keep the directory locked once the sweeping process has let go."""
    out = tmp_path / "out"
    out.mkdir()
    with _locked(out):
        worker = get_context("fork").Process(target=_sleep, args=(60,), daemon=True)
        worker.start()
    try:
        other, said = _lock_in_another_process(out)
        other.kill()
        other.join()
        assert said == "locked"  # "busy" if the worker had kept the lock
    finally:
        worker.kill()
        worker.join()


SLOW = """\
target: sim.testfunctions:ishigami
method: random
samples: 40
replicates: 2
seed: 11
parameters:
  x1: [-3.14159, 3.14159]
  x2: [-3.14159, 3.14159]
  x3: [-3.14159, 3.14159]
metrics: [y]
"""


def test_resume_after_sigkill_finishes_identically(tmp_path):
    """Kill a sweep with SIGKILL part-way; --resume neither redoes nor duplicates finished runs
    and ends identical to an uninterrupted sweep."""
    path = write(tmp_path, SLOW)
    killed = tmp_path / "killed"
    script = (
        "import time, sim.testfunctions as t\n"
        "slow = t.ishigami\n"
        "def ishigami(params, rng):\n"
        "    time.sleep(0.05)\n"
        "    return slow(params, rng)\n"
        "t.ishigami = ishigami\n"
        "from sim.experiment import load_experiment\n"
        "from sim.sweep import sweep\n"
        f"sweep(load_experiment({str(path)!r}), {str(killed)!r}, workers=1)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    journal = killed / JOURNAL
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if journal.exists() and len(journal.read_text().splitlines()) >= 15:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = read_journal(journal)
    assert 15 <= len(finished) < 80
    assert not (killed / "results.parquet").exists()

    resumed = sweep(load_experiment(path), killed, workers=2, resume=True)
    assert resumed.ran == 80 - len(finished)
    lines = journal.read_text().splitlines()
    assert len({(r["point"], r["replicate"]) for r in map(json.loads, lines) if r}) == 80
    whole = sweep(load_experiment(path), tmp_path / "whole", workers=1)
    pd.testing.assert_frame_equal(comparable(resumed.results), comparable(whole.results))


MIDSIZE_MODEL = SMALL_MODEL.replace("samples: 3", "samples: 16").replace("months: 6", "months: 12")
"""32 runs of about 0.1 s: a sweep still busy a second or two after its first results."""


def _processes() -> dict[int, tuple[int, str, str]]:
    """Every process: pid → (parent pid, start time, state), from /proc (Linux)."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(stat.parent.name)] = (int(fields[1]), fields[19], fields[0])
    return out


def _descendants(pid: int) -> set[tuple[int, str]]:
    """(pid, start time) of every process below ``pid``."""
    table, found, stack = _processes(), set(), [pid]
    while stack:
        parent = stack.pop()
        for child, (ppid, start, _) in table.items():
            if ppid == parent:
                found.add((child, start))
                stack.append(child)
    return found


def _still_running(processes: set[tuple[int, str]]) -> set[tuple[int, str]]:
    table = _processes()
    return {(pid, start) for pid, start in processes
            if pid in table and table[pid][1] == start and table[pid][2] != "Z"}


@pytest.fixture(scope="module")
def midsize_whole(tmp_path_factory) -> pd.DataFrame:
    """The uninterrupted sweep of MIDSIZE_MODEL."""
    tmp = tmp_path_factory.mktemp("whole")
    return sweep(load_experiment(write(tmp, MIDSIZE_MODEL)), tmp / "out", workers=2).results


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize(("executor", "signum"), [("local", signal.SIGKILL),
                                                  ("local", signal.SIGTERM),
                                                  ("dask", signal.SIGKILL)])
def test_a_killed_sweep_leaves_no_worker_and_no_lock(tmp_path, midsize_whole, executor, signum):
    """Issue 7 §6: `kill -9` or `kill` of `cogov sweep --workers 2` (local processes, or a Dask
    LocalCluster) leaves no worker alive and no lock held: `--resume` right after finishes, with
    the results of an uninterrupted sweep."""
    path = write(tmp_path, MIDSIZE_MODEL)
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", str(path), "--workers", "2", "--out", str(killed),
         "--executor", executor], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    journal = killed / JOURNAL
    deadline = time.monotonic() + 120
    while not (journal.exists() and len(journal.read_text().splitlines()) >= 4):
        assert time.monotonic() < deadline and proc.poll() is None, "the sweep never got going"
        time.sleep(0.05)
    workers = _descendants(proc.pid)
    assert len(workers) >= 2
    os.kill(proc.pid, signum)
    proc.wait()
    deadline = time.monotonic() + 5
    while _still_running(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = _still_running(workers)
    for pid, _ in survivors:  # don't leave them to the rest of the suite
        os.kill(pid, signal.SIGKILL)
    assert survivors == set()
    assert not (killed / "results.parquet").exists()  # it was killed mid-run
    assert len(read_journal(journal)) < 32

    assert main(["sweep", str(path), "--workers", "2", "--resume", "--out", str(killed)]) == 0
    pd.testing.assert_frame_equal(comparable(pd.read_parquet(killed / "results.parquet")),
                                  comparable(midsize_whole))


def test_resume_refuses_a_different_experiment(tmp_path):
    path = write(tmp_path, SLOW)
    sweep(load_experiment(path), tmp_path / "out", workers=1)
    path.write_text(SLOW.replace("seed: 11", "seed: 12"), encoding="utf-8")
    with pytest.raises(OutputExistsError, match="different experiment"):
        sweep(load_experiment(path), tmp_path / "out", workers=1, resume=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A real `dask scheduler` and two `dask worker` processes on 127.0.0.1."""
    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if dask is None:
        pytest.skip("the dask command is not installed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    for _ in range(2):
        procs.append(subprocess.Popen(
            [dask, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
             "--host", "127.0.0.1"], cwd=tmp_path, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    from dask.distributed import Client

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with Client(address, timeout=5) as client:
                if len(client.scheduler_info()["workers"]) == 2:
                    break
        except OSError:
            pass
        time.sleep(0.5)
    else:
        for p in procs:
            p.kill()
        pytest.fail("dask cluster did not come up with two workers in 60 s")
    yield address
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def test_dask_cluster_equals_local(tmp_path, dask_cluster):
    exp = load_experiment(write(tmp_path, SMALL_MODEL))
    local = sweep(exp, tmp_path / "local", workers=2)
    remote = sweep(exp, tmp_path / "dask", executor="dask", scheduler=dask_cluster)
    pd.testing.assert_frame_equal(comparable(local.results), comparable(remote.results))


def test_dask_local_cluster_when_no_scheduler_is_given(tmp_path):
    path = write(tmp_path, SLOW.replace("samples: 40", "samples: 6"))
    local = sweep(load_experiment(path), tmp_path / "local", workers=1)
    cluster = sweep(load_experiment(path), tmp_path / "cluster", executor="dask", workers=2)
    pd.testing.assert_frame_equal(comparable(local.results), comparable(cluster.results))


# ------------------------------------------------------------------ failing early, cleanly
def test_an_unreachable_scheduler_is_refused_before_out_is_created(tmp_path, capsys):
    """Issue 7 §6: no 30 s wait, no exit 1, no half-made directory blocking a rerun."""
    path, out = write(tmp_path, SMALL_MODEL), tmp_path / "out"
    start = time.monotonic()
    code = main(["sweep", str(path), "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9",
                 "--out", str(out)])
    assert code == 2 and time.monotonic() - start < 15
    err = capsys.readouterr().err
    assert err.startswith("--scheduler tcp://127.0.0.1:9: no Dask scheduler answered within")
    assert not out.exists()


@pytest.mark.parametrize("address", ["garbage", "", "tcp://127.0.0.1", "tcp://:8786",
                                     "tcp://127.0.0.1:99999", "http://127.0.0.1:8786"])
def test_a_malformed_scheduler_is_refused_at_once_without_noise(tmp_path, capsys, address):
    """Issue 7 §6 (new-user check): `garbage` and "" took 15 s and left "Exception ignored in
    Client.__del__" on stderr. Exit 2 at once, naming --scheduler and the form expected."""
    path, out = write(tmp_path, SMALL_MODEL), tmp_path / "out"
    start = time.monotonic()
    code = main(["sweep", str(path), "--executor", "dask", "--scheduler", address,
                 "--out", str(out)])
    assert code == 2 and time.monotonic() - start < 1
    gc.collect()
    err = capsys.readouterr().err
    assert err == (f"--scheduler {address!r}: not a scheduler address; expected "
                   "tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786 (the address `dask scheduler` "
                   "prints)\n")
    assert not out.exists()


def test_a_closed_port_is_refused_within_the_documented_5_s(tmp_path, capsys):
    """`tcp://127.0.0.1:9` took 13-17 s although the README says 5 s: nothing listens, so the
    TCP connection is refused at once."""
    path = write(tmp_path, SMALL_MODEL)
    start = time.monotonic()
    assert main(["sweep", str(path), "--executor", "dask", "--scheduler",
                 "tcp://127.0.0.1:9", "--out", str(tmp_path / "out")]) == 2
    assert time.monotonic() - start < 1
    gc.collect()
    err = capsys.readouterr().err
    assert "Connection refused" in err and "Exception ignored" not in err


def test_a_silent_listener_is_not_a_scheduler_and_the_wait_is_bounded():
    """Something accepts the connection but never speaks Dask: refused after the timeout
    (not twice or three times it), with no half-made Dask client left to complain."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        import distributed.comm  # noqa: F401 - imported once, so the clock measures the wait

        start = time.monotonic()
        with pytest.raises(SchedulerError, match="did not answer as a Dask scheduler"):
            check_scheduler(address, timeout=1.0)
        assert 0.9 < time.monotonic() - start < 2.0


def test_a_scheduler_without_the_dask_executor_is_refused(tmp_path, capsys):
    path, out = write(tmp_path, SMALL_MODEL), tmp_path / "out"
    assert main(["sweep", str(path), "--scheduler", "tcp://127.0.0.1:8786",
                 "--out", str(out)]) == 2
    assert "add --executor dask" in capsys.readouterr().err
    assert not out.exists()


def _no_runs(job):
    raise AssertionError("ran although --out cannot be written")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="uses /proc (Linux)")
def test_a_sweep_into_an_unwritable_out_is_refused_before_running(tmp_path, monkeypatch,
                                                                 capsys):
    """Issue 7 §6, as root too: /proc accepts no new files; a read-only file system (EROFS
    from creating a file) likewise. Exit 2, naming the directory given, nothing created."""
    monkeypatch.setattr(sweep_module, "evaluate", _no_runs)
    path = write(tmp_path, SMALL_MODEL)
    assert main(["sweep", str(path), "--workers", "1", "--out", "/proc/cogov-sweep"]) == 2
    assert capsys.readouterr().err.startswith("/proc/cogov-sweep: cannot write there")

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(kwargs.get("dir")))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    out = tmp_path / "ro" / "out"
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{out}: cannot write there") and "Read-only file system" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.yaml"]


def test_a_full_disk_after_the_runs_keeps_the_journal_and_resume_finishes(tmp_path,
                                                                        monkeypatch, capsys):
    """results.parquet fails with ENOSPC: exit 1, a message naming --out and how to finish;
    the journal keeps all six runs, no temporary file is left; after space is freed --resume
    writes the results without running anything again."""
    def full(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PAR1")  # a partial file, as a real full disk leaves
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    path, out = write(tmp_path, SMALL_MODEL), tmp_path / "out"
    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert (f"cogov: {out}: writing the sweep failed (No space left on device); the 6 finished "
            f"runs are kept in journal.jsonl: free some space and finish with --resume --out "
            f"{out}") in err
    assert sorted(p.name for p in out.iterdir()) == [".lock", "journal.jsonl", "manifest.json"]
    monkeypatch.undo()
    assert main(["sweep", str(path), "--workers", "1", "--resume", "--out", str(out)]) == 0
    assert "(0 run now, 6 from the journal)" in capsys.readouterr().out
    assert len(pd.read_parquet(out / "results.parquet")) == 6


def test_a_disk_filling_mid_record_names_out_and_resume_mends_the_journal(tmp_path,
                                                                         monkeypatch, capsys):
    """Issue 7 §6 (new-user check, a 64 KB tmpfs --out): the disk fills while the 7th record
    is half written. Exit 1 with OutputWriteError naming --out, the runs kept and how to
    resume (was: a bare `OSError: [Errno 28]`); --resume cuts the torn line off before
    appending (was: the first new record glued onto it, one invalid line and a lost record),
    so every journal line parses and the results equal an uninterrupted sweep's."""
    real_write, records = os.write, []

    def filling(fd, data):
        if bytes(data[:8]) == b'{"point"':
            records.append(fd)
            if len(records) == 7:
                real_write(fd, bytes(data[: len(data) // 2]))
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    path, out = write(tmp_path, SLOW.replace("samples: 40", "samples: 6")), tmp_path / "out"
    monkeypatch.setattr(os, "write", filling)
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out)]) == 1
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert (f"cogov: {out}: writing the sweep failed (No space left on device); the 6 finished "
            f"runs are kept in journal.jsonl: free some space and finish with --resume --out "
            f"{out}") in err
    assert "Errno" not in err
    assert not (out / JOURNAL).read_bytes().endswith(b"\n")  # the torn 7th record
    assert main(["sweep", str(path), "--workers", "1", "--resume", "--out", str(out)]) == 0
    assert "(6 run now, 6 from the journal)" in capsys.readouterr().out
    lines = (out / JOURNAL).read_text().splitlines()
    assert len(lines) == 12
    assert sorted((r["point"], r["replicate"]) for r in map(json.loads, lines)) == [
        (point, replicate) for point in range(6) for replicate in range(2)]
    whole = sweep(load_experiment(path), tmp_path / "whole", workers=1)
    pd.testing.assert_frame_equal(comparable(pd.read_parquet(out / "results.parquet")),
                                  comparable(whole.results))


def test_a_journal_without_a_final_newline_is_cut_back_to_its_last_whole_line(tmp_path):
    path = tmp_path / JOURNAL
    path.write_bytes(b'{"point": 0}\n{"point": 1, "repl')
    with open_journal(path) as journal:
        append_line(journal, '{"point": 2}\n')
    assert path.read_bytes() == b'{"point": 0}\n{"point": 2}\n'
    path.write_bytes(b'{"poi')
    with open_journal(path) as journal:
        append_line(journal, '{"point": 3}\n')
    assert path.read_bytes() == b'{"point": 3}\n'


def test_a_sweep_failing_before_any_run_finished_leaves_nothing(tmp_path, monkeypatch):
    def broken(workers):
        raise RuntimeError("no workers today")

    monkeypatch.setattr(sweep_module, "local_executor", broken)
    exp = load_experiment(write(tmp_path, SMALL_MODEL))
    with pytest.raises(RuntimeError, match="no workers today"):
        sweep(exp, tmp_path / "out", workers=1)
    assert not (tmp_path / "out").exists()
    (tmp_path / "mine").mkdir()
    with pytest.raises(RuntimeError, match="no workers today"):
        sweep(exp, tmp_path / "mine", workers=1)
    assert list((tmp_path / "mine").iterdir()) == []  # the user's empty directory stays


# ---------------------------------------------------------------------- journal and types
INFINITE = f"""\
scenario: {(ROOT / "scenarios" / "baseline.yaml").as_posix()}
method: grid
seed: 1
months: 13
set: {{structure.residents_per_community: 60, policy.fund_per_community: 200000}}
parameters: {{population.satisfaction: [0.1, 0.9]}}
metrics: [yuan_per_satisfaction]
"""


def _no_constants(name):
    raise ValueError(f"not strict JSON: {name}")


def test_journal_lines_are_strict_json_and_infinity_comes_back(tmp_path):
    """Issue 7 §5: yuan_per_satisfaction is infinite at satisfaction 0.9 (money for no
    satisfaction gain): every journal line parses with a strict parser, and the journal and
    results.parquet give inf back as a float."""
    outcome = sweep(load_experiment(write(tmp_path, INFINITE)), tmp_path / "out", workers=1)
    lines = (tmp_path / "out" / JOURNAL).read_text().splitlines()
    assert len(lines) == 2
    for line in lines:
        json.loads(line, parse_constant=_no_constants)
    assert outcome.results["yuan_per_satisfaction"].tolist()[1] == math.inf
    assert math.isfinite(outcome.results["yuan_per_satisfaction"].tolist()[0])
    assert read_journal(tmp_path / "out" / JOURNAL)[(1, 0)]["yuan_per_satisfaction"] == math.inf
    stored = pd.read_parquet(tmp_path / "out" / "results.parquet")
    assert stored["yuan_per_satisfaction"].dtype == float
    assert stored["yuan_per_satisfaction"].tolist()[1] == math.inf


def test_journal_reads_its_own_lines_and_old_lines_exactly(tmp_path):
    row = {"point": 0, "replicate": 1, "seed": 3, "status": "ok", "error": "", "run_time_s": 0.5,
           "param:x": 0.25, "a": math.inf, "b": -math.inf, "c": math.nan, "d": 1e-300}
    old = dict(row, replicate=2)  # written before the journal was strict: bare NaN, Infinity
    path = tmp_path / JOURNAL
    path.write_text(journal_line(row) + json.dumps(old, allow_nan=True) + "\n")
    assert "Infinity" in path.read_text().splitlines()[1]
    for key, back in read_journal(path).items():
        original = row if key == (0, 1) else old
        assert back.keys() == original.keys()
        for name, value in original.items():
            assert back[name] == value or (math.isnan(value) and math.isnan(back[name]))


def test_values_of_mixed_types_are_typed_or_refused_before_running(tmp_path, capsys):
    """Issue 7 §4 "Types", the sweep side: `[69, "537"]` used to run every run and then fail
    writing results.parquet, again on every --resume. A scenario key types its values at load
    (537 runs as the int it means); a target function's parameters have no schema, so mixed
    types are refused before anything runs or is made, naming the parameter and its values."""
    text = SMALL_MODEL.replace("method: random", "method: grid").replace(
        "  policy.fund_per_community: [0, 300000]\n", "").replace(
        "  policy.devolution: [0, 1]\n", "  policy.admin_items: [69, \"537\"]\n")
    path, out = write(tmp_path, text), tmp_path / "out"
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out)]) == 0
    column = pd.read_parquet(out / "results.parquet")["param:policy.admin_items"]
    assert column.tolist() == [69, 69, 537, 537] and column.dtype.kind == "i"
    target = write(tmp_path, "target: sim.testfunctions:noisy_linear\nmethod: grid\n"
                             "parameters: {x1: [1, \"2\"], x2: [0]}\nmetrics: [y]\n")
    capsys.readouterr()
    assert main(["sweep", str(target), "--workers", "1", "--out", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{target} parameters.x1: values of several types "
                          "(int (1) and str ('2'))")
    assert not (tmp_path / "t").exists()


def test_a_results_column_parquet_cannot_hold_is_named_with_its_values(tmp_path):
    exp = load_experiment(write(tmp_path, SMALL_MODEL))
    frame = pd.DataFrame({"point": [0, 1], "param:policy.admin_items": [69, "537"]})
    with pytest.raises(ResultsTypeError) as raised:
        _write_results(frame, tmp_path / "results.parquet", exp)
    assert ("results.parquet: could not be written: column 'param:policy.admin_items' mixes int "
            "(69) and str ('537'). Every finished run is kept in") in str(raised.value)
    assert list(tmp_path.iterdir()) == [tmp_path / "exp.yaml"]


# ---------------------------------------------------------------------------------- memory
TINY_RUNS = SMALL_MODEL.replace("samples: 3", "samples: 75").replace("months: 6", "months: 2") \
    .replace("residents_per_community: 150", "residents_per_community: 20")
"""150 runs of about 20 ms."""


def _live_models() -> int:
    gc.collect()
    return sum(isinstance(o, CoGovModel) for o in gc.get_objects())


def _models_alive_before_and_after(jobs: list[tuple]) -> tuple[int, int, int, int]:
    """In a pool worker: (pid, live models before, after the jobs, runs that failed)."""
    before = _live_models()
    failed = sum(evaluate(job)["status"] != "ok" for job in jobs)
    return os.getpid(), before, _live_models(), failed


def test_a_workers_memory_stays_flat_over_many_runs(tmp_path):
    """Issue 7 §7: Mesa 3.3 keeps every model alive (mesa.Agent._ids); after 75 runs in each
    of two pool workers, no more models are alive than before (75 more without the release).
    benchmarks/bench_memory.py measures the same in MiB."""
    exp = load_experiment(write(tmp_path, TINY_RUNS))
    jobs = [(exp, run) for run in exp.runs()]
    assert len(jobs) == 150
    shares = [jobs[:75], jobs[75:]]
    outcomes = [out for _, out in in_processes(_models_alive_before_and_after, shares, 2)]
    assert len({pid for pid, *_ in outcomes} - {os.getpid()}) == 2  # two workers
    for _, before, after, failed in outcomes:
        assert failed == 0 and after == before


def test_a_folder_that_holds_no_sweep_is_never_swept_into(tmp_path, capsys):
    """--resume into a non-empty folder that held no sweep used to write a sweep into it."""
    path, out = write(tmp_path, SMALL_MODEL), tmp_path / "project"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    for extra in ([], ["--resume"]):
        assert main(["sweep", str(path), "--workers", "1", "--out", str(out), *extra]) == 2
        assert "holds files but no sweep" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
