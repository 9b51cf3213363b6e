"""Runner: seeds and workers (bit for bit), the summary table by hand, atomic outputs."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from sim import cli, labels, metrics, runner
from sim.scenario import Scenario, ScenarioError

TS_COLUMNS = ["scenario", "replicate", "seed", "month", *metrics.METRICS]
SUMMARY_COLUMNS = ["scenario", "replicate", "seed", *metrics.summary_names()]


@pytest.fixture
def small(small_yaml) -> Scenario:
    return Scenario.load(small_yaml)


# ------------------------------------------------------------------------------------ running
def test_run_gives_tidy_tables_with_a_row_per_replicate_month(small) -> None:
    result = runner.run(small, replicates=3, months=6)
    assert list(result.timeseries.columns) == TS_COLUMNS
    assert list(result.summary.columns) == SUMMARY_COLUMNS
    assert len(result.timeseries) == 3 * 6 and len(result.summary) == 3
    assert result.timeseries.groupby("replicate")["month"].apply(list).tolist() == [
        [1, 2, 3, 4, 5, 6]] * 3
    assert set(result.timeseries["scenario"]) == {"small"} and set(result.summary["seed"]) == {7}
    assert (result.seed, result.replicates, result.scenario.months) == (7, 3, 6)


def test_seed_and_months_are_folded_into_the_resolved_scenario(small) -> None:
    result = runner.run(small, seed=11, months=4)
    assert (result.scenario.seed, result.scenario.months, result.seed) == (11, 4, 11)
    assert result.timeseries["seed"].eq(11).all()


def test_same_seed_same_numbers_other_seed_other_numbers(small) -> None:
    a, b = runner.run(small, replicates=2), runner.run(small, replicates=2)
    assert_frame_equal(a.timeseries, b.timeseries, check_exact=True)
    assert_frame_equal(a.summary, b.summary, check_exact=True)
    c = runner.run(small, replicates=2, seed=8)
    values = list(metrics.METRICS)
    assert not np.array_equal(a.timeseries[values], c.timeseries[values])


def test_replicates_differ_and_do_not_depend_on_how_many_there_are(small) -> None:
    three = runner.run(small, replicates=3).timeseries
    one = runner.run(small, replicates=1).timeseries
    assert_frame_equal(three[three["replicate"] == 0], one, check_exact=True)
    first, second = (three[three["replicate"] == r]["participation_any"].to_numpy() for r in (0, 1))
    assert not np.array_equal(first, second)


def test_workers_give_bit_identical_results(small) -> None:
    serial = runner.run(small, replicates=3)
    parallel = runner.run(small, replicates=3, workers=2)
    assert_frame_equal(serial.timeseries, parallel.timeseries, check_exact=True)
    assert_frame_equal(serial.summary, parallel.summary, check_exact=True)


def _fail_on_replicate_1(scenario, replicate):
    if replicate == 1:
        raise FloatingPointError("boom")
    return _real_run_replicate(scenario, replicate)


_real_run_replicate = runner.run_replicate


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_replicate_is_named(small, monkeypatch, workers) -> None:
    monkeypatch.setattr(runner, "run_replicate", _fail_on_replicate_1)
    with pytest.raises(runner.RunError, match=r"scenario 'small' replicate 1 \(seed 7\): "
                       r"FloatingPointError: boom"):
        runner.run(small, replicates=3, workers=workers)


def test_bad_arguments_are_refused_before_running(small) -> None:
    with pytest.raises(ValueError, match="≥ 1"):
        runner.run(small, replicates=0)
    with pytest.raises(ScenarioError, match="months"):
        runner.run(small, months=0)


# ------------------------------------------------------------------------------------ summary
def test_summary_table_is_mean_and_t_interval_by_hand() -> None:
    summary = pd.DataFrame({"scenario": ["a", "a", "a", "b"], "x": [1.0, 2.0, 3.0, 5.0]})
    table = runner.summary_table(summary, names=["x"])
    a, b = table.to_dict("records")
    # a: mean 2, sd 1, SE 1/√3, t(0.975, 2) = 4.302653
    half = 4.302653 / np.sqrt(3)
    assert (a["scenario"], a["n"], a["mean"]) == ("a", 3, 2.0)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((2 - half, 2 + half), rel=1e-6)
    assert (b["n"], b["mean"]) == (1, 5.0) and np.isnan(b["ci_low"]) and np.isnan(b["ci_high"])


def test_summary_table_skips_nan_and_gives_no_interval_around_infinity() -> None:
    summary = pd.DataFrame({"scenario": "a", "x": [1.0, np.nan, 3.0], "y": [1.0, np.inf, 2.0]})
    x, y = runner.summary_table(summary, names=["x", "y"]).to_dict("records")
    assert (x["n"], x["mean"]) == (2, 2.0) and x["ci_low"] < 2 < x["ci_high"]
    assert y["mean"] == np.inf and np.isnan(y["ci_low"])


def test_summary_table_keeps_scenario_order_and_key_metrics(make_result) -> None:
    summary = pd.concat([make_result("z").summary, make_result("a").summary])
    table = runner.summary_table(summary)
    assert list(pd.unique(table["scenario"])) == ["z", "a"]
    shown = list(pd.unique(table["metric"]))
    assert [m for m in shown if m in runner.KEY_METRICS] == list(runner.KEY_METRICS)


def test_the_printed_table_adds_the_lowest_community_where_a_district_has_several(
        make_result) -> None:
    """Communities that differ: the lowest community's participation and the spread follow
    the district's participation; no spread in any run (one community): the key metrics
    alone."""
    summary = make_result("z").summary
    several = runner.summary_table(summary)["metric"].tolist()
    assert several[:3] == ["participation_any_last12", *runner.COMMUNITY_KEY_METRICS]
    one = summary.assign(participation_any_last12_community_range=0.0)
    assert runner.summary_table(one)["metric"].tolist() == list(runner.KEY_METRICS)


# ------------------------------------------------------------------------------------- output
def test_write_outputs_writes_every_file(tmp_path, make_result) -> None:
    result = make_result("small", replicates=2, months=12)
    out = runner.write_outputs(tmp_path / "out", result, ["cogov", "run", "small.yaml"])
    ts = pd.read_csv(out / "timeseries.csv")
    assert list(ts.columns) == TS_COLUMNS and len(ts) == 2 * 12
    assert_frame_equal(pd.read_parquet(out / "timeseries.parquet"), result.timeseries)
    assert list(pd.read_csv(out / "summary.csv").columns) == SUMMARY_COLUMNS
    assert sorted(p.name for p in (out / "plots").iterdir()) == sorted(
        f"{stem}.png" for stem in ("participation", "participation_groups", "attitudes", "funds",
                                   "organizations", "problems"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == ["cogov", "run", "small.yaml"]
    assert manifest["kind"] == "run" and "SeedSequence" in manifest["seeding"]
    (run,) = manifest["runs"]
    assert run["scenario"] == result.scenario.to_dict() and run["seed"] == 7
    assert run["replicate_seeds"] == [{"replicate": r, "entropy": 7, "spawn_key": [r]}
                                      for r in range(2)]
    assert set(manifest["versions"]) == {"python", "numpy", "scipy", "pandas", "mesa", "pydantic",
                                         "cogov"}
    assert manifest["started"] <= manifest["finished"]
    assert "git" in manifest and "timeseries.parquet" in manifest["files"]


def test_write_outputs_of_several_scenarios_prefixes_their_plots(
    tmp_path, make_result, monkeypatch
) -> None:
    from sim import plots

    monkeypatch.setattr(plots, "RUN_FIGURES", {"funds": plots.funds_figure})  # one is enough
    out = runner.write_outputs(tmp_path / "out", [make_result("a"), make_result("b")], ["cogov"])
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["a-funds.png", "b-funds.png"]
    assert set(pd.read_csv(out / "summary.csv")["scenario"]) == {"a", "b"}


def test_write_comparison_writes_its_files(tmp_path, make_result) -> None:
    out = runner.write_comparison(tmp_path / "cmp", [make_result("a"), make_result("b")], ["x"])
    assert sorted(p.name for p in out.iterdir()) == [
        "compare.csv", "compare.png", "compare_table.csv", "manifest.json",
        "timeseries.parquet"]
    assert pd.read_csv(out / "compare.csv")["scenario"].tolist() == ["a"] * 3 + ["b"] * 3
    assert json.loads((out / "manifest.json").read_text())["kind"] == "compare"


def test_existing_output_is_refused_untouched_unless_overwrite(tmp_path, make_result) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(runner.OutputExistsError, match="--overwrite"):
        runner.write_outputs(out, make_result(), ["cogov"])
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    with pytest.raises(runner.OutputExistsError, match="which cogov did not write"):
        runner.write_outputs(out, make_result(), ["cogov"], overwrite=True, plots=False)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]  # a user's file is never deleted
    (out / "keep.txt").unlink()
    runner.write_outputs(out, make_result(), ["cogov"], plots=False)
    runner.write_outputs(out, make_result(), ["cogov"], overwrite=True, plots=False)
    assert (out / "manifest.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging or old copies left


def test_an_empty_existing_directory_is_used(tmp_path, make_result) -> None:
    (tmp_path / "out").mkdir()
    runner.write_outputs(tmp_path / "out", make_result(), ["cogov"], plots=False)
    assert (tmp_path / "out" / "summary.csv").exists()


def test_a_failure_while_writing_leaves_nothing_behind(tmp_path, make_result, monkeypatch) -> None:
    from sim import plots

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(plots, "write_run_plots", broken)
    with pytest.raises(OSError, match="disk full"):
        runner.write_outputs(tmp_path / "out", make_result(), ["cogov"])
    assert list(tmp_path.iterdir()) == []


def test_a_file_in_the_way_is_refused_even_with_overwrite(tmp_path) -> None:
    (tmp_path / "out").write_text("x")
    with pytest.raises(runner.OutputExistsError, match="not a directory"):
        runner.check_out_dir(tmp_path / "out", overwrite=True)


def test_safe_name_keeps_words_and_drops_path_characters() -> None:
    assert runner.safe_name("chengdu reform/2009") == "chengdu_reform_2009"
    assert runner.safe_name("还权赋能") == "还权赋能"
    assert runner.safe_name("../..") == "scenario"


# -------------------------------------------------------------------- where outputs can go
def _refuse_to_run(*args, **kwargs):
    raise AssertionError("ran although --out cannot be written")


def _cli_args(command: str, small_yaml: Path, out) -> list[str]:
    files = [small_yaml]
    if command == "compare":
        files.append(small_yaml.with_name("other.yaml"))
        files[1].write_text(small_yaml.read_text().replace("name: small", "name: other"))
    return [command, *map(str, files), "--months", "2", "--out", str(out)]


def _made(directory: Path) -> list[str]:
    """What is in ``directory`` besides the scenario files."""
    return sorted(p.name for p in directory.iterdir() if p.suffix != ".yaml")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="uses /proc (Linux)")
@pytest.mark.parametrize("command", ["run", "compare"])
def test_an_out_where_nothing_can_be_created_is_refused_before_running(
    command, small_yaml, monkeypatch, capsys
) -> None:
    """Issue 7 §6: /proc accepts no new files, even from root (chmod would not stop root)."""
    monkeypatch.setattr(runner, "run", _refuse_to_run)
    assert cli.main(_cli_args(command, small_yaml, "/proc/cogov-out/x")) == 2
    err = capsys.readouterr().err
    assert "/proc/cogov-out/x: cannot write there" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_read_only_out_is_refused_naming_the_users_directory(
    command, small_yaml, tmp_path, monkeypatch, capsys
) -> None:
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(kwargs.get("dir")))

    monkeypatch.setattr(runner, "run", _refuse_to_run)
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    out = tmp_path / "mounted" / "out"
    assert cli.main(_cli_args(command, small_yaml, out)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{out}: cannot write there") and "Read-only file system" in err
    assert _made(tmp_path) == []


def test_an_out_under_a_file_or_on_a_full_disk_is_refused(small_yaml, tmp_path, monkeypatch,
                                                          capsys) -> None:
    monkeypatch.setattr(runner, "run", _refuse_to_run)
    (tmp_path / "notes").write_text("x")
    assert cli.main(_cli_args("run", small_yaml, tmp_path / "notes" / "out")) == 2
    assert "notes is a file, not a directory" in capsys.readouterr().err

    real = os.statvfs

    def full(path):  # the real figures, but no block available (index 4: f_bavail)
        stats = real(path)
        return os.statvfs_result([0 if i == 4 else v for i, v in enumerate(stats)]) \
            if Path(path) == tmp_path else stats

    monkeypatch.setattr(os, "statvfs", full)
    assert cli.main(_cli_args("run", small_yaml, tmp_path / "out")) == 2
    assert f"{tmp_path / 'out'}: the file system of {tmp_path} is full" in capsys.readouterr().err
    assert _made(tmp_path) == ["notes"]


@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_disk_filling_up_while_writing_names_the_users_directory(
    command, small_yaml, tmp_path, monkeypatch, capsys
) -> None:
    """Writing after the runs fails (ENOSPC on the hidden staging path): exit 1, the message
    names --out and not the staging path, and nothing is left behind."""
    def full(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    out = tmp_path / "out"
    assert cli.main(_cli_args(command, small_yaml, out)) == 1
    err = capsys.readouterr().err
    assert f"cogov: {out}: writing the outputs failed (No space left on device)" in err
    assert ".partial" not in err and "Traceback" not in err
    assert _made(tmp_path) == []


def test_the_manifest_records_the_commit_of_cogov_not_of_the_working_directory(
        tmp_path, monkeypatch, make_result) -> None:
    """A command run from inside another git repository records cogov's commit."""
    import subprocess

    other = tmp_path / "other"
    other.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=other, check=True)
    subprocess.run(["git", "-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q",
                    "--allow-empty", "-m", "x"], cwd=other, check=True)
    theirs = subprocess.run(["git", "rev-parse", "HEAD"], cwd=other, capture_output=True,
                            text=True).stdout.strip()
    ours = runner.git_state(runner.PACKAGE_DIR)
    monkeypatch.chdir(other)
    recorded = runner.manifest("run", [make_result()], ["cogov", "run"])["git"]
    if ours is None:  # the tests run from an installed copy: nothing to claim
        assert recorded is None
    else:
        assert recorded["commit"] == ours["commit"] != theirs


