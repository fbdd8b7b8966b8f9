"""hermes: a spec language, compiler and simulator for multi-stage LLM inference pipelines."""

__version__ = "0.1.0"

from hermes_dsl.api import Results, Spec, load

__all__ = ["Results", "Spec", "__version__", "load"]
