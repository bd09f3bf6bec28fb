"""The similarity report's pages: the instructor page's section and a side-by-side page per
flagged pair, rendered from a small report given as plain data; hostile names and code shown as
text; the sources students cite read from their notebooks and packages; and, in headless
Chromium, the marked fragments in the DOM, no script run, a screenshot kept."""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict
from pathlib import Path

import markupsafe
import pytest
import similarity_corpus as corpus
from test_reports_browser import BROWSER_SKIP, CHROMIUM, assert_not_blank, chromium

from autograder import config
from autograder.batch import write_similarity
from autograder.reports import instructor, similarity_pages
from autograder.reports.files import SIMILARITY_PAGES, safe_name
from autograder.similarity import Fragment, PairScore, SimilarityReport, Snippet
from autograder.similarity.sources import cited_sources

AUTODIFF = config.load("autodiff")
HOSTILE = "<script>document.title='pwned'</script>\"'"
HOSTILE_CODE = ("    def forward(self, x):\n"
                "        s = \"</pre><script>document.title='pwned'</script>{{ 7 * 7 }}\"\n"
                "        return x @ self.W + self.b")
LINEAR_A = ("    def forward(self, x):\n"
            "        self.x = x\n"
            "        return x @ self.W + self.b")
LINEAR_B = ("    def forward(self, inputs):\n"
            "        self.inputs = inputs\n"
            "        return inputs @ self.W + self.b")


def pair(a: str, b: str, task: str, score: float, *, flagged: bool = True,
         fragments: tuple[Fragment, ...] = (), shared_wrong: tuple[str, ...] = ()) -> PairScore:
    return PairScore(a, b, task, score, score, 0.4 if shared_wrong else 0.0, flagged,
                     f"{score:.0%} of {task}'s own fingerprints shared", fragments, shared_wrong)


def small_report(a: str = "ann", b: str = "bob", code_a: str = LINEAR_A) -> SimilarityReport:
    """ann and bob alike on Linear (lines 12-14 of ann's layers.py match bob's 20-22) and Dropout;
    cat and dan alike below the threshold."""
    linear = pair(a, b, "Linear", 0.9, shared_wrong=("test_linear_backward_hidden",),
                  fragments=(Fragment("modules/layers.py", (12, 13), "modules/layers.py", (21, 22)),))
    return SimilarityReport(
        (linear, pair(a, b, "Dropout", 0.6), pair("cat", "dan", "Linear", 0.3, flagged=False)),
        (),
        (Snippet(a, "Linear", "modules/layers.py", (12, 14), code_a),
         Snippet(b, "Linear", "modules/layers.py", (20, 22), LINEAR_B)))


def data(report: SimilarityReport) -> similarity_pages.ReportData:
    return asdict(report)  # type: ignore[return-value]  # the report as plain data


def index_page(report: SimilarityReport | None) -> str:
    section = similarity_pages.section(data(report)) if report else None
    return instructor.index_html(AUTODIFF, [], {}, similarity=section)


def marked_lines(page: str) -> list[tuple[str, str]]:
    """(fragment, line number) of every marked line."""
    return re.findall(r'<mark class="line match" data-fragment="(\d+)"[^>]*><span class="no">(\d+)',
                      page)


# ---- the instructor's page ----------------------------------------------------------------------

def test_the_section_lists_flagged_pairs_with_their_pages_and_not_the_others() -> None:
    page = index_page(small_report())
    table = re.search(r'<table id="similarity-pairs">(.*?)</table>', page, re.S)
    assert table, "no table of flagged pairs"
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>", table.group(1))
    assert rows == [("ann", "bob", "Linear"), ("ann", "bob", "Dropout")]
    assert table.group(1).count(f'href="{SIMILARITY_PAGES}/ann+bob.html"') == 2
    assert "0.90" in table.group(1) and "fingerprints shared" in table.group(1)
    assert "never a verdict" in page and "Scores are unchanged" in page


def test_the_section_says_so_when_no_pair_is_above_the_threshold() -> None:
    page = index_page(SimilarityReport((pair("cat", "dan", "Linear", 0.3, flagged=False),), ()))
    assert re.search(r'<p id="similarity-pairs">No pair above the threshold \(0\.5\)', page)
    assert "cat" not in page.split("<h2>Similarity</h2>")[1].split("<h2>")[0]


def test_the_section_lists_clusters_and_says_when_no_report_was_made() -> None:
    report = SimilarityReport(small_report().pairs, (("ann", "bob", "cat"),))
    assert re.search(r'<ul id="similarity-clusters">\s*<li>ann, bob, cat</li>', index_page(report))
    assert "No similarity report for this batch" in index_page(None)


