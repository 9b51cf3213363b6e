"""cogov: agent-based simulation of community co-governance (共建共治共享) in Chinese cities."""

from sim.scenario import Scenario, ScenarioError

__all__ = ["Scenario", "ScenarioError"]
__version__ = "0.1.0"