def test_a_manifest_that_cannot_be_written_leaves_no_partial_file(tmp_path, monkeypatch) -> None:
    real = Path.write_text

    def full_disk(self, text, *args, **kwargs):
        real(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(OSError):
        runner.write_manifest(tmp_path, {"kind": "run"})
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_only_a_cogov_output_directory(small_yaml, tmp_path, capsys) -> None:
    """--overwrite once deleted a whole project folder (a thesis, the scenario files) that a
    user gave as --out. It replaces a directory of cogov's own outputs, and nothing else."""
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "thesis.docx").write_text("important")
    argv = ["run", str(small_yaml), "--months", "2", "--out", str(project), "--overwrite"]
    assert cli.main(argv) == 2
    assert "no manifest.json of a cogov run or compare, which cogov did not write" in \
        capsys.readouterr().err
    assert (project / "data" / "thesis.docx").read_text() == "important"
    out = tmp_path / "out"
    assert cli.main(["run", str(small_yaml), "--months", "2", "--out", str(out)]) == 0
    assert cli.main(["run", str(small_yaml), "--months", "3", "--out", str(out),
                     "--overwrite"]) == 0  # a cogov output: replaced
    (out / "notes.txt").write_text("mine")
    assert cli.main(["run", str(small_yaml), "--months", "2", "--out", str(out),
                     "--overwrite"]) == 2
    assert (out / "notes.txt").read_text() == "mine"


