"""The CJK font that ships with cogov, for figures and pages that show Chinese (issue 11).

``NotoSansSC-cogov.ttf`` is a TrueType subset of Noto Sans CJK SC Regular (SIL Open Font
License 1.1, ``OFL.txt``): Latin, punctuation, symbols and every GB2312 hanzi plus any CJK
character of the repository's text; ``build_font.py`` rebuilds it (see README.md here).

- :func:`register_matplotlib` makes matplotlib draw mixed Chinese/English text: Latin in
  the usual font (DejaVu Sans) as before, each CJK glyph from :data:`FAMILY` (per-glyph
  fallback, matplotlib ≥ 3.6). If the font file is missing it changes nothing and returns
  False: callers then show English labels with the one-line :data:`NO_FONT_NOTICE` (see
  :func:`matplotlib_lang`), never boxes.
- :func:`woff_subset` and :func:`font_face_css` give pages the font inline (a data: URL), so
  that they render offline on a machine with no Chinese font.

Importing this module imports neither matplotlib nor fontTools (start-up time is measured).
"""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

FONT_FILE: Path = Path(__file__).resolve().parent / "NotoSansSC-cogov.ttf"
"""The TrueType (glyf outlines) subset of Noto Sans CJK SC, ~2.3 MB."""
FAMILY: str = "Noto Sans SC cogov"
"""The font's family name (name ID 1), as matplotlib and browsers see it."""
NO_FONT_NOTICE = (f"cogov: the Chinese font {FONT_FILE.name} is missing; figures use English "
                  "labels (reinstall cogov to restore it)")
"""The one line to show when Chinese was asked for but cannot be drawn."""


def available() -> bool:
    """Whether the font file is there."""
    return FONT_FILE.is_file()


def register_matplotlib() -> bool:
    """Register :data:`FAMILY` with matplotlib as the fallback for glyphs the text's font lacks.

    Adds the font file to matplotlib's font manager and appends :data:`FAMILY` to rcParams
    ``font.family`` (by default ``["sans-serif", FAMILY, *system_cjk_families()]``):
    matplotlib (≥ 3.6) draws each glyph from the first family of that list that has it, so
    Latin text stays in DejaVu Sans as before, CJK comes from FAMILY, and the rare hanzi the
    shipped GB2312 subset lacks (rare hanzi of real place and person names) from an installed
    system CJK font where there is one (:func:`system_cjk_families`). (A generic family such as
    ``sans-serif`` resolves to one font, so FAMILY must be in ``font.family`` itself, not only
    in ``font.sans-serif``.) ``svg.fonttype`` is left as it is. Idempotent: a second call adds
    nothing. Returns False, changing nothing, when the font file is missing (then draw English
    labels: :func:`matplotlib_lang`)."""
    if not available():
        return False
    import matplotlib
    from matplotlib import font_manager

    manager = font_manager.fontManager
    if not any(Path(entry.fname) == FONT_FILE for entry in manager.ttflist):
        manager.addfont(str(FONT_FILE))
    system = system_cjk_families()
    families = [name for name in matplotlib.rcParams["font.family"]
                if name != FAMILY and name not in system]
    matplotlib.rcParams["font.family"] = [*families, FAMILY, *system]
    return True


CJK_PROBE = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
"""Fifty common hanzi: a font that has them all is a CJK font (not one with a few symbols)."""


@cache
def system_cjk_families() -> tuple[str, ...]:
    """The family names of the installed fonts that cover :data:`CJK_PROBE` (WenQuanYi, Noto
    Sans CJK, Source Han, Microsoft YaHei, PingFang, …), in file order, each added to
    matplotlib's font manager if it was not there: matplotlib's font list is cached on disk
    when matplotlib is installed and misses fonts installed later. Fonts of matplotlib's own
    data (its Last Resort font has a box for every character) and :data:`FONT_FILE` are left
    out; a file that cannot be read is skipped. Empty where there is none. Scanned once per
    process (a few tens of ms)."""
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    manager = font_manager.fontManager
    own = Path(matplotlib.get_data_path()).resolve()
    paths = {Path(path).resolve() for path in font_manager.findSystemFonts()}
    paths |= {Path(entry.fname).resolve() for entry in manager.ttflist}
    families: list[str] = []
    for path in sorted(paths):
        if path == FONT_FILE or own in path.parents:
            continue
        try:
            cmap = FT2Font(str(path)).get_charmap()
        except (OSError, RuntimeError, ValueError):
            continue
        if not all(ord(char) in cmap for char in CJK_PROBE):
            continue
        if not any(Path(entry.fname).resolve() == path for entry in manager.ttflist):
            manager.addfont(str(path))
        families += [entry.name for entry in manager.ttflist
                     if Path(entry.fname).resolve() == path and entry.name not in families
                     and entry.name != FAMILY]
    return tuple(families)


def matplotlib_lang(lang: str) -> tuple[str, str | None]:
    """The language a figure can be drawn in, and the notice to show if it is not ``lang``.

    Registers the font (:func:`register_matplotlib`) whatever ``lang`` is: an English figure
    still shows user data such as a scenario named in Chinese. If that fails, returns
    ``("en", NO_FONT_NOTICE)`` for ``zh``/``both`` and ``("en", None)`` for ``en``."""
    if register_matplotlib():
        return lang, None
    return "en", None if lang == "en" else NO_FONT_NOTICE


def drawable(text: str, fallback: str) -> str:
    """``text`` if matplotlib can draw it, else ``fallback`` (which should be ASCII).

    User data such as a scenario's name may hold Chinese under any ``--lang``. With the
    shipped font there (:func:`available`) every GB2312 hanzi can be drawn, so ``text`` is
    kept; without it, text holding a CJK character would be drawn as boxes, so the figure
    shows ``fallback`` instead (the plots use ``scenario 1``, ``scenario 2`` … in the order of
    the data, and :data:`NO_FONT_NOTICE` says why)."""
    from sim.fonts.build_font import is_cjk

    return text if available() or not any(is_cjk(char) for char in text) else fallback


@cache
def _font_bytes() -> bytes:
    return FONT_FILE.read_bytes()


def woff_subset(text: str) -> bytes:
    """A WOFF (zlib) font of :data:`FAMILY` holding just the glyphs of the characters of
    ``text`` that the font has (plus .notdef), with its name table (copyright, OFL notice).

    Raises FileNotFoundError if the font file is missing."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(_font_bytes()))
    options = subset.Options()
    options.flavor = "woff"
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.layout_features = ["ccmp", "kern", "liga"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={ord(char) for char in text})
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff"
    font.save(out)
    return out.getvalue()


@cache
def _whole_woff() -> bytes:
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(_font_bytes()))
    font.flavor = "woff"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def font_face_css(text: str | None = None, display: str | None = None) -> str:
    """An ``@font-face`` rule for :data:`FAMILY` with the font inline as a base64 ``data:``
    URL: the subset of ``text``'s characters if given (a few kB for a page's words), else the
    whole font (~1.8 MB of base64). Use it with ``font-family: "<FAMILY>", sans-serif``.
    ``display`` (``block``, ``swap``, ...) adds a ``font-display`` descriptor.

    Raises FileNotFoundError if the font file is missing."""
    data = woff_subset(text) if text is not None else _whole_woff()
    encoded = base64.b64encode(data).decode("ascii")
    return ("@font-face {\n"
            f'  font-family: "{FAMILY}";\n'
            "  font-style: normal;\n"
            "  font-weight: 400;\n"
            + (f"  font-display: {display};\n" if display else "") +
            f'  src: url("data:font/woff;base64,{encoded}") format("woff");\n'
            "}\n")
