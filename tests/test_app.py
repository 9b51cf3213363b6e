"""The teaching demo (sim/app.py, issue 4): its parts by hand, then the page in a real browser.

The browser tests start the demo server (``sim.app.serve``) in a subprocess on a free local port
and drive Debian's headless /usr/bin/chromium with Playwright's Python API; they are skipped,
with the reason, only when that browser is absent (.ci/run installs it). Screenshots and the
measured step-render time go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sim import app
from sim.model import CoGovModel, replicate_rng
from sim.population import build_layout
from sim.runner import run_replicate
from sim.scenario import Policy, Scenario, ScenarioError, Structure

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SETTINGS = app.DemoSettings.for_path(None)


def teaching(**kwargs) -> app.DemoModel:
    return app.DemoModel(preset="teaching", presets=SETTINGS.presets, **kwargs)


# ------------------------------------------------------------------------ configuration
def test_presets_are_every_shipped_scenario_in_lesson_order_teaching_first() -> None:
    keys = [k for k, _ in SETTINGS.presets]
    shipped = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    assert sorted(keys) == shipped
    assert SETTINGS.default == "teaching" and keys[0] == "teaching"
    lesson = ["baseline", "chengdu_2009_fund", "nominal_devolution", "chengdu_reform",
              "fund_withdrawal"]
    assert [k for k in keys if k in lesson] == lesson


def test_a_scenario_outside_the_shipped_ones_joins_the_presets(tmp_path: Path) -> None:
    small_yaml = tmp_path / "small.yaml"
    small_yaml.write_text("name: small\nmonths: 12\n", encoding="utf-8")
    settings = app.DemoSettings.for_path(small_yaml)
    assert settings.default == "small"
    assert settings.path("small") == str(small_yaml.resolve())
    assert app.DemoSettings.for_path(ROOT / "scenarios" / "baseline.yaml").default == "baseline"
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        settings.path("nope")


@pytest.mark.parametrize("text, expected", [
    ("42", (42, None)), (42, (42, None)), (" 7 ", (7, None)), ("", (1, None)), (None, (1, None)),
])
def test_a_seed_typed_in_the_browser_becomes_an_int(text, expected) -> None:
    assert app.parse_seed(text, fallback=1) == expected


@pytest.mark.parametrize("text", ["abc", "4.5", "-3", str(2**63)])
def test_a_bad_seed_falls_back_with_a_note(text) -> None:
    seed, note = app.parse_seed(text, fallback=1)
    assert seed == 1 and note is not None and "using 1" in note


def test_every_lever_is_a_policy_key_whose_preset_values_sit_on_the_slider() -> None:
    """A slider that cannot show a preset's value would clip or snap it: no lever moves unless
    the teacher moves it."""
    assert len(app.LEVER_BY_PATH) == len(app.LEVERS)
    for key, path in SETTINGS.presets:
        data = Scenario.load(path).policy.model_dump()
        for lever in app.LEVERS:
            value = data
            for part in lever.path.split("."):
                value = value[part]
            assert lever.to_policy(lever.to_shown(value)) == value, (key, lever.path)
            if lever.kind in ("float", "int"):
                shown = lever.to_shown(value)
                assert lever.low <= shown <= lever.high, (key, lever.path, shown)
                steps = (shown - lever.low) / lever.step
                assert abs(steps - round(steps)) < 1e-6, (key, lever.path, shown)
    policy_fields = set(Policy.model_fields)
    assert {lever.path.split(".")[0] for lever in app.LEVERS} <= policy_fields


def test_lever_conversions_by_hand() -> None:
    fund = app.LEVER_BY_PATH["fund_per_community"]
    assert fund.to_shown(200_000.0) == 20 and fund.to_policy(7) == 70_000
    scheme = app.LEVER_BY_PATH["incentive.scheme"]
    assert scheme.to_shown("points") == "points 积分"
    assert scheme.to_policy("points 积分") == "points"
    assert app.LEVER_BY_PATH["party.dual_registration"].to_policy(1) is True
    assert "fund_per_community" in fund.label and "社区资金" in fund.label


# ------------------------------------------------------------------------------- the model
def test_solaraviz_can_rebuild_the_model_from_its_params() -> None:
    """SolaraViz's Reset calls ``DemoModel(**model_params)``: every key must be a parameter."""
    # imported here, after sim.app has imported Mesa's visualization quietly
    from mesa.visualization.solara_viz import _check_model_params, split_model_params

    params = app.reset_params(SETTINGS, "haicang_cocreation")
    _check_model_params(app.DemoModel.__init__, params)  # raises if a key is not accepted
    adjustable, fixed = split_model_params(params)
    assert set(adjustable) == {"seed", "migrant_share", "months"}
    model = app.DemoModel(**fixed, **{k: v["value"] for k, v in adjustable.items()})
    assert model.scenario.name == "haicang_cocreation"
    assert model.scenario.population.migrant_share == 0.56
    assert model.scenario.months == 60 and model.scenario.seed == 1


