"""The similarity report as files: `similarity.csv` for people (every student-controlled cell
neutralised: reports.escape), `similarity.json` as plain data for the pages, and the gradebook's
`similar_to` cells."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict

from autograder.reports.escape import csv_cell, csv_text
from autograder.similarity.report import SimilarityReport

COLUMNS = ("student_a", "student_b", "task", "score", "code_score", "behaviour_score", "flagged",
           "evidence")


def similarity_csv(report: SimilarityReport) -> str:
    """One row per pair and task, by score; names and evidence are cells a spreadsheet shows as
    text (evidence quotes nothing of the students', but is kept safe all the same)."""
    rows: list[list[str]] = [list(COLUMNS)]
    rows += [[csv_cell(p.student_a), csv_cell(p.student_b), csv_cell(p.task), f"{p.score:.4f}",
              f"{p.code_score:.4f}", f"{p.behaviour_score:.4f}", "yes" if p.flagged else "no",
              csv_cell(p.evidence)] for p in report.pairs]
    return csv_text(rows)


def similarity_json(report: SimilarityReport) -> str:
    """The whole report (pairs with their fragments and shared wrong tests, clusters, and each
    paired student's compared code per task) as JSON, keys sorted: the same batch gives the same
    bytes."""
    return json.dumps(asdict(report), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def similar_to(report: SimilarityReport) -> dict[str, str]:
    """Per student, the flagged partners with their tasks: "bob (Linear, BatchNormalization)"."""
    tasks: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for pair in report.pairs:
        if pair.flagged:
            tasks[pair.student_a][pair.student_b].append(pair.task)
            tasks[pair.student_b][pair.student_a].append(pair.task)
    return {student: "; ".join(f"{partner} ({', '.join(found)})"
                               for partner, found in sorted(partners.items()))
            for student, partners in tasks.items()}
