"""Scenario discovery on sweeps of functions whose boxes are known (sim/discover.py)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import discover as disc
from sim.experiment import load_experiment
from sim.scenario import ScenarioError
from sim.sweep import sweep

BOX = """\
target: sim.testfunctions:noisy_box
method: lhs
samples: {samples}
replicates: {replicates}
seed: 4
parameters:
  x1: [{x1_low}, 1]
  x2: [0, 1]
  x3: [0, 1]
metrics: [y]
"""


def swept(tmp_path: Path, samples=500, replicates=2, x1_low=0) -> Path:
    path = tmp_path / "box.yaml"
    path.write_text(BOX.format(samples=samples, replicates=replicates, x1_low=x1_low),
                    encoding="utf-8")
    out = tmp_path / "sweep"
    sweep(load_experiment(path), out, workers=1)
    return out


@pytest.fixture(scope="module")
def box_sweep(tmp_path_factory) -> Path:
    return swept(tmp_path_factory.mktemp("box"))


def test_prim_finds_the_known_box_and_fresh_runs_confirm_it(box_sweep):
    """noisy_box: y = 1 with probability 0.9 in x1 ≥ 0.6, x2 ≤ 0.3 (0.1 elsewhere). The box
    found has limits within 0.06 of the true ones, both significant, and any limit on x3 is
    not (quasi-p > 0.05); on 150 fresh points its density is within 0.05 of the in-sample one
    and of the truth 0.9, and the outside density near 0.1."""
    found = disc.discover(box_sweep, disc.Condition("y", above=0.5), confirm=150)
    box = found.boxes[0]
    limits = box.limits.set_index("input")
    assert {"x1", "x2"} <= set(limits.index)
    assert (limits.loc[["x1", "x2"], "qp"] < 1e-4).all()
    assert (limits.drop(index=["x1", "x2"])["qp"] > 0.05).all()
    assert limits.loc["x1", "low"] == pytest.approx(0.6, abs=0.06)
    assert limits.loc["x2", "high"] == pytest.approx(0.3, abs=0.06)
    confirmed = box.confirmed
    assert confirmed["confirmed_points"] == 150
    assert abs(confirmed["confirmed_density"] - box.density) <= 0.05
    assert confirmed["confirmed_density"] == pytest.approx(0.9, abs=0.05)
    assert confirmed["outside_density"] == pytest.approx(0.1, abs=0.05)
    assert confirmed["confirmed_density_low"] <= confirmed["confirmed_density"] \
        <= confirmed["confirmed_density_high"] <= 1
    assert not box.flagged
    written = found.directory
    for name in ("points.csv", "boxes.csv", "summary.csv", "trajectory.csv", "tradeoff.png",
                 "tradeoff.svg", "manifest.json"):
        assert (written / name).exists(), name
    summary = pd.read_csv(written / "summary.csv")
    assert summary.loc[0, "confirmed_density"] == pytest.approx(confirmed["confirmed_density"])
    assert json.loads((written / "manifest.json").read_text())["kind"] == "discovery"


def test_the_sweep_report_shows_each_discovery(box_sweep):
    from sim import analysis, report

    disc.discover(box_sweep, disc.Condition("y", below=0.5), confirm=10)
    analysis.analyze(box_sweep)
    html = report.build(box_sweep, lang="en")
    assert "Scenario discovery: y &lt; 0.5 (prim)" in html
    assert "Box limits" in html and "qp" in html
    assert "PRIM peeling trajectory" in html  # the trade-off figure, as inline SVG text


def test_the_report_tells_a_discovery_in_a_region_from_one_on_the_whole_design(box_sweep):
    """Two discoveries of one condition, the second inside x1 ≥ 0.6, x2 ≤ 0.3 (where no box
    is found): their headings differ, and the report says why the second has no box."""
    from sim import analysis, report

    disc.discover(box_sweep, disc.Condition("y", above=0.6))
    disc.discover(box_sweep, disc.Condition("y", above=0.6),
                  where=[disc.parse_where("x1>=0.6"), disc.parse_where("x2<=0.3")])
    analysis.analyze(box_sweep)
    html = report.build(box_sweep, lang="en")
    assert "Scenario discovery: y &gt; 0.6 (prim)" in html
    assert "Scenario discovery: y &gt; 0.6 (prim, x1&gt;=0.6, x2&lt;=0.3)" in html
    assert "no box: no step of the trajectory" in html


def test_a_box_found_in_noise_is_flagged_on_fresh_runs(tmp_path):
    """With x1 below 0.6 noisy_box is a 10% coin whatever the inputs, and with one replicate a
    point's label is one toss: PRIM still peels to a box that looks dense in-sample, and the
    fresh runs show it is not (confirmed density near 0.1, the box flagged). Pruning by
    quasi-p lifts every limit of such a box: no box is left to report."""
    path = tmp_path / "noise.yaml"
    path.write_text(BOX.format(samples=400, replicates=1, x1_low=0).replace(
        "x1: [0, 1]", "x1: [0, 0.5]"), encoding="utf-8")
    noise = tmp_path / "noise"
    sweep(load_experiment(path), noise, workers=1)
    found = disc.discover(noise, disc.Condition("y", above=0.5), min_coverage=0.3, confirm=100,
                          max_qp=None)
    box = found.boxes[0]
    assert box.density >= 0.2  # in-sample: noise looks like a finding (twice the truth)
    assert box.confirmed["confirmed_density"] == pytest.approx(0.1, abs=0.07)
    assert box.flagged
    assert any("one replicate" in w for w in found.warnings)
    pruned = disc.discover(noise, disc.Condition("y", above=0.5), min_coverage=0.3)
    assert pruned.boxes == []  # its limits add nothing
    assert any("no box" in w for w in pruned.warnings)


def test_cart_leaf_matches_the_known_box(box_sweep):
    found = disc.discover(box_sweep, disc.Condition("y", above=0.5), method="cart")
    limits = found.boxes[0].limits.set_index("input")
    assert limits.loc["x1", "low"] == pytest.approx(0.6, abs=0.06)
    assert limits.loc["x2", "high"] == pytest.approx(0.3, abs=0.06)
    assert found.boxes[0].density >= 0.8


def test_label_flip_rate_is_the_chance_two_replicates_disagree():
    """Point 0: 2 of 4 replicates hold → 4 of the 6 pairs disagree; point 1: 4 of 4 → none."""
    results = pd.DataFrame({"point": [0] * 4 + [1] * 4, "status": "ok", "param:a": 0.0,
                            "m": [1, 1, 0, 0, 1, 1, 1, 1]})
    labelled = disc.label_points(results, ["a"], disc.Condition("m", above=0.5))
    assert labelled.points["label"].tolist() == [0.5, 1.0]
    assert labelled.flip_rate == pytest.approx((4 / 6 + 0) / 2)
    by_mean = disc.label_points(results, ["a"], disc.Condition("m", above=0.5), rule="mean")
    assert by_mean.points["label"].tolist() == [0.0, 1.0]  # mean 0.5 is not above 0.5


def test_top_share_labels_the_highest_point_means():
    results = pd.DataFrame({"point": range(10), "status": "ok", "param:a": range(10),
                            "m": np.arange(10.0)})
    labelled = disc.label_points(results, ["a"], disc.Condition("m", top=0.3))
    assert labelled.points.loc[labelled.points["label"] == 1, "a"].tolist() == [7, 8, 9]


def test_discovery_is_repeatable(box_sweep):
    first = disc.discover(box_sweep, disc.Condition("y", top=0.2), confirm=20)
    again = disc.discover(box_sweep, disc.Condition("y", top=0.2), confirm=20)
    assert first.boxes[0].limits.equals(again.boxes[0].limits)
    assert first.boxes[0].confirmed == again.boxes[0].confirmed


@pytest.mark.parametrize(("args", "message"), [
    (["--metric", "yy", "--above", "0.5"], "unknown metric 'yy' (did you mean 'y'?)"),
    (["--metric", "y", "--above", "2"], "holds at no design point"),
    (["--metric", "y", "--below", "2"], "holds at every design point"),
])
def test_bad_requests_exit_2_with_a_message(box_sweep, args, message):
    done = subprocess.run([sys.executable, "-m", "sim", "discover", str(box_sweep), *args],
                          capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_refuses_a_directory_without_a_sweep_and_too_few_points(tmp_path):
    with pytest.raises(ScenarioError, match="no finished sweep"):
        disc.discover(tmp_path, disc.Condition("y", above=0.5))
    small = swept(tmp_path, samples=20, replicates=1)
    with pytest.raises(ScenarioError, match="at least 30"):
        disc.discover(small, disc.Condition("y", above=0.5))


def test_where_finds_the_box_inside_a_region(box_sweep):
    """Within x1 ≥ 0.6 the cases of noisy_box lie at x2 ≤ 0.3 alone: the box restricts x2
    and nothing else significantly, and its confirmation samples stay in the region."""
    found = disc.discover(box_sweep, disc.Condition("y", above=0.5),
                          where=[disc.parse_where("x1>=0.6")], confirm=40)
    assert (found.labelled.points["x1"] >= 0.6).all()
    limits = found.boxes[0].limits.set_index("input")
    assert limits.loc["x2", "high"] == pytest.approx(0.3, abs=0.06)
    assert limits.loc["x2", "qp"] < 1e-4
    assert (limits.drop(index="x2")["qp"] > 0.05).all()
    assert found.boxes[0].confirmed["confirmed_density"] == pytest.approx(0.9, abs=0.08)
    fresh = pd.read_parquet(found.directory / "confirm_fresh" / "results.parquet")
    assert (fresh["param:x1"] >= 0.6).all()
    with pytest.raises(ScenarioError, match="expected KEY>=X"):
        disc.parse_where("x1=0.6")
    with pytest.raises(ScenarioError, match=r"--where leaves \d+ of the 500 design points"):
        disc.discover(box_sweep, disc.Condition("y", above=0.5),
                      where=[disc.parse_where("x1>=0.999")])


def test_confirmation_on_the_sweeps_own_seed_reruns_its_districts(box_sweep):
    """--confirm-seeds same: the new points run on the sweep's master seed (its R districts);
    fresh: on another."""
    same = disc.discover(box_sweep, disc.Condition("y", above=0.5), confirm=10, seeds="same")
    fresh = disc.discover(box_sweep, disc.Condition("y", above=0.5), confirm=10)
    seed_of = {kind: pd.read_parquet(r.directory / f"confirm_{kind}" / "results.parquet")
               ["seed"].unique().tolist() for kind, r in (("same", same), ("fresh", fresh))}
    assert seed_of["same"] == [4]
    assert seed_of["fresh"] != [4] and len(seed_of["fresh"]) == 1


def test_a_step_beyond_the_trajectory_is_refused_with_its_range(box_sweep):
    done = subprocess.run([sys.executable, "-m", "sim", "discover", str(box_sweep), "--metric",
                           "y", "--above", "0.5", "--step", "500"], capture_output=True,
                          text=True)
    assert done.returncode == 2, done.stderr
    assert "--step 500: the trajectory has steps 0 to" in done.stderr



def test_covering_reports_only_boxes_that_limit_some_lever(box_sweep):
    """noisy_box has one box: once it is taken, what is left is the 10% coin everywhere, and a
    further "box" whose every limit is lifted by quasi-p is the whole rest of the design, no
    box at all (and it would leave nothing outside the boxes to confirm against)."""
    found = disc.discover(box_sweep, disc.Condition("y", above=0.5), boxes=3, confirm=20)
    base = found.labelled.points["label"].mean()
    assert found.boxes
    for box in found.boxes:
        assert box.res_dim >= 1
        assert box.density > base
        assert np.isfinite(box.confirmed["outside_density"])
    assert len(found.boxes) < 3 and any("covering stopped" in w for w in found.warnings)
    written = pd.read_csv(found.directory / "summary.csv")
    assert len(written) == len(found.boxes)
    trajectory = pd.read_csv(found.directory / "trajectory.csv")
    assert sorted(trajectory["box"].unique()) == list(range(1, len(found.boxes) + 1))


def test_a_region_where_no_limit_matters_has_no_box(box_sweep):
    """Inside x1 ≥ 0.6, x2 ≤ 0.3 (the known box itself) every point is the same 90% coin: no
    limit is significant, so discovery reports no box rather than the region as one."""
    found = disc.discover(box_sweep, disc.Condition("y", above=0.5),
                          where=[disc.parse_where("x1>=0.6"), disc.parse_where("x2<=0.3")])
    assert found.boxes == []
    assert any("no box" in w for w in found.warnings)



def test_a_run_that_finds_no_box_leaves_no_figure_of_an_earlier_run(box_sweep):
    """The same folder, first with a box, then (a stricter --max-qp) with none: the earlier
    trajectory and figure would otherwise sit beside a summary with no box."""
    first = disc.discover(box_sweep, disc.Condition("y", above=0.5),
                          where=[disc.parse_where("x1>=0.6")])
    assert (first.directory / "tradeoff.png").exists() and first.boxes
    again = disc.discover(box_sweep, disc.Condition("y", above=0.5),
                          where=[disc.parse_where("x1>=0.6")], max_qp=1e-300)
    assert again.directory == first.directory and again.boxes == []
    assert not (again.directory / "tradeoff.png").exists()
    assert not (again.directory / "trajectory.csv").exists()


def test_the_tradeoff_figure_is_the_same_file_twice(box_sweep):
    first = disc.discover(box_sweep, disc.Condition("y", above=0.4)).directory
    svg = (first / "tradeoff.svg").read_bytes()
    again = disc.discover(box_sweep, disc.Condition("y", above=0.4)).directory
    assert (again / "tradeoff.svg").read_bytes() == svg



@pytest.mark.parametrize("lang", ["zh", "en", "both"])
def test_the_tradeoff_figure_axis_labels_fit_inside_it(lang):
    trajectory = pd.DataFrame({"step": [0, 1], "coverage": [1.0, 0.6], "density": [0.2, 0.7],
                               "res_dim": [0, 1]})
    fig = disc.tradeoff_figure(trajectory, {"step": 1, "coverage": 0.6, "density": 0.7},
                               "y > 0.5", lang)
    fig.draw_without_rendering()  # runs the constrained layout
    inside = fig.bbox.padded(1)
    ax = fig.axes[0]
    for label in (ax.xaxis.label, ax.yaxis.label):
        box = label.get_window_extent()
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1, label.get_text()
        assert inside.y0 <= box.y0 and box.y1 <= inside.y1, label.get_text()



def test_a_where_without_its_operator_says_the_shell_may_have_taken_it():
    """Unquoted, `--where policy.devolution>=0.6` reaches cogov as `policy.devolution`: the
    shell read `>` as a redirection."""
    with pytest.raises(ScenarioError, match="quote"):
        disc.parse_where("policy.devolution")


def test_a_top_share_widened_by_ties_is_said(box_sweep):
    """noisy_box's y is 0 or 1, so with 2 replicates a point's mean is 0, 0.5 or 1: "the top
    0.05" is every point with mean 1, far more than 5% of them."""
    found = disc.discover(box_sweep, disc.Condition("y", top=0.05), rule="mean")
    share = (found.labelled.points["label"] == 1).mean()
    assert share > 0.07
    assert any("--top 0.05" in w and "ties" in w for w in found.warnings)


