"""The teaching demo's entry point (sim/app.py, issue 4): the page in a real browser.

The browser tests start the demo server (``sim.app.serve``, ``python -m sim demo``) in a
subprocess on a free local port and drive Debian's headless /usr/bin/chromium with Playwright's
Python API; they are skipped, with the reason, only when that browser is absent (.ci/run
installs it). Screenshots and the measured step-render time go to test-artifacts/ (gitignored).
The demo's parts by hand: tests/test_demo_*.py, one file per module of sim/demo/.
"""

from __future__ import annotations

import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim import app
from sim.demo.page import BUTTONS

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


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


def button(pg, key: str):
    """One of the run's buttons (``page.BUTTONS``: reset, step, play, pause)."""
    return pg.get_by_role("button", name=BUTTONS[key], exact=True)


def step(pg) -> None:
    button(pg, "step").click()


def open_panel(pg, key: str) -> None:
    """Open a sidebar panel: ``reset`` or a lever group (``huanquan``, ``funeng``, ...)."""
    panel = pg.locator(f".panel-{key}")
    if "v-expansion-panel--active" not in (panel.get_attribute("class") or ""):
        panel.locator(".v-expansion-panel-header").click()
    pg.wait_for_function(
        "k => document.querySelector('.panel-' + k + ' .v-expansion-panel-content')"
        ".getBoundingClientRect().height > 0", arg=key, timeout=10_000)


@needs_chromium
def test_page_loads_with_controls_levers_picture_charts_and_explanation(page) -> None:
    assert month_of(page) == 0
    for key in ("step", "reset", "play"):
        assert button(page, key).is_visible()
    assert page.locator(".cogov-lever [role=slider]").count() == sum(
        lever.kind in ("float", "int") for lever in app.LEVERS)
    # every adult drawn once: locals as dots, migrants as diamonds
    assert page.locator(".cogov-picture circle, .cogov-picture path.m").count() == 2000
    assert page.locator(".cogov-chart svg").count() == 6
    assert "新瓶装老酒" in page.locator(".cogov-explain").inner_text()
    page.screenshot(path=ARTIFACTS / "demo-01-loaded.png")


@needs_chromium
def test_step_advances_the_month_and_the_picture_and_charts_change(page) -> None:
    charts, picture = page.locator(".cogov-charts"), page.locator(".cogov-picture svg")
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
    open_panel(page, "funeng")
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
    # each control's update is its own message: on a loaded machine the page can be read between
    wait_text(page, ".lever-admin_items .cogov-value", "69")
    assert page.locator(".lever-admin_items .cogov-value").inner_text() == "69"
    assert page.locator(".cogov-pending").count() == 0  # loading moves no lever
    # the run's controls still work
    step(page)
    wait_month(page, 1)
    page.screenshot(path=ARTIFACTS / "demo-04-preset.png")


@needs_chromium
def test_play_pause_and_reset_with_a_typed_seed(page) -> None:
    button(page, "play").click()
    page.wait_for_function(
        "parseInt(document.querySelector('.cogov-month').innerText.match(/month (\\d+)/)[1]) >= 3",
        timeout=20_000)
    button(page, "pause").click()
    time.sleep(1.0)
    paused = month_of(page)
    time.sleep(1.0)
    assert month_of(page) == paused >= 3
    open_panel(page, "reset")
    seed = page.get_by_label("种子 seed ⟲")
    seed.fill("42")
    seed.press("Enter")
    button(page, "reset").click()
    wait_month(page, 0)
    wait_text(page, ".cogov-status", "seed 42")
    page.screenshot(path=ARTIFACTS / "demo-05-reset.png")
