"""cogov: agent-based simulation of community co-governance (共建共治共享) in Chinese cities."""

from sim.model import CoGovModel, replicate_rng
from sim.runner import run
from sim.scenario import Scenario, ScenarioError

__all__ = ["CoGovModel", "Scenario", "ScenarioError", "replicate_rng", "run"]
__version__ = "0.1.0"
