"""The resource locator finds shipped samples and icons in a source checkout, without Qt."""

import pathlib
import subprocess
import sys

import pytest

from gmm_studio import resources

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_checkout_is_recognised_and_files_come_from_it():
    assert resources.install_kind() == "source"
    assert resources.package_root() == REPO / "gmm_studio"


def test_bundled_samples_are_listed_and_found_with_or_without_suffix():
    assert resources.sample_names() == ["old_faithful.csv", "seed_example.csv"]
    path = resources.sample_path("old_faithful")
    assert path == resources.sample_path("old_faithful.csv")
    assert path.read_text().splitlines()[0] == "eruptions,waiting"


def test_unknown_sample_is_a_file_not_found_error_naming_it():
    with pytest.raises(FileNotFoundError, match=r"no_such_sample\.csv"):
        resources.sample_path("no_such_sample")


def test_every_icon_size_is_shipped_and_unknown_sizes_are_refused():
    paths = resources.icon_paths()
    assert sorted(paths) == [16, 32, 48, 64, 128, 256, 512]
    assert all(p.is_file() and p.suffix == ".png" for p in paths.values())
    assert resources.icon_path(None).suffix == ".svg"
    with pytest.raises(ValueError, match="no 20 px icon"):
        resources.icon_path(20)


def test_locator_imports_no_qt():
    code = (
        "import sys, gmm_studio.resources as r; r.icon_paths(); r.sample_names();"
        "print(sorted(m for m in sys.modules if m.startswith('PySide6')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
