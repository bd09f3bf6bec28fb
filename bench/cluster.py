"""Figure 8: the same batch through 2 local Dask workers (`grade --cluster`: a `dask scheduler`
and two `dask worker` processes on 127.0.0.1, as on a cluster), through a Dask LocalCluster the
command starts itself (`--cluster local -j 2`) and through the local pool (`-j 2`), round after
round, as throughput ratios measured in the same round (target >= 0.9), the faster of the pool
and the LocalCluster being the default for grading on one machine. The Dask workers grade the
batch twice: their first batch of the assignment also grades its reference on each worker
(`grading.readiness`), reported apart; the ratio is the second's, as a cluster's workers stay up;
the scheduler's own cost per submission (a task carrying a packed reference submission there and
its length back, one at a time, against the same workers); and a projection for
10,000 submissions on N nodes like this machine (a worker per core): the command's one-time
costs (startup, the class reports) plus 10,000 times one grading process's measured time per
submission, shared by the workers.

Each round starts the Dask processes anew and waits for their workers before the timed command:
a cluster's workers are started once and stay warm, so their start is not a batch's cost.
`LocalDask` is also how tests/test_cluster.py starts its clusters."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from autograder.grading import packed
from bench.grade_run import grade
from bench.stats import ratios, summary
from bench.submissions import sample_batch

BIN = Path(sys.executable).parent
TARGET_RATIO = 0.9  # the target: the cluster at least 0.9 of the pool's throughput
PROJECTED = 10_000
NODES = (1, 10, 50)
OVERHEAD_TASKS = 50


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """Stop a process this module started, and its children (its own session), by its pid."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # a worker its nanny left behind


class LocalDask:
    """A `dask scheduler` and `dask worker`s on 127.0.0.1, each its own process and session,
    logging into `logs`; `stop` ends every one by its pid."""

    def __init__(self, logs: Path, env: dict[str, str] | None = None) -> None:
        self.logs, self.env = logs, env or dict(os.environ)
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.workers: list[subprocess.Popen] = []
        self.scheduler = self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port",
                                                   str(self.port), "--dashboard-address", ":0"])

    def _start(self, name: str, args: list[str], extra: dict[str, str] | None = None
               ) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "ab") as log:
            return subprocess.Popen([str(BIN / "dask"), *args], stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, env={**self.env, **(extra or {})})

    def add_worker(self, extra: dict[str, str] | None = None) -> subprocess.Popen:
        """One more worker of one thread (under a nanny, which restarts it if it dies)."""
        name = f"worker-{len(self.workers)}"
        worker = self._start(name, ["worker", self.address, "--nthreads", "1", "--host",
                                    "127.0.0.1", "--dashboard-address", ":0", "--name", name], extra)
        self.workers.append(worker)
        return worker

    def wait_for_workers(self, count: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=180)

    def stop(self) -> None:
        for process in (*self.workers, self.scheduler):
            stop(process)


@contextlib.contextmanager
def running(logs: Path, workers: int = 2, env: dict[str, str] | None = None,
            extra: dict[str, str] | None = None) -> Iterator[LocalDask]:
    """A `LocalDask` with `workers` workers up, every process stopped at the end, also on error."""
    local = LocalDask(logs, env)
    try:
        for _ in range(workers):
            local.add_worker(extra)
        local.wait_for_workers(workers)
        yield local
    finally:
        local.stop()


def scheduler_overhead(address: str, entry: Path) -> float:
    """Seconds per task of a round trip through the scheduler to a worker and back, one at a
    time, for a task with a packed submission's weight and none of its work (a builtin, `len`,
    which the workers need not import from the bench)."""
    from distributed import Client

    payload = packed.pack(entry)
    with Client(address, timeout=60, set_as_default=False) as client:
        client.submit(len, payload, pure=False).result()
        started = time.perf_counter()
        for _ in range(OVERHEAD_TASKS):
            client.submit(len, payload, pure=False).result()
        return (time.perf_counter() - started) / OVERHEAD_TASKS


def run(repeats: int, copies: int, names: Sequence[str], workdir: Path, env: dict[str, str]
        ) -> dict[str, Any]:
    """`copies` copies of the autodiff samples (those in `names`, or all), `repeats` rounds."""
    submissions = workdir / "submissions"
    expected = sample_batch("autodiff", submissions, copies, names)
    pool, first, warm, local_cluster = [], [], [], []
    overheads, fixed, per_submission = [], [], []
    scores_as_expected = True
    for round_ in range(repeats):
        logs = workdir / f"dask-{round_}"
        logs.mkdir()
        with running(logs, env=env) as local:
            runs = [grade(submissions, "autodiff", workdir / f"grades-dask-{round_}-{batch}", 2, env,
                          extra=("--cluster", local.address)) for batch in ("first", "warm")]
            overheads.append(scheduler_overhead(local.address, next(
                p for p in submissions.iterdir() if p.name.startswith("reference"))))
        in_local_cluster = grade(submissions, "autodiff", workdir / f"grades-local-{round_}", 2, env,
                                 extra=("--cluster", "local"))
        in_pool = grade(submissions, "autodiff", workdir / f"grades-pool-{round_}", 2, env)
        pool.append(in_pool.wall)
        first.append(runs[0].wall)
        warm.append(runs[1].wall)
        local_cluster.append(in_local_cluster.wall)
        fixed.append(runs[1].startup + runs[1].reports)
        # one grading process's seconds per submission on the cluster (2 of them worked at once)
        per_submission.append(2 * (runs[1].wall - fixed[-1]) / len(expected))
        scores_as_expected &= all(r.raw == expected for r in (in_pool, in_local_cluster, *runs))
    cores = os.cpu_count() or 1
    return {
        "assignment": "autodiff", "submissions": len(expected), "workers": 2,
        "scores_as_expected": scores_as_expected,
        "pool_seconds": summary(pool), "dask_seconds": summary(warm),
        "dask_first_seconds": summary(first), "local_cluster_seconds": summary(local_cluster),
        "dask_vs_pool": ratios(pool, warm), "local_cluster_vs_pool": ratios(pool, local_cluster),
        "target_ratio": TARGET_RATIO,
        # the default for grading on this machine: the pool or a Dask LocalCluster
        "faster": "pool" if statistics.median(pool) <= statistics.median(local_cluster)
        else "LocalCluster",
        # what a worker's first batch of an assignment adds: grading its reference (readiness)
        "readiness_seconds": summary([a - b for a, b in zip(first, warm, strict=True)], 1),
        "scheduler_overhead_ms": summary([1000 * o for o in overheads], 2),
        "process_seconds_per_submission": summary(per_submission, 2),
        "cores_per_node": cores,
        "minutes_for_10000": {str(n): summary([(once + PROJECTED * s / (n * cores)) / 60
                                               for once, s in zip(fixed, per_submission, strict=True)],
                                              1) for n in NODES},
    }
