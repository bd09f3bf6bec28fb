"""The isolation mode is chosen honestly, can be forced, and the worker's view holds no torch."""

from __future__ import annotations

import nbformat
import pytest

from autograder import cli
from autograder.intake import prepare
from autograder.runtime import zygote
from autograder.sandbox import isolation
from autograder.sandbox.limits import Limits
from autograder.sandbox.session import Sandbox


def test_forcing_the_fallback_is_obeyed_and_reported():
    chosen = isolation.detect("fallback")
    assert chosen.mode == "fallback"
    assert chosen.description.startswith("fallback; ")


def test_an_unknown_mode_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="bubblewrap, fallback"):
        isolation.detect("chroot")


def test_the_workers_site_folder_holds_numpy_and_the_runtime_but_no_torch():
    site = isolation.detect().site
    names = {p.name for p in site.iterdir()}
    assert {"numpy", "autograder"} <= names
    assert not {"torch", "keras", "tensorflow", "jax"} & names
    assert {p.name for p in (site / "autograder").iterdir()} == {"__init__.py", "runtime"}


def test_the_workers_site_folder_keeps_compiled_files_so_workers_do_not_recompile():
    site = isolation.detect().site
    assert any((site / "sklearn" / "__pycache__").glob("*.pyc"))
    assert not (site / "sklearn" / "tests").exists()


def test_every_zygote_gets_a_uid_no_other_live_sandbox_has():
    uids = [isolation.worker_uid(True) for _ in range(isolation.WORKERS_PER_PID)]
    assert len(set(uids)) == len(uids)
    assert min(uids) >= isolation.WORKER_UID_BASE
    assert max(uids) < 2**32 - 2  # (uid_t)-1 means "no change" to setuid
    assert isolation.worker_uid(False) is None


def test_doctor_prints_every_capability_and_the_mode_used(capsys):
    assert cli.main(["doctor"]) == 0
    printed = capsys.readouterr().out
    for capability in ("bubblewrap installed", "seccomp filter", "mode used"):
        assert capability in printed
    assert isolation.detect().description in printed


@pytest.mark.parametrize("mode", isolation.MODES)
def test_notebooks_may_import_train_test_split_and_tqdm_in_either_mode(tmp_path, monkeypatch, mode):
    """Real course notebooks import both at top level; without them every later definition fails."""
    if mode == "bubblewrap" and isolation.detect().mode != "bubblewrap":
        pytest.skip("bubblewrap is not available on this machine")
    monkeypatch.setenv(isolation.FORCE_ENV, mode)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in (
        "import sys\ndef preloaded(seen=sorted(m for m in ('sklearn.model_selection', 'tqdm', "
        "'sklearn.datasets') if m in sys.modules)):\n    return seen",  # before the imports below ran
        "import numpy as np\nfrom sklearn.model_selection import train_test_split\nfrom tqdm import tqdm",
        "def split(n):\n    a, b = train_test_split(np.arange(n), test_size=0.25, random_state=0)\n"
        "    return sorted(int(v) for v in b)",
        "def count(n):\n    return sum(1 for _ in tqdm(range(n)))")]
    (tmp_path / "notebook.ipynb").write_text(nbformat.writes(notebook))
    bundle = prepare(tmp_path / "notebook.ipynb", notebook_name="notebook.ipynb")
    sandbox = Sandbox(bundle.root, Limits())
    try:
        assert sandbox.isolation.mode == mode
        notebook = sandbox.student_for("imports").module("notebook")
        assert notebook.split(8) == [2, 6]
        assert notebook.count(5) == 5
        assert notebook.preloaded() == ["sklearn.model_selection", "tqdm"]  # by the zygote, warm
    finally:
        sandbox.close()
        bundle.cleanup()


def test_the_zygote_reads_which_modules_a_submission_imports_without_running_it():
    source = ("import numpy as np, os.path\nfrom sklearn.model_selection import train_test_split\n"
              "from . import sibling\nfrom tqdm import *\ndef f():\n    from scipy import special\n"
              "raise SystemExit('never run')\n")
    assert zygote.imported_names(source) == {
        "numpy": set(), "os.path": set(), "sklearn.model_selection": {"train_test_split"},
        "tqdm": set(), "scipy": {"special"}}
    assert zygote.imported_names("def broken(:\n") == {}
