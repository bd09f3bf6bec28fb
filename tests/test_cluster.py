"""The same `grade` on a Dask cluster: a real `dask scheduler` and two `dask worker` processes on
127.0.0.1 (separate processes, as on a cluster; ports picked free; every one stopped by its pid)
grade every assignment's samples exactly as a local run does, byte for byte, and survive the faults:
a worker killed mid-batch, a submission that kills every worker it reaches, the client killed
mid-batch, the scheduler unreachable or lost. Also the Slurm job script the documented config
renders, and the plain-data contract the cluster's workers grade by (`grading.packed`)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder import cluster, config
from autograder.authoring.samples import write_samples
from autograder.batch import LocalPool, grade_batch
from autograder.grading import packed, resume
from autograder.reports.files import safe_name
from bench.cluster import LocalDask, free_port, running, stop

BIN = Path(sys.executable).parent  # the kit's own `autograder`
DOCUMENTED_CONFIG = Path(__file__).resolve().parents[1] / "docs" / "cluster.toml"
CLASS_FILES = ("gradebook.csv", "canvas.csv", "moodle.csv")
# A few samples of each (hostile ones included: a crash, an infinite loop), so that the batches
# of this file stay minutes on 2 cores.
KEPT = {
    "autodiff": ("reference", "untouched", "os-exit-in-sigmoid", "raises-in-linear",
                 "infinite-loop-in-dropout", "late-reference"),
    "engine": ("reference", "untouched", "syntax-error-in-linear-cell", "top-level-helpers"),
}
WAIT_SECONDS = 600


@pytest.fixture()
def dask_cluster(tmp_path: Path) -> Iterator[LocalDask]:
    """A scheduler and two workers, stopped by their pids at the end, also when a test fails."""
    with running(tmp_path) as local:
        yield local


def samples(assignment: str, folder: Path) -> Path:
    write_samples(config.load(assignment), folder)
    for entry in folder.iterdir():
        if entry.is_dir() and entry.name not in KEPT[assignment]:
            shutil.rmtree(entry)
    return folder


@pytest.fixture(scope="module", params=sorted(KEPT))
def local_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[str, Path, Path]:
    """An assignment, its samples and their local grading (the process pool, -j 2)."""
    assignment = request.param
    root = tmp_path_factory.mktemp(f"cluster-{assignment}")
    folder = samples(assignment, root / "submissions")
    grade_batch(folder, assignment, root / "local", jobs=2, show_progress=False)
    return assignment, folder, root / "local"


def grade_command(folder: Path, assignment: str, out: Path, address: str) -> list[str]:
    return [str(BIN / "autograder"), "grade", str(folder), "--assignment", assignment, "--out",
            str(out), "--cluster", address, "--quiet"]


def stored(out: Path) -> dict[str, bytes]:
    return {path.parent.name: path.read_bytes() for path in out.glob(f"*/{resume.RESULT_FILE}")}


TIMED = ("timings", "worker_seconds", "seconds")  # what a stored result measured, not graded


def without_timings(value: object) -> object:
    """A stored result (parsed) without its measured times, at any depth."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMED}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def assert_same_as_local(out: Path, local: Path, but: frozenset[str] = frozenset()) -> None:
    """The class files, every student's results.json and stored result (key included, timings
    aside) are the local run's; `but` names students left out of the comparison."""
    students = {path.parent.name for path in local.glob("*/results.json")} - but
    assert students and students <= {path.parent.name for path in out.glob("*/results.json")}
    for student in sorted(students):
        assert (out / student / "results.json").read_bytes() == \
            (local / student / "results.json").read_bytes(), student
        assert without_timings(json.loads((out / student / resume.RESULT_FILE).read_bytes())) == \
            without_timings(json.loads((local / student / resume.RESULT_FILE).read_bytes())), student
    if not but:
        for name in CLASS_FILES:
            assert (out / name).read_bytes() == (local / name).read_bytes(), name
    assert not list(out.rglob(".*.tmp*"))


