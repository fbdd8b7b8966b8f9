"""Performance models: pure functions of hardware and model shapes, apart from the event loop.

Entry points: :class:`~hermes_dsl.perf.llm.LLMCost` (analytical iteration cost) and
:class:`~hermes_dsl.perf.profiles.ProfiledCost` (measured tables, analytical fallback); the
modules ``collectives``, ``memory``, ``rag`` and ``energy`` price the other pipeline stages.
"""

from hermes_dsl.perf.llm import LLMCost
from hermes_dsl.perf.profiles import ProfiledCost

__all__ = ["LLMCost", "ProfiledCost"]
