"""Regenerate ``docs/demo.png`` (the README's picture of the demo) from the current model.

    python benchmarks/demo_png.py [--out docs/demo.png] [--width 1280] [--height 720]

Serves the real demo (``python -m sim demo scenarios/chengdu_reform.yaml``), drives it in
Debian's headless chromium (/usr/bin/chromium, through Playwright; never a downloaded browser):
steps 24 months, moves the 社区资金 fund slider to 0 (the fund withdrawn from month 25), steps to
month 36, and saves a screenshot of the window, 1280×720 by default (a classroom projector).
Needs the demo and test extras (``pip install -e ".[test]"``). Written whole and renamed into
place. Rerun it after a change to the model or the page.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCENARIO = ROOT / "scenarios" / "chengdu_reform.yaml"
WITHDRAW_AT, SHOT_AT = 24, 36  # months: the slider moves after month 24, the picture at 36


def serve() -> tuple[subprocess.Popen, str]:
    """Start ``cogov demo`` on a free port; return the process and its URL once it answers."""
    proc = subprocess.Popen([sys.executable, "-m", "sim", "demo", "--port", "0", "--no-browser",
                             str(SCENARIO)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        found = re.search(r"http://\S+/", line)
        if found:
            return proc, found.group(0)
    raise SystemExit(f"the demo server exited (code {proc.wait()}) before it served")


def shoot(url: str, out: Path, width: int, height: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(url)
        page.locator(".cogov-charts svg").first.wait_for(timeout=60_000)
        step = page.get_by_role("button", name="单步 Step", exact=True)

        def step_to(month: int) -> None:
            while (now := _month(page)) < month:
                step.click()
                page.wait_for_function(
                    "m => document.querySelector('.cogov-month').innerText"
                    ".includes('month ' + m + ' ')", arg=now + 1, timeout=30_000)

        step_to(WITHDRAW_AT)
        page.locator(".panel-funeng .v-expansion-panel-header").click()
        fund = page.locator(".lever-fund_per_community [role=slider]")
        fund.focus()
        page.keyboard.press("Home")  # 0 万元 a year, from next month
        page.wait_for_function("() => document.querySelector('.cogov-pending')")
        step_to(SHOT_AT)
        page.wait_for_timeout(1000)  # the last widgets of the month land
        page.locator(".cogov-month").scroll_into_view_if_needed()
        page.screenshot(path=str(out))
        browser.close()


def _month(page) -> int:
    return int(re.search(r"month (\d+)", page.locator(".cogov-month").inner_text()).group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "demo.png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"{CHROMIUM} not found: apt-get install chromium")
    proc, url = serve()
    try:
        with tempfile.TemporaryDirectory(dir=args.out.parent) as tmp:
            shot = Path(tmp) / args.out.name
            shoot(url, shot, args.width, args.height)
            os.replace(shot, args.out)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    print(f"wrote {args.out} ({args.width}×{args.height}, {SCENARIO.stem} at month {SHOT_AT})")


if __name__ == "__main__":
    main()
