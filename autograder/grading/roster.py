"""Who handed in what, and when: the entries of a submissions folder as students, and their
submission times from `manifest.csv`, checked before anything is graded.

A student's identity is the name of their entry without its suffix (`alice.zip`, `alice.ipynb` and
the folder `alice/` are all `alice`): the LMS login the instructor named it after, so that the LMS
files import. Unicode and case are kept (`Alice` and `alice` are two students), and the name is
normalised to NFC: macOS writes names decomposed (NFD) and a copy between systems can turn one
spelling into the other, yet both are one student. Entries that share an identity are a conflict:
the newest is graded and all are reported, so that one identity is always exactly one result.

A manifest row that cannot be used (a bad timestamp, an unknown student, a repeated student, a
missing column) must not stop the batch nor cost anyone a penalty the grader cannot justify: it is
reported with its line number, everyone is graded, and the lateness of the student it concerns is
unknown (no late multiplier, flagged to the instructor and told to the student).
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path, PurePath

from autograder.config import COURSE_FILE, ConfigError
from autograder.results import EntryConflict, ManifestProblem, SubmissionResult

MANIFEST = "manifest.csv"
COLUMNS = ("student", "submitted_at")
TIME_FORMAT = "ISO 8601 with a time zone, e.g. 2026-10-05T23:59:00+03:00"
EVERYONE_UNKNOWN = "every student's lateness is unknown"
# How Python holds what is not text: a byte of a file name that is not UTF-8 (U+DC80..U+DCFF, by
# surrogate escape), or a lone surrogate; no output file can be written with one.
SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` as it can be written anywhere: a byte of a name that is not UTF-8 as `\\xNN` (so
    names stay apart and the instructor can find the file), any other surrogate as U+FFFD."""
    def shown(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else "\ufffd"

    return SURROGATE.sub(shown, text)


@dataclass(frozen=True)
class Handin:
    """One student's submission as the batch grades it: `notes` are told to the student."""

    student: str
    path: Path
    submitted_at: datetime | None = None
    lateness_unknown: bool = False
    notes: tuple[str, ...] = ()

    def annotate(self, result: SubmissionResult) -> SubmissionResult:
        """`result` (graded, or the grader's failure) with what the roster knows of this hand-in.
        Intake's messages name the student's files, whose names need not be UTF-8."""
        return replace(result, lateness_unknown=self.lateness_unknown, intake_messages=(
            *self.notes, *map(printable, result.intake_messages)))


@dataclass(frozen=True)
class Roster:
    handins: dict[str, Handin]  # by identity
    conflicts: tuple[EntryConflict, ...] = ()
    manifest_problems: tuple[ManifestProblem, ...] = ()


def identity(entry: Path) -> str:
    """The student an entry of the submissions folder belongs to (see the module docstring). A
    name that is not UTF-8 keeps its other bytes, visible as \\xNN, so it stays a name of its own."""
    name = printable(entry.name)
    return unicodedata.normalize("NFC", name if entry.is_dir() else PurePath(name).stem)


def _mtime_ns(path: Path) -> int:
    """When an entry was last changed (a dangling link: the link's own time; unreadable: never)."""
    for status in (path.stat, path.lstat):
        try:
            return status().st_mtime_ns
        except OSError:
            continue
    return 0


def _label(entry: Path) -> str:
    """An entry's name as the instructor finds it in the folder; one of two spellings that look
    alike says which it is."""
    name = printable(entry.name)
    spelling = "" if unicodedata.is_normalized("NFC", name) else " (a decomposed Unicode spelling)"
    return f"{name}{'/' if entry.is_dir() else ''}{spelling}"


def discover(folder: Path) -> tuple[dict[str, Path], tuple[EntryConflict, ...]]:
    """Each student's entry of `folder` by identity (hidden entries, the manifest and the course
    file aside), and the conflicts: of entries sharing an identity the newest is graded, a tie
    going to the name last in byte order, so that every run picks the same one."""
    if not folder.is_dir():
        raise ConfigError(f"{folder} is not a folder of submissions")
    found: dict[str, list[Path]] = defaultdict(list)
    for entry in sorted(folder.iterdir()):
        if not entry.name.startswith(".") and entry.name not in (MANIFEST, COURSE_FILE):
            found[identity(entry)].append(entry)
    chosen, conflicts = {}, []
    for student, entries in sorted(found.items()):
        chosen[student] = max(entries, key=lambda e: (_mtime_ns(e), os.fsencode(e.name)))
        if len(entries) > 1:
            conflicts.append(EntryConflict(student, _label(chosen[student]), tuple(
                _label(e) for e in entries if e != chosen[student])))
    return chosen, tuple(conflicts)


def _parse_time(text: str) -> tuple[datetime | None, str]:
    """A manifest timestamp, or why it is none."""
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None, f"{text!r} is not a time: write {TIME_FORMAT}"
    if stamp.tzinfo is None:
        return None, f"{text!r} has no time zone, so its lateness cannot be told: write {TIME_FORMAT}"
    return stamp, ""


def _near(name: str, students: Collection[str]) -> list[str]:
    """The students a manifest row probably meant: the same name in another case, or the entry's
    name with its suffix."""
    return sorted(s for s in students if s.casefold() == name.casefold() or s == PurePath(name).stem)


def _rows(rows: Iterator[tuple[int, list[str]]], students: Collection[str]
          ) -> tuple[dict[str, datetime], list[ManifestProblem]]:
    """The times and problems of a manifest's rows, each with its line number."""
    header = [cell.strip().lower() for cell in next(rows, (1, []))[1]]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        return {}, [ManifestProblem(1, f"the header has no {' and no '.join(missing)} column (it needs "
                                       f"{','.join(COLUMNS)}): {EVERYONE_UNKNOWN}",
                                    lateness_unknown=True)]
    at = [header.index(column) for column in COLUMNS]
    times: dict[str, datetime] = {}
    seen: dict[str, tuple[int, datetime | None]] = {}
    problems = []
    for line, row in rows:
        name, text = (unicodedata.normalize("NFC", row[i].strip()) if i < len(row) else "" for i in at)
        if not (name or text):
            continue  # a blank row
        if not name:
            problems.append(ManifestProblem(line, "names no student: ignored"))
            continue
        if name not in students:
            near = _near(name, students)
            hint = f" (did you mean {', '.join(near)}? names match exactly, case included)" if near else ""
            problems.append(ManifestProblem(line, f"no submission is named {name}{hint}: ignored", name))
            continue
        stamp, why = _parse_time(text)
        if name in seen:
            first, earlier = seen[name]
            agrees = stamp is not None and stamp == earlier
            problems.append(ManifestProblem(
                line, f"repeats {name} of line {first}" + (", with the same time: ignored" if agrees
                                                          else f" with another time: {name}'s lateness "
                                                               "is unknown"), name, not agrees))
            if not agrees:
                times.pop(name, None)
            continue
        seen[name] = (line, stamp)
        if stamp is None:
            problems.append(ManifestProblem(line, f"{why}; {name}'s lateness is unknown", name, True))
        else:
            times[name] = stamp
    return times, problems


def read_manifest(path: Path, students: Collection[str]
                  ) -> tuple[dict[str, datetime], tuple[ManifestProblem, ...]]:
    """The submission times `manifest.csv` gives, by student, and what in it could not be used.
    Never raises: a file that cannot be read at all leaves everyone's lateness unknown."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return {}, (ManifestProblem(0, f"cannot be read ({exc.strerror or exc}): {EVERYONE_UNKNOWN}",
                                    lateness_unknown=True),)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return {}, (ManifestProblem(data[:exc.start].count(b"\n") + 1,
                                    f"is not UTF-8 text (save it as \"CSV UTF-8\"): {EVERYONE_UNKNOWN}",
                                    lateness_unknown=True),)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        times, problems = _rows(((reader.line_num, row) for row in reader), students)
    except csv.Error as exc:
        return {}, (ManifestProblem(reader.line_num, f"is not valid CSV ({exc}): {EVERYONE_UNKNOWN}",
                                    lateness_unknown=True),)
    return times, tuple(problems)


def lateness_note(problem: ManifestProblem) -> str:
    """What a student whose lateness a manifest problem leaves unknown is told."""
    return (f"your submission time is unknown ({problem.sentence}), so no late penalty was "
            "applied; your instructor has been told")


def read(folder: Path, use_file_times: bool = True) -> Roster:
    """Every student of `folder` with their entry, submission time and notes. A student the
    manifest does not name is timed by their entry's modification time (`use_file_times`)."""
    submissions, conflicts = discover(folder)
    manifest = folder / MANIFEST
    times: dict[str, datetime] = {}
    problems: tuple[ManifestProblem, ...] = ()
    if manifest.exists() or manifest.is_symlink():
        times, problems = read_manifest(manifest, submissions)
    handins = {}
    for student, path in submissions.items():
        unknown = [p for p in problems if p.lateness_unknown and p.student in ("", student)]
        notes = tuple([c.sentence for c in conflicts if c.student == student]
                      + [lateness_note(p) for p in unknown])
        if unknown:
            submitted_at = None
        elif student in times:
            submitted_at = times[student]
        else:
            submitted_at = (datetime.fromtimestamp(_mtime_ns(path) / 1e9, UTC) if use_file_times
                            else None)
        handins[student] = Handin(student, path, submitted_at, bool(unknown), notes)
    return Roster(handins, conflicts, problems)