def test_the_demo_replays_replicate_0_of_the_typed_seed() -> None:
    demo = teaching(seed="42").run(4)
    scenario = Scenario.load(ROOT / "scenarios" / "teaching.yaml").with_overrides(
        {"seed": 42, "months": 4})
    plain, _ = run_replicate(scenario, 0)  # what `cogov run --seed 42 --months 4` runs
    assert demo.scenario.seed == 42 and demo.seed_note is None
    assert demo.timeseries().equals(plain.drop(columns=["scenario", "replicate", "seed"]))


def test_reset_overrides_migrant_share_and_months() -> None:
    model = teaching(migrant_share=0.6, months=12)
    assert model.scenario.population.migrant_share == 0.6 and model.scenario.months == 12
    assert model.run().month == 12 and model.running is False


def test_a_lever_acts_from_next_month_exactly_like_the_schedule() -> None:
    demo = teaching().run(3)
    demo.request({"fund_per_community": 50_000})  # a slider dragged: only its last value counts
    demo.request({"fund_per_community": 0})
    assert demo.policy.fund_per_community == 100_000  # not yet
    assert demo.pending() == {"fund_per_community": 0}
    assert demo.lever_values()["fund_per_community"] == 0  # the slider shows the request
    demo.run(6)
    assert demo.policy.fund_per_community == 0 and demo.pending() == {}
    assert demo.change_marks() == [(4, "社区资金 0万元/年")]
    scheduled = Scenario.load(ROOT / "scenarios" / "teaching.yaml").with_overrides(
        {"policy.schedule": [{"month": 4, "set": {"fund_per_community": 0}}]})
    plain = CoGovModel(scheduled, rng=replicate_rng(1, 0)).run(6)
    assert demo.timeseries().equals(plain.timeseries())


def test_a_bad_lever_value_is_refused_at_once() -> None:
    demo = teaching()
    with pytest.raises(ValueError):
        demo.request({"devolution": 1.5})
    assert demo.lever_log == [] and demo.pending() == {}


def test_schedule_changes_are_marked_when_they_apply() -> None:
    model = app.DemoModel(preset="fund_withdrawal", presets=SETTINGS.presets)
    model.run(36)
    assert model.change_marks() == []
    model.step()
    assert model.change_marks() == [(37, "社区资金 0万元/年")]
    assert model.lever_values()["fund_per_community"] == 0


# ----------------------------------------------------------------------------- the picture
def test_activity_state_by_hand() -> None:
    took = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1]], bool)
    assert app.activity_state(took).tolist() == [0, 1, 2, 3, 4, 4]


