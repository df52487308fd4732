"""Figures for issue 14, printed as JSON lines: `.venv/bin/python -m benchmarks [--quick]`."""
