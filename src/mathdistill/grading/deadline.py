"""A wall-clock bound for in-process grading (`grade`, `is_equivalent`), the same kind the pool applies.

`time_limit(seconds)` arms SIGALRM for the block and raises `GradingTimeout` when it fires. Python code
such as sympy's simplify() is interrupted that way; C code that never returns to the interpreter is not,
which is why symbolic.py refuses exponent towers and huge factorials outright and grade_many's pool
kills a worker that stays silent. The bound is only armed on the main thread; an outer timer that fires
sooner (a pool worker's own alarm, an enclosing time_limit) keeps the charge, so nested calls keep the
outer bound.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class GradingTimeout(BaseException):
    """BaseException so that library code's `except Exception` cannot swallow it."""


def _raise(signum, frame):  # pragma: no cover - exercised through timeouts
    raise GradingTimeout()


_external = 0  # > 0 while a caller's own alarm bounds the work (grade_many's per-item timer)


@contextmanager
def external_bound() -> Iterator[None]:
    """The caller bounds the block with its own timer (grade_many / the pool, with the user's timeout_s):
    time_limit inside it neither shortens nor replaces that bound."""
    global _external
    _external += 1
    try:
        yield
    finally:
        _external -= 1


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise GradingTimeout in the block after `seconds` (no bound when None/0 or off the main thread).

    An outer timer that fires sooner stays in charge (a pool worker's per-item alarm); one that fires later
    (pytest-timeout, a caller's own alarm) is suspended for the block and re-armed afterwards with its
    remaining time, its handler restored."""
    if not seconds or seconds <= 0 or _external or not hasattr(signal, "setitimer") \
            or threading.current_thread() is not threading.main_thread():
        yield
        return
    outer_left, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    if 0 < outer_left <= seconds:
        yield
        return
    t0 = time.monotonic()
    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if outer_left > 0:
            signal.setitimer(signal.ITIMER_REAL, max(1e-3, outer_left - (time.monotonic() - t0)), outer_interval)
