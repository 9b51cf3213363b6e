"""The cogov command end to end, on small scenarios (a second or two each)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from sim import cli, labels, metrics, runner
from sim.runner import DIFFERENCE_RULE, DIFFERENCE_RULE_ZH

SMALL = ["--months", "12", "--set", "structure.residents_per_community=200"]
SCENARIOS = sorted((Path(__file__).parents[1] / "scenarios").glob("*.yaml"))


def cogov(*args: object) -> list[str]:
    return [str(a) for a in args]


# --------------------------------------------------------------------------------------- run
def test_run_writes_all_outputs_and_prints_the_table(small_yaml, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert cli.main(cogov("run", small_yaml, "--replicates", 2, "--out", out, *SMALL)) == 0
    printed = capsys.readouterr().out
    assert "small: 2 replicates, seed 7, 12 months" in printed
    assert "participation_any_last12" in printed and "[" in printed  # mean [95% CI]
    assert f"wrote {out}" in printed
    ts = pd.read_csv(out / "timeseries.csv")
    assert list(ts.columns) == ["scenario", "replicate", "seed", "month", *metrics.METRICS]
    assert len(ts) == 2 * 12 and len(pd.read_csv(out / "summary.csv")) == 2
    assert len(list((out / "plots").glob("*.png"))) == 6
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"][:2] == ["cogov", "run"] and "--replicates" in manifest["command"]
    assert manifest["runs"][0]["scenario"]["structure"]["residents_per_community"] == 200
    assert manifest["versions"]["mesa"].startswith("3.3")


def test_python_dash_m_sim_with_workers_equals_serial_bit_for_bit(small_yaml, tmp_path) -> None:
    args = cogov("run", small_yaml, "--replicates", 3, "--seed", 5, *SMALL)
    assert cli.main([*args, "--out", str(tmp_path / "serial")]) == 0
    done = subprocess.run(
        [sys.executable, "-m", "sim", *args, "--workers", "2", "--out", tmp_path / "parallel"],
        capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"}, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for name in ("timeseries.csv", "summary.csv"):
        serial, parallel = (tmp_path / run / name for run in ("serial", "parallel"))
        assert serial.read_bytes() == parallel.read_bytes()
    assert_frame_equal(pd.read_parquet(tmp_path / "serial" / "timeseries.parquet"),
                       pd.read_parquet(tmp_path / "parallel" / "timeseries.parquet"))


def test_same_seed_same_timeseries(small_yaml, tmp_path) -> None:
    for name in ("a", "b"):
        args = cogov("run", small_yaml, "--seed", 3, "--replicates", 2, "--out", tmp_path / name)
        assert cli.main([*args, *SMALL]) == 0
    a, b = (tmp_path / name / "timeseries.csv" for name in ("a", "b"))
    assert a.read_bytes() == b.read_bytes()


def test_default_out_dir_is_named_after_the_scenario(small_yaml, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(cogov("run", small_yaml, *SMALL)) == 0
    (out,) = (tmp_path / "results").iterdir()
    assert out.name.startswith("small-") and len(out.name) == len("small-YYYYmmdd-HHMMSS")


def test_bad_set_exits_2_with_the_key_and_leaves_no_output(small_yaml, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    code = cli.main(cogov("run", small_yaml, "--out", out, "--set", "policy.devolutoin=0.5"))
    err = capsys.readouterr().err
    assert code == 2
    assert "policy.devolutoin" in err and "did you mean 'devolution'" in err
    assert "Traceback" not in err and not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["small.yaml"]


@pytest.mark.parametrize("bad", [["--workers", "0"], ["--replicates", "x"], ["--months", "5000"],
                                 ["--seed", "-1"], ["--frobnicate"]])
def test_bad_arguments_exit_2(small_yaml, tmp_path, bad, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(cogov("run", small_yaml, "--out", tmp_path / "out", *bad))
    assert exit_.value.code == 2 and "usage:" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_non_empty_out_dir_exits_2_untouched_unless_overwrite(small_yaml, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert cli.main(cogov("run", small_yaml, "--out", out, *SMALL)) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    # --overwrite replaces only cogov's own outputs: a user's file is never deleted
    assert cli.main(cogov("run", small_yaml, "--out", out, "--overwrite", *SMALL)) == 2
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    (out / "notes.txt").unlink()
    assert cli.main(cogov("run", small_yaml, "--out", out, *SMALL)) == 0
    assert cli.main(cogov("run", small_yaml, "--out", out, "--overwrite", *SMALL)) == 0
    assert (out / "manifest.json").exists()


def _fail_on_replicate_1(scenario, replicate):
    if replicate == 1:
        raise FloatingPointError("boom")
    return _real_run_replicate(scenario, replicate)


_real_run_replicate = runner.run_replicate


@pytest.mark.parametrize("debug", ["0", "1"])
def test_failed_run_exits_1_naming_the_replicate(small_yaml, tmp_path, monkeypatch, capsys,
                                                 debug) -> None:
    monkeypatch.setattr(runner, "run_replicate", _fail_on_replicate_1)
    monkeypatch.setenv("COGOV_DEBUG", debug)
    out = tmp_path / "out"
    assert cli.main(cogov("run", small_yaml, "--replicates", 2, "--out", out, *SMALL)) == 1
    err = capsys.readouterr().err
    assert "run failed: scenario 'small' replicate 1 (seed 7): FloatingPointError: boom" in err
    assert ("Traceback" in err) == (debug == "1")
    assert not out.exists()


def test_running_an_experiment_file_points_to_sweep(tmp_path, capsys) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text("scenario: s.yaml\nmethod: sobol\nparameters: {policy.devolution: [0, 1]}\n")
    assert cli.main(cogov("run", path)) == 2
    assert "cogov sweep" in capsys.readouterr().err


# ---------------------------------------------------------------------------------- validate
def test_validate_passes_good_files(small_yaml, capsys) -> None:
    assert cli.main(cogov("validate", small_yaml, *SCENARIOS)) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"OK {small_yaml}" and len(printed) == 1 + len(SCENARIOS)


def test_validate_lists_every_problem_with_file_line_and_key(small_yaml, tmp_path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\npolicy:\n  devolution: 1.5\n  transparancy: 0.3\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\npolicy: {devolution: 0.5\n")
    assert cli.main(cogov("validate", bad, small_yaml, broken, tmp_path / "missing.yaml")) == 2
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [f"OK {small_yaml}"]
    err = captured.err.splitlines()
    assert f"{bad}:3 policy.devolution: must be between 0 and 1, got 1.5" in err
    assert any(line.startswith(f"{bad}:4 policy.transparancy: unknown key") for line in err)
    assert any(line.startswith(f"{broken}:") and "YAML syntax" in line for line in err)
    assert any(line.startswith(f"{tmp_path / 'missing.yaml'}: file not found") for line in err)
    assert "Traceback" not in captured.err


def test_validate_checks_experiment_files(small_yaml, tmp_path, capsys) -> None:
    good = tmp_path / "exp.yaml"
    good.write_text(f"scenario: {small_yaml.name}\nmethod: grid\n"
                    "parameters: {policy.devolution: [0, 1]}\n"
                    "metrics: [participation_any_last12]\n")
    bad = tmp_path / "bad_exp.yaml"
    bad.write_text(f"scenario: {small_yaml.name}\nmethod: sobol\nsamples: 8\n"
                   "parameters: {policy.devolution: [0, 2]}\n"
                   "metrics: [participation_any_last1]\n")
    assert cli.main(cogov("validate", good, bad)) == 2
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [f"OK {good}"]
    assert f"{bad}:4 parameters.policy.devolution: bounds [0, 2] outside" in captured.err
    assert f"{bad}:5 metrics[0]: unknown metric 'participation_any_last1' (did you mean" \
           in captured.err
    assert "Traceback" not in captured.err


def test_validate_checks_targets_files_and_run_points_them_to_calibrate(tmp_path, capsys
                                                                         ) -> None:
    shipped = Path(__file__).resolve().parents[1] / "calibration" / "anchors.yaml"
    bad = tmp_path / "bad_targets.yaml"
    bad.write_text(shipped.read_text(encoding="utf-8").replace(
        "statistic: volunteer_annual", "statistic: volunteer_anual"), encoding="utf-8")
    line = next(i for i, text in enumerate(bad.read_text().splitlines(), 1)
                if "volunteer_anual" in text)
    assert cli.main(cogov("validate", shipped, bad)) == 2
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [f"OK {shipped}"]
    assert f"{bad}:{line} targets.volunteered_in_a_year.statistic:" in captured.err
    assert "Traceback" not in captured.err
    assert cli.main(cogov("run", shipped, "--replicates", "1")) == 2
    assert "run it with `cogov calibrate`" in capsys.readouterr().err


# ------------------------------------------------------------------------------ sweep, analyze
GRID = """\
scenario: {scenario}
method: grid
replicates: 2
seed: 3
months: 6
parameters:
  policy.devolution: [0, 1]
  policy.incentive.scheme: [none, recognition]
