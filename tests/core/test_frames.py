"""What each frame of a recorded run shows."""

import numpy as np

from gmm_studio.core import FitSettings, initialize
from gmm_studio.core.frames import run_frames
from gmm_studio.core.run import EMRun


def snapshots():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(5, 1, (50, 2))])
    start = initialize(X, 2, init="random-points", seed=3)
    return list(EMRun(X, FitSettings(n_components=2, max_iter=4, tol=0.0), start).snapshots())


def test_one_frame_for_the_start_and_one_per_iteration():
    snaps = snapshots()
    frames = run_frames(snaps)
    assert len(frames) == len(snaps) == 5
    assert [f.mixture for f in frames] == [s.mixture for s in snaps]
    assert all(f.colored_by is f.mixture for f in frames)
    assert frames[0].caption.startswith("start") and frames[3].caption.startswith("iteration 3")


def test_half_steps_move_the_ellipses_then_recolour():
    snaps = snapshots()
    frames = run_frames(snaps, half_steps=True)
    assert len(frames) == 1 + 2 * 4
    m_step, e_step = frames[1], frames[2]
    assert m_step.mixture is snaps[1].mixture and m_step.colored_by is snaps[0].mixture
    assert e_step.mixture is snaps[1].mixture and e_step.colored_by is snaps[1].mixture
    assert "M-step" in m_step.caption and "E-step" in e_step.caption