def grading_until_stored(command: list[str], out: Path, count: int) -> subprocess.Popen[str]:
    """The grading command, started in the background (in its own session, its errors kept), once
    it has stored `count` results: the moment a test brings its fault on. Stopped if it never does."""
    grader = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        wait_until(lambda: len(stored(out)) >= count, grader)
    except BaseException:
        stop(grader)
        raise
    return grader


def wait_until(condition, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert process is None or process.poll() is None, "the grader ended before the fault"
        assert time.monotonic() < deadline, "timed out waiting for the batch"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def warm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDask]:
    """A scheduler and two workers kept for the module's batches, as a cluster's are."""
    with running(tmp_path_factory.mktemp("warm-cluster")) as local:
        yield local


# rich draws its progress bar into a pipe as into a terminal
TERMINAL = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "160"}


@pytest.mark.parametrize("assignment", config.available())
def test_a_cluster_grades_every_sample_as_a_local_run_byte_for_byte(graded_samples, warm_cluster,
                                                                     assignment, tmp_path):
    """Every assignment's samples (the hostile ones too) through the cluster; the progress bar
    counts them across the cluster with the workers' count; each worker graded the assignment's
    reference at full marks before it took a submission (`readiness`)."""
    local = graded_samples[assignment]
    out = tmp_path / "cluster"
    command = grade_command(local.folder, assignment, out, warm_cluster.address)
    run = subprocess.run([arg for arg in command if arg != "--quiet"], capture_output=True,
                         text=True, timeout=WAIT_SECONDS, env={**os.environ, **TERMINAL})
    assert run.returncode == 0, run.stderr
    assert_same_as_local(out, local.out)
    count = len(local.results)
    assert f"grading {assignment} (2 workers)" in run.stdout and f"{count}/{count}" in run.stdout
    for log in warm_cluster.logs.glob("worker-*.log"):
        assert f"ready to grade {assignment} (its reference at full marks here" in log.read_text()


@pytest.mark.slow
def test_a_dask_local_cluster_grades_as_the_local_pool(local_run, tmp_path):
    """`--cluster local`: the LocalCluster the bench weighs against the pool, started and
    stopped by the command itself."""
    assignment, folder, local = local_run
    command = grade_command(folder, assignment, tmp_path / "out", "local")
    run = subprocess.run([*command, "-j", "2"], capture_output=True, text=True, timeout=WAIT_SECONDS)
    assert run.returncode == 0, run.stderr
    assert_same_as_local(tmp_path / "out", local)
    # the scheduler lives in the command: closing it says nothing (it once logged CRITICAL)
    assert "CRITICAL" not in run.stderr and "Traceback" not in run.stderr, run.stderr


@pytest.mark.slow
def test_a_worker_killed_mid_batch_leaves_the_gradebook_of_an_uninterrupted_run(local_run,
                                                                                 dask_cluster,
                                                                                 tmp_path):
    assignment, folder, local = local_run
    out = tmp_path / "cluster"
    grader = grading_until_stored(grade_command(folder, assignment, out, dask_cluster.address), out, 1)
    try:
        os.killpg(dask_cluster.workers[0].pid, signal.SIGKILL)  # the worker and its nanny
        graded_before = len(stored(out))
        _, errors = grader.communicate(timeout=WAIT_SECONDS)
    finally:
        if grader.poll() is None:
            stop(grader)
    assert graded_before < len(KEPT[assignment]), "the worker was to be killed mid-batch"
    assert grader.returncode == 0, errors
    assert_same_as_local(out, local)


@pytest.mark.slow
def test_the_client_killed_mid_batch_resumes_from_its_stored_results(local_run, dask_cluster,
                                                                    tmp_path):
    assignment, folder, local = local_run
    out = tmp_path / "cluster"
    first = grading_until_stored(grade_command(folder, assignment, out, dask_cluster.address), out, 2)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    before = stored(out)
    assert len(before) < len(KEPT[assignment]) and not (out / "gradebook.csv").exists()
    run = subprocess.run(grade_command(folder, assignment, out, dask_cluster.address),
                         capture_output=True, text=True, timeout=WAIT_SECONDS)
    assert run.returncode == 0, run.stderr
    after = stored(out)
    assert {name: after[name] for name in before} == before, "graded again, though unchanged"
    assert_same_as_local(out, local)