def test_the_section_shows_the_top_pairs_and_counts_the_rest() -> None:
    many = tuple(pair(f"s{i:02}", f"t{i:02}", "Linear", 0.9) for i in range(similarity_pages.SHOWN + 3))
    report = SimilarityReport(many, ())
    section = similarity_pages.section(data(report))
    assert len(section.pairs) == similarity_pages.SHOWN and section.flagged == len(many)
    assert f"The top {similarity_pages.SHOWN} of {len(many)} flagged" in index_page(report)


# ---- a pair's page ------------------------------------------------------------------------------

def test_a_pair_page_marks_the_matched_lines_on_both_sides() -> None:
    page = similarity_pages.pair_html(data(small_report()), "ann", "bob", {})
    assert marked_lines(page) == [("1", "12"), ("1", "13"), ("1", "21"), ("1", "22")]
    assert '<span class="line"><span class="no">14</span>' in page  # ann's unmatched last line
    assert html.escape("return inputs @ self.W + self.b", quote=False) in page
    assert 'href="../index.html"' in page and "never a verdict" in page


def test_a_pair_page_lists_every_task_of_the_pair_and_the_wrong_outputs_both_returned() -> None:
    page = similarity_pages.pair_html(data(small_report()), "ann", "bob", {})
    assert re.findall(r'<section class="task" id="task-\d+">\s*<h2>(\w+):', page) == ["Linear", "Dropout"]
    linear, dropout = page.split('<section class="task"')[1:]
    assert "<code>test_linear_backward_hidden</code>" in linear and "none." in dropout
    assert "No code of this task was compared" in dropout and "cat" not in page


def test_a_pair_page_shows_the_sources_each_student_cites() -> None:
    page = similarity_pages.pair_html(data(small_report()), "ann", "bob",
                                      {"ann": "Sources: https://cs231n.github.io/"})
    sources = page.split('id="sources"')[1]
    assert '<pre class="sources">Sources: https://cs231n.github.io/</pre>' in sources
    assert sources.count("No sources cited.") == 1


def test_hostile_names_and_code_are_shown_as_text() -> None:
    report = small_report(a=HOSTILE, code_a=HOSTILE_CODE)
    for page in (similarity_pages.pair_html(data(report), HOSTILE, "bob", {HOSTILE: HOSTILE}),
                 index_page(report)):
        assert "pwned'</script>" not in page and str(markupsafe.escape(HOSTILE)) in page
    page = similarity_pages.pair_html(data(report), HOSTILE, "bob", {})
    assert "{{ 7 * 7 }}" in page and "49" not in page
    assert "&lt;/pre&gt;&lt;script&gt;" in page


def test_pair_pages_have_distinct_file_names_even_for_names_with_the_separator() -> None:
    names = {similarity_pages.page_name("x--y", "z"), similarity_pages.page_name("x", "y--z"),
             similarity_pages.page_name("Ann", "bob"), similarity_pages.page_name("ann", "bob")}
    assert len(names) == 4 and all("/" not in n for n in names)
    assert safe_name(SIMILARITY_PAGES) != SIMILARITY_PAGES  # no student's folder takes the pages'


def test_pages_are_written_per_flagged_pair_and_an_earlier_runs_are_removed(tmp_path) -> None:
    stale = tmp_path / SIMILARITY_PAGES / "old+pair.html"
    stale.parent.mkdir()
    stale.write_text("an earlier run's")
    report = data(small_report())
    similarity_pages.write_pages(tmp_path, report, {})
    assert sorted(p.name for p in (tmp_path / SIMILARITY_PAGES).iterdir()) == ["ann+bob.html"]
    assert all((tmp_path / p.page).is_file() for p in similarity_pages.section(report).pairs)


# ---- cited sources ------------------------------------------------------------------------------

def notebook(cells: list[tuple[str, str]]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": kind, "metadata": {}, "source": text,
                                  **({"outputs": [], "execution_count": None} if kind == "code" else {})}
                                 for kind, text in cells]})


def test_a_notebook_cites_in_its_last_markdown_cell_that_names_sources_or_links(tmp_path) -> None:
    engine = config.load("engine")
    path = tmp_path / "ann.ipynb"
    path.write_text(notebook([("markdown", "See https://early.example"),
                              ("code", "print('https://not.a.citation')"),
                              ("markdown", "Источники: [cs231n](https://cs231n.github.io/)"),
                              ("markdown", "Thanks for reading!")]))
    assert cited_sources(path, engine) == "Источники: [cs231n](https://cs231n.github.io/)"
    path.write_text(notebook([("markdown", "# My work"), ("code", "x = 1")]))
    assert cited_sources(path, engine) == ""


