"""Feedback in the students' language: the catalog (autograder/locale) is complete and up to date
with the sources, a stored English message reads in Russian with its numbers untouched, English is
unchanged, and the language is chosen when reporting, never when grading."""

from __future__ import annotations

import hashlib
import json
import re
import string
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from reports_helpers import make_result

from autograder import cli, config
from autograder.failures import CheckFailed, StudentError
from autograder.grading import resume
from autograder.reports import check_table, ci, feedback, gradescope, language, lms, terminal
from autograder.results import SubmissionResult
from autograder.testing import assert_close

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = language.LOCALE / f"{language.DOMAIN}.pot"
CATALOGS = sorted(language.LOCALE.glob(f"*/LC_MESSAGES/{language.DOMAIN}.po"))
RU = language.language("ru")


def messages(path: Path) -> list:
    with path.open("rb") as po:
        return [m for m in read_po(po) if m.id]


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_the_kit_has_a_russian_catalog() -> None:
    assert "ru" in language.languages() and CATALOGS


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_every_message_of_a_catalog_is_translated_and_none_is_fuzzy(catalog: Path) -> None:
    untranslated = [m.id for m in messages(catalog) if not m.string or m.fuzzy]
    assert not untranslated, f"translate these in {catalog} (make messages):\n" + "\n".join(untranslated)


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_every_translation_keeps_the_placeholders_of_its_message(catalog: Path) -> None:
    wrong = [m.id for m in messages(catalog) if placeholders(m.id) != placeholders(m.string)]
    assert not wrong, wrong


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_a_catalog_holds_exactly_the_messages_of_the_template(catalog: Path) -> None:
    assert {m.id for m in messages(catalog)} == {m.id for m in messages(TEMPLATE)}


