"""The figures as Markdown: printed by `make bench` and written into the README's Performance section."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def _number(value: float) -> str:
    """Three significant digits, never in scientific notation."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _pair(figure: dict[str, float] | None, unit: str = "") -> str:
    """"min / median" of a figure."""
    if figure is None:
        return "-"
    return f"{_number(figure['min'])} / {_number(figure['median'])}{unit}"


def _machine(results: dict[str, Any]) -> str:
    machine, settings = results["machine"], results["settings"]
    command = "make bench QUICK=1" if settings["quick"] else "make bench"
    shared = " (a shared machine: other jobs competed for the cores)" if machine["shared"] else ""
    text = (f"Measured {settings['date']} by `{command}` on {machine['cores']} cores ({machine['cpu']}), "
            f"{machine['memory_gib']} GiB RAM, Python {machine['python']}, numpy {machine['numpy']}, "
            f"torch {machine['torch']}. Load average {machine['load_average_start']} at the start, "
            f"{machine['load_average_end']} at the end{shared}. Every figure is min / median over "
            "the runs; a ratio's min is its luckiest run, read the median.")
    return textwrap.fill(text, width=100)


def _single(results: dict[str, Any]) -> list[str]:
    lines = ["| one reference submission, `-j 1` (s) | wall | startup | intake | tests | reports "
             "| first worker | peak MiB: grader / grading / worker |", "|---|---|---|---|---|---|---|---|"]
    memory = results.get("memory", {})
    for assignment, figure in results["single"].items():
        peaks = memory.get(assignment)
        peak_text = " / ".join(f"{peaks[f'{role}_mib']:.0f}" for role in ("grader", "grading", "worker")
                               ) if peaks else "-"
        parts = " | ".join(_pair(figure[part]) for part in ("wall", "startup", "intake", "tests", "reports"))
        lines.append(f"| {assignment} | {parts} | {_pair(figure['to_first_worker'])} | {peak_text} |")
    return lines


def _targets(results: dict[str, Any]) -> list[str]:
    lines = ["| figure | min / median | target |", "|---|---|---|"]
    autodiff = results.get("single", {}).get("autodiff")
    if autodiff:
        lines.append(f"| autodiff: full grading of one submission (intake + public and private tests) "
                     f"| {_pair(autodiff['grading'], ' s')} | < {autodiff['target_seconds']:g} s |")
    course = results.get("course")
    if course:
        suite = course["course_suite"]
        threads = "single-threaded" if suite["torch_threads"] == 1 else f"{suite['torch_threads']} threads"
        share = "" if suite["fraction"] == 1 else f", {suite['fraction']:g} of its trials"
        lines.append(f"| autodiff reference: the course's own suite, in one process, {threads}{share} "
                     f"| {_pair(suite['seconds'], ' s')} | |")
        lines.append(f"| ours / the course's suite: grading; whole command "
                     f"| {_pair(course['ratio_grading'])}; {_pair(course['ratio_wall'])} | |")
    batch = results.get("throughput")
    if batch:
        curve = ", ".join(f"-j {j}: {_pair(f['per_minute'])} ({f['scaling']['median']:g}x)"
                          for j, f in batch["by_jobs"].items())
        lines.append(f"| {batch['assignment']} batch of {batch['submissions']} ({batch['copies']} x "
                     f"{len(batch['samples'])} samples): submissions per minute (scaling) | {curve} | |")
        lines.append(f"| 300 {batch['assignment']} submissions at -j {batch['best_jobs']} (minutes) "
                     f"| {_pair(batch['minutes_for_300'])} | < {batch['target_300_minutes']:g} |")
    modes = results.get("isolation", {}).get("vs_bubblewrap", {})
    if modes:
        lines.append("| autodiff reference, tests' time: fallback with Landlock; without it "
                     "(as on an old kernel), / bubblewrap "
                     f"| {_pair(modes.get('fallback'))}; {_pair(modes.get('fallback_without_landlock'))} | |")
    lines += _similarity(results.get("similarity"))
    lines += _cluster(results.get("cluster"))
    for row in results.get("layers", []):
        target = f"<= {row['target']:g}" if row["target"] else ""
        medians = f"{_number(row['numpy_ms']['median'])} / {_number(row['torch_ms']['median'])} ms"
        lines.append(f"| {row['layer']} {row['case']} {row['dtype']}: NumPy / torch (medians {medians}) "
                     f"| {_pair(row['ratio'])} | {target} |")
    return lines


def _share(value: float | None) -> str:
    """A share in [0, 1]; None (nothing flagged, so no precision) as "-"."""
    return "-" if value is None else f"{value:.2f}"


def _similarity(figure: dict[str, Any] | None) -> list[str]:
    """The similarity report's two rows: detection on the planted corpus, the time for a batch."""
    if not figure:
        return []
    planted, speed = figure["planted"], figure["speed"]
    ours, theirs = planted["ours"], planted["copydetect"]
    return [f"| similarity, planted corpus of {planted['submissions']}: recall at {planted['planted_pairs']} "
            "/ precision of flagged pairs, ours; copydetect on whole submissions "
            f"| {_share(ours['recall_at_k'])} / {_share(ours['precision'])}; "
            f"{_share(theirs['recall_at_k'])} / {_share(theirs['precision'])} | |",
            f"| similarity, {speed['submissions']} autodiff submissions (s): ours; copydetect "
            f"| {_pair(speed['ours_seconds'])}; {_pair(speed['copydetect_seconds'])} "
            f"| < {speed['target_seconds']:g} |"]


def _cluster(figure: dict[str, Any] | None) -> list[str]:
    """Grading on Dask: against the local pool, the scheduler's cost, 10,000 submissions."""
    if not figure:
        return []
    nodes = "; ".join(f"{n}: {_number(m['median'])}" for n, m in figure["minutes_for_10000"].items())
    return [f"| {figure['assignment']} batch of {figure['submissions']}, throughput of 2 warm Dask "
            f"workers / the local pool at -j 2 (medians {_number(figure['dask_seconds']['median'])} / "
            f"{_number(figure['pool_seconds']['median'])} s) "
            f"| {_pair(figure['dask_vs_pool'])} | >= {figure['target_ratio']:g} |",
            f"| the same, a Dask LocalCluster of 2 started by the command / the pool (median "
            f"{_number(figure['local_cluster_seconds']['median'])} s; the default: "
            f"{figure['faster']}) | {_pair(figure['local_cluster_vs_pool'])} | |",
            "| a Dask worker's first batch of the assignment: its reference graded first (s added) "
            f"| {_pair(figure['readiness_seconds'])} | |",
            "| Dask scheduler's round trip per submission (ms) "
            f"| {_pair(figure['scheduler_overhead_ms'])} | |",
            f"| 10,000 submissions on N nodes of {figure['cores_per_node']} cores, from "
            f"{_number(figure['process_seconds_per_submission']['median'])} s of one grading process "
            f"per submission (minutes; N: median) | {nodes} | |"]


def markdown(results: dict[str, Any]) -> str:
    sections = [_machine(results)]
    if "single" in results:
        sections.append("\n".join(_single(results)))
    sections.append("\n".join(_targets(results)))
    return "\n\n".join(sections)


def update_readme(readme: Path, text: str) -> None:
    """Replace what lies between the README's bench markers with `text`."""
    content = readme.read_text()
    start, end = content.find(BEGIN), content.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{readme} has no {BEGIN} ... {END} block to write the figures into")
    readme.write_text(f"{content[:start + len(BEGIN)]}\n{text}\n{content[end:]}")
