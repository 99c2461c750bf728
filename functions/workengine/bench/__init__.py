"""Benchmarks (tooling, not product code): run with ``python -m workengine.bench.<name>``."""
