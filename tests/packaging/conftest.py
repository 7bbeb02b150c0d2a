"""Shared fixtures for the packaging tests: one installer build per test session."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
#: Seconds allowed for building bundle + tarball + .deb (PyInstaller on 2 shared cores).
BUILD_TIMEOUT = 1200
#: Why the session's build failed, once it has.
_build_failure: list[str] = []


def clean_env(**extra: str) -> dict[str, str]:
    """Environment for running an installed GMM Studio: offscreen Qt, no checkout on the path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.update(extra)
    return env


def run_smoke(command: list[str], cwd: pathlib.Path, **env: str) -> subprocess.CompletedProcess:
    """Run ``command --smoke-test`` and return the finished process (text output)."""
    return subprocess.run(
        [*command, "--smoke-test"],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def smoke_lines(proc: subprocess.CompletedProcess) -> dict[str, str]:
    """Map each smoke step name to its reported detail; fail with the full output otherwise."""
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    steps = {}
    for line in proc.stdout.splitlines():
        if line.startswith("smoke: ") and ": ok (" in line:
            name, detail = line.removeprefix("smoke: ").split(": ok (", 1)
            steps[name] = detail.removesuffix(")")
    assert proc.stdout.rstrip().endswith("smoke: passed"), proc.stdout
    return steps


class SmokeRunner:
    """The helpers above, handed to test modules as the ``smoke`` fixture (conftest modules
    cannot be imported under ``--import-mode=importlib``)."""

    clean_env = staticmethod(clean_env)
    run = staticmethod(run_smoke)
    steps = staticmethod(smoke_lines)


@pytest.fixture
def smoke() -> SmokeRunner:
    """Run ``--smoke-test`` commands and parse their step report."""
    return SmokeRunner()


@pytest.fixture(scope="session")
def installers(tmp_path_factory) -> dict:
    """Build bundle, tarball and .deb once with ``packaging/build.py``; return its report.

    The report (also ``dist/build-report.json``) holds paths, sizes in bytes and seconds; the
    fixture adds ``wall_seconds`` for the whole command.
    """
    if _build_failure:  # pytest sets a session fixture up again for each test that asks
        pytest.fail(_build_failure[0], pytrace=False)
    dist = tmp_path_factory.mktemp("dist")
    work = tmp_path_factory.mktemp("build")
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(REPO / "packaging" / "build.py"), "--dist-dir", str(dist),
         "--work-dir", str(work)],
        cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=BUILD_TIMEOUT,
        check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        _build_failure.append(f"build failed\n{proc.stdout}\n{proc.stderr}")
        pytest.fail(_build_failure[0], pytrace=False)
    report = json.loads((dist / "build-report.json").read_text())
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(f"\ninstaller build: {report}")
    return report
