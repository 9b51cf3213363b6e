"""Sweeps: checkpointing, resume after SIGKILL, failed runs, locks, executors (sim/sweep.py)."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim import metrics
from sim.cli import main
from sim.experiment import load_experiment
from sim.runner import OutputExistsError
from sim.sweep import JOURNAL, SweepBusyError, read_journal, sweep

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


def test_two_sweeps_cannot_write_into_one_directory(tmp_path):
    exp = load_experiment(write(tmp_path, SMALL_MODEL))
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(SweepBusyError):
            sweep(exp, out, workers=1, resume=True)


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
    assert len({(r["point"], r["replicate"]) for r in map(__import__("json").loads, lines)
                if r}) == 80
    whole = sweep(load_experiment(path), tmp_path / "whole", workers=1)
    pd.testing.assert_frame_equal(comparable(resumed.results), comparable(whole.results))


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
