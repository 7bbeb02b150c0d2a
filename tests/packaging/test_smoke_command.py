"""``gmm-studio --smoke-test`` from the source checkout: passes when all is well, and fails
with a reason when a shipped file is missing."""

import pathlib
import shutil
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
STEPS = ["resources", "window", "samples", "em", "big em", "session", "close"]


def test_smoke_test_passes_every_step_from_the_checkout(smoke, tmp_path):
    user = {"XDG_CONFIG_HOME": tmp_path / "config", "GMM_STUDIO_DATA_DIR": tmp_path / "data"}
    proc = smoke.run(
        [sys.executable, "-m", "gmm_studio"], cwd=REPO, **{k: str(v) for k, v in user.items()}
    )
    steps = smoke.steps(proc)
    assert list(steps) == STEPS
    assert steps["resources"].startswith("source; 2 samples, 7 icons")
    assert "iterations" in steps["em"] and "->" in steps["em"]
    assert " in process " in steps["big em"]  # the EM pass process was spawned and answered
    # The user's own settings and autosave folders are left alone.
    assert not any(folder.exists() for folder in user.values())


def test_smoke_test_fails_with_the_reason_when_samples_are_missing(tmp_path, smoke):
    copy = tmp_path / "gmm_studio"
    shutil.copytree(REPO / "gmm_studio", copy, ignore=shutil.ignore_patterns("__pycache__"))
    for sample in (copy / "samples").iterdir():
        sample.unlink()
    proc = smoke.run([sys.executable, "-m", "gmm_studio"], cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"smoke: resources: FAILED: no bundled samples in {copy / 'samples'}"
    ]


def test_time_since_process_start_counts_from_the_launch_of_the_process():
    code = (
        "import time; time.sleep(0.5)\n"
        "from gmm_studio.gui.smoke import seconds_since_process_start as s; print(s())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert 0.5 <= float(out.stdout) < 30