metrics: [participation_any_last12]
"""


def test_sweep_then_analyze_end_to_end(small_yaml, tmp_path, capsys) -> None:
    exp = tmp_path / "grid.yaml"
    exp.write_text(GRID.format(scenario=small_yaml.name))
    out = tmp_path / "sweep"
    assert cli.main(cogov("sweep", exp, "--out", out, "--workers", 1)) == 0
    captured = capsys.readouterr()
    assert "grid sweep: 8 runs (8 run now, 0 from the journal), 0 failed" in captured.out
    assert "cogov: 8/8 runs (100%)" in captured.err  # quiet progress lines off a terminal
    results = pd.read_parquet(out / "results.parquet")
    assert len(results) == 8 and (results.status == "ok").all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"][:2] == ["cogov", "sweep"] and manifest["finished"]
    # again without --resume: refused, untouched; with --resume: nothing to redo
    assert cli.main(cogov("sweep", exp, "--out", out)) == 2
    assert "--resume" in capsys.readouterr().err
    assert cli.main(cogov("sweep", exp, "--out", out, "--resume", "--workers", 1)) == 0
    assert "(0 run now, 8 from the journal)" in capsys.readouterr().out
    assert cli.main(cogov("analyze", out)) == 0
    captured = capsys.readouterr()
    assert "participation_any_last12 (grid, noise share" in captured.out
    assert (out / "analysis" / "grid_participation_any_last12.csv").exists()
    assert (out / "analysis" / "grid_participation_any_last12.png").exists()


def test_sweep_with_failed_runs_exits_1_and_names_them(tmp_path, capsys) -> None:
    exp = tmp_path / "fails.yaml"
    exp.write_text("target: sim.testfunctions:fails_above\nmethod: grid\n"
                   "parameters: {x1: [0.2, 0.9]}\nmetrics: [y]\n")
    assert cli.main(cogov("sweep", exp, "--out", tmp_path / "o", "--workers", 1)) == 1
    captured = capsys.readouterr()
    assert "1 failed" in captured.out
    assert "run failed: point 1 replicate 0: ValueError: x1 = 0.900 is above 0.5" in captured.err
    assert "Traceback" not in captured.err


def test_sweep_bad_experiment_exits_2_and_leaves_no_directory(tmp_path, capsys) -> None:
    exp = tmp_path / "bad.yaml"
    exp.write_text("target: sim.testfunctions:ishigami\nmethod: sobol\nsamples: 10\n"
                   "parameters: {x1: [0, 1]}\nmetrics: [y]\n")
    out = tmp_path / "never"
    assert cli.main(cogov("sweep", exp, "--out", out)) == 2
    assert f"{exp}:3 samples: sobol needs a power of 2" in capsys.readouterr().err
    assert not out.exists()
    assert cli.main(cogov("sweep", exp, "--resume")) == 2
    assert cli.main(cogov("analyze", tmp_path / "nothing")) == 2
    assert "no finished sweep" in capsys.readouterr().err


def test_demo_with_a_bad_scenario_exits_2_before_serving(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\npolicy: {devolution: 2}\n")
    assert cli.main(cogov("demo", bad, "--port", 0, "--no-browser")) == 2
    assert f"{bad}:2 policy.devolution: must be between 0 and 1, got 2" in capsys.readouterr().err


# ----------------------------------------------------------------------------------- compare
def test_compare_prints_scenarios_side_by_side_and_writes_files(small_yaml, tmp_path,
                                                                 capsys) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(f"extends: {small_yaml.name}\nname: other\npolicy: {{devolution: 0}}\n")
    out = tmp_path / "cmp"
    assert cli.main(cogov("compare", small_yaml, other, "--replicates", 2, "--out", out,
                          *SMALL)) == 0
    header = next(line for line in capsys.readouterr().out.splitlines() if "metric" in line)
    assert header.split()[-2:] == ["small", "other"]
    assert sorted(p.name for p in out.iterdir()) == [
        "compare.csv", "compare.png", "compare_table.csv", "manifest.json",
        "timeseries.parquet"]
    table = pd.read_csv(out / "compare.csv")
    assert table["scenario"].tolist() == ["small", "small", "other", "other"]
    assert len(pd.read_parquet(out / "timeseries.parquet")) == 2 * 2 * 12
    assert [r["scenario"]["name"] for r in json.loads((out / "manifest.json").read_text())["runs"]
            ] == ["small", "other"]


def test_compare_refuses_two_scenarios_of_one_name(small_yaml, tmp_path, capsys) -> None:
    out = tmp_path / "cmp"
    assert cli.main(cogov("compare", small_yaml, small_yaml, "--out", out)) == 2
    assert "distinct names" in capsys.readouterr().err and not out.exists()


def test_compare_reports_a_bad_set_once(small_yaml, tmp_path, capsys) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("name: other\n")
    assert cli.main(cogov("compare", small_yaml, other, "--set", "nope=1")) == 2
    assert capsys.readouterr().err.count("unknown key 'nope'") == 1


def test_format_table_puts_scenarios_in_columns_and_blanks_single_replicate_ci() -> None:
    table = pd.DataFrame(
        {"scenario": ["a", "b"], "metric": ["x", "x"], "n": [3, 1], "mean": [0.5, 0.25],
         "ci_low": [0.4, float("nan")], "ci_high": [0.6, float("nan")], "nan": [0, 0],
         "inf": [0, 0]}
    )
    lines = cli.format_table(table).splitlines()
    assert lines[0].split()[-2:] == ["a", "b"]
    assert lines[1].split() == ["x", "0.5", "[0.4,", "0.6]", "0.25"]
    assert "95% t interval of the mean over replicates" in lines[2]  # the rule is named
    assert "one replicate" in lines[3] and "--replicates 2" in lines[3]


def test_format_table_speaks_the_language_asked() -> None:
    """New-user check: under --lang zh the table's heading and notes were English."""
    table = pd.DataFrame(
        {"scenario": ["a", "b"], "metric": ["mean_trust_last12"] * 2, "n": [3, 1],
         "mean": [0.5, 0.25], "ci_low": [0.4, float("nan")], "ci_high": [0.6, float("nan")],
         "nan": [0, 1], "inf": [0, 0]})
    zh = cli.format_table(table, "zh").splitlines()
    assert zh[0].startswith("指标：均值 [95% t 置信区间]") and "名称" in zh[0]
    english = re.compile(r"(?<!-)\b(metric|label|interval|replicates?)\b")
    assert not [line for line in zh if english.search(line)]
    assert len(zh) == 5 and all(re.search(r"[\u4e00-\u9fff]", line) for line in zh[2:])
    both = cli.format_table(table, "both").splitlines()
    assert "指标：均值" in both[0] and "metric: mean [95% t CI]" in both[0]
    assert both[2:] == [line for pair in zip(zh[2:], cli.format_table(table, "en")
                                             .splitlines()[2:], strict=True) for line in pair]


