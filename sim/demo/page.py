"""The demo page: CSS and the solara components of the teaching app (issues 4 and 11).

A teacher moves a lever, presses play, and the class watches a community respond, on a projector
of 1280×720 or more. The page is Mesa's model driven the way Mesa's ``SolaraViz`` drives it
(Reset, ▶/❚❚ and Step call the model's ``step`` and redraw through Mesa's ``update_counter``),
composed here rather than by ``SolaraViz``: SolaraViz 3.3 always shows its "Render Interval" and
"Use Threads" controls, shows no slider's value, and leaves Play paused-and-disabled (❚❚) when
the run ends. Around the controls: the Reset settings and the levers (:mod:`sim.demo.levers`)
in collapsible panels, acting through :class:`~sim.demo.adapter.DemoModel`; a preset menu of the
shipped scenarios; the community picture (:mod:`sim.demo.community_svg`) beside the main chart
(:mod:`sim.demo.charts_svg`); a short explanation of the levers. The page carries its own font
(:mod:`sim.demo.font`). Only this module and the server load solara.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import solara
from solara.alias import rv

with warnings.catch_warnings():  # solara's hook check flags an early return in Mesa 3.3.1
    warnings.filterwarnings("ignore", message=".*found despite early return")
    from mesa.visualization.utils import force_update, update_counter

from sim.demo.adapter import DemoModel, DemoSettings, reset_params
from sim.demo.charts_svg import chart_panels, history_of
from sim.demo.community_svg import (
    ACTIVITY_STATES,
    GRID_TINTS,
    MIGRANT_EDGE,
    PARTY_RED,
    SELF_ORG,
    community_caption,
    community_map,
    community_svg,
)
from sim.demo.district_view import (
    community_names,
    district_caption,
    district_html,
    district_legend_html,
)
from sim.demo.font import font_css
from sim.demo.levers import EXPLANATION, GROUPS, LEVERS, PRESET_TITLES, describe

if TYPE_CHECKING:
    from sim.demo.levers import Lever

TITLE = "共建共治共享 Community co-governance"
PLAY_INTERVAL = 250  # ms between months while playing, at first
PLAY_INTERVALS = (50, 1000, 50)  # the speed slider: min, max, step (ms a month)
BUTTONS = {"reset": "重置 Reset", "step": "单步 Step", "play": "▶", "pause": "❚❚"}
"""The run's buttons: Reset (a new run from month 0), Step (one month), Play and Pause."""

CSS = """
.v-navigation-drawer { min-width: 340px !important; max-width: 340px !important;
  width: 340px !important; }
.v-navigation-drawer__content { overflow-x: hidden; }
.solara-autorouter-content > .v-sheet { row-gap: 0 !important; }
.cogov-main { font-size: 18px; line-height: 1.35; }
.cogov-month { font-size: 30px; font-weight: 700; white-space: nowrap; }
.cogov-status { font-size: 19px; }
.cogov-pending { font-size: 18px; color: #b35c00; font-weight: 600; }
.cogov-changed { font-size: 18px; }
.cogov-title { font-size: 20px; font-weight: 700; margin: 2px 0 0 0; }
.cogov-legend { font-size: 17px; display: flex; flex-wrap: wrap; gap: 0 12px;
  line-height: 1.4; }
.cogov-legend span.swatch { display: inline-block; width: 15px; height: 15px;
  border-radius: 3px; margin-right: 5px; vertical-align: -2px; }
.cogov-legend svg { width: 16px; height: 16px; margin-right: 5px; vertical-align: -2px; }
.cogov-stage { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr));
  gap: 8px 20px; align-items: start; }
.cogov-picture svg { display: block; max-height: calc(100vh - 360px); }
.cogov-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr));
  gap: 10px 18px; }
.cogov-explain p { font-size: 18px; line-height: 1.45; }
.cogov-header { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 4px 28px; }
.cogov-preset { min-width: 300px; max-width: 400px; }
.cogov-preset .v-select__selection { font-size: 19px; }
.cogov-preset .v-text-field__details { display: none; }
.cogov-preset .v-input__slot { margin-bottom: 0; }
.cogov-controls { padding: 10px 12px; position: sticky; top: 0; z-index: 3; }
.cogov-controls .v-btn { font-size: 17px; padding: 0 10px !important; min-width: 64px !important;
  letter-spacing: 0; }
.cogov-controls .v-btn .v-btn__content { text-transform: none; }
.cogov-panels .v-expansion-panel-header { font-size: 17px; font-weight: 700;
  min-height: 44px !important; padding: 8px 14px; }
.cogov-panels .v-expansion-panel-content__wrap { padding: 0 14px 10px 14px; }
.cogov-lever-label { font-size: 16px; margin-top: 8px; line-height: 1.3; }
.cogov-value { font-size: 18px; color: #0b4f8a; white-space: nowrap; }
.cogov-sidebar .v-input__slot { margin-bottom: 0; }
.cogov-sidebar .v-messages { display: none; }
.cogov-sidebar .v-input--checkbox { margin-top: 6px; padding-top: 0; }
.cogov-sidebar .v-input--checkbox .v-label { font-size: 16px; }
.cogov-sidebar .v-select { margin-top: 10px; }
.cogov-note { font-size: 15px; color: #555; line-height: 1.3; }
.cogov-ended { font-size: 16px; color: #0b4f8a; font-weight: 600; }
.cogov-district { display: flex; flex-direction: column; gap: 5px; }
.cogov-street { display: flex; gap: 6px; align-items: stretch; }
.cogov-street-name { flex: 0 0 52px; font-size: 15px; font-weight: 600; align-self: center;
  overflow-wrap: anywhere; line-height: 1.15; }
.cogov-tiles { display: flex; flex-wrap: wrap; gap: 4px; flex: 1; }
.cogov-tile { flex: 1 0 68px; min-width: 0; max-width: 150px; border-radius: 5px;
  padding: 3px 6px 2px; border: 1px solid #0003; box-sizing: border-box; }
.cogov-tile.cogov-lowest { border: 4px solid #D55E00; padding: 0 3px 0; }
.cogov-tile-name { font-size: 15px; line-height: 1.15; overflow-wrap: anywhere; overflow: hidden;
  display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 2; }
.cogov-tile-value { font-size: 21px; font-weight: 700; line-height: 1.1; }
.cogov-spark { display: block; width: 100%; height: 22px; }
.cogov-scale { display: inline-flex; }
.cogov-scale-step { display: inline-block; min-width: 44px; padding: 0 4px; font-size: 15px;
  text-align: center; }
.cogov-lowest-swatch { border: 3px solid #D55E00; background: #fff; box-sizing: border-box; }
"""
"""Sized for a projector: 16–20 px text and a 340 px sidebar leave the main chart and the
picture whole at 1280×720 (tests/test_app.py measures it)."""


