"""Rebuild ``sim/fonts/NotoSansSC-cogov.ttf`` from Noto Sans CJK SC Regular (run by hand).

    python sim/fonts/build_font.py                  # fetches the wheel with pip
    python sim/fonts/build_font.py --wheel W.whl    # or uses a wheel already downloaded

The source is ``mplfonts/fonts/NotoSansCJKsc-Regular.otf`` (Noto Sans CJK SC 1.004, SIL OFL 1.1)
inside the PyPI wheel ``mplfonts==0.0.11``, fetched with ``pip download mplfonts==0.0.11
--no-deps`` and checked against its SHA-256. Only that OTF is read; the wheel's other fonts are
not used (its SimHei.ttf may not be redistributed).

The font is subset (fontTools.subset) to the characters cogov can show: ASCII, Latin-1 and the
pinyin letters, Greek, general punctuation, super/subscripts, arrows, mathematical operators and
symbols, CJK symbols and punctuation, full-width forms, every character of GB2312 (its 6,763
hanzi of both levels and its symbols), and every CJK character found in the repository's text
(``sim/ scenarios/ experiments/ calibration/ docs/ tests/`` and README.md). Its cubic CFF
outlines are then converted to quadratic TrueType ``glyf`` outlines (cu2qu, within 1 font unit
of 1,000 per em), which matplotlib's Agg, PDF (Type 42) and SVG backends all embed, and renamed
to the family :data:`FAMILY` so that it never shadows a full Noto CJK font installed on the
system (the OFL allows a modified version under another name; its Reserved Font Name is
"Source", which this name does not use).

Rebuild after adding Chinese text outside GB2312 anywhere in the repository:
tests/test_fonts.py fails, naming the characters the font lacks.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUTPUT = HERE / "NotoSansSC-cogov.ttf"
FAMILY = "Noto Sans SC cogov"
POSTSCRIPT = "NotoSansSCcogov-Regular"

WHEEL = "mplfonts==0.0.11"
MEMBER = "mplfonts/fonts/NotoSansCJKsc-Regular.otf"
MEMBER_SHA256 = "1652500938055a232cfbfa321de6ebaadfc5635dd9f75e369bc991d14a6512dd"

RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 supplement
    (0x0100, 0x017F),  # Latin extended-A (pinyin ā ē ī ō ū)
    (0x01CD, 0x01DC),  # pinyin ǎ ǐ ǒ ǔ ǖ ǘ ǚ ǜ
    (0x0391, 0x03C9),  # Greek letters (formulas)
    (0x2000, 0x206F),  # general punctuation (– — … ‰ ‘ ’ “ ” ·)
    (0x2070, 0x209F),  # superscripts and subscripts
    (0x2100, 0x218F),  # letterlike symbols and number forms (℃ № Ⅰ)
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators (≤ ≥ √ ≈ ∞)
    (0x2460, 0x24FF),  # enclosed alphanumerics (①)
    (0x25A0, 0x25FF),  # geometric shapes (■ ● ▲)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # half-width and full-width forms
)
SCANNED = ("sim", "scenarios", "experiments", "calibration", "docs", "tests", "README.md")
TEXT_SUFFIXES = {".py", ".yaml", ".yml", ".md", ".txt", ".csv", ".json", ".html", ".css",
                 ".js", ".toml", ".j2", ".svg"}


def is_cjk(char: str) -> bool:
    """A character of a CJK block: ideographs, their extensions and compatibility forms,
    CJK symbols and punctuation, full-width forms."""
    code = ord(char)
    return (0x2E80 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFE30 <= code <= 0xFE4F
            or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x3FFFF)


def gb2312() -> set[int]:
    """Every character GB2312 encodes: rows 0xA1–0xF7 × cells 0xA1–0xFE, decoded."""
    out = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                out.add(ord(bytes((row, cell)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return out


def repository_cjk(root: Path = ROOT) -> set[int]:
    """Every CJK character in the repository's text files (see ``SCANNED``)."""
    out: set[int] = set()
    for top in SCANNED:
        base = root / top
        files = [base] if base.is_file() else sorted(base.rglob("*"))
        for path in files:
            if path.is_file() and path.suffix in TEXT_SUFFIXES:
                text = path.read_text(encoding="utf-8", errors="ignore")
                out.update(ord(c) for c in text if is_cjk(c))
    return out