def test_a_confirmation_of_another_box_does_not_reuse_the_earlier_runs(box_sweep):
    """Two boxes of one condition (steps far apart on the trajectory) confirmed in turn: the
    second runs its own points, inside its own box, not the first box's journal."""
    first = disc.discover(box_sweep, disc.Condition("y", above=0.5), confirm=10, step=5,
                          max_qp=None)
    second = disc.discover(box_sweep, disc.Condition("y", above=0.5), confirm=10, step=40,
                           max_qp=None)
    journal = [json.loads(line) for line in
               (second.directory / "confirm_fresh" / "journal.jsonl").read_text().splitlines()]
    ran = np.array([[row[f"param:{n}"] for n in ("x1", "x2", "x3")] for row in journal
                    if row["point"] < 10])  # the runs made, as the journal recorded them
    box = second.boxes[0].box
    assert first.boxes[0].box.lower.tolist() != box.lower.tolist()
    assert len(ran) and box.contains(ran).all()


@pytest.mark.parametrize(("args", "warning"), [
    (["--method", "cart", "--step", "3"], "--step has no effect with --method cart"),
    (["--method", "cart", "--max-qp", "0.2"], "--max-qp has no effect with --method cart"),
    (["--confirm-seeds", "same"], "--confirm-seeds has no effect without --confirm"),
])
def test_an_option_that_cannot_act_is_named(box_sweep, args, warning):
    done = subprocess.run([sys.executable, "-m", "sim", "discover", str(box_sweep), "--metric",
                           "y", "--above", "0.5", "--lang", "en", *args],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"warning: {warning}" in done.stderr


def test_the_trade_off_figure_says_how_many_levers_the_pruned_box_limits(box_sweep):
    from sim.plots import word

    found = disc.discover(box_sweep, disc.Condition("y", above=0.5))
    trajectory = pd.read_csv(found.directory / "trajectory.csv")
    chosen = disc.summary_table(found).iloc[0].to_dict()
    fig = disc.tradeoff_figure(trajectory[trajectory["box"] == 1], chosen, "y > 0.5", "en")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert word("chosen_box", "en", step=found.boxes[0].step,
                dims=found.boxes[0].res_dim) in legend
    assert found.boxes[0].res_dim == 2  # x1 and x2: the pruned box, not the trajectory's step
