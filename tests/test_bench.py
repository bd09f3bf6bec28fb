"""`make bench` cannot rot: its quickest run fills every figure with sane numbers.

Speed itself is never asserted (the machine is shared; `make bench` reports ratios instead). The
run grades the autodiff reference with `-j 1` (figures 1 and 3), once per isolation mode
(figure 6) and once on 2 local Dask workers beside the pool (figure 8), runs a twentieth of the
course's suite and times each layer a few times: 2 minutes at a
load average of 8 on the shared 2-core machine. It stays in `make test`; only `make test-fast`
leaves it out: a bench nobody runs rots.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from autograder import config
from bench.similarity import detection

pytestmark = pytest.mark.slow

LAYERS = {"Linear", "Conv2d", "MaxPool", "ConvTranspose", "MLP epoch"}


def assert_summary(figure: Any, what: str) -> None:
    """A figure is {"min", "median", "runs"}: positive numbers, min <= median, at least one run."""
    assert isinstance(figure, dict) and set(figure) == {"min", "median", "runs"}, f"{what}: {figure!r}"
    assert isinstance(figure["runs"], int) and figure["runs"] >= 1, what
    assert 0 < figure["min"] <= figure["median"], f"{what}: {figure!r}"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    command = [sys.executable, "-m", "bench", "--quick", "--assignments", "autodiff", "--jobs", "1",
               "--copies", "1", "--out", str(out)]
    run = subprocess.run(command, cwd=config.REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads(out.read_text())


def test_every_figure_is_written_with_the_machine_it_ran_on(results: dict[str, Any]) -> None:
    assert set(results) == {"machine", "settings", "single", "memory", "course", "throughput", "layers",
                            "isolation", "similarity", "cluster"}
    machine = results["machine"]
    assert machine["cores"] >= 1 and machine["memory_gib"] > 0 and machine["cpu"]
    assert machine["torch"].startswith("2.13") and isinstance(machine["shared"], bool)
    assert results["settings"]["quick"] is True


def test_one_submission_is_split_into_startup_intake_tests_and_reports(results: dict[str, Any]) -> None:
    figure = results["single"]["autodiff"]
    for part in ("wall", "startup", "intake", "tests", "reports", "grading", "to_first_worker"):
        assert_summary(figure[part], part)
    parts = sum(figure[part]["min"] for part in ("startup", "intake", "tests", "reports"))
    assert parts == pytest.approx(figure["wall"]["min"], rel=0.05)  # one run: the parts add up
    assert figure["startup"]["min"] < figure["to_first_worker"]["min"] < figure["wall"]["min"]
    assert figure["scores_as_expected"] is True and figure["target_seconds"] == 8.0
    assert_summary(figure["grading_vs_target"], "grading / target")


def test_peak_memory_is_measured_for_the_grader_and_a_worker(results: dict[str, Any]) -> None:
    peaks = results["memory"]["autodiff"]
    assert set(peaks) == {"grader_mib", "grading_mib", "worker_mib", "tree_peak_mib"}
    assert all(value > 10 for value in peaks.values()), peaks  # every Python process holds > 10 MiB
    assert peaks["grading_mib"] > peaks["worker_mib"]  # torch lives in the grader, never in the worker


def test_the_reference_passes_the_course_suite_and_is_compared_with_our_grading(
        results: dict[str, Any]) -> None:
    course = results["course"]
    assert course["course_suite"]["failures"] == []
    assert set(course["course_suite"]["per_test"]) == {
        "linear", "bn", "dropout", "activations", "sequential", "criterions", "optimizers", "dataloader"}
    assert_summary(course["course_suite"]["seconds"], "course suite")
    assert course["ours"]["grading"] == results["single"]["autodiff"]["grading"]
    for ratio in ("ratio_wall", "ratio_grading"):
        assert course[ratio]["min"] > 0 and course[ratio]["median"] > 0


def test_throughput_is_per_minute_with_a_scaling_curve(results: dict[str, Any]) -> None:
    batch = results["throughput"]
    assert batch["submissions"] == 1 and batch["samples"] == ["reference"] and batch["scores_as_expected"]
    assert_summary(batch["by_jobs"]["1"]["per_minute"], "per minute")
    assert batch["by_jobs"]["1"]["scaling"]["median"] == 1.0
    assert_summary(batch["minutes_for_300"], "300 submissions")


def test_every_layer_is_timed_against_torch(results: dict[str, Any]) -> None:
    rows = results["layers"]
    assert {row["layer"] for row in rows} == LAYERS
    for row in rows:
        what = f"{row['layer']} {row['case']} {row['dtype']}"
        for figure in ("numpy_ms", "torch_ms", "ratio"):
            assert_summary(row[figure], f"{what} {figure}")
    conv_targets = {row["dtype"]: row["target"] for row in rows if row["layer"] == "Conv2d"}
    assert conv_targets == {"float64": 1.3, "float32": 2.0}


def test_each_isolation_mode_is_timed_and_the_fallback_compared_with_bubblewrap(
        results: dict[str, Any]) -> None:
    figure = results["isolation"]
    assert figure["scores_as_expected"] is True
    for mode in ("fallback", "fallback_without_landlock"):
        assert_summary(figure[mode], mode)
    if "bubblewrap" in figure:
        assert_summary(figure["bubblewrap"], "bubblewrap")
        assert set(figure["vs_bubblewrap"]) == {"fallback", "fallback_without_landlock"}


def test_similarity_is_measured_on_a_planted_corpus_and_timed_beside_copydetect(
        results: dict[str, Any]) -> None:
    figure = results["similarity"]
    assert figure["scores_as_expected"] is True and figure["copydetect_version"] == "0.5.0"
    planted = figure["planted"]
    assert 0 < planted["planted_pairs"] < planted["pairs"] == planted["submissions"] * (
        planted["submissions"] - 1) // 2
    for tool in ("ours", "copydetect"):
        found = planted[tool]
        assert 0 <= found["recall_at_k"] <= 1, (tool, found)
        assert found["precision"] is None or 0 <= found["precision"] <= 1, (tool, found)
        assert 0 <= found["flagged_planted"] <= found["flagged_pairs"] <= planted["pairs"]
    speed = figure["speed"]
    assert speed["submissions"] == 30 and speed["target_seconds"] == 30.0
    for tool in ("ours_seconds", "copydetect_seconds"):
        assert_summary(speed[tool], tool)


def test_recall_at_k_counts_planted_pairs_among_the_top_k_and_never_a_pair_scored_zero() -> None:
    ab, ac, bc, cd = (frozenset(pair) for pair in ("ab", "ac", "bc", "cd"))
    scores = {ab: 0.9, ac: 0.8, bc: 0.1, cd: 0.0}
    figure = detection(scores, flagged={ab, ac}, planted={ab, bc, cd})
    assert figure == {"recall_at_k": 0.667, "precision": 0.5, "flagged_pairs": 2,
                      "flagged_planted": 1}  # top 3: ab, ac, bc; cd, planted but scored 0, is not found
    assert detection(scores, flagged=set(), planted={ab})["precision"] is None


def test_grading_on_dask_workers_and_a_local_cluster_is_compared_with_the_pool_and_projected(
        results: dict[str, Any]) -> None:
    figure = results["cluster"]
    assert figure["scores_as_expected"] is True and figure["workers"] == 2
    for name in ("pool_seconds", "dask_seconds", "dask_first_seconds", "local_cluster_seconds",
                 "dask_vs_pool", "local_cluster_vs_pool", "readiness_seconds",
                 "scheduler_overhead_ms", "process_seconds_per_submission"):
        assert_summary(figure[name], name)
    pool, local = figure["pool_seconds"]["median"], figure["local_cluster_seconds"]["median"]
    assert figure["faster"] == ("pool" if pool <= local else "LocalCluster")
    assert figure["target_ratio"] == 0.9
    projected = figure["minutes_for_10000"]
    assert set(projected) == {"1", "10", "50"}
    assert projected["1"]["median"] > projected["10"]["median"] > projected["50"]["median"]