POISON = "raises-in-linear"


@pytest.mark.slow
def test_a_submission_that_kills_every_worker_costs_its_student_alone_a_grader_error(tmp_path):
    """Its workers die (the test-only hook, cluster.KILL_WORKER_ENV) and their nannies restart
    them; the client gives up after MAX_RETRIES, writes the grader-error row, and the batch ends."""
    folder = samples("autodiff", tmp_path / "submissions")
    for entry in folder.iterdir():
        if entry.is_dir() and entry.name not in ("reference", POISON):
            shutil.rmtree(entry)
    out = tmp_path / "cluster"
    with running(tmp_path, extra={cluster.KILL_WORKER_ENV: POISON}) as local:
        run = subprocess.run(grade_command(folder, "autodiff", out, local.address),
                             capture_output=True, text=True, timeout=WAIT_SECONDS)
    assert run.returncode == 1, run.stderr  # a grader error somewhere
    with open(out / "gradebook.csv", newline="") as stream:
        rows = {row["student"]: row for row in csv.DictReader(stream)}
    assert int(rows[POISON]["grader_errors"]) == len(config.load("autodiff").tasks)
    assert int(rows["reference"]["grader_errors"]) == 0 and float(rows["reference"]["raw"]) == 10
    log = (out / safe_name(POISON) / "grader-errors.log").read_text()
    assert "killed" in log and "Dask workers" in log
    assert not (out / safe_name(POISON) / resume.RESULT_FILE).exists()  # graded again next run


@pytest.mark.slow
def test_a_worker_that_cannot_sandbox_as_asked_is_refused_unless_the_fallback_is_allowed(tmp_path):
    folder = samples("autodiff", tmp_path / "submissions")
    for entry in folder.iterdir():
        if entry.is_dir() and entry.name != "reference":
            shutil.rmtree(entry)
    client_env = {k: v for k, v in os.environ.items() if k != packed.isolation.FORCE_ENV}
    fallback_only = {packed.isolation.FORCE_ENV: "fallback"}
    local = LocalDask(tmp_path)
    try:
        local.add_worker(fallback_only)
        local.wait_for_workers(1)
        refused = subprocess.run(grade_command(folder, "autodiff", tmp_path / "refused", local.address),
                                 capture_output=True, text=True, timeout=WAIT_SECONDS, env=client_env)
        local.add_worker(fallback_only)  # the refused one closed itself
        local.wait_for_workers(1)
        allowed = subprocess.run([*grade_command(folder, "autodiff", tmp_path / "allowed", local.address),
                                  "--allow-fallback"], capture_output=True, text=True,
                                 timeout=WAIT_SECONDS, env=client_env)
    finally:
        local.stop()
    assert refused.returncode == 2, refused.stderr
    assert "sandboxes in the fallback mode, the client asked for bubblewrap" in refused.stderr
    assert not (tmp_path / "refused" / "gradebook.csv").exists()
    assert allowed.returncode == 0, allowed.stderr
    with open(tmp_path / "allowed" / "gradebook.csv", newline="") as stream:
        row = next(csv.DictReader(stream))
    assert row["isolation"].startswith("fallback") and float(row["raw"]) == 10


