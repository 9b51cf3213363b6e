"""The demo's own font: the page carries the Chinese glyphs it writes, so it renders on a
classroom PC with no Chinese font installed (issue 11).

The page's CSS holds an ``@font-face`` for :data:`sim.fonts.FAMILY` with the font inline as a
``data:`` URL (:func:`sim.fonts.font_face_css`), subset to the characters the demo can write, and
puts that family right after the Latin font, so every Chinese character is drawn from the font
the package ships and never from whatever the system has (or lacks). Nothing is fetched. Pure:
imports neither solara nor the model.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sim.demo.adapter import DemoSettings
from sim.demo.charts_svg import CHARTS
from sim.demo.community_svg import ACTIVITY_STATES
from sim.demo.levers import EXPLANATION, GROUPS, LEVERS, PRESET_TITLES
from sim.scenario import Scenario

HERE = Path(__file__).resolve().parent


def page_text(settings: DemoSettings) -> str:
    """Every non-ASCII character the page can write, once, sorted: the text of the demo's own
    modules (the page's fixed words, the preset titles, the explanation, the chart and picture
    labels), the lever panel (generated from the schema) and the names of the presets'
    scenarios and of their communities and street offices. ASCII is left to the Latin font."""
    parts = [path.read_text(encoding="utf-8") for path in sorted(HERE.glob("*.py"))]
    # the data as well as its source, which may spell a character as an escape
    parts += [*PRESET_TITLES.values(), *(h + t for h, t in EXPLANATION)]
    parts += [title + "".join(label for _, label, _ in lines) for title, _, lines in CHARTS]
    parts += [zh for zh, _, _ in ACTIVITY_STATES] + [heading for _, heading in GROUPS]
    for lever in LEVERS:
        parts += [lever.label, lever.en, *(label for _, label in lever.choices)]
    for _, path in settings.presets:
        scenario = Scenario.load(path)
        parts.append(scenario.name)
        # a community table's names (issue 14), shown on the district view's tiles
        for row in getattr(scenario.structure, "communities", None) or ():
            parts += [row.name, row.street_office]
    return "".join(sorted({c for c in "".join(parts) if ord(c) > 0x7E}))


def font_stack(family: str) -> str:
    """The page's CSS ``font-family``: Roboto (Vuetify's Latin font) first, then ``family``,
    which therefore draws every character Roboto lacks — all the Chinese ones — before any
    system font is tried."""
    return f'Roboto, "{family}", sans-serif'


@cache
def font_css(settings: DemoSettings) -> str:
    """CSS that gives the page its font: the ``@font-face`` of the shipped family subset to
    :func:`page_text` (a WOFF as a ``data:`` URL, about 40 kB) and the font stack on the page
    and its SVG text. Computed once per server and preset list. Without the font file (a broken
    install) only the stack: the page then uses the system's fonts."""
    from sim import fonts

    face = fonts.font_face_css(page_text(settings)) if fonts.available() else ""
    return (face + ".v-application, .v-application .v-btn, .v-application .v-label, "
            ".v-application input, .v-application .v-select__selection, "
            ".v-application .v-card__title, .v-application .v-expansion-panel-header, "
            f".v-application svg text {{ font-family: {font_stack(fonts.FAMILY)} !important; }}\n")
