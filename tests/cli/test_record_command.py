"""``gmm-studio record``: a run drawn to an animation, headless."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from gmm_studio.cli import main
from gmm_studio.resources import sample_path

SAMPLE = str(sample_path("old_faithful.csv"))
FIT = ["-k", "2", "--init", "random-points", "--seed", "3"]


def n_iter(capsys) -> int:
    assert main(["fit", SAMPLE, *FIT, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["n_iter"]


def gif_frames(path):
    with Image.open(path) as gif:
        out = []
        for i in range(gif.n_frames):
            gif.seek(i)
            out.append(np.asarray(gif.convert("RGB")))
    return out


@pytest.mark.parametrize(("half_steps", "per_iteration"), [(False, 1), (True, 2)])
def test_one_frame_for_the_start_and_per_iteration(capsys, tmp_path, half_steps, per_iteration):
    iterations = n_iter(capsys)
    out = tmp_path / "run.gif"
    args = ["record", SAMPLE, *FIT, "--out", str(out), "--size", "320x240", "--fps", "5"]
    assert main(args + (["--half-steps"] if half_steps else [])) == 0
    assert f"{1 + per_iteration * iterations} frames" in capsys.readouterr().out
    frames = gif_frames(out)
    assert len(frames) == 1 + per_iteration * iterations
    assert frames[0].shape == (240, 320, 3)
    assert np.abs(frames[0].astype(int) - frames[-1]).sum() > 0  # EM moved something


def test_mp4(tmp_path, capsys):
    import imageio_ffmpeg

    iterations = n_iter(capsys)
    out = tmp_path / "run.mp4"
    assert main(["record", SAMPLE, *FIT, "--out", str(out), "--size", "320x240"]) == 0
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == 1 + iterations


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--out", "x.avi"], ".gif or .mp4"), (["--out", "x.gif", "--size", "10x10"], "size")],
)
def test_usage_errors(capsys, extra, message):
    assert main(["record", SAMPLE, "-k", "2", *extra]) == 2
    assert message in capsys.readouterr().err


def test_runs_without_a_display(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    out = tmp_path / "run.gif"
    done = subprocess.run(
        [sys.executable, "-m", "gmm_studio", "record", SAMPLE, *FIT, "--out", str(out),
         "--size", "200x150"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and len(gif_frames(out)) > 2


def test_one_column_is_recorded_as_the_histogram_view(capsys, tmp_path):
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(0, 1, 120), rng.normal(5, 0.6, 80)])
    path = tmp_path / "heights.csv"
    path.write_text("height\n" + "\n".join(f"{v:.5f}" for v in x) + "\n")
    out = tmp_path / "one.gif"
    args = ["record", str(path), *FIT, "--max-iter", "5", "--tol", "0", "--out", str(out)]
    assert main([*args, "--size", "320x240"]) == 0
    assert "6 frames, 5 iterations" in capsys.readouterr().out
    frames = gif_frames(out)
    assert len(frames) == 6 and frames[0].shape == (240, 320, 3)
    assert not np.array_equal(frames[0], frames[-1])
    # The histogram's grey bars fill part of every frame (a plane of points has none).
    for frame in (frames[0], frames[-1]):
        r, g, b = (frame[..., i].astype(int) for i in range(3))
        grey = (abs(r - g) <= 3) & (abs(g - b) <= 3) & (r > 205) & (r < 235)
        assert grey.mean() > 0.05


def test_a_standardized_recording_ends_at_the_standardized_fit(capsys, tmp_path):
    out = tmp_path / "std.gif"
    args = [SAMPLE, *FIT, "--standardize"]
    assert main(["fit", *args, "--json"]) == 0
    iterations = json.loads(capsys.readouterr().out)["n_iter"]
    assert main(["record", *args, "--out", str(out), "--size", "200x150"]) == 0
    assert f"{iterations} iterations" in capsys.readouterr().out