def test_a_package_cites_in_its_sources_file_else_a_readme_that_names_them(tmp_path) -> None:
    (tmp_path / "ann" / "modules").mkdir(parents=True)
    (tmp_path / "ann" / "README.md").write_text("Sources: the lecture notes")
    assert cited_sources(tmp_path / "ann", AUTODIFF) == "Sources: the lecture notes"
    (tmp_path / "ann" / "SOURCES.md").write_text("https://d2l.ai/\n")
    assert cited_sources(tmp_path / "ann", AUTODIFF) == "https://d2l.ai/"
    (tmp_path / "bob" / "modules").mkdir(parents=True)
    (tmp_path / "bob" / "README.md").write_text("# My modules")
    assert cited_sources(tmp_path / "bob", AUTODIFF) == ""
    assert cited_sources(tmp_path / "missing.bin", AUTODIFF) == ""


# ---- written by the similarity step ------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """`write_similarity` (code only, nothing graded) on the reference, a disguised copy of it
    citing a source, and two independent solutions; the pages the instructor's page links."""
    root = tmp_path_factory.mktemp("corpus")
    bases = corpus.write_bases(AUTODIFF, root / "bases")
    batch = {"ref": bases["reference"], "alpha": bases["alpha"], "beta": bases["beta"],
             "copy": corpus.disguise(bases["reference"], root / "copy", seed=1)}
    (batch["copy"] / "SOURCES.md").write_text("https://github.com/example/dl-homework\n")
    out = root / "out"
    similar_to, section = write_similarity(out, AUTODIFF, batch, {})
    (out / "index.html").write_text(instructor.index_html(AUTODIFF, [], {}, similarity=section))
    assert set(similar_to) == {"copy", "ref"}, similar_to
    return out, sorted({pair.page for pair in section.pairs})


def test_the_similarity_step_writes_the_page_of_a_disguised_copy(corpus_report) -> None:
    out, pages = corpus_report
    assert pages == [f"{SIMILARITY_PAGES}/copy+ref.html"]
    page = (out / pages[0]).read_text()
    assert marked_lines(page) and "https://github.com/example/dl-homework" in page
    assert page.count('<pre class="code">') >= 2 * len(AUTODIFF.tasks) - 2
    assert sorted(p.name for p in (out / SIMILARITY_PAGES).iterdir()) == ["copy+ref.html"]


# ---- in a real browser --------------------------------------------------------------------------

def dom_of(page: Path, tmp_path: Path) -> str:
    return chromium(page, tmp_path / "profile", "--virtual-time-budget=3000", "--dump-dom").stdout


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason=f"{BROWSER_SKIP}: no chromium on PATH")
def test_chromium_shows_the_marked_fragments_and_runs_no_script(tmp_path) -> None:
    report = small_report(a=HOSTILE, code_a=HOSTILE_CODE)
    similarity_pages.write_pages(tmp_path, data(report), {HOSTILE: HOSTILE})
    (tmp_path / "index.html").write_text(index_page(report))
    page = tmp_path / SIMILARITY_PAGES / similarity_pages.page_name(HOSTILE, "bob")
    dom = dom_of(page, tmp_path)
    assert "<body" in dom and "<title>pwned</title>" not in dom  # what the injected script would do
    assert "<script" not in dom  # the page has none, and nothing injected one
    assert len(re.findall(r'<mark class="line match" data-fragment="1"', dom)) == 4
    assert dom.count('<pre class="code">') == 2
    index = dom_of(tmp_path / "index.html", tmp_path)
    assert index.count("<script") == index_page(report).count("<script")  # only the page's own
    assert f'href="{SIMILARITY_PAGES}/{page.name}"' in index
    assert_not_blank(page, tmp_path, size="1280,900")  # kept in tmp_path, like the other pages'


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason=f"{BROWSER_SKIP}: no chromium on PATH")
def test_chromium_renders_the_page_of_a_disguised_copy_with_its_fragments(corpus_report) -> None:
    out, pages = corpus_report
    dom = dom_of(out / pages[0], out)
    assert len(re.findall(r'<mark class="line match"', dom)) >= 10 and "<script" not in dom
    assert_not_blank(out / pages[0], out, size="1280,900")  # kept beside the page
