"""Time limits on the student's code, counted in CPU time so that a busy machine does not change a
verdict.

A wall-clock limit fails the same code on a loaded machine that it passes on an idle one (seen on
2026-12-07: the engine course's ten-epoch training call on the reference overran its 30 s in the
kit's own test run at a load average of 5 on 2 cores). The CPU time a call uses is what its code
costs, whatever else runs: the limits count it (the worker is single-threaded: its BLAS runs one
thread). A call that waits instead (a sleep, a blocked read) uses none; the grader's wall-clock
backstop (`WALL_FACTOR` times the limit) stops it.

Two timers, so that one can run inside the other: a request's limit (`CALL`, the assignment's
`call_seconds`, user and system time) and, inside the import of a notebook, each top-level
statement's (`STATEMENT`, user time).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any, NamedTuple

# The wall-clock time a request may take, as a multiple of its CPU-time limit: room for a machine
# ten times oversubscribed (at a load of 5 on 2 cores a busy call gets 1 s of CPU in about 2.5 s,
# and 3x was seen to fire first), yet a call that only waits is stopped.
WALL_FACTOR = 10.0


class Timer(NamedTuple):
    which: int  # signal.ITIMER_*
    signum: int


CALL = Timer(signal.ITIMER_PROF, signal.SIGPROF)
STATEMENT = Timer(signal.ITIMER_VIRTUAL, signal.SIGVTALRM)
WALL = Timer(signal.ITIMER_REAL, signal.SIGALRM)


@contextlib.contextmanager
def time_limit(seconds: float, raised: type[BaseException], timer: Timer) -> Iterator[None]:
    """Raise `raised` into the code run inside once `timer` has counted `seconds` (0: no limit;
    on the main thread only, where the worker runs requests; elsewhere no limit). Python raises it at the next
    bytecode: a single C call runs to its end, and the grader's wall-clock backstop stops that."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise raised()

    previous = signal.signal(timer.signum, expire)
    signal.setitimer(timer.which, seconds)
    try:
        yield
    finally:
        signal.setitimer(timer.which, 0)
        signal.signal(timer.signum, previous)


@contextlib.contextmanager
def held(timer: Timer) -> Iterator[None]:
    """Hold `timer`'s signal back while the worker talks to the grader (a frame cut in half by
    the limit would read as a broken protocol); a limit that expired meanwhile fires after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {timer.signum})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {timer.signum})