def test_compare_table_differences_are_paired_per_replicate_on_a_common_seed() -> None:
    """A and B ran replicates 0-2 on seed 7 (common random numbers): B - A per replicate is
    0.05, 0.10, 0.05, mean 1/15, sd 0.028868, t(0.975, 2) = 4.3027. C ran on another seed:
    not paired, so only the difference of the means, with no interval."""
    name = "participation_any_last12"
    summary = pd.DataFrame({
        "scenario": ["A"] * 3 + ["B"] * 3 + ["C"] * 3,
        "replicate": [0, 1, 2] * 3,
        "seed": [7] * 6 + [8] * 3,
        name: [0.10, 0.20, 0.30, 0.15, 0.30, 0.35, 0.25, 0.20, 0.30],
    })
    table = runner.compare_table(summary, [name]).set_index("scenario")
    assert table.loc["A", ["reference", "mean"]].tolist() == ["A", pytest.approx(0.2)]
    assert np.isnan(table.loc["A", "difference"]) and np.isnan(table.loc["A", "diff_low"])
    b = table.loc["B"]
    assert b["paired"] and b["diff_n"] == 3
    assert b["difference"] == pytest.approx(1 / 15)
    half = 4.302653 * 0.0288675 / np.sqrt(3)
    assert [b["diff_low"], b["diff_high"]] == pytest.approx([1 / 15 - half, 1 / 15 + half],
                                                           abs=1e-6)
    c = table.loc["C"]
    assert not c["paired"] and c["difference"] == pytest.approx(0.05)
    assert np.isnan(c["diff_low"]) and np.isnan(c["diff_high"])
    # the scenarios' own means and intervals are those of the run table
    assert table["ci_low"].tolist() == runner.summary_table(summary, [name])["ci_low"].tolist()


