"""The CJK font that ships with cogov (sim/fonts, issue 11 item 1): what it holds, matplotlib
drawing Chinese with it without a missing glyph, and the subsets pages embed."""

from __future__ import annotations

import base64
import io
import logging
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.figure import Figure

from sim import fonts, labels
from sim.fonts.build_font import is_cjk, repository_cjk
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def font() -> TTFont:
    return TTFont(fonts.FONT_FILE)


@pytest.fixture
def rc():
    """Whatever a test does to rcParams is undone after it."""
    with matplotlib.rc_context():
        yield matplotlib.rcParams


def test_the_font_is_a_truetype_noto_subset_under_the_ofl(font):
    assert "glyf" in font and "CFF " not in font  # TrueType outlines: Agg, PDF 42 and SVG
    assert font["name"].getDebugName(1) == fonts.FAMILY
    assert "Open Font License, Version 1.1" in font["name"].getDebugName(13)
    assert "Adobe" in font["name"].getDebugName(0)
    assert fonts.FONT_FILE.stat().st_size <= 5_000_000
    licence = (fonts.FONT_FILE.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Adobe" in licence


def test_the_font_holds_every_gb2312_hanzi_and_the_symbols_of_figures(font):
    cmap = font.getBestCmap()
    hanzi = set()
    for row in range(0xB0, 0xF8):  # GB2312 levels 1 and 2: rows 16–87
        for cell in range(0xA1, 0xFF):
            try:
                hanzi.add(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    assert len(hanzi) == 6763
    # (Noto Sans CJK has no subscript digits: figures draw ₁ from DejaVu Sans)
    symbols = "±×÷–—…→≥≤√·‰²³∞≈℃，。、；：？！“”‘’（）【】《》％０１ＡＺ"
    missing = sorted(c for c in hanzi | set(symbols) | set(map(chr, range(0x20, 0x7F)))
                     if ord(c) not in cmap)
    assert not missing, "".join(missing)


def test_the_font_draws_every_chinese_character_of_the_repository(font):
    """Text with Chinese outside GB2312 needs a rebuild (sim/fonts/build_font.py)."""
    cmap = font.getBestCmap()
    texts = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        scenario = Scenario.load(path)
        texts += [scenario.name, scenario.description]
    wanted = repository_cjk(ROOT) | {ord(c) for c in "".join(texts) if is_cjk(c)}
    assert any(is_cjk(c) for c in "".join(texts))  # the scenarios do have Chinese
    missing = "".join(sorted(chr(c) for c in wanted - set(cmap)))
    assert not missing, f"rebuild the font (sim/fonts/build_font.py) for: {missing}"


class GlyphWarnings(logging.Handler):
    """Records matplotlib's font warnings, which come as warnings or as log records."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def save_chinese_figure(tmp_path: Path, suffix: str, **savefig) -> list[str]:
    """Save a figure with a Chinese title and labels; the glyph warnings that came."""
    fig = Figure(figsize=(6.5, 3.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([1, 12, 24], [0.1, 0.25, 0.2], label=labels.label("participation_migrant", "zh"))
    ax.set_title(f"海沧共同缔造 — {labels.label('participation_any_last12', 'both')}")
    ax.set_xlabel(f"{labels.label('months', 'zh')}（month）")
    ax.set_ylabel(labels.unit("participation_any", "zh"))
    ax.legend()
    with glyph_warnings() as messages:
        fig.savefig(tmp_path / f"figure{suffix}", **savefig)
    return messages


@contextmanager
def glyph_warnings() -> Iterator[list[str]]:
    """The glyph and font warnings (warnings or log records) that came inside the block."""
    handler = GlyphWarnings()
    logger = logging.getLogger("matplotlib")
    logger.addHandler(handler)
    found: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield found
    finally:
        logger.removeHandler(handler)
    messages = [str(w.message) for w in caught] + handler.messages
    found += [m for m in messages if re.search(r"[Gg]lyph|missing from|findfont", m)]


FORMATS = [(".png", {}), (".pdf", {}), (".svg", {})]


@pytest.mark.parametrize(("suffix", "rc_params"), [
    *FORMATS, (".pdf", {"pdf.fonttype": 42}), (".svg", {"svg.fonttype": "none"})])
def test_a_chinese_figure_saves_without_a_missing_glyph(rc, tmp_path, suffix, rc_params):
    rc.update(rc_params)
    assert fonts.register_matplotlib()
    assert save_chinese_figure(tmp_path, suffix) == []
    if suffix == ".pdf":  # the Chinese glyphs came from the font that ships
        assert b"NotoSansSCcogov" in (tmp_path / "figure.pdf").read_bytes()


def test_without_the_font_the_same_figure_would_show_boxes(rc, tmp_path):
    """The check above can fail: matplotlib's default font lacks the glyphs."""
    rc["font.family"] = ["sans-serif"]
    assert any("missing from font" in m for m in save_chinese_figure(tmp_path, ".png"))


def test_registering_twice_is_registering_once(rc):
    assert fonts.register_matplotlib()
    once = list(rc["font.family"])
    assert fonts.register_matplotlib()
    assert list(rc["font.family"]) == once
    assert once[0] == "sans-serif"  # Latin drawn as before
    assert once[1:] == [fonts.FAMILY, *fonts.system_cjk_families()]  # then the shipped font
    entries = [f for f in font_manager.fontManager.ttflist if Path(f.fname) == fonts.FONT_FILE]
    assert len(entries) == 1 and entries[0].name == fonts.FAMILY


def test_no_font_means_english_labels_and_a_notice_never_boxes(rc, monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "FONT_FILE", tmp_path / "gone.ttf")
    before = dict(rc)
    assert fonts.register_matplotlib() is False
    assert dict(rc) == before
    assert fonts.matplotlib_lang("zh") == ("en", fonts.NO_FONT_NOTICE)
    assert fonts.matplotlib_lang("both") == ("en", fonts.NO_FONT_NOTICE)
    assert "\n" not in fonts.NO_FONT_NOTICE


def test_an_english_run_of_a_chinese_named_scenario_draws_no_box(rc, small_yaml, tmp_path):
    """A scenario's name is user data: under --lang en it is Chinese all the same."""
    from conftest import SMALL_YAML

    from sim import cli

    rc["font.family"] = ["sans-serif"]  # as in a fresh process
    small_yaml.write_text(SMALL_YAML.replace("name: small", "name: 海沧共同缔造试点"),
                          encoding="utf-8")
    with glyph_warnings() as messages:
        assert cli.main(["run", str(small_yaml), "--out", str(tmp_path / "out"),
                         "--lang", "en", "--months", "12"]) == 0
    assert messages == []
    assert len(list((tmp_path / "out" / "plots").glob("*.png"))) == 6


def test_without_the_font_a_chinese_scenario_name_gives_way_to_an_ascii_one(rc, monkeypatch,
                                                                          tmp_path, make_result):
    from sim import plots

    rc["font.family"] = ["sans-serif"]
    monkeypatch.setattr(fonts, "FONT_FILE", tmp_path / "gone.ttf")
    assert fonts.drawable("baseline", "scenario 1") == "baseline"
    ts = make_result("海沧试点").timeseries
    with glyph_warnings() as messages:
        fig = plots.participation_figure(ts, lang="en")
        fig.savefig(tmp_path / "figure.png")
    assert messages == []
    assert "scenario 1:" in fig.get_suptitle() and "海" not in fig.get_suptitle()


HU = "\u9120"  # Hu of Huyi district (Xi'an): outside GB2312 and the shipped font; escaped,
# since every character written in the repository must be in the shipped font
RARE = f"{HU}邑区试点"
OTHERS = "\u5803 \u5586 \u8d5f"  # kun, zhe, yun of person names, outside GB2312 too


def test_hanzi_outside_the_shipped_font_come_from_an_installed_cjk_font(rc, tmp_path):
    from matplotlib.ft2font import FT2Font

    assert fonts.register_matplotlib()
    shipped = FT2Font(str(fonts.FONT_FILE)).get_charmap()
    assert ord(HU) not in shipped  # else this test shows nothing
    covering = [e for e in font_manager.fontManager.ttflist
                if e.name in fonts.system_cjk_families()
                and ord(HU) in FT2Font(e.fname).get_charmap()]
    if not covering:
        pytest.skip("no installed CJK font has the rare hanzi")
    families = list(rc["font.family"])
    assert families.index(fonts.FAMILY) < families.index(covering[0].name)  # shipped first
    fig = Figure(figsize=(4, 1))
    fig.suptitle(f"{RARE} pilot, {OTHERS}")
    with glyph_warnings() as messages:
        fig.savefig(tmp_path / "rare.png")
    assert messages == []


def test_with_the_font_the_asked_language_is_kept(rc):
    assert fonts.matplotlib_lang("zh") == ("zh", None)
    assert fonts.matplotlib_lang("en") == ("en", None)


def test_a_woff_subset_holds_just_the_asked_characters():
    text = "海沧共同缔造：参与率、议事、志愿服务、监督 participation 1%"
    assert len(set(text)) == 30
    data = fonts.woff_subset(text + "😀")  # a character the font lacks is left out
    assert data[:4] == b"wOFF"
    assert len(data) < 30_000
    subset = TTFont(io.BytesIO(data))
    assert set(subset.getBestCmap()) == {ord(c) for c in text}
    assert len(subset.getGlyphOrder()) == len(set(text)) + 1  # and .notdef
    assert subset["name"].getDebugName(1) == fonts.FAMILY
    assert "Open Font License" in subset["name"].getDebugName(13)  # the licence travels along


def test_font_face_css_is_an_inline_font_face_rule():
    css = fonts.font_face_css("流动人口")
    match = re.fullmatch(r'@font-face \{\s*font-family: "([^"]+)";\s*font-style: normal;\s*'
                         r'font-weight: 400;\s*src: url\("data:font/woff;base64,([A-Za-z0-9+/=]+)"'
                         r'\) format\("woff"\);\s*\}\s*', css)
    assert match, css[:300]
    assert match.group(1) == fonts.FAMILY
    subset = TTFont(io.BytesIO(base64.b64decode(match.group(2))))
    assert set(subset.getBestCmap()) == {ord(c) for c in "流动人口"}


def test_font_face_css_without_text_carries_the_whole_font(font):
    encoded = re.search(r"base64,([^\"]+)", fonts.font_face_css()).group(1)
    whole = TTFont(io.BytesIO(base64.b64decode(encoded)))
    assert whole.flavor == "woff"
    assert whole.getBestCmap() == font.getBestCmap()


@pytest.mark.parametrize(("module", "heavy"), [("sim.fonts", ("matplotlib", "fontTools")),
                                               ("sim.labels", ("matplotlib", "pandas"))])
def test_importing_fonts_or_labels_loads_no_heavy_module(module, heavy):
    """Start-up time is measured: the font and the labels cost nothing until used."""
    code = f"import sys, {module}; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "[]"
