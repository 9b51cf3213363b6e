"""The demo's lever panel, generated from the schema's field metadata (sim/schema.py).

Every ``policy.*`` field that carries a :class:`sim.schema.Control` is a control of the panel;
its :class:`sim.schema.Label` names it. Nothing here is written per lever: adding a lever to the
demo means giving its field a ``Control(...)`` (and a ``Label``) in the schema.

Order: the groups in :data:`sim.schema.LEVER_GROUPS` order; within a group, sliders and menus
first, then switches, each in schema order (a panel reads best with the switches together).
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from functools import cache
from typing import Any

from sim import schema


@dataclass(frozen=True)
class Lever:
    """One control of the lever panel. ``path`` is the dotted policy key (the same name as in
    YAML, ``--set`` and CSV, STYLE.md habit 11); the slider shows ``value / scale``; ``en`` is
    the English label beside ``zh``."""

    path: str
    zh: str
    group: str
    kind: str  # "float", "int", "bool" or "choice"
    low: float = 0.0
    high: float = 1.0
    step: float = 0.05
    scale: float = 1.0
    unit: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    en: str = ""

    @property
    def label(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.zh} · {self.path}{unit}"

    def to_policy(self, shown: Any) -> Any:
        """The policy value for what the control shows."""
        if self.kind == "bool":
            return bool(shown)
        if self.kind == "choice":
            return next((v for v, label in self.choices if shown in (v, label)), shown)
        value = float(shown) * self.scale
        return int(round(value)) if self.kind == "int" else value

    def to_shown(self, value: Any) -> Any:
        """What the control shows for a policy value."""
        if self.kind == "bool":
            return bool(value)
        if self.kind == "choice":
            return next((label for v, label in self.choices if v == value), str(value))
        shown = value / self.scale
        return int(round(shown)) if self.kind == "int" else float(shown)


GROUPS: tuple[tuple[str, str], ...] = tuple(
    (key, f"{zh} {en}") for key, zh, en in schema.LEVER_GROUPS)
"""(group key, panel title) in panel order."""


def widget_kind(annotation: Any) -> str:
    """The widget a field's type calls for: ``bool`` switch, ``choice`` menu, ``int`` or
    ``float`` slider."""
    if annotation is bool:
        return "bool"
    if typing.get_origin(annotation) is typing.Literal:
        return "choice"
    return "int" if annotation is int else "float"


@cache
def demo_levers() -> tuple[Lever, ...]:
    """The lever panel: one :class:`Lever` per policy key with a ``Control``, in panel order."""
    found: list[tuple[int, bool, int, Lever]] = []
    order = [key for key, _, _ in schema.LEVER_GROUPS]
    for rank, path in enumerate(schema.key_paths()):
        control = schema.metadata(path, schema.Control)
        if control is None:
            continue
        label = schema.metadata(path, schema.Label)
        info = schema.field_at(schema.Scenario, tuple(path.split(".")))
        kind = control.kind or widget_kind(info.annotation)
        choices = tuple((value, f"{value} {zh}") for value, zh in control.choices)
        lever = Lever(path.removeprefix("policy."), label.zh, control.group, kind, control.low,
                      control.high, control.step, control.scale, control.unit, choices, label.en)
        found.append((order.index(control.group), kind == "bool", rank, lever))
    return tuple(lever for *_, lever in sorted(found, key=lambda item: item[:3]))


def lever_by_path() -> dict[str, Lever]:
    """Lever by its path relative to ``policy``."""
    return {lever.path: lever for lever in demo_levers()}
