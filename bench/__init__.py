"""Nezuko benchmarks: ``python -m bench`` (see docs/benchmarks.md). Measures; never asserts."""
