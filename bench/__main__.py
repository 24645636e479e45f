"""Run every benchmark and print its tables: `python -m bench [creation] [editing]`."""

from __future__ import annotations

import importlib
import sys
import time

from .common import QUICK, RESULTS_DIR

MODULES = (
    "creation",
    "editing",
    "together",
    "lineage",
    "scale",
    "export",
    "browser",
    "coldstart",
    "jobs",
    "learning",
    "linking",
    "access",
    "client",
    "segmentation",
    "campaigns",
    "memory",
)


def main(names: list[str]) -> None:
    chosen = names or list(MODULES)
    unknown = sorted(set(chosen) - set(MODULES))
    if unknown:
        raise SystemExit(f"unknown benchmark {unknown}; choose from {', '.join(MODULES)}")
    started = time.perf_counter()
    print(f"DeepCell Label benchmarks{' (BENCH_QUICK: small sizes, few runs)' if QUICK else ''}\n")
    for name in chosen:
        began = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        print(module.run())
        print(f"[{name}: {time.perf_counter() - began:.0f} s]\n", flush=True)
    print(f"All benchmarks: {time.perf_counter() - started:.0f} s; figures in {RESULTS_DIR}/")


if __name__ == "__main__":
    main(sys.argv[1:])