def test_compare_in_chinese_prints_its_difference_heading_in_chinese(small_yaml, tmp_path,
                                                                     capsys) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(f"extends: {small_yaml.name}\nname: other\npolicy: {{devolution: 0}}\n")
    assert cli.main(cogov("compare", small_yaml, other, "--replicates", 2, "--out",
                          tmp_path / "cmp", "--lang", "zh", *SMALL)) == 0
    printed = capsys.readouterr().out
    assert "与 small 之差（情景 − small" in printed and "指标：差值 [95% t 置信区间]" in printed
    assert DIFFERENCE_RULE_ZH in printed
    assert "Difference from" not in printed and "metric:" not in printed
    assert DIFFERENCE_RULE not in printed


def test_one_replicate_claims_no_interval_anywhere() -> None:
    table = pd.DataFrame({"scenario": ["a"], "metric": ["x"], "n": [1], "mean": [0.5],
                          "ci_low": [float("nan")], "ci_high": [float("nan")], "nan": [0],
                          "inf": [0]})
    text = cli.format_table(table)
    assert "CI" not in text and "95%" not in text
    assert "run --replicates 2 or more" in text


@pytest.mark.parametrize(("argv", "missing", "extra"), [
    (["demo", "--no-browser"], "solara", "demo"),
    (["sweep", "EXPERIMENT.yaml", "--executor", "dask"], "distributed", "dask"),
])
def test_a_command_needing_an_uninstalled_extra_names_it(argv, missing, extra, monkeypatch,
                                                        capsys, tmp_path) -> None:
    """Issue 8 §6: the demo and the Dask executor are extras; without them the command says
    which extra to install, exit 2, before doing anything."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == missing else real(name, *a))
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert f"pip install 'cogov[{extra}]'" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_notes_speak_only_of_what_the_table_shows() -> None:
    """Three replicates and a metric undefined in all of them: no "one replicate" note, and
    the dagger that the note explains stands in the table."""
    table = pd.DataFrame({"scenario": ["a", "a"], "metric": ["x", "yuan_per_satisfaction"],
                          "n": [3, 0], "mean": [0.5, float("nan")], "ci_low": [0.4, float("nan")],
                          "ci_high": [0.6, float("nan")], "nan": [0, 3], "inf": [0, 0]})
    text = cli.format_table(table)
    assert "one replicate" not in text
    assert "n/a†" in text and "† some replicates are undefined" in text


def test_a_demo_port_in_use_is_named_at_once(capsys) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["demo", "--no-browser", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"--port {port}: the port is in use") and "Traceback" not in err


# ------------------------------------------------------------- issue 11: horizons, languages
def test_compare_refuses_different_horizons_before_anything_runs(small_yaml, tmp_path,
                                                                  capsys) -> None:
    longer = tmp_path / "longer.yaml"
    longer.write_text(f"extends: {small_yaml.name}\nname: longer\nmonths: 24\n")
    out = tmp_path / "cmp"
    assert cli.main(cogov("compare", small_yaml, longer, "--out", out)) == 2
    err = capsys.readouterr().err
    assert f"{small_yaml}: 12 months" in err and f"{longer}: 24 months" in err
    assert "--months" in err and "Traceback" not in err and not out.exists()


def test_compare_over_one_horizon_writes_paired_differences(small_yaml, tmp_path,
                                                            capsys) -> None:
    longer = tmp_path / "longer.yaml"
    longer.write_text(f"extends: {small_yaml.name}\nname: longer\nmonths: 24\n"
                      "policy: {devolution: 0}\n")
    out = tmp_path / "cmp"
    assert cli.main(cogov("compare", small_yaml, longer, "--replicates", 2, "--out", out,
                          "--lang", "en", *SMALL)) == 0
    printed = capsys.readouterr().out
    assert "Difference from small" in printed and "metric: difference [95% t CI]" in printed
    table = pd.read_csv(out / "compare_table.csv")
    other = table[table["scenario"] == "longer"]
    assert other["paired"].all() and (other["reference"] == "small").all()
    summary = pd.read_csv(out / "compare.csv").set_index(["scenario", "replicate"])
    gap = summary.loc["longer", "mean_trust_last12"] - summary.loc["small", "mean_trust_last12"]
    row = other.set_index("metric").loc["mean_trust_last12"]
    assert row["difference"] == pytest.approx(gap.mean())


def test_format_table_labels_metrics_in_the_chosen_language_and_aligns_cjk() -> None:
    table = pd.DataFrame({"scenario": ["基线", "改革"], "metric": "mean_trust_last12", "n": 3,
                          "mean": [0.5, 0.6], "ci_low": [0.4, 0.5], "ci_high": [0.6, 0.7],
                          "nan": 0, "inf": 0})
    assert labels.label("mean_trust_last12", "en") in cli.format_table(table, "en")
    zh = cli.format_table(table, "zh").splitlines()
    assert labels.label("mean_trust_last12", "zh") in zh[1]
    # in display columns (a CJK character takes two) the scenarios' columns start together
    starts = [cli._width(line[:line.index(cell)]) for line, cell in zip(zh[:2], ["改革", "0.6 ["],
                                                                         strict=True)]
    assert starts[0] == starts[1]
    assert "mean_trust_last12" in cli.format_table(table, "both")  # the key stays


def test_without_the_font_lang_zh_says_so_once_and_draws_english(small_yaml, tmp_path,
                                                                 monkeypatch, capsys) -> None:
    from sim import fonts

    monkeypatch.setattr(fonts, "FONT_FILE", fonts.FONT_FILE.with_name("missing.ttf"))
    out = tmp_path / "out"
    assert cli.main(cogov("run", small_yaml, "--out", out, "--lang", "zh", *SMALL)) == 0
    captured = capsys.readouterr()
    assert captured.err.count(fonts.NO_FONT_NOTICE) == 1
    assert labels.label("mean_trust_last12", "zh") in captured.out  # a terminal draws it


def test_lang_is_offered_by_every_command_that_shows_words() -> None:
    parser = cli.build_parser()
    for argv in (["run", "x.yaml"], ["compare", "x.yaml"], ["sweep", "x.yaml"],
                 ["analyze", "d"]):
        assert parser.parse_args(argv).lang == "both"
        assert parser.parse_args([*argv, "--lang", "zh"]).lang == "zh"
    assert cli.LANGS == labels.LANGS
