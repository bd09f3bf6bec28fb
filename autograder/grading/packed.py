"""One submission as bytes in and its graded result as JSON out: the contract of every place a
batch grades (the local process pool, a Dask worker on another machine).

No file system is shared: the batch packs a student's entry (a folder, a `.zip` or a notebook, under
its own name) into an uncompressed tar, the grading process unpacks it into a private temporary
folder and grades it there, and hands back a JSON string (the same result `result.json` stores, and
the grader's own errors). The batch parses that JSON and nothing else, so nothing
student-derived is ever unpickled by the process that writes the results."""

from __future__ import annotations

import gc
import io
import json
import shutil
import tarfile
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder import config
from autograder.grading import resume
from autograder.grading.runner import grade_submission
from autograder.results import SubmissionResult
from autograder.sandbox import isolation

__all__ = ["MAX_PACKED_BYTES", "Job", "NodeRefused", "PackError", "grade_job", "job_for", "pack",
           "read_graded", "refusal", "unpack"]

# Larger than anything intake accepts (its total is 250 MiB), so the cap never changes a grade;
# it keeps one entry from filling a cluster node's memory and the scheduler's.
MAX_PACKED_BYTES = 256 * 2**20


class PackError(Exception):
    """An entry that cannot be sent to a grading process (too large): the batch says so."""


class NodeRefused(Exception):
    """This grading process is not the one the batch asked for: another grader's code, or an
    isolation mode weaker than the batch's. Nothing was graded."""


@dataclass(frozen=True)
class Job:
    """What a grading process needs to grade one submission, all of it plain data."""

    student: str
    name: str  # the entry's file or folder name, which intake reads (`alice.ipynb`)
    packed: bytes
    assignment: str
    only_tasks: frozenset[str]
    grader: str  # the batch's grader hash: a process with other code refuses the job
    mode: str  # the isolation mode the batch asked for
    allow_fallback: bool = False


def pack(entry: Path) -> bytes:
    """`entry` as an uncompressed tar holding it under its own name; PackError beyond
    MAX_PACKED_BYTES. An entry that is itself a symbolic link is followed, as intake follows it; a
    link inside is kept as a link to itself, since intake ignores a link by its name alone (and
    its target, a path of this machine, must not leave it)."""
    root = entry.resolve() if entry.is_symlink() else entry
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path in [root, *sorted(root.rglob("*"))] if root.is_dir() else [root]:
            info = archive.gettarinfo(path, arcname=(PurePosixPath(entry.name)
                                                     / path.relative_to(root).as_posix()).as_posix())
            if info.issym():
                info.linkname = path.name
            if info.isreg():
                with open(path, "rb") as content:
                    archive.addfile(info, content)
            else:
                archive.addfile(info)
            if stream.tell() > MAX_PACKED_BYTES:
                raise PackError(f"{entry.name} is larger than {MAX_PACKED_BYTES // 2**20} MiB")
    return stream.getvalue()


def job_for(entry: Path, student: str, assignment: str, only_tasks: frozenset[str], *,
            mode: str, allow_fallback: bool = False) -> Job:
    """The job grading `entry` for `student` as this process's grader would."""
    return Job(student=student, name=entry.name, packed=pack(entry), assignment=assignment,
               only_tasks=only_tasks, grader=resume.grader_hash(), mode=mode,
               allow_fallback=allow_fallback)


def unpack(packed: bytes, folder: Path) -> None:
    """Recreate a packed entry in `folder`; tarfile's `data` filter refuses absolute names, `..`,
    links out of `folder`, devices and set-uid bits."""
    with tarfile.open(fileobj=io.BytesIO(packed), mode="r:") as archive:
        archive.extractall(folder, filter="data")


def refusal(grader: str, mode: str, allow_fallback: bool) -> str:
    """Why this process must not grade for a batch with `grader` and isolation `mode`; empty if
    it may. Bubblewrap serves any batch; the fallback serves one that asked for bubblewrap only
    with `allow_fallback`."""
    if grader != resume.grader_hash():
        return (f"this node's grader ({resume.grader_hash()[:12]}) differs from the client's "
                f"({grader[:12]}): install the same checkout on every node")
    here = isolation.detect().mode
    if mode == "bubblewrap" and here != mode and not allow_fallback:
        return (f"this node sandboxes in the {here} mode, the client asked for {mode} "
                "(`autograder doctor` on the node says why; --allow-fallback accepts the fallback)")
    return ""


def _freeze_long_lived_objects() -> None:
    """Keep the garbage collector off what outlives a submission (torch, keras, pytest, the
    checks' caches: ~440,000 objects): its full collections cost 0.8 s per ownpackage submission
    before, 0.03 s after. Whatever a submission's grading leaves is collected before the next."""
    gc.collect()
    gc.freeze()


def grade_job(job: Job) -> str:
    """Grade a packed submission in this process: the JSON of its raw result and the grader's
    own errors (`read_graded` reads it back); a grader failure is a null result with its
    traceback. NodeRefused if this process may not grade for the job's batch."""
    why = refusal(job.grader, job.mode, job.allow_fallback)
    if why:
        raise NodeRefused(why)
    _freeze_long_lived_objects()
    folder = Path(tempfile.mkdtemp(prefix="autograder-job-"))  # mode 0700: the grader's alone
    try:
        unpack(job.packed, folder)
        graded = grade_submission(folder / job.name, config.load(job.assignment),
                                  student=job.student, only_tasks=job.only_tasks)
        return json.dumps({"result": graded.result.to_dict(), "internal": graded.internal_errors})
    except Exception:
        return json.dumps({"result": None, "internal": [traceback.format_exc()]})
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def read_graded(text: str) -> tuple[SubmissionResult | None, list[str]]:
    """A `grade_job` answer read as JSON only: the result (None when the grader failed) and the
    grader's own errors. ValueError for anything else."""
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("internal"), list):
        raise ValueError("not a graded submission")
    result = data.get("result")
    return (None if result is None else SubmissionResult.from_dict(result)), \
        [str(line) for line in data["internal"]]