@pytest.mark.parametrize("size, community", [(2000, 0), (5000, 1), (37, 0)])
def test_community_map_gives_every_resident_its_own_cell_by_building(size, community) -> None:
    layout = build_layout(Structure(communities_per_street=2, residents_per_community=size))
    cmap = app.community_map(layout, community)
    assert len(cmap.residents) == size and cmap.residents[0] == layout.community_start[community]
    cells = set(zip(cmap.x.tolist(), cmap.y.tolist(), strict=True))
    assert len(cells) == size
    assert cmap.x.min() >= 0 and cmap.x.max() < cmap.width
    assert cmap.y.min() >= 0 and cmap.y.max() < cmap.height
    # a building is one block: its residents share a block, and no block holds two buildings
    block = (cmap.x // (cmap.cols + app.BLOCK_GAP), cmap.y // (cmap.rows + app.BLOCK_GAP))
    pairs = set(zip(layout.building[cmap.residents].tolist(), zip(*block, strict=True),
                    strict=True))
    assert len(pairs) == cmap.n_buildings
    assert len({b for b, _ in pairs}) == len({k for _, k in pairs}) == cmap.n_buildings
    # household members sit side by side
    household = layout.household[cmap.residents]
    same = household[1:] == household[:-1]
    assert np.all(cmap.y[1:][same] == cmap.y[:-1][same])


def test_community_svg_draws_every_resident_party_ring_worker_and_self_org_tie() -> None:
    model = app.DemoModel(preset="chengdu_reform", presets=SETTINGS.presets)
    while not model.self_orgs and model.month < model.scenario.months:
        model.step()
    assert model.self_orgs, "no self-organization formed under chengdu_reform in 60 months"
    cmap = app.community_map(model.layout, 0)
    svg = ET.fromstring(app.community_svg(model, cmap))
    ns = "{http://www.w3.org/2000/svg}"
    circles = svg.findall(f"{ns}circle")
    r = model.residents
    assert len(circles) == len(r)
    assert sum(" p" in c.get("class") for c in circles) == int(r.party.sum())
    state = app.activity_state(r.took)
    assert [int(c.get("class")[1]) for c in circles] == state.tolist()
    assert len(svg.findall(f"{ns}rect[@class='w']")) == int(r.grid_worker.sum())
    members = sum(len(o.members) for o in model.self_orgs.values())
    assert len(svg.findall(f"{ns}line[@class='o']")) == members
    caption = app.community_caption(model, cmap)
    assert f"{len(model.self_orgs)} 自组织" in caption and "2,000 居民" in caption


# ------------------------------------------------------------------------------ the charts
@pytest.mark.parametrize("value, expected", [
    (10, (10, 2)), (7.3, (8, 2)), (0.42, (0.5, 0.1)), (1234, (1250, 250)), (25, (25, 5)),
    (0, (1, 0.25)),
])
def test_nice_axis_top_by_hand(value, expected) -> None:
    top, step = app.nice_top(value)
    assert (top, step) == pytest.approx(expected)
    assert top >= value and 2 <= round(top / step) <= 5 or value == 0


def test_chart_panels_draw_each_metric_and_mark_policy_changes() -> None:
    model = teaching().run(2)
    model.request({"fund_per_community": 0})
    model.run(5)
    marks = [m for m, _ in model.change_marks()]
    panels = app.chart_panels(app.history_of(model), model.scenario.months, marks)
    assert len(panels) == len(app.CHARTS) == 6
    drawn = {metric for _, _, lines in app.CHARTS for metric, _, _ in lines}
    assert drawn >= {"participation_deliberate", "participation_migrant", "participation_party",
                     "mean_trust", "mean_efficacy", "mean_dependency", "fund_spent",
                     "fund_leaked", "fund_carried", "self_orgs_active", "social_orgs_active"}
    for title, legend, svg in panels:
        tree = ET.fromstring(svg)
        ns = "{http://www.w3.org/2000/svg}"
        assert title and legend
        assert len(tree.findall(f"{ns}line[@stroke-dasharray]")) == 1  # the month-3 change
        assert "nan" not in svg
    fund = dict(zip(app.CHARTS, panels, strict=True))[app.CHARTS[3]][2]
    assert "<polyline" in fund  # carried


# ------------------------------------------------------------------------------ the server
def test_serve_refuses_a_bad_scenario_before_starting(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\npolicy: {devolution: 1.5}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="policy.devolution"):
        app.serve(bad, free_port())
    with pytest.raises(ScenarioError, match="file not found"):
        app.serve(tmp_path / "missing.yaml", free_port())


def test_serve_refuses_a_busy_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(OSError):
            app.serve(None, busy.getsockname()[1])


# ---------------------------------------------------------------------- in a real browser
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed at /usr/bin/chromium "
    "(apt-get install chromium; .ci/run installs it)",
)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The demo served by the real command, ``python -m sim demo``, in a subprocess; yields
    its URL."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    log_path = ARTIFACTS / "demo-server.log"
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim", "demo", "--port", str(port), "--no-browser"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + 90
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"the demo server exited: {log_path.read_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(url, timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("the demo server did not answer within 90 s")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    text = log_path.read_text(encoding="utf-8")
    assert "Traceback" not in text, text[-3000:]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(server, browser):
    """A fresh page (a fresh session and model) on the demo; fails on any console error."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(server)
    pg.locator(".cogov-month").wait_for(timeout=60_000)
    pg.locator(".cogov-charts svg").first.wait_for(timeout=30_000)
    yield pg
    context.close()
    assert errors == [], errors


def month_of(pg) -> int:
    return int(re.search(r"month (\d+)", pg.locator(".cogov-month").inner_text()).group(1))


def wait_month(pg, month: int) -> None:
    pg.wait_for_function(
        f"document.querySelector('.cogov-month').innerText.includes('month {month} ')",
        timeout=15_000)


def wait_text(pg, selector: str, text: str) -> None:
    pg.wait_for_function(
        "([s, t]) => { const e = document.querySelector(s); return e && e.innerText.includes(t); }",
        arg=[selector, text], timeout=15_000)


def step(pg) -> None:
    pg.get_by_role("button", name="Step", exact=True).click()


@needs_chromium
def test_page_loads_with_controls_levers_picture_charts_and_explanation(page) -> None:
    assert month_of(page) == 0
    for name in ("Step", "Reset", "▶"):
        assert page.get_by_role("button", name=name, exact=True).is_visible()
    assert page.locator(".cogov-lever [role=slider]").count() == sum(
        lever.kind in ("float", "int") for lever in app.LEVERS)
    assert page.locator(".cogov-community circle").count() == 2000
    assert page.locator(".cogov-chart svg").count() == 6
    assert "新瓶装老酒" in page.locator(".cogov-explain").inner_text()
    page.screenshot(path=ARTIFACTS / "demo-01-loaded.png")


@needs_chromium
def test_step_advances_the_month_and_the_picture_and_charts_change(page) -> None:
    charts, picture = page.locator(".cogov-charts"), page.locator(".cogov-community svg")
    before = charts.inner_html(), picture.inner_html()
    step(page)
    wait_month(page, 1)
    page.wait_for_function("document.querySelectorAll('.cogov-charts polyline').length > 0")
    assert charts.inner_html() != before[0]
    assert picture.inner_html() != before[1]
    assert "participation" in page.locator(".cogov-status").inner_text()
    # the step-render time: click → the last change of the page's main area, in the page
    page.evaluate("""() => {
        window.__render = {click: 0, last: 0};
        document.addEventListener('click', () => { window.__render.click = performance.now(); },
                                  true);
        new MutationObserver(() => { window.__render.last = performance.now(); }).observe(
            document.querySelector('.cogov-main'),
            {subtree: true, childList: true, characterData: true, attributes: true});
    }""")
    times = []
    for month in range(2, 10):
        step(page)
        wait_month(page, month)
        time.sleep(0.3)  # let the last widgets of this month land
        mark = page.evaluate("() => window.__render")
        times.append(mark["last"] - mark["click"])
    median = statistics.median(times)
    (ARTIFACTS / "demo-step-render-ms.txt").write_text(
        f"click to last DOM change, teaching scenario (2,000 residents), months 2-9: "
        f"median {median:.0f} ms, max {max(times):.0f} ms, each {[round(t) for t in times]}\n",
        encoding="utf-8")
    page.screenshot(path=ARTIFACTS / "demo-02-stepped.png")
    # a measurement, reported in the artefact, not asserted: a timed assertion flakes on a
    # loaded machine (benchmarks/bench_demo.py measures the server side)
    assert len(times) == 8 and all(t > 0 for t in times), times


@needs_chromium
def test_a_slider_moved_mid_run_acts_from_next_month(page) -> None:
    step(page)
    wait_month(page, 1)
    thumb = page.locator(".lever-fund_per_community [role=slider]")
    assert thumb.get_attribute("aria-valuenow") == "10"
    thumb.focus()
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    wait_text(page, ".lever-fund_per_community .cogov-value", "0")
    assert thumb.get_attribute("aria-valuenow") == "0"
    wait_text(page, ".cogov-pending", "from month 2")
    assert page.locator(".cogov-charts line[stroke-dasharray]").count() == 0
    step(page)
    wait_month(page, 2)
    page.wait_for_function("document.querySelectorAll('.cogov-charts line[stroke-dasharray]')"
                           ".length === 6")
    assert page.locator(".cogov-pending").count() == 0
    assert page.locator(".lever-fund_per_community .cogov-value").inner_text() == "0"
    page.screenshot(path=ARTIFACTS / "demo-03-fund-withdrawn.png")


@needs_chromium
def test_a_preset_loads_at_once(page) -> None:
    step(page)
    wait_month(page, 1)
    page.locator(".cogov-preset .v-select").click()
    page.get_by_role("option", name="chengdu_reform", exact=True).click()
    wait_month(page, 0)
    wait_text(page, ".cogov-month", "of 60")
    wait_text(page, ".cogov-status", "Chengdu full reform")
    wait_text(page, ".lever-fund_per_community .cogov-value", "20")
    assert page.locator(".lever-admin_items .cogov-value").inner_text() == "69"
    assert page.locator(".cogov-pending").count() == 0  # loading moves no lever
    # SolaraViz's controls still come first in the sidebar, and still work
    step(page)
    wait_month(page, 1)
    page.screenshot(path=ARTIFACTS / "demo-04-preset.png")


@needs_chromium
def test_play_pause_and_reset_with_a_typed_seed(page) -> None:
    page.get_by_role("button", name="▶", exact=True).click()
    page.wait_for_function(
        "parseInt(document.querySelector('.cogov-month').innerText.match(/month (\\d+)/)[1]) >= 3",
        timeout=20_000)
    page.get_by_role("button", name="❚❚", exact=True).click()
    time.sleep(1.0)
    paused = month_of(page)
    time.sleep(1.0)
    assert month_of(page) == paused >= 3
    seed = page.get_by_label("种子 seed ⟲")
    seed.fill("42")
    seed.press("Enter")
    page.get_by_role("button", name="Reset", exact=True).click()
    wait_month(page, 0)
    wait_text(page, ".cogov-status", "seed 42")
    page.screenshot(path=ARTIFACTS / "demo-05-reset.png")
