"""The demo's own font (sim/demo/font.py): the page carries every Chinese character it can
write, in the font the package ships. In a browser with no Chinese system font:
tests/test_app.py."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from fontTools.ttLib import TTFont

from sim.demo.adapter import DemoSettings
from sim.demo.charts_svg import CHARTS
from sim.demo.font import font_css, font_stack, page_text
from sim.demo.levers import EXPLANATION, LEVERS, PRESET_TITLES


def test_page_text_holds_every_character_the_page_writes_and_no_ascii(tmp_path: Path) -> None:
    own = tmp_path / "own.yaml"
    own.write_text("name: 青羊区试点\nmonths: 12\n", encoding="utf-8")
    text = page_text(DemoSettings.for_path(own))
    shown = ["青羊区试点", "第 月", "重置", "单步", "流动人口", "运行结束",
             *PRESET_TITLES.values(), *(h + t for h, t in EXPLANATION),
             *(title for title, _, _ in CHARTS), *(label for _, _, lines in CHARTS
                                                   for _, label, _ in lines),
             *(lever.label for lever in LEVERS)]
    missing = {c for c in "".join(shown) if ord(c) > 0x7E} - set(text)
    assert not missing, missing
    assert not any(ord(c) <= 0x7E for c in text)
    assert len(text) == len(set(text))


def test_the_font_stack_puts_the_shipped_family_before_any_system_font() -> None:
    stack = font_stack("Noto Sans SC cogov")
    assert stack.index('"Noto Sans SC cogov"') < stack.index("sans-serif")


def test_font_css_carries_the_glyphs_of_the_page_inline() -> None:
    from sim import fonts

    settings = DemoSettings.for_path(None)
    css = font_css(settings)
    assert "@font-face" in css and fonts.FAMILY in css and "url(http" not in css
    data = re.search(r"data:[^;]+;base64,([A-Za-z0-9+/=]+)", css).group(1)
    subset = TTFont(io.BytesIO(base64.b64decode(data)))
    full = TTFont(fonts.FONT_FILE).getBestCmap()
    wanted = {ord(c) for c in page_text(settings)} & set(full)
    assert wanted <= set(subset.getBestCmap())
    assert len(subset.getBestCmap()) < len(full) / 4  # a subset, not the whole font
    assert font_stack(fonts.FAMILY) in css


def test_without_the_font_file_the_page_keeps_its_stack_and_uses_system_fonts(
        tmp_path: Path, monkeypatch) -> None:
    from sim import fonts

    monkeypatch.setattr(fonts, "available", lambda: False)
    own = tmp_path / "own.yaml"
    own.write_text("name: own\n", encoding="utf-8")
    css = font_css(DemoSettings.for_path(own))
    assert "@font-face" not in css and font_stack(fonts.FAMILY) in css
