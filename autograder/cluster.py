"""Grade a batch on a Dask cluster: an existing scheduler (`tcp://host:8786`), a Slurm one
started from a config file (`slurm`) or a LocalCluster (`local`, for the bench's comparison with
the default local pool), as `autograder grade --cluster ADDRESS`.

The cluster is one more `batch.Graders`: each submission goes to a Dask worker as bytes
(`grading.packed`) and its result comes back as a JSON string; this process alone claims,
stores and reports, exactly as a local run. A worker grades one submission at a time
(`--nthreads 1`: the grading path holds process-wide state) and stays warm across submissions.
`GradingNode`, a worker plugin, prepares each worker (it grades the assignment's reference
first: `grading.readiness`) and refuses one whose grader, sandbox or grading is not the client's.
The client counts its own retries (`MAX_RETRIES`): a submission whose grading kills every worker
it reaches costs that student a grader-error row, whatever the scheduler allows."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
import tomllib
import uuid
from asyncio import CancelledError
from collections.abc import Collection
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from distributed import Client, Future, WorkerPlugin, wait
from distributed.client import FutureCancelledError, FuturesCancelledError

from autograder.batch import GradersLost
from autograder.grading import packed, readiness, resume
from autograder.sandbox import isolation

__all__ = ["CLUSTER_CONFIG", "KILL_WORKER_ENV", "MAX_RETRIES", "ClusterError", "DaskGraders",
           "GradingNode", "SlurmSettings", "read_slurm_settings", "slurm_cluster"]

CLUSTER_CONFIG = "cluster.toml"  # `--cluster slurm` reads its [slurm] table (docs/cluster.toml)
MAX_RETRIES = 2  # a submission is graded again at most twice after a worker died grading it
CONNECT_SECONDS = 10
REFUSED_SECONDS = 10  # how long refused workers get to leave
WORKERS_SECONDS = 2.0
# how long a batch waits on a cluster with no worker at all (every one refused or lost, or Slurm
# jobs still queued) before it stops, resumable: `--cluster-wait`
NO_WORKER_SECONDS = 1800.0
# TEST ONLY: a worker started with this variable set kills itself when handed that student's
# submission, before grading it (tests/test_cluster.py's "kills every worker it reaches"). It is
# read from the Dask worker's own environment, which no submission reaches: student code runs in
# the sandbox, with an environment of its own, in another process.
KILL_WORKER_ENV = "AUTOGRADER_TEST_KILL_WORKER_FOR"
logger = logging.getLogger(__name__)
# on a worker, beside Dask's own lines (Dask's logging configuration prints "distributed" at INFO)
node_logger = logging.getLogger("distributed.worker.autograder")


class ClusterError(GradersLost):
    """The cluster cannot grade the batch (unreachable, lost, no worker accepted): what to do."""


class WorkersKilled(Exception):
    """Grading this submission killed a worker each time it was tried."""


@dataclass(frozen=True)
class SlurmSettings:
    """`[slurm]` of the cluster config file (docs/cluster.toml): one Slurm job runs `processes`
    Dask workers of one thread each; the cluster adapts between the minimum and maximum of jobs."""

    queue: str
    walltime: str
    memory: str  # per job
    processes: int = 1  # Dask workers (grading processes) per job, one core each
    account: str = ""
    minimum_jobs: int = 0
    maximum_jobs: int = 10
    python: str = ""  # the kit's interpreter on the nodes (its .venv/bin/python)
    prologue: tuple[str, ...] = ()  # shell lines the job runs first (cd to the checkout...)
    interface: str = ""  # Dask's network interface (the scheduler's and the workers'), if not the default
    local_directory: str = ""  # the workers' scratch folder on the node
    extra: tuple[str, ...] = field(default=())  # more `#SBATCH` lines' options (`--constraint=x`)


def read_slurm_settings(path: Path) -> SlurmSettings:
    """The `[slurm]` table of `path`; ClusterError naming the file and the key when it is wrong."""
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("slurm")
    except (OSError, UnicodeError, tomllib.TOMLDecodeError) as exc:
        raise ClusterError(f"{path}: cannot read the cluster config ({exc})") from exc
    if not isinstance(table, dict):
        raise ClusterError(f"{path}: needs a [slurm] table (see docs/cluster.toml)")
    known = {f.name: f for f in fields(SlurmSettings)}
    for key, value in table.items():
        if key not in known:
            raise ClusterError(f"{path}: [slurm] has no key {key!r} (known: {', '.join(known)})")
        kind = int if key in ("processes", "minimum_jobs", "maximum_jobs") else \
            list if key in ("prologue", "extra") else str
        if not isinstance(value, kind) or isinstance(value, bool) or (
                kind is list and not all(isinstance(line, str) for line in value)):
            wanted = "a list of strings" if kind is list else f"a {kind.__name__}"
            raise ClusterError(f"{path}: [slurm] {key} must be {wanted}, not {value!r}")
    missing = [name for name in ("queue", "walltime", "memory") if name not in table]
    if missing:
        raise ClusterError(f"{path}: [slurm] needs {', '.join(missing)}")
    settings = SlurmSettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in table.items()})
    if not 0 <= settings.minimum_jobs <= settings.maximum_jobs or settings.processes < 1:
        raise ClusterError(f"{path}: [slurm] needs 0 <= minimum_jobs <= maximum_jobs and "
                           "processes >= 1")
    return settings


def slurm_cluster(settings: SlurmSettings, **overrides: Any) -> Any:
    """A `dask_jobqueue.SLURMCluster` of one-thread workers (not yet adapting); `overrides` go
    to it as they are (the tests' `scheduler_options`)."""
    from dask_jobqueue import SLURMCluster

    # no dashboard port on the login node unless asked for (as `local_cluster`)
    options: dict[str, Any] = {"scheduler_options": {"dashboard_address": None}, **overrides}
    for name in ("account", "python", "interface", "local_directory"):
        if getattr(settings, name):
            options[name] = getattr(settings, name)
    return SLURMCluster(queue=settings.queue, walltime=settings.walltime, memory=settings.memory,
                        cores=settings.processes, processes=settings.processes,
                        job_script_prologue=list(settings.prologue),
                        job_extra_directives=list(settings.extra), **options)


def local_cluster(workers: int) -> Any:
    """A Dask `LocalCluster` on this machine of `workers` one-thread worker processes (each under
    a nanny), reachable from 127.0.0.1 only: `--cluster local`, which the bench weighs against
    the default local pool (bench/cluster.py)."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                        host="127.0.0.1", dashboard_address=None)


class GradingNode(WorkerPlugin):
    """Prepares each worker for the batch's assignment and refuses one that may not grade for the
    client: another grader's code, a sandbox weaker than asked (`packed.refusal`), or a grading of
    the assignment's reference short of full marks (`readiness.make_ready`, which also warms the
    worker: imports, zygote, stored reference results, MNIST). A refused worker closes (its nanny
    too), so the scheduler never hands it a submission. Runs in the worker's one grading thread,
    before any submission, leaving its event loop free to answer the scheduler."""

    name = "autograder-grading-node"

    def __init__(self, grader: str, mode: str, allow_fallback: bool, assignment: str) -> None:
        self.grader, self.mode, self.allow_fallback = grader, mode, allow_fallback
        self.assignment = assignment

    async def setup(self, worker: Any) -> None:
        why = packed.refusal(self.grader, self.mode, self.allow_fallback) or \
            await asyncio.get_running_loop().run_in_executor(worker.executor, self._prepare)
        if why:
            node_logger.error("autograder refuses this worker: %s", why)
            worker.loop.add_callback(worker.close, nanny=True, reason=f"autograder: {why}")
            raise packed.NodeRefused(why)

    def _prepare(self) -> str:
        import torch

        from autograder.datasets import DatasetError, loading

        torch.set_num_threads(1)
        try:
            loading.load_mnist("test", download=False)
        except DatasetError as exc:
            node_logger.warning("autograder: MNIST is not cached on this node, grading will fetch "
                                "it: %s", exc)
        started = time.monotonic()
        why = readiness.make_ready(self.assignment, self.mode, self.allow_fallback)
        if not why:
            node_logger.info("autograder: ready to grade %s (its reference at full marks here, "
                             "in %.1f s)", self.assignment, time.monotonic() - started)
        return why


def grade_on_worker(job: packed.Job) -> str:
    """The Dask task: `packed.grade_job` on this worker (see KILL_WORKER_ENV for the test hook)."""
    if os.environ.get(KILL_WORKER_ENV) == job.student:
        os.kill(os.getpid(), signal.SIGKILL)
    return packed.grade_job(job)


@dataclass(eq=False)  # a handle: equal only to itself
class _Task:
    """One submission on the cluster: its current Dask future and how many workers died on it."""

    job: packed.Job
    future: Future
    deaths: int = 0


class DaskGraders:
    """The batch's graders on a Dask cluster (see the module docstring)."""

    def __init__(self, address: str, assignment: str, *, allow_fallback: bool = False,
                 config_file: Path = Path(CLUSTER_CONFIG), local_workers: int = 2,
                 wait_seconds: float | None = None) -> None:
        # the grading command says what went wrong in one line (ClusterError); Dask's client
        # would add a traceback per lost connection
        for name in ("distributed", *(n for n in logging.root.manager.loggerDict
                                      if n.startswith("distributed."))):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        self.mode = os.environ.get(isolation.FORCE_ENV) or "bubblewrap"
        self.allow_fallback = allow_fallback
        self.address = address
        self.cluster: Any = None
        if address == "slurm":
            settings = read_slurm_settings(config_file)
            self.cluster = slurm_cluster(settings)
            self.cluster.adapt(minimum_jobs=settings.minimum_jobs, maximum_jobs=settings.maximum_jobs)
        elif address == "local":
            self.cluster = local_cluster(local_workers)
        elif not address.startswith(("tcp://", "tls://")):
            raise ClusterError(f"--cluster takes tcp://HOST:PORT (a Dask scheduler), slurm or "
                               f"local, not {address!r}")
        try:
            self.client = Client(self.cluster or address, timeout=CONNECT_SECONDS,
                                 set_as_default=False)
        except (OSError, TimeoutError) as exc:
            self._close_cluster()
            raise ClusterError(f"cannot reach the Dask scheduler at {address} ({exc}); is it "
                               "running, and is the address right?") from exc
        self.count, self.counted_at = 0, -float("inf")  # the workers, and when they were counted
        self.wait_seconds = wait_seconds or NO_WORKER_SECONDS
        self.alone_since: float | None = None  # since when the cluster has had no worker
        self.tasks: dict[str, _Task] = {}  # by the current future's key
        self.lock = threading.Lock()
        self.client.subscribe_topic("all", self._on_event)
        self._register(GradingNode(resume.grader_hash(), self.mode, allow_fallback, assignment))

    def _register(self, plugin: GradingNode) -> None:
        """Give every worker, present and to come, the plugin. A worker that refuses closes
        itself; if none is left, ClusterError with its reason."""
        try:
            self.client.register_plugin(plugin)
            return
        except Exception as exc:  # the first refusal, re-raised by the client
            why = str(exc)
        deadline = time.monotonic() + REFUSED_SECONDS
        while self.workers() and time.monotonic() < deadline:
            time.sleep(0.2)  # the refused close; the others stay
        if not self.workers():
            self.close()
            raise ClusterError(f"no worker of {self.address} may grade for this client: {why}")
        logger.warning("a worker of %s refused to grade: %s", self.address, why)

    def _on_event(self, event: tuple[float, dict[str, Any]]) -> None:
        """Count, per submission, the workers that died while grading it (the scheduler's
        `remove-worker` events, in the client's event loop)."""
        _, message = event
        if not isinstance(message, dict) or message.get("action") != "remove-worker" \
                or message.get("expected"):
            return
        with self.lock:
            for key in message.get("processing-tasks", ()):
                if key in self.tasks:
                    self.tasks[key].deaths += 1

    def _start(self, job: packed.Job) -> Future:
        return self.client.submit(grade_on_worker, job, key=f"autograder-grade-{uuid.uuid4().hex}",
                                  pure=False)

    def submit(self, job: packed.Job) -> _Task:
        task = _Task(job, self._start(job))
        with self.lock:
            self.tasks[task.future.key] = task
        return task

    def _given_up(self, task: _Task) -> bool:
        with self.lock:
            return task.deaths > MAX_RETRIES

    def finished(self, handles: Collection[_Task]) -> Collection[_Task]:
        """The finished tasks, and those given up after MAX_RETRIES worker deaths (cancelled);
        a task a refusing worker got goes to another worker (counted as a death)."""
        while True:
            if self.client.status in ("closing", "closed"):
                raise self._lost()
            self._check_workers()
            given_up = [task for task in handles if self._given_up(task)]
            for task in given_up:
                self.client.cancel(task.future)
            if given_up:
                return given_up
            try:
                with self.client.as_current():
                    done = wait([task.future for task in handles], timeout=0.5,
                                return_when="FIRST_COMPLETED").done
            except TimeoutError:
                continue
            except (FuturesCancelledError, CancelledError) as exc:  # the scheduler is gone
                raise self._lost() from exc
            finished = []
            for task in handles:
                if task.future not in done:
                    continue
                if task.future.status == "cancelled":
                    raise self._lost()
                if task.future.status == "error" and isinstance(task.future.exception(),
                                                                packed.NodeRefused):
                    with self.lock:
                        del self.tasks[task.future.key]
                        task.deaths += 1
                        task.future = self._start(task.job)
                        self.tasks[task.future.key] = task
                    continue
                finished.append(task)
            if finished:
                return finished

    def _check_workers(self) -> None:
        """ClusterError once the cluster has had no worker for `wait_seconds` in a row: the batch
        would wait for ever (it stops as for a lost scheduler, resumable)."""
        if self.workers():
            self.alone_since = None
        elif self.alone_since is None:
            self.alone_since = time.monotonic()
        elif time.monotonic() - self.alone_since > self.wait_seconds:
            raise ClusterError(f"no Dask worker at {self.address} for {self.wait_seconds:g} s "
                               "(refused, lost, or not started yet): the submissions graded so far "
                               "are stored (no class file was written); run the same command again "
                               "once workers are up (--cluster-wait sets how long to wait)")

    def _lost(self) -> ClusterError:
        return ClusterError(f"lost the Dask scheduler at {self.address}: the submissions graded so "
                            "far are stored (no class file was written); run the same command again "
                            "once the scheduler is back, and it goes on from there")

    def answer(self, handle: _Task) -> str:
        if self._given_up(handle):
            raise WorkersKilled(f"grading this submission killed {handle.deaths} Dask workers, "
                                f"one after another; it was not tried again")
        with self.lock:
            self.tasks.pop(handle.future.key, None)
        try:
            answer = handle.future.result()
        except FutureCancelledError as exc:
            raise self._lost() from exc
        if not isinstance(answer, str):
            raise TypeError(f"a worker answered {type(answer).__name__}, not JSON text")
        return answer

    def workers(self) -> int:
        """The scheduler's count of workers, asked at most every WORKERS_SECONDS (the last count
        while the scheduler does not answer: `finished` says when it is lost)."""
        if time.monotonic() - self.counted_at > WORKERS_SECONDS:
            with contextlib.suppress(Exception):
                self.count = len(self.client.scheduler_info(n_workers=-1).get("workers", {}))
                self.counted_at = time.monotonic()
        return self.count

    def _close_cluster(self) -> None:
        if self.cluster is not None:
            self.cluster.close()

    def close(self) -> None:
        """Close the client, and the Slurm cluster if this object started it (an existing
        scheduler and its workers keep running, without this client's plugin: a worker that
        joins later must not be checked against a grader that has gone)."""
        if self.client.status == "running":
            try:
                self.client.unregister_worker_plugin(GradingNode.name)
            except Exception as exc:  # already gone with its workers, or the scheduler is lost
                logger.info("could not remove the plugin: %s", exc)
        # a scheduler in this process (slurm, local) would tell the closing client of its own
        # removal, on its closed connection, in a CRITICAL log line no level hides
        with contextlib.suppress(Exception):
            self.client.unsubscribe_topic("all")
        self.client.close()
        self._close_cluster()
