"""Benchmarks (tooling, not product code): run with ``python -m workengine_tools.bench.<name>``."""