def wanted() -> set[int]:
    """The code points to keep."""
    codes = {code for low, high in RANGES for code in range(low, high + 1)}
    return codes | gb2312() | repository_cjk()


def fetch_source(wheel: Path | None, workdir: Path) -> bytes:
    """The OTF's bytes, from ``wheel`` or from a wheel fetched with pip; checked by SHA-256."""
    if wheel is None:
        subprocess.run([sys.executable, "-m", "pip", "download", WHEEL, "--no-deps",
                        "--only-binary", ":all:", "-d", str(workdir)], check=True)
        wheel = next(workdir.glob("mplfonts-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read(MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != MEMBER_SHA256:
        raise SystemExit(f"{wheel}:{MEMBER}: SHA-256 {digest}, expected {MEMBER_SHA256}")
    return data


def subset(font, codes: set[int]) -> None:
    """Keep the glyphs of ``codes`` (and what the kept layout features reach), every name
    record (copyright, licence), no vertical-writing tables."""
    from fontTools import subset as ftsubset

    options = ftsubset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    # Latin kerning and ligatures; not the alternates (aalt, locl for Japanese, Korean and
    # traditional forms, vertical forms), which would double the glyph count
    options.layout_features = ["ccmp", "kern", "liga"]
    options.drop_tables += ["VORG", "vhea", "vmtx", "BASE", "DSIG"]
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(unicodes=codes)
    subsetter.subset(font)


def to_truetype(font, max_err: float = 1.0) -> None:
    """Replace the CFF outlines by quadratic ``glyf`` outlines (fontTools' otf2ttf recipe)."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        # CFF runs counter-clockwise, TrueType clockwise
        glyph_set[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    font["head"].glyphDataFormat = 0
    font["head"].indexToLocFormat = 0
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                  "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                  "maxComponentElements"):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = None
    font.sfntVersion = "\x00\x01\x00\x00"
    glyf.compile(font)  # bounding boxes and maxp counts are recomputed on save
    for name in order:
        glyf[name].recalcBounds(glyf)


def rename(font) -> None:
    """Family :data:`FAMILY`, style Regular; copyright, licence and designers kept."""
    name = font["name"]
    for record in list(name.names):
        if record.nameID in (1, 3, 4, 6, 16, 17):
            name.removeNames(nameID=record.nameID)
    name.setName(FAMILY, 1, 3, 1, 0x409)
    name.setName("Regular", 2, 3, 1, 0x409)
    name.setName(f"{POSTSCRIPT};cogov subset of Noto Sans CJK SC 1.004", 3, 3, 1, 0x409)
    name.setName(f"{FAMILY} Regular", 4, 3, 1, 0x409)
    name.setName(POSTSCRIPT, 6, 3, 1, 0x409)
    name.names = [r for r in name.names if r.platformID == 3]  # Windows records only


def build(wheel: Path | None = None, output: Path = OUTPUT) -> Path:
    """Write the subset TrueType font to ``output`` (whole, then renamed into place)."""
    from io import BytesIO

    from fontTools.ttLib import TTFont

    with tempfile.TemporaryDirectory() as work:
        # the source's timestamp, not today's: a rebuild from the same tree gives the same bytes
        font = TTFont(BytesIO(fetch_source(wheel, Path(work))), recalcTimestamp=False)
    licence = font["name"].getDebugName(13) or ""
    if "Open Font License, Version 1.1" not in licence:
        raise SystemExit(f"{MEMBER}: not under the SIL OFL 1.1: {licence!r}")
    subset(font, wanted())
    to_truetype(font)
    rename(font)
    partial = output.with_suffix(".ttf.part")
    font.save(partial)
    partial.replace(output)
    return output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a downloaded mplfonts-0.0.11 wheel")
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    out = build(args.wheel, args.out)
    from fontTools.ttLib import TTFont

    font = TTFont(out)
    print(f"{out}: {out.stat().st_size:,} bytes, {font['maxp'].numGlyphs:,} glyphs, "
          f"{len(font.getBestCmap()):,} characters")


if __name__ == "__main__":
    main()
