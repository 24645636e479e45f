"""Benchmarks of DeepCell Label: project creation and label editing, each beside a baseline.

Run them all with `make bench` (or `PYTHONPATH=backend .venv/bin/python -m bench`);
`BENCH_QUICK=1` shrinks sizes and repetitions for a smoke run. Figures are printed as tables
and written as JSON under `bench/results/`.
"""
