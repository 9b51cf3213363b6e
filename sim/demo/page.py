"""The demo page: CSS and the solara components around Mesa's SolaraViz (issue 4).

A teacher moves a lever, presses play, and the class watches a community respond. The page is a
Mesa ``SolaraViz`` (its Step, Play/Pause and Reset buttons, and the seed, migrant share and horizon
that take effect on Reset) with our own panels around it: the levers (:mod:`sim.demo.levers`),
acting through :class:`~sim.demo.adapter.DemoModel`; a preset menu of the shipped scenarios; the
community picture (:mod:`sim.demo.community_svg`) and the charts (:mod:`sim.demo.charts_svg`);
and a short explanation of the levers. Only this module and the server load solara.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import solara

with warnings.catch_warnings():  # solara's hook check flags an early return in Mesa 3.3.1
    warnings.filterwarnings("ignore", message=".*found despite early return")
    from mesa.visualization import SolaraViz
    from mesa.visualization.utils import force_update, update_counter

from sim.demo.adapter import DemoModel, DemoSettings, reset_params
from sim.demo.charts_svg import chart_panels, history_of
from sim.demo.community_svg import (
    ACTIVITY_STATES,
    GRID_TINTS,
    community_caption,
    community_map,
    community_svg,
)
from sim.demo.levers import EXPLANATION, GROUPS, LEVERS, PRESET_TITLES, describe

if TYPE_CHECKING:
    from sim.demo.levers import Lever

CSS = """
.cogov-main { font-size: 18px; line-height: 1.35; }
.cogov-month { font-size: 34px; font-weight: 700; }
.cogov-status { font-size: 20px; }
.cogov-pending { font-size: 18px; color: #b35c00; font-weight: 600; }
.cogov-changed { font-size: 18px; }
.cogov-title { font-size: 20px; font-weight: 700; margin: 2px 0 0 0; }
.cogov-legend { font-size: 16px; display: flex; flex-wrap: wrap; gap: 2px 14px; }
.cogov-legend span.swatch { display: inline-block; width: 14px; height: 14px;
  border-radius: 3px; margin-right: 5px; vertical-align: -1px; }
.cogov-legend span.ring { display: inline-block; width: 13px; height: 13px;
  border-radius: 50%; border: 3px solid #C40000; margin-right: 5px; vertical-align: -2px; }
.cogov-legend span.square { display: inline-block; width: 14px; height: 14px;
  border: 3px solid #000; margin-right: 5px; vertical-align: -2px; }
.cogov-legend span.stroke { display: inline-block; width: 18px; height: 0;
  border-top: 3px solid #6A3D9A; margin-right: 5px; vertical-align: 4px; }
.cogov-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
  gap: 10px 18px; }
.cogov-explain p { font-size: 18px; line-height: 1.45; }
.cogov-header { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 4px 32px; }
.cogov-preset { min-width: 320px; max-width: 420px; }
.cogov-preset .v-select__selection { font-size: 20px; }
.cogov-levers .cogov-group { font-weight: 700; font-size: 16px; margin-top: 10px; }
.cogov-levers .v-label { font-size: 15px; }
.cogov-lever-label { font-size: 15px; margin-top: 6px; }
.cogov-levers .v-input--checkbox, .cogov-levers .v-input--selection-controls {
  margin-top: 2px; padding-top: 0; }
.cogov-levers .v-select { margin-top: 8px; }
.cogov-note { font-size: 14px; color: #555; }
"""


def _legend_html(items: Sequence[tuple[str, str]]) -> str:
    return "".join(f'<span><span class="swatch" style="background:{c}"></span>{escape(label)}'
                   "</span>" for label, c in items)


PICTURE_LEGEND = (
    _legend_html([(f"{zh} {en}", c) for zh, en, c in ACTIVITY_STATES])
    + '<span><span class="ring"></span>党员 party member</span>'
    + '<span><span class="square"></span>网格员 grid worker</span>'
    + '<span><span class="stroke"></span>自组织 self-organization</span>'
    + _legend_html([("网格 grids (tints)", GRID_TINTS[1])])
)


@solara.component
def Header(model: DemoModel, settings: DemoSettings, load: Callable[[str | None], None]) -> None:
    """Month and scenario in large type, the preset menu, this month's participation, and
    lever changes waiting for next month."""
    update_counter.get()
    current = model.current
    with solara.Column(gap="2px"):
        with solara.Div(classes=["cogov-header"]):
            solara.HTML(unsafe_innerHTML=(
                f"第 {model.month} 月 · month {model.month} "
                f"<span style='font-weight:400;font-size:22px'>of {model.scenario.months}</span>"),
                classes=["cogov-month"])
            with solara.Div(classes=["cogov-preset"]):
                solara.Select("情景预设 preset (loads at once)",
                              values=[k for k, _ in settings.presets], value=model.preset,
                              on_value=load)
        title = PRESET_TITLES.get(model.preset, model.scenario.name)
        status = f"{escape(title)} · seed {model.scenario.seed}"
        if current:
            status += (f" · 参与 participation <b>{current['participation_any']:.1%}</b>"
                       f" · 信任 trust <b>{current['mean_trust']:.2f}</b>")
        solara.HTML(unsafe_innerHTML=status, classes=["cogov-status"])
        marks = model.change_marks()
        if marks:
            month, text = marks[-1]
            solara.HTML(unsafe_innerHTML=escape(f"第 {month} 月起 since month {month}: {text}"),
                        classes=["cogov-changed"])
        pending = model.pending()
        if pending:
            solara.HTML(unsafe_innerHTML=escape(
                f"下月生效 from month {model.month + 1}: {describe(pending)}"),
                classes=["cogov-pending"])
        if model.seed_note:
            solara.Warning(model.seed_note)


@solara.component
def CommunityView(model: DemoModel) -> None:
    """The picture of the first community."""
    update_counter.get()
    cmap = solara.use_memo(lambda: community_map(model.layout, 0), [model])
    svg = community_svg(model, cmap)
    with solara.Column(gap="4px", classes=["cogov-community"]):
        solara.HTML(unsafe_innerHTML="社区 The community", classes=["cogov-title"])
        solara.HTML(unsafe_innerHTML=escape(community_caption(model, cmap)),
                    classes=["cogov-note"])
        solara.HTML(unsafe_innerHTML=svg, classes=["cogov-picture"])
        solara.HTML(unsafe_innerHTML=PICTURE_LEGEND, classes=["cogov-legend"])


@solara.component
def ChartsView(model: DemoModel) -> None:
    """Live charts of the monthly metrics."""
    update_counter.get()
    marks = [month for month, _ in model.change_marks()]
    panels = chart_panels(history_of(model), model.scenario.months, marks)
    with solara.Div(classes=["cogov-charts"]):
        for title, legend, svg in panels:
            with solara.Div(classes=["cogov-chart"]):
                solara.HTML(unsafe_innerHTML=escape(title), classes=["cogov-title"])
                solara.HTML(unsafe_innerHTML=_legend_html(legend), classes=["cogov-legend"])
                solara.HTML(unsafe_innerHTML=svg)


@solara.component
def LeverPanel(model: DemoModel) -> None:
    """Sliders and switches for the policy levers; a change acts from next month."""
    update_counter.get()
    values = model.lever_values()

    def change(lever: Lever, shown: Any) -> None:
        value, current = lever.to_policy(shown), values[lever.path]
        if lever.kind in ("float", "int") and abs(value - current) < lever.step * lever.scale / 2:
            return  # a slider snapping a scenario's value to its step is not a move
        if value != current:
            model.request({lever.path: value})
            force_update()  # the header shows what waits for next month

    with solara.Column(gap="0px", classes=["cogov-levers"]):
        solara.HTML(unsafe_innerHTML="A change acts from next month, as a schedule would "
                    "(改动从下个月起生效). ⟲ above: on Reset.", classes=["cogov-note"])
        for group, heading in GROUPS:
            solara.HTML(unsafe_innerHTML=escape(heading), classes=["cogov-group"])
            for lever in (lv for lv in LEVERS if lv.group == group):
                with solara.Div(classes=["cogov-lever", "lever-" + lever.path.replace(".", "-")]):
                    _control(lever, lever.to_shown(values[lever.path]),
                             lambda shown, lever=lever: change(lever, shown))


def _control(lever: Lever, shown: Any, on_value: Callable[[Any], None]) -> None:
    """One lever's control: a checkbox, a menu, or a slider under a label with its value."""
    if lever.kind == "bool":
        solara.Checkbox(label=lever.label, value=shown, on_value=on_value)
        return
    if lever.kind == "choice":
        solara.Select(lever.label, values=[label for _, label in lever.choices], value=shown,
                      on_value=on_value)
        return
    text = f"{shown:,}" if lever.kind == "int" else f"{shown:.3g}"
    solara.HTML(unsafe_innerHTML=f"{escape(lever.label)} <b class='cogov-value'>{text}</b>",
                classes=["cogov-lever-label"])
    if lever.kind == "int":
        solara.SliderInt("", value=shown, min=int(lever.low), max=int(lever.high),
                         step=int(lever.step), on_value=on_value)
    else:
        solara.SliderFloat("", value=shown, min=lever.low, max=lever.high, step=lever.step,
                           on_value=on_value)


@solara.component
def SidebarPanels(model: DemoModel) -> None:
    """The levers, below SolaraViz's controls in the sidebar."""
    _SidebarPanels(model)  # one level deeper than SolaraViz's sidebar: placed after it


@solara.component
def _SidebarPanels(model: DemoModel) -> None:
    with solara.Sidebar(), solara.Card("政策杠杆 Levers"):
        LeverPanel(model)


@solara.component
def Page() -> None:
    """The demo page of one browser session (each session has its own model)."""
    settings = solara.use_memo(DemoSettings.from_environment, [])
    preset, set_preset = solara.use_state(settings.default)
    first = solara.use_memo(lambda: DemoModel(preset=settings.default,
                                              presets=settings.presets), [])
    model = solara.use_reactive(first)

    def load(key: str | None) -> None:
        if key and key != preset:
            model.value = DemoModel(preset=key, presets=settings.presets)
            set_preset(key)

    solara.Style(CSS)
    # keyed by preset: a new preset remounts SolaraViz, so its Reset defaults are the preset's
    SolaraViz(model, components=[], model_params=reset_params(settings, preset),
              name="共建共治共享 Community co-governance", play_interval=250).key(preset)
    # the sidebar orders its parts by depth, then by mounting: keyed alike, the levers remount
    # with SolaraViz and stay below its Step/Play/Reset
    SidebarPanels(model.value).key(f"levers-{preset}")
    with solara.Column(classes=["cogov-main"]):
        Header(model.value, settings, load)
        with solara.ColumnsResponsive(12, large=[5, 7]):
            CommunityView(model.value)
            ChartsView(model.value)
        with solara.Card("杠杆说明 What the levers mean", classes=["cogov-explain"]):
            # plain HTML: solara's Markdown would fetch KaTeX from a CDN
            solara.HTML(unsafe_innerHTML="".join(f"<p><b>{escape(h)}.</b> {text}</p>"
                                                 for h, text in EXPLANATION))