@pytest.mark.slow
def test_an_unreachable_scheduler_is_a_clear_error_and_nothing_is_written(tmp_path):
    folder = samples("autodiff", tmp_path / "submissions")
    out = tmp_path / "cluster"
    run = subprocess.run(grade_command(folder, "autodiff", out, f"tcp://127.0.0.1:{free_port()}"),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:" in run.stderr
    assert "Traceback" not in run.stderr
    assert not out.exists()


@pytest.mark.slow
def test_a_lost_scheduler_stops_the_batch_with_a_clear_error_and_no_class_file(tmp_path):
    folder = samples("autodiff", tmp_path / "submissions")
    out = tmp_path / "cluster"
    with running(tmp_path, workers=1) as local:
        grader = grading_until_stored(grade_command(folder, "autodiff", out, local.address), out, 1)
        os.killpg(local.scheduler.pid, signal.SIGKILL)
        _, errors = grader.communicate(timeout=WAIT_SECONDS)
    assert grader.returncode == 2, errors
    assert "lost the Dask scheduler" in errors and "run the same command again" in errors
    assert "Traceback" not in errors
    assert not any((out / name).exists() for name in CLASS_FILES)
    for name, data in stored(out).items():  # what was stored is whole
        assert json.loads(data)["result"]["student"], name
    assert not list(out.rglob(".*.tmp*"))


@pytest.mark.slow
def test_a_cluster_left_without_workers_stops_the_batch_after_its_wait(tmp_path):
    """Its one worker SIGKILLed with its nanny mid-batch, nothing replaces it: the batch stops as
    for a lost scheduler (resumable, no class file) instead of waiting for ever."""
    folder = samples("autodiff", tmp_path / "submissions")
    out = tmp_path / "cluster"
    with running(tmp_path, workers=1) as local:
        grader = grading_until_stored([*grade_command(folder, "autodiff", out, local.address),
                                       "--cluster-wait", "5"], out, 1)
        os.killpg(local.workers[0].pid, signal.SIGKILL)
        _, errors = grader.communicate(timeout=WAIT_SECONDS)
    assert grader.returncode == 2, errors
    assert f"no Dask worker at {local.address} for 5 s" in errors
    assert "run the same command again" in errors and "Traceback" not in errors
    assert 1 <= len(stored(out)) < len(KEPT["autodiff"])
    assert not any((out / name).exists() for name in CLASS_FILES)
    assert not list(out.rglob(".*.tmp*"))


@pytest.mark.slow
def test_the_local_pool_grades_on_after_a_grading_process_died(tmp_path):
    """The same contract on this machine: a dead grading process fails what it held, no more."""
    folder = samples("autodiff", tmp_path / "submissions")
    job = packed.job_for(folder / "reference", "reference", "autodiff", frozenset(), mode="fallback")
    pool = LocalPool(1)
    try:
        pool.finished([pool.submit(job)])  # the pool's process is up
        for pid in list(pool.pool._processes):  # the executor's own record of its processes
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            pool.answer(pool.submit(job))  # lost with the process, or already refused
        result, internal = packed.read_graded(pool.answer(pool.submit(job)))
    finally:
        pool.close()
    assert result is not None and result.raw == 10 and not internal


def test_the_documented_slurm_config_renders_a_job_of_one_thread_workers():
    settings = cluster.read_slurm_settings(DOCUMENTED_CONFIG)
    slurm = cluster.slurm_cluster(settings, scheduler_options={"host": "127.0.0.1",
                                                               "dashboard_address": ":0"})
    try:
        script = slurm.job_script()
    finally:
        slurm.close()
    lines = script.splitlines()
    assert {"#SBATCH -p cpu", "#SBATCH -A ml-course", "#SBATCH -t 02:00:00",
            "#SBATCH --cpus-per-task=4", "#SBATCH --constraint=avx2", "cd /opt/autograder"} <= set(lines)
    worker = next(line for line in lines if "dask_worker" in line)
    assert worker.startswith("/opt/autograder/.venv/bin/python -m distributed.cli.dask_worker "
                             "tcp://127.0.0.1:")
    assert " --nthreads 1 " in worker and " --nworkers 4 " in worker and " --nanny" in worker
    assert lines.index("cd /opt/autograder") < lines.index(worker)


@pytest.mark.parametrize(("table", "message"), [
    ("queue = 'cpu'\nwalltime = '1:00:00'\nmemory = '4GB'\nnodes = 3\n", "has no key 'nodes'"),
    ("queue = 'cpu'\nwalltime = '1:00:00'\n", "needs memory"),
    ("queue = 'cpu'\nwalltime = '1:00:00'\nmemory = '4GB'\nprocesses = '4'\n",
     "processes must be a int"),
    ("queue = 'cpu'\nwalltime = '1:00:00'\nmemory = '4GB'\nminimum_jobs = 5\nmaximum_jobs = 2\n",
     "minimum_jobs <= maximum_jobs"),
])
def test_a_wrong_slurm_config_names_the_file_and_the_key(tmp_path, table, message):
    path = tmp_path / "cluster.toml"
    path.write_text("[slurm]\n" + table)
    with pytest.raises(cluster.ClusterError, match=message) as raised:
        cluster.read_slurm_settings(path)
    assert str(path) in str(raised.value)


def test_a_packed_entry_unpacks_to_the_same_bytes_under_its_own_name(tmp_path):
    """A linked entry is followed and a link inside stays a link (intake ignores it by name), its
    target not sent."""
    entry = tmp_path / "alice"
    (entry / "modules").mkdir(parents=True)
    (entry / "modules" / "layers.py").write_text("x = 1\n")
    (entry / "notes.txt").write_bytes(b"\xff\x00")
    target = tmp_path / "unpacked"
    target.mkdir()
    packed.unpack(packed.pack(entry), target)
    assert resume.content_hash(target / "alice") == resume.content_hash(entry)
    (tmp_path / "outside.py").write_text("SECRET = 1\n")
    (entry / "modules" / "secret.py").symlink_to(tmp_path / "outside.py")
    linked = tmp_path / "carol"
    linked.symlink_to(entry, target_is_directory=True)
    packed.unpack(packed.pack(linked), target)
    assert (target / "carol" / "modules" / "layers.py").read_text() == "x = 1\n"
    secret = target / "carol" / "modules" / "secret.py"
    assert secret.is_symlink() and os.readlink(secret) == "secret.py"
    notebook = tmp_path / "bob.ipynb"
    notebook.write_text('{"cells": []}')
    packed.unpack(packed.pack(notebook), target)
    assert (target / "bob.ipynb").read_bytes() == notebook.read_bytes()


def test_an_entry_larger_than_the_cap_is_not_sent(tmp_path, monkeypatch):
    monkeypatch.setattr(packed, "MAX_PACKED_BYTES", 10_000)
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "data.py").write_bytes(b"#" * 20_000)
    with pytest.raises(packed.PackError, match="larger than"):
        packed.pack(tmp_path / "big")


