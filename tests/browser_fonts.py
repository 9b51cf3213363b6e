"""Chromium on a PC with no Chinese font (the demo's and the report's font tests): a
fontconfig that shows Chromium only Latin system fonts, and what Chromium drew text with."""

from __future__ import annotations

from pathlib import Path

NO_CJK_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>/usr/share/fonts/truetype/dejavu</dir>
  <dir>/usr/share/fonts/truetype/liberation</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""
"""A classroom PC without a Chinese font: chromium sees only Latin system fonts."""


def no_cjk_font_env(tmp_path: Path, environ: dict[str, str]) -> dict[str, str]:
    """``environ`` with ``FONTCONFIG_FILE`` set to :data:`NO_CJK_FONTCONFIG` (written, with
    its cache, under ``tmp_path``): the environment to launch Chromium with."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(NO_CJK_FONTCONFIG.format(cache=tmp_path / "fc-cache"), encoding="utf-8")
    return {**environ, "FONTCONFIG_FILE": str(conf)}


def rendered_fonts(cdp, selector: str) -> dict[str, int]:
    """The fonts chromium drew an element's own text with: family → glyphs (CDP
    ``CSS.getPlatformFontsForNode``; needs ``DOM.enable`` and ``CSS.enable``)."""
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {f["familyName"]: f["glyphCount"] for f in fonts}
