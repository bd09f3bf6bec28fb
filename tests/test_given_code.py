"""Given code is never graded: what a course's template hands students written (`given` in
assignment.toml) stays, in the kit's student version, exactly as the reference has it, which is the
course's own; and no task names a given member as the code it grades."""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest

from autograder import config
from autograder.intake.notebook import notebook_statements

WITH_GIVEN = [name for name in config.available() if config.load(name).given]


def sources(folder, spec: config.AssignmentSpec) -> Iterator[str]:
    """The code of a version: its package's files, or the statements intake keeps of its notebook
    (magics, shell lines and demos left out, as the worker gets them)."""
    if spec.notebook:
        data = (folder / spec.notebook).read_bytes()
        for statement in notebook_statements(data, spec.notebook, spec.answers, []):
            yield statement.source
    else:
        for path in sorted((folder / spec.package).rglob("*.py")):
            yield path.read_text()


def definitions(folder, spec: config.AssignmentSpec) -> dict[str, list[str]]:
    """Every top-level class and function, and every method as "Class.method", with the dump of
    its syntax tree (comments and layout aside), as often as it is defined."""
    found: dict[str, list[str]] = {}
    for source in sources(folder, spec):
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                found.setdefault(node.name, []).append(ast.dump(node))
            if isinstance(node, ast.ClassDef):
                for member in node.body:
                    if isinstance(member, ast.FunctionDef):
                        found.setdefault(f"{node.name}.{member.name}", []).append(ast.dump(member))
    return found


@pytest.mark.parametrize("assignment", WITH_GIVEN)
def test_the_student_version_keeps_the_given_code_as_the_reference_has_it(assignment) -> None:
    spec = config.load(assignment)
    reference = definitions(spec.solution_dir, spec)
    student = definitions(spec.student_dir, spec)
    missing = [name for name in spec.given if name not in reference or name not in student]
    assert not missing, f"{assignment}: given names defined nowhere: {missing}"
    altered = [name for name in spec.given if reference[name][-1] != student[name][-1]]
    assert not altered, f"{assignment}: the student version changes the given {altered}"


@pytest.mark.parametrize("assignment", WITH_GIVEN)
def test_no_task_grades_a_given_member(assignment) -> None:
    spec = config.load(assignment)
    graded = {name for task in spec.tasks for name in task.code}
    assert not graded & set(spec.given), f"{assignment}: {sorted(graded & set(spec.given))}"