def test_unpacking_refuses_a_member_that_leaves_its_folder(tmp_path):
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode="w") as archive:
        member = tarfile.TarInfo("../escaped.py")
        member.size = 1
        archive.addfile(member, io.BytesIO(b"x"))
    (tmp_path / "inside").mkdir()
    with pytest.raises(tarfile.TarError):
        packed.unpack(stream.getvalue(), tmp_path / "inside")
    assert not (tmp_path / "escaped.py").exists()


@pytest.mark.parametrize("answer", ['{"result": null}', "[1, 2]", "not json", '{"internal": 3}'])
def test_a_workers_answer_that_is_not_a_graded_submission_is_refused(answer):
    with pytest.raises(ValueError):
        packed.read_graded(answer)


def test_a_node_with_another_grader_refuses_to_grade():
    assert "differs from the client's" in packed.refusal("0" * 64, "fallback", False)
    assert packed.refusal(resume.grader_hash(), packed.isolation.detect().mode, False) == ""


def test_a_node_that_can_only_fall_back_refuses_bubblewrap_unless_allowed(monkeypatch):
    monkeypatch.setenv(packed.isolation.FORCE_ENV, "fallback")
    grader = resume.grader_hash()
    assert "--allow-fallback" in packed.refusal(grader, "bubblewrap", False)
    assert packed.refusal(grader, "bubblewrap", True) == ""
    assert packed.refusal(grader, "fallback", False) == ""
