"""A wheel installed into a fresh virtual environment finds its samples and icons and works."""

import pathlib
import shutil
import site
import subprocess
import sys
import zipfile

import pytest

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(600)]

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

    # GMM Studio comes from the wheel; Qt, numpy and scipy from the environment running the
    # tests, whether that is a virtual environment or the system's Python. The wheel is
    # installed first, so pip never sees the copy of GMM Studio the tests run from, and a
    # path file then appends the running environment's site-packages after the new one's.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True, capture_output=True, env=smoke.clean_env(),
    )  # fmt: skip
    site_dir = pathlib.Path(purelib(python))
    (site_dir / "zz_running_environment.pth").write_text(
        "".join(f"{path}\n" for path in site.getsitepackages()), encoding="utf-8"
    )
    unmet = subprocess.run(
        [str(python), "-c", UNMET_REQUIREMENTS], capture_output=True, text=True, check=True
    ).stdout
    assert unmet == "", f"the wheel's requirements are not met by its environment:\n{unmet}"
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    steps = smoke.steps(smoke.run([str(venv / "bin" / "gmm-studio")], cwd=run_dir))
    assert steps["resources"].startswith("installed")
    assert f"in {site_dir}/gmm_studio" in steps["resources"], steps["resources"]


#: Prints each requirement of the installed wheel that its environment does not satisfy.
UNMET_REQUIREMENTS = """
from importlib.metadata import PackageNotFoundError, requires, version
from packaging.requirements import Requirement
for line in requires("gmm-studio"):
    req = Requirement(line)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue
    try:
        found = version(req.name)
    except PackageNotFoundError:
        found = None
    if found is None or not req.specifier.contains(found, prereleases=True):
        print(req, "found", found)
"""


def purelib(python: pathlib.Path) -> str:
    """Return the site-packages folder of the interpreter ``python``."""
    return subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
