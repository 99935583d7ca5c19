"""The benchmark of issue 8: a generated campaign of N findings, measured against baselines.

Run it with `python -m bench` from the repository's root (see README, "Benchmark").
Modules import the app lazily, so the child processes that time an opening start
as lean as the app itself would.
"""