def _legend_html(items: Sequence[tuple[str, str]]) -> str:
    return "".join(f'<span><span class="swatch" style="background:{c}"></span>{escape(label)}'
                   "</span>" for label, c in items)


def _mark(svg_body: str, label: str, cls: str) -> str:
    """A legend entry whose mark is drawn as in the picture (a 16 px SVG)."""
    return (f'<span class="{cls}"><svg viewBox="-7 -7 14 14">{svg_body}</svg>'
            f"{escape(label)}</span>")


IDLE = ACTIVITY_STATES[0][2]
PICTURE_LEGEND = (
    _legend_html([(f"{zh} {en}", c) for zh, en, c in ACTIVITY_STATES])
    + _mark(f'<path d="M0 -6l6 6-6 6-6-6z" fill="{IDLE}" stroke="{MIGRANT_EDGE}" '
            'stroke-width="1.4"/>', "流动人口 migrant", "legend-migrant")
    + _mark(f'<circle r="5" fill="{IDLE}" stroke="#8A8A8A" stroke-width=".6"/>',
            "本地 local", "legend-local")
    + _mark(f'<circle r="4.4" fill="#fff" stroke="{PARTY_RED}" stroke-width="2.6"/>',
            "党员 party member", "legend-party")
    + _mark('<rect x="-5.5" y="-5.5" width="11" height="11" fill="none" stroke="#000" '
            'stroke-width="2"/>', "网格员 grid worker", "legend-worker")
    + _mark(f'<line x1="-6" x2="6" stroke="{SELF_ORG}" stroke-width="3"/>',
            "自组织 self-organization", "legend-selforg")
    + _legend_html([("网格 grids (tints)", GRID_TINTS[1])])
)


