"""Benchmarks (not tests): ``python -m bench`` runs them all; results go to docs/benchmarks.md."""
