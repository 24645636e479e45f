"""BLAS on one thread for the learning code.

The matrices here are small, and on a machine whose cores are busy (two job processes per
worker, other work) several BLAS threads wait on each other: one thread trained 10 000 cells
in 0.3 s where two took 2.5 to 7 s (bench/learning.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from threadpoolctl import threadpool_limits

Parameters = ParamSpec("Parameters")
Result = TypeVar("Result")


def one_blas_thread(function: Callable[Parameters, Result]) -> Callable[Parameters, Result]:
    """``function`` run with BLAS (and OpenMP) limited to one thread."""

    @functools.wraps(function)
    def limited(*args: Parameters.args, **kwargs: Parameters.kwargs) -> Result:
        with threadpool_limits(limits=1):
            return function(*args, **kwargs)

    return limited
