"""Intake: what a folder or a zip hands over to grading, and what it refuses."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import pytest

from autograder.intake import IntakeError, prepare
from autograder.intake import bundle as bundle_module

LAYERS = b"import numpy as np\n\n\nclass Linear:\n    pass\n"
BASE = b"class Module:\n    pass\n"


@pytest.fixture
def bundles():
    """Prepare submissions and remove their bundles afterwards."""
    made = []

    def run(path: Path):
        result = prepare(path, "modules")
        made.append(result)
        return result

    yield run
    for made_bundle in made:
        made_bundle.cleanup()


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def make_folder(root: Path, layers: bytes = LAYERS) -> Path:
    (root / "modules" / "sub").mkdir(parents=True)
    (root / "modules" / "layers.py").write_bytes(layers)
    (root / "modules" / "base.py").write_bytes(BASE)
    (root / "modules" / "sub" / "deep.py").write_bytes(b"X = 1\n")
    (root / "modules" / "notes.txt").write_text("not code")
    (root / "modules" / "data.npy").write_bytes(b"\x93NUMPY")
    (root / "train.py").write_text("print('outside modules/')\n")
    (root / "README.md").write_text("hello")
    return root


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_folder_with_modules_copies_only_the_py_files_of_modules(tmp_path, bundles):
    result = bundles(make_folder(tmp_path / "submission"))
    assert files_under(result.root) == {
        "modules/layers.py": LAYERS,
        "modules/base.py": BASE,
        "modules/sub/deep.py": b"X = 1\n",
    }
    assert result.messages == []
    assert len(result.fingerprint) == 64


def test_a_zip_with_an_extra_top_folder_works(tmp_path, bundles):
    archive = make_zip(tmp_path / "hw1.zip", {
        "hw1/modules/layers.py": LAYERS,
        "hw1/modules/base.py": BASE,
        "hw1/train.py": b"x = 1\n",
        "__MACOSX/hw1/modules/._layers.py": b"junk",
    })
    result = bundles(archive)
    assert files_under(result.root) == {"modules/layers.py": LAYERS, "modules/base.py": BASE}


@pytest.mark.parametrize(
    "evil_name",
    ["../evil.py", "modules/../../evil.py", "hw1/../../../evil.py", "modules/../../../evil.py",
     "{tmp}/abs/modules/evil.py"],
)
def test_a_zip_member_with_path_traversal_is_ignored_with_a_message(
        tmp_path, bundles, monkeypatch, evil_name):
    bundle_parent = tmp_path / "bundles" / "inner"
    bundle_parent.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(bundle_parent))  # an escape lands in tmp_path
    evil_name = evil_name.format(tmp=tmp_path.as_posix())
    archive = make_zip(tmp_path / "sub.zip", {"modules/layers.py": LAYERS, evil_name: b"EVIL\n"})
    result = bundles(archive)
    assert bundle_parent in result.root.parents
    assert files_under(result.root) == {"modules/layers.py": LAYERS}
    assert any("outside the archive" in m and "evil.py" in m for m in result.messages), \
        result.messages
    assert not list(tmp_path.rglob("evil.py"))


def test_a_zip_symlink_member_is_ignored_with_a_message(tmp_path, bundles):
    path = tmp_path / "sub.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("modules/layers.py", LAYERS)
        link = zipfile.ZipInfo("modules/secret.py")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    result = bundles(path)
    assert files_under(result.root) == {"modules/layers.py": LAYERS}
    assert not (result.root / "modules" / "secret.py").is_symlink()
    assert any("secret.py" in m and "symbolic link" in m for m in result.messages), result.messages


def test_a_folder_symlink_is_ignored_with_a_message(tmp_path, bundles):
    root = make_folder(tmp_path / "submission")
    (tmp_path / "outside.py").write_text("SECRET = 1\n")
    (root / "modules" / "secret.py").symlink_to(tmp_path / "outside.py")
    result = bundles(root)
    assert "modules/secret.py" not in files_under(result.root)
    assert any("secret.py" in m and "symbolic link" in m for m in result.messages), result.messages


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("layers.py", b"print(1)\n", "hand in a folder or a .zip"),
        ("submission.zip", b"this is not a zip archive", "is not a readable zip file"),
        ("missing.zip", None, "is not a readable zip file"),
    ],
)
def test_a_file_that_is_not_a_zip_raises_intake_error_with_a_clear_message(
        tmp_path, name, content, expected):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(IntakeError, match=expected) as caught:
        prepare(path, "modules")
    assert name in str(caught.value)


def test_a_zip_without_modules_raises_intake_error_naming_modules(tmp_path):
    archive = make_zip(tmp_path / "sub.zip", {"layers.py": LAYERS, "src/base.py": BASE,
                                              "modules.py": b"x = 1\n"})
    with pytest.raises(IntakeError, match=r"'modules/'"):
        prepare(archive, "modules")


def test_an_empty_folder_raises_intake_error_naming_modules(tmp_path):
    (tmp_path / "empty" / "modules").mkdir(parents=True)
    with pytest.raises(IntakeError, match=r"'modules/'"):
        prepare(tmp_path / "empty", "modules")


def test_a_zip_member_over_the_size_limit_is_ignored_with_a_message(tmp_path, bundles):
    big = b"#" * (bundle_module.MAX_FILE_BYTES + 1)
    archive = make_zip(tmp_path / "sub.zip", {"modules/layers.py": LAYERS, "modules/big.py": big})
    result = bundles(archive)
    assert files_under(result.root) == {"modules/layers.py": LAYERS}
    assert any("big.py" in m and "size" in m for m in result.messages), result.messages


def test_a_folder_file_over_the_size_limit_is_ignored_with_a_message(tmp_path, bundles):
    root = make_folder(tmp_path / "submission")
    (root / "modules" / "big.py").write_bytes(b"#" * (bundle_module.MAX_FILE_BYTES + 1))
    result = bundles(root)
    assert "modules/big.py" not in files_under(result.root)
    assert any("big.py" in m and "size" in m for m in result.messages), result.messages


def test_the_fingerprint_matches_for_a_folder_and_a_zip_and_changes_with_one_byte(
        tmp_path, bundles):
    folder = bundles(make_folder(tmp_path / "submission"))
    archive = make_zip(tmp_path / "sub.zip", {
        "hw1/modules/layers.py": LAYERS,
        "hw1/modules/base.py": BASE,
        "hw1/modules/sub/deep.py": b"X = 1\n",
        "hw1/notes.txt": b"ignored",
    })
    zipped = bundles(archive)
    assert folder.fingerprint == zipped.fingerprint

    changed = bytearray(LAYERS)
    changed[-2] ^= 1
    one_byte_off = bundles(make_folder(tmp_path / "changed", layers=bytes(changed)))
    assert one_byte_off.fingerprint != folder.fingerprint

    renamed = make_zip(tmp_path / "renamed.zip", {
        "modules/layers2.py": LAYERS, "modules/base.py": BASE, "modules/sub/deep.py": b"X = 1\n",
    })
    assert bundles(renamed).fingerprint != folder.fingerprint


def test_cleanup_removes_the_bundle(tmp_path):
    result = prepare(make_folder(tmp_path / "submission"), "modules")
    assert result.root.is_dir()
    result.cleanup()
    assert not result.root.exists()
