"""Every sample in Russian: the graded samples reported again with `lang = "ru"` get the same
scores from the same stored results (nothing is graded again), and no Russian page holds an English
sentence of the catalog; the Russian pages render Cyrillic with a real font in headless Chromium."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from test_reports_browser import BROWSER_SKIP, CHROMIUM, assert_not_blank, chromium

from autograder import config
from autograder.batch import BatchReport, grade_batch
from autograder.reports import language

# An English piece of a message this long (three words or more) cannot be a name or a number.
WORDS = re.compile(r"[A-Za-z]{2,}")


def english_sentences() -> set[str]:
    """The literal text of every message the Russian catalog translates to something else, in
    pieces between placeholders, each of three words or more that the translation does not keep
    (code, such as `PReLU(num_parameters=`, reads the same in both)."""
    with language.catalog_path("ru").open("rb") as po:
        catalog = [m for m in read_po(po) if m.id and m.string != m.id]
    return {piece for m in catalog for literal, _, _, _ in string.Formatter().parse(m.id)
            for piece in [literal.strip()]
            if len(WORDS.findall(piece)) >= 3 and piece not in m.string}


def report_in_russian(graded, tmp_path: Path) -> tuple[BatchReport, Path]:
    """The graded samples' folder copied, then reported again in Russian."""
    out = tmp_path / "ru"
    shutil.copytree(graded.out, out)
    report = grade_batch(graded.folder, next(iter(graded.results.values())).assignment, out, jobs=2,
                         show_progress=False, similarity=False, lang="ru")
    return report, out


def student_texts(out: Path) -> dict[str, str]:
    """What students read, by file: feedback.md, feedback.html's text, results.json's outputs, and
    moodle.csv's feedback cells."""
    texts = {}
    for folder in (p for p in out.iterdir() if (p / "feedback.md").is_file()):
        texts[f"{folder.name}/feedback.md"] = (folder / "feedback.md").read_text()
        texts[f"{folder.name}/feedback.html"] = html.unescape((folder / "feedback.html").read_text())
        payload = json.loads((folder / "results.json").read_text())
        texts[f"{folder.name}/results.json"] = "\n".join(
            [payload["output"], *(test["output"] for test in payload["tests"])])
    rows = list(csv.reader(io.StringIO((out / "moodle.csv").read_text())))
    texts["moodle.csv"] = "\n".join(row[2] for row in rows[1:])  # the header is Moodle's
    return texts


@pytest.mark.parametrize("assignment", config.available())
def test_every_sample_reported_in_russian_keeps_its_score_and_its_stored_result(
        graded_samples, tmp_path, assignment) -> None:
    graded = graded_samples[assignment]
    stored = {p.parent.name: p.read_bytes() for p in graded.out.glob("*/result.json")}
    report, out = report_in_russian(graded, tmp_path)
    assert {r.student: (r.raw, r.final) for r in report.results} == \
        {r.student: (r.raw, r.final) for r in graded.results.values()}
    assert {p.parent.name: p.read_bytes() for p in out.glob("*/result.json")} == stored


@pytest.mark.parametrize("assignment", config.available())
def test_no_russian_page_of_a_sample_holds_an_english_sentence_of_the_catalog(
        graded_samples, tmp_path, assignment) -> None:
    _, out = report_in_russian(graded_samples[assignment], tmp_path)
    sentences = english_sentences()
    left = sorted({(name, sentence) for name, text in student_texts(out).items()
                   for sentence in sentences if sentence in text})
    assert not left, "English left in Russian pages:\n" + "\n".join(f"{n}: {s}" for n, s in left[:40])
    for name, text in student_texts(out).items():
        assert re.search("[А-Яа-я]", text), f"{name} has no Russian"


def test_a_russian_failure_of_a_sample_reads_in_russian(graded_samples, tmp_path) -> None:
    _, out = report_in_russian(graded_samples["autodiff"], tmp_path)
    text = (out / "mse-only-2d" / "feedback.md").read_text()
    assert "**Оценка: 9 из 10**" in text and "## Criterions: 0 из 1" in text
    assert "не совпадает с torch.nn.MSELoss" in text and "Подсказка: среднее (input - target)" in text


# Reads, once the page has loaded, whether its fonts render Cyrillic: `document.fonts.check`, and
# the widths of two Cyrillic strings of one length, which differ only with a real font (a missing
# glyph is drawn as the same box for every letter).
FONT_PROBE = """
<script>
window.addEventListener("load", function () {
  var canvas = document.createElement("canvas").getContext("2d");
  var family = getComputedStyle(document.body).fontFamily;
  canvas.font = "16px " + family;
  var found = {family: family,
               check: document.fonts.check("16px " + family, "Привет, мир"),
               wide: canvas.measureText("ЖЖЖЖЖЖЖЖ").width,
               narrow: canvas.measureText("ииииииии").width,
               title: document.querySelector("h1").textContent};
  var pre = document.createElement("pre");
  pre.id = "fonts";
  pre.textContent = JSON.stringify(found);
  document.body.appendChild(pre);
});
</script>
"""


@pytest.mark.skipif(CHROMIUM is None, reason=f"{BROWSER_SKIP}: no chromium on PATH")
def test_a_russian_feedback_page_renders_cyrillic_with_a_real_font(graded_samples, tmp_path) -> None:
    _, out = report_in_russian(graded_samples["autodiff"], tmp_path)
    page = out / "mse-only-2d" / "feedback.html"
    probe = page.with_name("fonts-probe.html")
    probe.write_text(page.read_text().replace("</body>", FONT_PROBE + "</body>"))
    run = chromium(probe, tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom")
    found = re.search(r'<pre id="fonts">(.*?)</pre>', run.stdout, re.S)
    assert found, f"the probe did not run:\n{run.stderr[-2000:]}"
    fonts = json.loads(html.unescape(found.group(1)))
    assert fonts["check"] and fonts["title"].startswith("Отзыв: ")
    assert fonts["wide"] > 1.2 * fonts["narrow"], f"Cyrillic drawn without a font holding it: {fonts}"
    assert_not_blank(page, tmp_path)
    assert (tmp_path / "feedback.png").is_file()  # the screenshot, kept with the test's files
