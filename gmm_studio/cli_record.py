"""``gmm-studio record``: a fit's run as an animated GIF or an MP4, without a window."""

from __future__ import annotations

import argparse
import os
import re


def add_record_parser(commands) -> None:
    """Add the ``record`` sub-command to ``commands`` (argparse sub-parsers)."""
    from gmm_studio.cli import _add_model_options, add_em_options, add_reader_options
    from gmm_studio.core import FitSettings

    record = commands.add_parser(
        "record",
        help="record EM fitting a data file as an animated GIF or MP4, without a window",
        description=(
            "Fit a Gaussian mixture by EM as `fit` does and draw the run the way the window "
            "draws it: one frame for the start and one per iteration (two with --half-steps: "
            "the M-step moves the ellipses, then the E-step recolours the points). Works "
            "without a display. Needs the gmm-studio[record] extra."
        ),
    )
    record.add_argument("path", metavar="PATH", help="the data file")
    _add_model_options(record)
    add_em_options(record, FitSettings().tol)
    add_reader_options(record)
    record.add_argument(
        "--weights", default=None, metavar="COLUMN", help="a column of sample weights"
    )
    record.add_argument(
        "--standardize", action="store_true",
        help="fit on z-scored columns (as fit --standardize); drawn in the original units",
    )  # fmt: skip
    record.add_argument(
        "--out", required=True, metavar="FILE", help="the animation to write: .gif or .mp4"
    )
    record.add_argument(
        "--fps", type=float, default=2.0, metavar="N", help="frames per second (default: 2)"
    )
    record.add_argument(
        "--size", type=_size, default=(960, 720), metavar="WxH",
        help="frame size in pixels (default: 960x720)",
    )  # fmt: skip
    record.add_argument(
        "--half-steps", action="store_true", help="a frame after each E-step and each M-step"
    )
    record.set_defaults(handler=run_record)


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match or not (64 <= int(match[1]) <= 7680 and 64 <= int(match[2]) <= 4320):
        raise argparse.ArgumentTypeError(f"not a size such as 960x720 (64 to 7680 wide): {text!r}")
    return int(match[1]), int(match[2])


def run_record(args: argparse.Namespace) -> int:
    """The ``record`` sub-command; returns the exit code."""
    from gmm_studio.cli import EXIT_DATA, EXIT_OK, _error, _UsageError, read_table
    from gmm_studio.core import FitError, FitSettings
    from gmm_studio.core.frames import run_frames
    from gmm_studio.core.restarts import fit_starts
    from gmm_studio.core.run import EMRun
    from gmm_studio.io import DataFileError
    from gmm_studio.io.recording import check_animation_path, write_animation

    try:
        settings = FitSettings(
            n_components=args.n_components, covariance_type=args.covariance_type,
            init=args.init, tol=args.tol, max_iter=args.max_iter, reg_covar=args.reg_covar,
            seed=args.seed, n_init=args.n_init, standardize=args.standardize,
        )  # fmt: skip
        check_animation_path(args.out)
    except (FitError, DataFileError) as error:
        raise _UsageError(str(error)) from None
    table = read_table(args, weights=args.weights)
    if table is None:
        return EXIT_DATA
    weights = table.sample_weight
    try:
        if settings.n_init > 1:  # record the start that a fit with these settings keeps
            outcome = fit_starts(
                table.data, n_init=settings.n_init, sample_weight=weights, **settings.fit_kwargs()
            )
            if outcome.failed:
                raise FitError(outcome.error)
            settings = settings.replace(seed=outcome.best.seed)
        snapshots = list(EMRun(table.data, settings, sample_weight=weights).snapshots())
    except FitError as error:
        _error(f"{args.path}: cannot fit: {error}")
        return EXIT_DATA
    frames = run_frames(snapshots, half_steps=args.half_steps)
    images = _render(table, frames, args.size)
    try:
        write_animation(args.out, images, args.fps)
    except DataFileError as error:
        _error(str(error))
        return EXIT_DATA
    print(f"{args.out}: {len(images)} frames, {snapshots[-1].iteration} iterations")
    return EXIT_OK


def _render(table, frames, size) -> list:
    """Draw the frames offscreen (Qt's offscreen platform: no display needed)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # this process never opens a window
    from gmm_studio.gui.app import ensure_application
    from gmm_studio.gui.recorder import FrameRenderer

    ensure_application()
    renderer = FrameRenderer(
        table.data, table.columns, size=size, sample_weight=table.sample_weight
    )
    try:
        return renderer.render(frames)
    finally:
        renderer.close()