@solara.component
def Header(model: DemoModel, settings: DemoSettings, load: Callable[[str | None], None]) -> None:
    """Month and scenario in large type, the preset menu, this month's participation, and
    lever changes waiting for next month."""
    update_counter.get()
    current = model.current
    with solara.Column(gap="0px"):
        with solara.Div(classes=["cogov-header"]):
            solara.HTML(unsafe_innerHTML=(
                f"第 {model.month} 月 · month {model.month} "
                f"<span style='font-weight:400;font-size:21px'>of {model.scenario.months}</span>"),
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
    with solara.Column(gap="2px", classes=["cogov-community"]):
        solara.HTML(unsafe_innerHTML="社区 The community", classes=["cogov-title"])
        solara.HTML(unsafe_innerHTML=escape(community_caption(model, cmap)),
                    classes=["cogov-note"])
        solara.HTML(unsafe_innerHTML=svg, classes=["cogov-picture"])
        solara.HTML(unsafe_innerHTML=PICTURE_LEGEND, classes=["cogov-legend"])


@solara.component
def DistrictView(model: DemoModel) -> None:
    """The communities side by side: a tile per community, a row per street office,
    coloured by this month's participation (:mod:`sim.demo.district_view`)."""
    update_counter.get()
    names, streets = solara.use_memo(lambda: community_names(model.layout), [model])
    history = model.community_history
    with solara.Column(gap="2px", classes=["cogov-communities"]):
        solara.HTML(unsafe_innerHTML="社区一览 The communities side by side",
                    classes=["cogov-title"])
        solara.HTML(unsafe_innerHTML=escape(district_caption(names, streets)),
                    classes=["cogov-note"])
        solara.HTML(unsafe_innerHTML=district_html(history, names,
                                                   model.layout.street_of_community, streets,
                                                   model.scenario.months))
        solara.HTML(unsafe_innerHTML=district_legend_html(history),
                    classes=["cogov-legend", "cogov-district-legend"])


@solara.component
def ChartsView(model: DemoModel) -> None:
    """Live charts of the monthly metrics, the main one (participation by activity) first."""
    update_counter.get()
    marks = [month for month, _ in model.change_marks()]
    panels = chart_panels(history_of(model), model.scenario.months, marks)
    with solara.Div(classes=["cogov-charts"]):
        for title, legend, svg in panels:
            with solara.Div(classes=["cogov-chart"]):
                solara.HTML(unsafe_innerHTML=escape(title), classes=["cogov-title"])
                solara.HTML(unsafe_innerHTML=_legend_html(legend), classes=["cogov-legend"])
                solara.HTML(unsafe_innerHTML=svg)


def _slider(label: str, shown: float, kind: str, low: float, high: float, step: float,
            on_value: Callable[[Any], None], unit: str = "") -> None:
    """A slider under its label, the value written beside the label as text (readable from
    the back of a room, and never covered: the slider's own bubble is off)."""
    text = f"{shown:,}" if kind == "int" else f"{shown:.3g}"
    solara.HTML(unsafe_innerHTML=f"{escape(label)} <b class='cogov-value'>{text}{unit}</b>",
                classes=["cogov-lever-label"])
    if kind == "int":
        solara.SliderInt("", value=int(shown), min=int(low), max=int(high), step=int(step),
                         on_value=on_value, thumb_label=False)
    else:
        solara.SliderFloat("", value=shown, min=low, max=high, step=step, on_value=on_value,
                           thumb_label=False)


def _control(lever: Lever, shown: Any, on_value: Callable[[Any], None]) -> None:
    """One lever's control: a checkbox, a menu, or a slider with its value."""
    if lever.kind == "bool":
        solara.Checkbox(label=lever.label, value=shown, on_value=on_value)
    elif lever.kind == "choice":
        solara.Select(lever.label, values=[label for _, label in lever.choices], value=shown,
                      on_value=on_value)
    else:
        _slider(lever.label, shown, lever.kind, lever.low, lever.high, lever.step, on_value)


@solara.component
def Controls(model: solara.Reactive[DemoModel], settings: DemoSettings, preset: str,
             chosen: solara.Reactive[dict[str, Any]]) -> None:
    """Reset, ▶/❚❚ and Step, and the speed. Play steps a month every interval in a thread, as
    Mesa's SolaraViz does; at the horizon it stops and shows ▶ again."""
    update_counter.get()
    playing = solara.use_reactive(False)
    interval = solara.use_reactive(PLAY_INTERVAL)
    running = model.value.running

    def play() -> None:
        run = model.value  # a preset loaded or a Reset ends this run's play
        while playing.value and run.running and model.value is run:
            time.sleep(interval.value / 1000)
            if not playing.value or model.value is not run:
                break
            run.step()
            force_update()
        playing.set(False)  # the horizon: back to ▶

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)

    def step() -> None:
        model.value.step()
        force_update()

    def reset() -> None:
        playing.set(False)
        model.value = DemoModel(preset=preset, presets=settings.presets, **chosen.value)

    with solara.Card(classes=["cogov-controls"], margin=0):
        with solara.Row(justify="space-between"):
            solara.Button(BUTTONS["reset"], color="primary", on_click=reset)
            solara.Button(BUTTONS["pause"] if playing.value else BUTTONS["play"],
                          color="primary", on_click=lambda: playing.set(not playing.value),
                          disabled=not running, classes=["cogov-play"])
            solara.Button(BUTTONS["step"], color="primary", on_click=step,
                          disabled=playing.value or not running)
        if not running:
            solara.HTML(unsafe_innerHTML=(
                f"第 {model.value.month} 月，运行结束 · the run is over at month "
                f"{model.value.month}: 重置 Reset to run again"), classes=["cogov-ended"])
        _slider("速度 speed, ms a month", interval.value, "int", *PLAY_INTERVALS, interval.set)


