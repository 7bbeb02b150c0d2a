"""A wheel installed into a fresh virtual environment finds its samples and icons and works."""

import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_wheel_in_a_fresh_venv_passes_the_smoke_test(tmp_path, smoke):
    # Build from a copy so setuptools' build/ and egg-info never land in the checkout.
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "gmm_studio", source / "gmm_studio",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))  # fmt: skip
    wheels = tmp_path / "wheels"
    # Build isolation fetches the build backend pyproject.toml asks for (setuptools, wheel),
    # as `pip install .` does for a user.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        check=True, capture_output=True, env=smoke.clean_env(),
    )  # fmt: skip
    (wheel,) = wheels.glob("gmm_studio-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "gmm_studio/samples/old_faithful.csv" in names
    assert "gmm_studio/resources/icons/gmm-studio-16.png" in names
    assert "gmm_studio/resources/icons/gmm-studio.ico" in names

    # System site-packages supply Qt, numpy and scipy; GMM Studio itself comes from the wheel.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True, capture_output=True, env=smoke.clean_env(),
    )  # fmt: skip
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    steps = smoke.steps(smoke.run([str(venv / "bin" / "gmm-studio")], cwd=run_dir))
    assert steps["resources"].startswith("installed")
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert f"in {site}/gmm_studio" in steps["resources"], steps["resources"]
