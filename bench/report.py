"""The figures as Markdown: printed by `make bench` and written into the README's Performance section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def _pair(figure: dict[str, float] | None, unit: str = "") -> str:
    """"min / median" of a figure."""
    if figure is None:
        return "-"
    return f"{figure['min']:.3g} / {figure['median']:.3g}{unit}"


def _machine(results: dict[str, Any]) -> str:
    machine, settings = results["machine"], results["settings"]
    return (f"Measured {settings['date']} by `make bench{' QUICK=1' if settings['quick'] else ''}` on "
            f"{machine['cores']} cores ({machine['cpu']}), {machine['memory_gib']} GiB RAM, Python "
            f"{machine['python']}, numpy {machine['numpy']}, torch {machine['torch']}. Load average "
            f"{machine['load_average_start']} at the start, {machine['load_average_end']} at the end"
            f"{' (a shared machine: other jobs competed for the cores)' if machine['shared'] else ''}. "
            "Every figure is min / median over the runs.")


def _single(results: dict[str, Any]) -> list[str]:
    lines = ["| one reference submission, `-j 1` (s) | wall | startup | intake | tests | reports "
             "| first worker | peak MiB: grader / grading / worker |", "|---|---|---|---|---|---|---|---|"]
    memory = results.get("memory", {})
    for assignment, figure in results["single"].items():
        peaks = memory.get(assignment)
        peak_text = (f"{peaks['grader_mib']:g} / {peaks['grading_mib']:g} / {peaks['worker_mib']:g}"
                     if peaks else "-")
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
        share = "" if suite["fraction"] == 1 else f", {suite['fraction']:g} of its trials"
        lines.append(f"| autodiff reference: the course's own suite, one process, {suite['torch_threads']} "
                     f"thread(s){share} | {_pair(suite['seconds'], ' s')} | |")
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
    for row in results.get("layers", []):
        target = f"<= {row['target']:g}" if row["target"] else ""
        lines.append(f"| {row['layer']} {row['case']} {row['dtype']}: NumPy / torch "
                     f"({row['numpy_ms']['median']:.3g} / {row['torch_ms']['median']:.3g} ms) "
                     f"| {_pair(row['ratio'])} | {target} |")
    return lines


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
