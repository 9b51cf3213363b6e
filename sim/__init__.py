"""cogov: agent-based simulation of community co-governance (共建共治共享) in Chinese cities.

The public names load on first use (PEP 562), so that ``import sim`` — and with it every
``cogov`` command, ``--help`` included — pays only for what it uses.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model import CoGovModel, replicate_rng
    from sim.runner import run
    from sim.scenario import Scenario, ScenarioError

__all__ = ["CoGovModel", "Scenario", "ScenarioError", "replicate_rng", "run"]
__version__ = "0.1.0"

_HOMES = {"CoGovModel": "sim.model", "replicate_rng": "sim.model", "run": "sim.runner",
          "Scenario": "sim.scenario", "ScenarioError": "sim.errors"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