def adjustable_params(settings: DemoSettings, preset: str) -> dict[str, dict[str, Any]]:
    """The Reset settings of ``preset`` (seed, migrant share, months): the entries of
    :func:`~sim.demo.adapter.reset_params` a person can change."""
    return {k: v for k, v in reset_params(settings, preset).items() if isinstance(v, dict)}


@solara.component
def ResetSettings(adjustable: dict[str, dict[str, Any]],
                  chosen: solara.Reactive[dict[str, Any]]) -> None:
    """The settings a Reset builds the next run with, each slider with its value."""

    def choose(key: str, value: Any) -> None:
        chosen.set({**chosen.value, key: value})

    solara.HTML(unsafe_innerHTML="⟲ These act when you press 重置 Reset (重置时生效).",
                classes=["cogov-note"])
    for key, spec in adjustable.items():
        if spec["type"] == "InputText":
            solara.InputText(spec["label"], value=chosen.value[key],
                             on_value=lambda v, key=key: choose(key, v))
        else:
            kind = "int" if spec["type"] == "SliderInt" else "float"
            _slider(spec["label"], chosen.value[key], kind, spec["min"], spec["max"], spec["step"],
                    lambda v, key=key: choose(key, v))


@solara.component
def LeverPanel(model: DemoModel, group: str) -> None:
    """The sliders and switches of one lever group; a change acts from next month."""
    update_counter.get()
    values = model.lever_values()

    def change(lever: Lever, shown: Any) -> None:
        value, current = lever.to_policy(shown), values[lever.path]
        if lever.kind in ("float", "int") and abs(value - current) < lever.step * lever.scale / 2:
            return  # a slider snapping a scenario's value to its step is not a move
        if value != current:
            model.request({lever.path: value})
            force_update()  # the header shows what waits for next month

    for lever in (lv for lv in LEVERS if lv.group == group):
        with solara.Div(classes=["cogov-lever", "lever-" + lever.path.replace(".", "-")]):
            _control(lever, lever.to_shown(values[lever.path]),
                     lambda shown, lever=lever: change(lever, shown))


@solara.component
def Panels(model: DemoModel, adjustable: dict[str, dict[str, Any]],
           chosen: solara.Reactive[dict[str, Any]]) -> None:
    """The Reset settings and the four lever groups as collapsible panels, one open at a time
    (the first lever group at first), so the sidebar fits a 720-pixel screen."""
    opened, set_opened = solara.use_state(1)
    sections = [("reset", "⟲ 重置设置 Reset settings")] + list(GROUPS)
    with rv.ExpansionPanels(v_model=opened, on_v_model=set_opened, accordion=True,
                            class_="cogov-panels"):
        for key, heading in sections:
            with rv.ExpansionPanel(class_=f"panel-{key}"):
                rv.ExpansionPanelHeader(children=[heading])
                with rv.ExpansionPanelContent(eager=True):
                    if key == "reset":
                        ResetSettings(adjustable, chosen)
                    else:
                        solara.HTML(unsafe_innerHTML="A change acts from next month, as a "
                                    "schedule would (改动从下个月起生效).", classes=["cogov-note"])
                        LeverPanel(model, key)


@solara.component
def SidebarView(model: solara.Reactive[DemoModel], settings: DemoSettings, preset: str) -> None:
    """The sidebar: the run's controls on top, then the panels."""
    adjustable = solara.use_memo(lambda: adjustable_params(settings, preset), [preset])
    chosen = solara.use_reactive({k: v["value"] for k, v in adjustable.items()})
    with solara.Sidebar(), solara.Column(gap="10px", classes=["cogov-sidebar"]):
        Controls(model, settings, preset, chosen)
        Panels(model.value, adjustable, chosen)


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

    solara.Style(CSS + font_css(settings))
    solara.Title(TITLE)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    # keyed by preset: a new preset starts paused, with that preset's Reset settings
    SidebarView(model, settings, preset).key(f"sidebar-{preset}")
    with solara.Column(gap="6px", classes=["cogov-main"]):
        Header(model.value, settings, load)
        with solara.Div(classes=["cogov-stage"]):
            if model.value.layout.n_communities > 1:  # the district: communities side by side
                DistrictView(model.value)
                ChartsView(model.value)
                CommunityView(model.value)
            else:
                CommunityView(model.value)
                ChartsView(model.value)
        with solara.Card("杠杆说明 What the levers mean", classes=["cogov-explain"]):
            # plain HTML: solara's Markdown would fetch KaTeX from a CDN
            solara.HTML(unsafe_innerHTML="".join(f"<p><b>{escape(h)}.</b> {text}</p>"
                                                 for h, text in EXPLANATION))