def test_compare_table_csv_names_each_metric_in_both_languages_after_the_old_columns(
        tmp_path, make_result) -> None:
    old = ["scenario", "metric", "n", "mean", "ci_low", "ci_high", "nan", "inf", "reference",
           "paired", "diff_n", "difference", "diff_low", "diff_high"]
    results = [make_result("A"), make_result("B")]
    runner.write_comparison(tmp_path / "cmp", results, ["cogov", "compare"])
    table = pd.read_csv(tmp_path / "cmp" / "compare_table.csv", encoding="utf-8")
    assert list(table.columns) == [*old, "label_zh", "label_en"]
    row = table.set_index(["scenario", "metric"]).loc[("B", "participation_migrant_last12")]
    assert row["label_zh"] == labels.label("participation_migrant_last12", "zh")
    assert row["label_en"] == labels.label("participation_migrant_last12", "en")
    assert table["label_zh"].str.contains(r"[\u4e00-\u9fff]").all()


def test_compare_table_interval_of_a_share_difference_stays_within_minus_one_to_one() -> None:
    name = "needs_met_last12"
    summary = pd.DataFrame({"scenario": ["A", "A", "B", "B"], "replicate": [0, 1, 0, 1],
                            "seed": 1, name: [0.0, 0.0, 1.0, 0.5]})
    row = runner.compare_table(summary, [name]).iloc[-1]
    assert row["difference"] == 0.75 and row["diff_high"] == 1.0 and row["diff_low"] < 0


def test_a_run_with_a_community_table_writes_the_spread_between_communities(
    tmp_path, make_result, monkeypatch
) -> None:
    """Issue 14: `cogov run` of a scenario with `structure.communities` adds
    plots/community_spread.png; a scenario without a table does not (the test above)."""
    import dataclasses

    from sim import plots

    monkeypatch.setattr(plots, "RUN_FIGURES", {"funds": plots.funds_figure})  # one is enough
    result = make_result("table", replicates=2, months=24)
    district = result.timeseries.assign(level="district", street_office="", community="")
    rows = [district.assign(level="community", street_office=str(s), community=f"{s}-{k}",
                            participation_any=district["participation_any"] * k / 4)
            for s in (1, 2) for k in (1, 2, 3)]
    # a table given (its rows do not matter here: the frame above holds the communities)
    structure = result.scenario.structure.model_copy(update={"communities": ()})
    scenario = result.scenario.model_copy(update={"structure": structure})
    table = dataclasses.replace(result, scenario=scenario,
                                timeseries=pd.concat([district, *rows], ignore_index=True))
    out = runner.write_outputs(tmp_path / "out", table, ["cogov"])
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["community_spread.png",
                                                                  "funds.png"]
