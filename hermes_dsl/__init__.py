"""hermes: a spec language, compiler and simulator for multi-stage LLM inference pipelines."""

__version__ = "0.1.0"
