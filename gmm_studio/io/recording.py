"""Animations for slides: frames written as an animated GIF (Pillow) or an MP4 (imageio).

Both writers are optional: ``pip install "gmm-studio[record]"`` brings Pillow, imageio and
imageio-ffmpeg, whose wheel carries its own ffmpeg, so nothing is downloaded at run time.
Without them the writer says which extra to install.
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence

import numpy as np

from gmm_studio.io.errors import DataFileError

#: File suffixes the writer knows, and what each needs.
FORMATS = {".gif": "Pillow", ".mp4": "imageio and imageio-ffmpeg"}
_EXTRA = 'pip install "gmm-studio[record]"'


def check_animation_path(path) -> pathlib.Path:
    """``path`` as a Path if it names a .gif or .mp4 file, else a DataFileError."""
    path = pathlib.Path(path)
    if path.suffix.lower() not in FORMATS:
        raise DataFileError(path, "an animation is written as .gif or .mp4")
    return path


def write_animation(path, frames: Sequence[np.ndarray], fps: float) -> pathlib.Path:
    """Write RGB frames (each (H, W, 3) uint8, all the same size) as an animation.

    Parameters
    ----------
    path : path-like
        Ends in ``.gif`` (looping, one palette per frame) or ``.mp4`` (H.264).
    frames : sequence of ndarray
    fps : float
        Frames per second.

    Raises
    ------
    DataFileError
        For an unknown suffix, no frames, a missing optional library (naming the extra to
        install) or a file that cannot be written.
    """
    path = check_animation_path(path)
    if not len(frames):
        raise DataFileError(path, "there are no frames to write")
    if not fps > 0:
        raise DataFileError(path, f"frames per second must be positive, not {fps!r}")
    try:
        if path.suffix.lower() == ".gif":
            _write_gif(path, frames, fps)
        else:
            _write_mp4(path, frames, fps)
    except OSError as error:
        raise DataFileError(path, f"cannot be written: {error.strerror or error}") from None
    return path


def _write_gif(path: pathlib.Path, frames, fps: float) -> None:
    try:
        from PIL import Image
    except ImportError:
        raise DataFileError(path, f"GIF files need Pillow: {_EXTRA}") from None
    images = [Image.fromarray(np.ascontiguousarray(f, dtype=np.uint8), "RGB") for f in frames]
    images[0].save(
        path,
        save_all=True,
        append_images=images[1:],
        duration=max(20, round(1000.0 / fps)),  # GIF delays are in hundredths of a second
        loop=0,
    )


def _write_mp4(path: pathlib.Path, frames, fps: float) -> None:
    try:
        import imageio.v2 as imageio
        import imageio_ffmpeg  # noqa: F401  (the encoder; imageio alone cannot write MP4)
    except ImportError:
        raise DataFileError(path, f"MP4 files need imageio and imageio-ffmpeg: {_EXTRA}") from None
    writer = imageio.get_writer(
        path, fps=fps, codec="libx264", pixelformat="yuv420p", macro_block_size=1,
        ffmpeg_log_level="error",
    )  # fmt: skip
    try:
        for frame in frames:
            writer.append_data(_even(np.ascontiguousarray(frame, dtype=np.uint8)))
    finally:
        writer.close()


def _even(frame: np.ndarray) -> np.ndarray:
    """H.264 in yuv420p needs an even width and height: repeat the last row or column."""
    h, w = frame.shape[:2]
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
