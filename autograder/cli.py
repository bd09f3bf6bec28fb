"""The `autograder` command: thin glue that parses, calls one function, prints."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder import config


def cmd_grade(args: argparse.Namespace) -> int:
    from autograder.batch import GradersLost, grade_batch
    from autograder.grading.runner import worker_count
    from autograder.reports.escape import strip_controls
    from autograder.reports.terminal import print_deadlines, print_gradebook

    spec = config.load(args.assignment)
    course = Path(args.course) if args.course else Path(args.submissions) / config.COURSE_FILE
    offering = config.offering(args.assignment, course, required=bool(args.course),
                               soft=args.soft_deadline, hard=args.hard_deadline)
    lang = feedback_language(spec, offering, args.lang)
    graders = None
    try:
        if args.cluster:
            from autograder.cluster import DaskGraders

            graders = DaskGraders(args.cluster, args.assignment, allow_fallback=args.allow_fallback,
                                  config_file=Path(args.cluster_config),
                                  local_workers=worker_count(args.jobs),
                                  wait_seconds=args.cluster_wait)
        report = grade_batch(Path(args.submissions), args.assignment, Path(args.out),
                             worker_count(args.jobs), show_progress=not args.quiet, offering=offering,
                             similarity=not args.no_similarity, lang=lang, graders=graders)
    except GradersLost as exc:  # the cluster: unreachable, lost, or every worker refused
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    finally:
        if graders is not None:
            graders.close()
    results = report.results
    print_gradebook(f"{spec.title}: {len(results)} submission(s)",
                    [t.name for t in spec.tasks], results)
    print_deadlines(report.deadlines, results)
    for note in (*(p.sentence for p in (*report.conflicts, *report.manifest_problems)),
                 *report.notes):
        print(f"note: {strip_controls(note)}")
    modes = sorted({r.isolation for r in results if r.isolation})
    print(f"isolation: {'; '.join(modes) or 'none'}")
    print(f"written: {Path(args.out) / 'index.html'} (the instructor's page), gradebook.csv, "
          f"canvas.csv, moodle.csv, {'' if args.no_similarity else 'similarity.csv and .json, '}"
          f"and one folder per student in {args.out}")
    return 1 if any(r.grader_errors for r in results) else 0


def cmd_similarity(args: argparse.Namespace) -> int:
    from autograder.batch import write_similarity
    from autograder.similarity import inputs

    spec = config.load(args.assignment)
    out = Path(args.out)
    against, against_results = inputs.against([Path(f) for f in args.against])
    # a folder `grade` wrote holds the batch's results: the behaviour signal
    stored = {student: result for student, (_, result) in inputs.stored_results(out).items()}
    out.mkdir(parents=True, exist_ok=True)
    similar, _ = write_similarity(out, spec, inputs.entries(Path(args.submissions)),
                                  stored | against_results, against=against)
    signals = "code and behaviour" if stored else f"code only: no graded results in {out}"
    print(f"{len(similar)} student(s) in flagged pairs; written: {out / 'similarity.csv'}, "
          f"similarity.json and a page per flagged pair in {out / 'similarity'} ({signals})")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from autograder.grading.runner import grade_submission
    from autograder.reports.terminal import print_check

    spec = config.choose(args.assignment, Path(args.folder), args.task)
    lang = feedback_language(spec, chosen=args.lang)
    result = grade_submission(Path(args.folder), spec, student="self-check",
                              test_dirs=[spec.test_dirs["public"]], only_tasks=frozenset(args.task)).result
    print_check(result, frozenset(args.task), lang)
    return 0 if all(t.passed == len(t.graded) for t in result.tasks if t.graded) else 1


def cmd_ci(args: argparse.Namespace) -> int:
    from autograder.grading.runner import grade_submission
    from autograder.reports import ci
    from autograder.reports.language import language
    from autograder.reports.terminal import print_check

    path = Path(args.path)
    spec = config.choose(args.assignment, path)
    lang = feedback_language(spec, chosen=args.lang)
    test_dirs = [spec.test_dirs["public"]]
    if args.tests == "all":
        test_dirs.append(spec.test_dirs["private"])
    graded = grade_submission(path, spec, student=ci.student_name(os.environ, path), test_dirs=test_dirs)
    result = graded.result
    written = ci.write_ci_files(Path(args.out), spec, result, graded.internal_errors, os.environ,
                                args.tests, lang)
    print_check(result, frozenset(), lang)
    print(f"{language(lang)(ci.ADVISORY)}\nwritten: {', '.join(str(p) for p in written)}")
    if result.grader_errors:
        return 3
    return 0 if args.exit_zero or result.raw == result.max_points else 1


def feedback_language(spec: config.AssignmentSpec, offering: config.Offering | None = None,
                      chosen: str | None = None) -> str:
    """The students' language (config.feedback_language), refused unless the kit has its catalog."""
    from autograder.reports.language import languages

    lang = config.feedback_language(spec, offering or config.Offering(), chosen or "")
    if lang not in languages():
        raise config.ConfigError(f"no feedback in {lang!r}: the kit has catalogs for "
                                 f"{', '.join(languages())} (autograder/locale)")
    return lang


def add_lang(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--lang", metavar="CODE",
                        help=f"the language of what students read (en, ru), applied when reporting: "
                             f"changing it never grades again (default: {default})")


def cmd_build(args: argparse.Namespace) -> int:
    from autograder.authoring.generate import generate

    for name in args.assignment or config.available():
        spec = config.load(name)
        written = generate(spec.solution_dir, spec.test_dirs["public"], spec.student_dir)
        print(f"{name}: wrote {len(written)} files to {spec.student_dir}")
    return 0