def test_the_template_is_up_to_date_with_the_sources() -> None:
    """Extraction, as `make messages` runs it, finds no message the template lacks, and the
    template holds none that the sources no longer mark."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    extracted = {message for _, _, message, _, _ in
                 extract_from_dir(ROOT / "autograder", method_map, options_map)}
    in_template = {m.id for m in messages(TEMPLATE)}
    assert not extracted - in_template, f"run `make messages`: new {sorted(extracted - in_template)}"
    assert not in_template - extracted, f"run `make messages`: gone {sorted(in_template - extracted)}"


def test_no_message_puts_two_placeholders_side_by_side() -> None:
    """`{shape}{where}` cannot be read back from the stored text: where one ends is unknown."""
    adjacent = [m.id for m in messages(TEMPLATE) if re.search(r"(?<!\{)\{\w+\}\{\w+\}", m.id)]
    assert not adjacent, adjacent


def failure_of(check) -> str:
    with pytest.raises(CheckFailed) as failed:
        check()
    return str(failed.value)


def test_a_stored_comparison_reads_in_russian_with_every_number_as_it_was_stored() -> None:
    message = failure_of(lambda: assert_close(np.array([[1.0, 2.5], [3.0, 4.123456789]]),
                                              np.array([[1.0, 2.5], [3.0, 4.0]]),
                                              "Linear(2, 2).forward(x) for x of shape (2, 2)",
                                              against="torch.nn.Linear"))
    russian = RU.message(message)
    numbers = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
    assert numbers.findall(russian) == numbers.findall(message)
    assert russian.startswith("Linear(2, 2).forward(x) для x формы (2, 2): не совпадает с torch.nn.Linear")
    assert "Наибольшая ошибка в позиции [1, 1]: получено 4.1234568, ожидалось 4" in russian


def test_a_students_own_words_stay_as_they_wrote_them() -> None:
    error = StudentError("Linear.forward(array(4, 3))", "ValueError", "my shapes do not fit",
                         [["modules/layers.py", 12, "forward", "return x @ self.W"]])
    assert RU.message(str(error)).splitlines() == [
        "Linear.forward(array(4, 3)) выбросил ValueError: my shapes do not fit",
        "  в вашем коде:",
        "    modules/layers.py:12 в forward: return x @ self.W"]


def test_english_is_the_stored_text_itself() -> None:
    english = language.language("en")
    text = str(make_result().tasks[0].tests[1].message)
    assert english.message(text) == text and english.points(7.5, 10) == "7.5 / 10"


def test_points_read_the_same_way_in_every_report_of_a_language() -> None:
    assert RU.points(7.5, 10) == "7.5 из 10" and RU.points(0, 2.5) == "0 из 2.5"


def test_an_unknown_language_is_refused_before_anything_is_graded(tmp_path, capsys) -> None:
    code = cli.main(["grade", str(tmp_path), "--assignment", "autodiff", "--out",
                     str(tmp_path / "out"), "--lang", "de"])
    assert code == 2 and "no feedback in 'de'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="no catalog for the language 'de'"):
        language.Language("de")


def test_the_language_comes_from_the_command_line_then_the_course_then_the_assignment() -> None:
    spec = config.load("autodiff")
    assert spec.lang == "en"
    assert config.feedback_language(spec) == "en"
    assert config.feedback_language(spec, config.Offering(lang="ru")) == "ru"
    assert config.feedback_language(spec, config.Offering(lang="ru"), "en") == "en"
    russian_default = config.AssignmentSpec(**{**spec.__dict__, "lang": "ru"})
    assert config.feedback_language(russian_default) == "ru"


def test_an_assignments_language_changes_no_resume_key(tmp_path) -> None:
    """The kit's settings are hashed into every resume key without their `lang` line, so a
    language set in assignment.toml re-grades nothing."""
    def settings_hash(text: str) -> str:
        (tmp_path / "assignment.toml").write_text(text)
        digest = hashlib.sha256()
        resume._hash_tree(digest, tmp_path, resume.GRADER_SUFFIXES, settings=True)
        return digest.hexdigest()

    base = 'title = "x"\npolicy = "fraction"\n'
    assert settings_hash(base) == settings_hash(base + 'lang = "ru"\n')
    assert settings_hash(base) != settings_hash(base.replace("fraction", "all_or_nothing"))


def with_comparison(result: SubmissionResult) -> SubmissionResult:
    """`result` with its first failure as `assert_close` writes it today, with a hint."""
    message = failure_of(lambda: assert_close(np.ones((4, 2)), np.zeros((4, 2)),
                                              "Linear.forward(x) for x of shape (4, 3)",
                                              against="torch.nn.Linear",
                                              hint="y = x @ W.T + b, with W of shape (out_features, "
                                                   "in_features)."))
    linear = result.tasks[0]
    tests = (replace(linear.tests[0], message=message), *linear.tests[1:])
    return replace(result, tasks=(replace(linear, tests=tests), *result.tasks[1:]))


def test_a_russian_feedback_file_translates_the_frame_and_each_failure() -> None:
    text = feedback.feedback_markdown(with_comparison(make_result()),
                                      {"Linear": "modules.layers.Linear, like torch.nn.Linear"}, "ru")
    assert "**Оценка: 1.28 из 2.5 (без штрафа 1.5, опоздание 24.0 ч, x0.8500)**" in text
    assert "## Linear: 0 из 1" in text and "_modules.layers.Linear, как torch.nn.Linear_" in text
    assert "Linear.forward(x) для x формы (4, 3): не совпадает с torch.nn.Linear (форма (4, 2))" in text
    assert "  Подсказка: y = x @ W.T + b, где W формы (out_features, in_features)." in text
    assert "`test_linear_float64` (скрытый тест): не пройден" in text
    assert "- Примечание: modules/x.py: символическая ссылка, пропущена" in text


def test_russian_html_feedback_declares_its_language() -> None:
    page = feedback.feedback_html(make_result(), "Autodiff", lang="ru")
    assert '<html lang="ru">' in page and "<b>Подсказка:</b>" in page
    assert '<html lang="en">' in feedback.feedback_html(make_result(), "Autodiff")


def test_results_json_keeps_its_keys_and_statuses_and_translates_its_output() -> None:
    english = json.loads(gradescope.gradescope_json(make_result()))
    russian = json.loads(gradescope.gradescope_json(make_result(), "ru"))
    assert [(t["name"], t["score"], t["status"], t["visibility"]) for t in english["tests"]] == \
        [(t["name"].replace("скрытые тесты", "hidden tests"), t["score"], t["status"], t["visibility"])
         for t in russian["tests"]]
    assert russian["score"] == english["score"]
    assert "открытые тесты: пройдено" in russian["tests"][0]["output"]


def test_moodles_headers_stay_as_moodle_expects_and_its_feedback_cell_is_translated() -> None:
    rows = lms.moodle_csv("Autodiff", [make_result()], "ru").splitlines()
    assert rows[0] == "Username,Autodiff,Autodiff (feedback)"
    assert "без штрафа 1.5 из 2.5" in rows[1] and "потеряны баллы в: Linear (0 из 1)" in rows[1]


def test_the_self_check_and_the_ci_summary_speak_the_language(capsys) -> None:
    result = make_result()
    rows = check_table.check_rows(result, lang="ru")
    assert "Пройдено открытых тестов: 3 из 5; исправить: Linear." in check_table.verdict(rows, "ru")
    terminal.print_check(result, frozenset(), "ru")
    assert "Самопроверка открытыми тестами" in capsys.readouterr().out
    summary = ci.step_summary(config.load("autodiff"), result, lang="ru")
    assert "| задание | баллы | пройдено тестов | первая проблема |" in summary
    assert "Автоматическое дифференцирование" in summary
