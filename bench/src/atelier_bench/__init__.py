"""Atelier's benchmarks: each measures a service beside a baseline in one run and reports a ratio."""