def cmd_samples(args: argparse.Namespace) -> int:
    from autograder.authoring.samples import write_samples

    spec = config.load(args.assignment)
    samples = write_samples(spec, Path(args.out))
    print(f"{args.assignment}: wrote {len(samples)} sample submissions to {args.out}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from autograder.sandbox.isolation import FORCE_ENV, LANDLOCK_ENV, doctor

    for capability, available, detail in doctor():
        print(f"{'yes' if available else 'NO ':>4}  {capability:<38} {detail}")
    print(f"(set {FORCE_ENV}=fallback to force the fallback mode, and {LANDLOCK_ENV}=off to run "
          "it without Landlock, as on an older kernel)")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    print("\n".join(config.available()))
    return 0


def positive_seconds(text: str) -> float:
    """An argument of seconds: a number above zero."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"needs a number of seconds above 0, not {text!r}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade a folder of submissions")
    grade.add_argument("submissions", help="a folder with one sub-folder or .zip per student")
    grade.add_argument("--assignment", required=True, choices=config.available())
    grade.add_argument("--out", default="grades", help="where results go (default: grades)")
    grade.add_argument("-j", "--jobs", type=int, default=None,
                       help="submissions graded in parallel (default: all cores)")
    grade.add_argument("--quiet", action="store_true", help="no progress bar")
    grade.add_argument("--course", metavar="FILE",
                       help=f"the course file with this offering's deadlines (default: "
                            f"{config.COURSE_FILE} beside the submissions, if there is one)")
    grade.add_argument("--soft-deadline", metavar="TIME",
                       help=f"the late penalty runs from TIME (e.g. {config.DEADLINE_EXAMPLE}), "
                            "in place of the course file's")
    grade.add_argument("--hard-deadline", metavar="TIME",
                       help="submissions after TIME score zero, in place of the course file's")
    grade.add_argument("--no-similarity", action="store_true",
                       help="skip the similarity report (similarity.csv, the gradebook's similar_to)")
    add_lang(grade, "the course file's lang, else the assignment's, else en")
    grade.add_argument("--cluster", metavar="ADDRESS",
                       help="grade on a Dask cluster: tcp://HOST:PORT of a running scheduler, "
                            "slurm (a Slurm cluster from --cluster-config), or local (a Dask "
                            "LocalCluster of -j workers; slower than the default pool here)")
    grade.add_argument("--cluster-config", metavar="FILE", default="cluster.toml",
                       help="the [slurm] table for --cluster slurm (default: cluster.toml; "
                            "see docs/cluster.toml)")
    grade.add_argument("--cluster-wait", metavar="SECONDS", type=positive_seconds,
                       help="with --cluster: stop (resumable) after the cluster has had no worker "
                            "this long (default: 1800; more for a busy Slurm queue)")
    grade.add_argument("--allow-fallback", action="store_true",
                       help="with --cluster: accept workers that can only sandbox in the fallback "
                            "mode (without it they are refused)")
    grade.set_defaults(run=cmd_grade)

    similar = commands.add_parser("similarity", help="compare a folder of submissions task by task "
                                  "(code and wrong outputs): similarity.csv and similarity.json")
    similar.add_argument("submissions", help="a folder with one entry per student")
    similar.add_argument("--assignment", required=True, choices=config.available())
    similar.add_argument("--out", required=True,
                         help="where the report goes; a folder `grade` wrote adds its results")
    similar.add_argument("--against", metavar="FOLDER", action="append", default=[],
                         help="earlier terms' or public solutions, compared with the batch, not with "
                              "each other (a graded output folder: its stored results); repeatable")
    similar.set_defaults(run=cmd_similarity)

    check = commands.add_parser("check", help="a student's self-check with the public tests")
    check.add_argument("folder", nargs="?", default=".",
                       help="your notebook (.ipynb), or the folder holding your code")
    check.add_argument("--assignment", choices=config.available(),
                       help="default: the assignment whose package or notebook this is")
    check.add_argument("--task", action="append", default=[], help="check only this task")
    add_lang(check, "the assignment's lang, else en")
    check.set_defaults(run=cmd_check)

    ci = commands.add_parser("ci", help="grade the repository a CI job runs in (GitHub Actions, "
                             "GitLab CI) and write reports for it: advisory raw scores, no late "
                             "penalty")
    ci.add_argument("path", nargs="?", default=".", help="the student's code (default: .)")
    ci.add_argument("--assignment", choices=config.available(),
                    help="default: the assignment whose package or notebook the path holds")
    ci.add_argument("--out", default="autograder-results", help="where reports go")
    ci.add_argument("--tests", choices=("public", "all"), default="public",
                    help="public tests only (default), or also the private ones if this kit has them")
    ci.add_argument("--exit-zero", action="store_true",
                    help="exit 0 whatever the score (when a later step, such as GitHub Classroom's "
                         "reporter, decides pass or fail)")
    add_lang(ci, "the assignment's lang, else en")
    ci.set_defaults(run=cmd_ci)

    build = commands.add_parser("build", help="write student versions from the solutions")
    build.add_argument("assignment", nargs="*", help="assignments to build (default: all)")
    build.set_defaults(run=cmd_build)

    samples = commands.add_parser("samples", help="write an assignment's sample submissions")
    samples.add_argument("--assignment", required=True, choices=config.available())
    samples.add_argument("--out", required=True)
    samples.set_defaults(run=cmd_samples)

    doctor = commands.add_parser("doctor", help="which isolation this machine supports")
    doctor.set_defaults(run=cmd_doctor)

    listing = commands.add_parser("list", help="print the names of the assignments")
    listing.set_defaults(run=cmd_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except config.ConfigError as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
