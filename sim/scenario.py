"""The scenario: typed, validated, frozen configuration (MODEL.md §5–6, INTERFACE.md "Files").

Configuration comes in three parts, and this module is where users and the rest of the code
meet them:

- the schema, every parameter declared once with its unit, bounds, source and labels:
  sim/schema.py (:class:`Scenario` and its sections);
- file loading: YAML with line numbers, ``extends:``, key paths and ``--set`` parsing:
  sim/loading.py;
- one error family for every bad input, with structured locations: sim/errors.py
  (:class:`ScenarioError` and its :class:`Problem` records, ``file:line key.path: message``).

Every name scripts have imported from ``sim.scenario`` is still here. What lives here itself is
what a scenario means beyond its schema: keys that cannot act because their switch is off
(:func:`dependencies`, :func:`inert_settings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.loading import (
    get_path,
    load_yaml_tree,
    parse_assignments,
    problem_at,
    read_yaml,
    yaml_word,
)
from sim.schema import (
    ACTIVITIES,
    AGE_GROUPS,
    CATEGORIES,
    ActiveWhen,
    Behavior,
    Beta,
    ByActivity,
    ByAge,
    ByCategory,
    Control,
    Cost,
    Grid,
    Incentive,
    Label,
    Mobility,
    NeedsPrior,
    NonNegative,
    Param,
    Party,
    Policy,
    Population,
    Scenario,
    ScheduledChange,
    Share,
    ShareByAge,
    Structure,
    apply_policy_changes,
    default_data,
    load_located,
    model_class,
)

__all__ = [
    "ACTIVITIES", "AGE_GROUPS", "CATEGORIES", "ActiveWhen", "Behavior", "Beta", "ByActivity",
    "ByAge", "ByCategory", "Control", "Cost", "Grid", "Incentive", "Label", "Mobility",
    "NeedsPrior",
    "NonNegative", "Param", "Party", "Policy", "Population", "Problem", "ScenarioError",
    "ScheduledChange", "Scenario", "Share", "ShareByAge", "Structure", "apply_policy_changes",
    "dependencies", "inert_keys", "inert_settings", "load_located", "load_yaml_tree",
    "parse_assignments", "read_yaml", "switch_states", "switch_values",
]


# ----------------------------------------------------------------------------- inert settings
@cache
def dependencies() -> dict[str, ActiveWhen]:
    """Key path → its :class:`ActiveWhen` for every scenario key that acts only under a switch
    (read from the fields' metadata, where each dependency is declared once)."""
    out: dict[str, ActiveWhen] = {}

    def walk(model: type, prefix: str) -> None:
        for key, info in model.model_fields.items():
            sub = model_class(info.annotation)
            if sub is not None:
                walk(sub, f"{prefix}{key}.")
            for meta in info.metadata:
                if isinstance(meta, ActiveWhen):
                    out[f"{prefix}{key}"] = meta

    walk(Scenario, "")
    return out


def switch_values(scenario: Scenario, switch: str) -> list[Any]:
    """The values the key ``switch`` takes during a run: at the start, then after each
    scheduled change in month order (policy keys only change by schedule; a change for one
    community or street office counts as if it held everywhere)."""
    keys = tuple(switch.split("."))
    values = [get_path(scenario.model_dump(mode="python"), keys)]
    if keys[0] == "policy":
        policy = scenario.policy.model_copy(update={"schedule": ()})
        for change in sorted(scenario.policy.schedule, key=lambda c: c.month):
            policy = apply_policy_changes(policy, change.set)
            values.append(get_path(policy.model_dump(mode="python"), keys[1:]))
    return values


def community_values(scenario: Scenario, switch: str) -> list[Any]:
    """The values a table of communities gives the key ``switch`` (one per community that sets
    it; empty without a table)."""
    return [row.settings[switch] for row in scenario.structure.communities or ()
            if switch in row.settings]


def switch_states(scenario: Scenario, switches: tuple[str, ...]) -> list[dict[str, Any]]:
    """The values the keys ``switches`` take together during a run, one mapping switch → value
    at the start and after each scheduled change in month order (a condition on several
    switches holds or not in each of these states); then, in a table of communities, the
    start of each community that sets one of them."""
    columns = [switch_values(scenario, switch) for switch in switches]
    states = [dict(zip(switches, state, strict=True)) for state in zip(*columns, strict=True)]
    for row in scenario.structure.communities or ():
        own = {switch: row.settings[switch] for switch in switches if switch in row.settings}
        if own:
            states.append({**states[0], **own})
    return states


def inert_keys(scenario: Scenario) -> dict[str, ActiveWhen]:
    """Keys whose value cannot matter in ``scenario``: their condition (:class:`ActiveWhen`)
    fails at the start and after every scheduled change."""
    return {key: dep for key, dep in dependencies().items()
            if not any(dep.holds(state) for state in switch_states(scenario, dep.switches))}


def inert_settings(scenario: Scenario, where: Mapping | None = None,
                   source: str = "<scenario>") -> list[str]:
    """Warnings, one per key set to a non-default value that has no effect because its switch
    is off throughout the run: ``file:line key.path: warning: has no effect: ...``
    (``where`` as from :func:`load_yaml_tree`). Empty when every setting acts."""
    current, default = scenario.model_dump(mode="python"), default_data()
    warnings = []
    for key, dep in inert_keys(scenario).items():
        keys = tuple(key.split("."))
        if get_path(current, keys) == get_path(default, keys):
            continue
        state = " and ".join(
            f"{switch} is {yaml_word(get_path(current, tuple(switch.split('.'))))}"
            for switch in dep.switches)
        scheduled = " and no scheduled change turns it on" if scenario.policy.schedule else ""
        warnings.append(str(problem_at(
            keys, f"warning: has no effect: it acts only when {dep.condition()}, and "
            f"{state} here{scheduled}", where or {}, source)))
    return warnings


CYCLE_RULES = {
    "fund_per_community": "the fund is set once a year, at the start of each fund cycle",
    "fund_growth": "the fund is set once a year, at the start of each fund cycle",
    "purchase_share": "contracts are let once a year, at the vote of each fund cycle",
}
"""Why a change of each of ``sim.fund.CYCLE_KEYS`` waits for the next fund cycle."""


def delayed_changes(scenario: Scenario, where: Mapping | None = None,
                    source: str = "<scenario>") -> list[str]:
    """Warnings, one per scheduled change of a key read only in some months of the fund cycle
    (``sim.fund.CYCLE_KEYS``) that is scheduled for a month when it cannot act yet:
    ``file:line policy.schedule[i].set.key: warning: ...: this change takes effect at month
    N``. Empty when every scheduled change acts in its month."""
    from sim import fund

    warnings = []
    for i, change in enumerate(scenario.policy.schedule):
        for key in change.set:
            effect = fund.takes_effect(str(key), change.month)
            if effect == change.month:
                continue
            first = fund.CYCLE_KEYS[key][0]
            months = ", ".join(str(first + fund.CYCLE_MONTHS * n) for n in range(3))
            late = (f", after the horizon (months: {scenario.months}), so it never acts in this "
                    "run" if effect > scenario.months else "")
            warnings.append(str(problem_at(
                ("policy", "schedule", i, "set", key),
                f"warning: {CYCLE_RULES[key]} (months {months}, …): this change takes effect "
                f"at month {effect}{late}", where or {}, source)))
    return warnings


def setting_warnings(scenario: Scenario, where: Mapping | None = None,
                     source: str = "<scenario>") -> list[str]:
    """Every located warning about ``scenario``'s settings: :func:`inert_settings`, then
    :func:`delayed_changes`, then overrides that replace a column of the table of communities
    (:func:`sim.district.replaced_warnings`)."""
    from sim.district import replaced_warnings

    return (inert_settings(scenario, where, source) + delayed_changes(scenario, where, source)
            + replaced_warnings(where or {}, source))
