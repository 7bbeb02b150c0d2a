"""The frames of a recorded EM run: what each one draws and what its caption says.

A recording has one frame for the start and one per iteration; with half-steps, each
iteration becomes two frames: the M-step (the ellipses move, the points keep the colours of
the previous responsibilities) and the E-step (the points take the new responsibilities'
colours, the ellipses stay). Plain data, no drawing: the window's export and the ``record``
command both render these with the canvas's code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gmm_studio.core.mixture import Mixture


@dataclass(frozen=True)
class Frame:
    """One frame of a recording.

    Attributes
    ----------
    mixture : Mixture
        Whose ellipses and means are drawn.
    colored_by : Mixture
        Whose responsibilities colour the points.
    caption : str
    """

    mixture: Mixture
    colored_by: Mixture
    caption: str


def run_frames(snapshots: Sequence, half_steps: bool = False) -> list[Frame]:
    """The frames of a run from its evaluated snapshots, the start first.

    Parameters
    ----------
    snapshots : sequence of Snapshot
        Iterations 0, 1, 2, … with their log-likelihoods (as :meth:`EMRun.snapshots` yields).
    half_steps : bool
        Two frames per iteration (M-step, then E-step) instead of one.
    """
    frames = []
    previous = None
    for snap in snapshots:
        ll = f"log-likelihood {snap.log_likelihood:.2f}"
        if previous is None:
            frames.append(Frame(snap.mixture, snap.mixture, f"start · {ll}"))
        elif half_steps:
            frames.append(
                Frame(snap.mixture, previous.mixture, f"iteration {snap.iteration} · M-step")
            )
            frames.append(
                Frame(snap.mixture, snap.mixture, f"iteration {snap.iteration} · E-step · {ll}")
            )
        else:
            frames.append(Frame(snap.mixture, snap.mixture, f"iteration {snap.iteration} · {ll}"))
        previous = snap
    return frames
