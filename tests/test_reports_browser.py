"""The report pages in a real browser: headless Chromium renders what `make grade` wrote for the
samples, a probe script reads the DOM (rows, decoded images, sorting by a click), and the
screenshots are not blank. Skipped, loudly (see conftest.py), when Chromium is not installed
(Debian: `apt-get install chromium chromium-driver`; `.ci/run` does it when it can)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autograder import config

BROWSER_SKIP = "BROWSER TESTS SKIPPED"
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p),
                None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=f"{BROWSER_SKIP}: no chromium on PATH")

# Reads the page after it loaded and writes what it found into <pre id="probe"> as JSON.
PROBE = """
<script>
window.addEventListener("load", function () {
  function texts(selector) {
    return Array.prototype.map.call(document.querySelectorAll(selector),
                                    function (e) { return e.textContent.trim(); });
  }
  var found = {
    images: Array.prototype.map.call(document.images, function (i) { return i.naturalWidth; }),
    rows: texts("#gradebook tbody tr td:first-child"),
    headers: texts("#gradebook thead th"),
    sections: texts("section.task h2"),
    hints: texts(".failure .hint"),
    probes: texts(".notice-robustness"),
    flags: texts("#flags tbody tr td:first-child"),
    score: texts("#score .value")
  };
  var final = Array.prototype.filter.call(document.querySelectorAll("#gradebook thead th"),
                                          function (th) { return th.textContent.trim() === "final"; })[0];
  function finals() {
    return Array.prototype.map.call(document.querySelectorAll("#gradebook tbody tr"), function (r) {
      return parseFloat(r.cells[r.cells.length - 2].dataset.value); });
  }
  if (final) {
    final.click(); found.ascending = finals(); found.sortAfterOne = final.getAttribute("aria-sort");
    final.click(); found.descending = finals();
  }
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(found);
  document.body.appendChild(pre);
});
</script>
"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=120)


def probe(page: Path, tmp_path: Path) -> dict:
    """The probe's findings for a copy of `page` (beside it, so relative links still resolve)."""
    copy = page.with_name(f".probe-{page.name}")
    copy.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
    try:
        run = chromium(copy, tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom")
    finally:
        copy.unlink()
    found = re.search(r'<pre id="probe">(.*?)</pre>', run.stdout, re.S)
    assert found, f"the probe did not run:\n{run.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


def assert_not_blank(page: Path, tmp_path: Path, size: str = "1280,1600") -> None:
    shot = tmp_path / f"{page.stem}.png"
    run = chromium(page, tmp_path / "profile", f"--window-size={size}", f"--screenshot={shot}")
    assert shot.is_file(), run.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=np.int16)
    ink = np.mean(np.abs(pixels - 255).sum(axis=2) > 60)
    colors = len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert ink > 0.03 and colors > 50, f"{shot} looks blank: {ink:.1%} ink, {colors} colors"


@pytest.fixture(scope="module")
def autodiff(graded_samples):
    return graded_samples["autodiff"]


def test_instructor_page_shows_every_student_and_both_charts(autodiff, tmp_path) -> None:
    found = probe(autodiff.out / "index.html", tmp_path)
    assert sorted(found["rows"]) == sorted(autodiff.results)
    assert all(name in found["headers"] for name in [t.name for t in config.load("autodiff").tasks])
    assert len(found["images"]) == 2 and all(width > 100 for width in found["images"])
    assert {"reference", "late-reference", "infinite-loop-in-dropout"} <= set(found["flags"])


def test_instructor_gradebook_sorts_by_a_column_when_its_header_is_clicked(autodiff, tmp_path) -> None:
    found = probe(autodiff.out / "index.html", tmp_path)
    finals = sorted(r.final for r in autodiff.results.values())
    assert found["sortAfterOne"] == "ascending"
    assert found["ascending"] == finals and found["descending"] == finals[::-1]


def test_student_feedback_page_shows_each_task_and_the_hint_for_the_failure(autodiff, tmp_path) -> None:
    found = probe(autodiff.out / "mse-only-2d" / "feedback.html", tmp_path)
    tasks = [t.name for t in config.load("autodiff").tasks]
    assert [s.split(":")[0] for s in found["sections"]] == tasks
    assert found["score"] == ["9 / 10"]
    assert any("(batch_size, *)" in hint for hint in found["hints"])


def test_a_finding_beyond_the_course_shows_with_its_hint_at_full_points(autodiff, tmp_path) -> None:
    found = probe(autodiff.out / "softmax-without-max-shift" / "feedback.html", tmp_path)
    assert found["score"] == ["10 / 10"] and not found["hints"]
    assert any("Beyond the course (no points taken)" in text and "subtract the row maximum" in text
               for text in found["probes"]), found["probes"]


@pytest.mark.parametrize("page", ["index.html", "mse-only-2d/feedback.html"])
def test_pages_render_to_a_screenshot_that_is_not_blank(autodiff, tmp_path, page) -> None:
    assert_not_blank(autodiff.out / page, tmp_path)
