"""One column in the window: a histogram, component and mixture densities, a rug of points
coloured by responsibility; the same live EM, editing, sessions and exports."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from gmm_studio.gui.import_dialog import ImportDialog
from gmm_studio.io import inspect_table

from .file_helpers import run_to_the_end, wait_shown, write_csv
from .modal_driver import choose_file, drive


def lengths(seed: int = 3) -> np.ndarray:
    """Three 1-D groups: 300 near -2, 500 near 1.5, 150 near 6."""
    rng = np.random.default_rng(seed)
    parts = [rng.normal(-2, 0.7, 300), rng.normal(1.5, 1.2, 500), rng.normal(6, 0.5, 150)]
    return np.concatenate(parts).round(6)


@pytest.fixture
def one_column_file(tmp_path):
    path = tmp_path / "lengths.csv"
    write_csv(path, ["length"], lengths()[:, None])
    return path


@pytest.fixture
def opened(qtbot, make_window, one_column_file):
    """The window after opening a one-column file (K=3)."""
    window = make_window()
    before = window.frames_drawn
    assert window.file_commands.open_path(one_column_file)
    wait_shown(qtbot, window, before)
    assert window.document.settings.n_components == 3
    return window


def test_a_single_column_opens_as_a_histogram(opened):
    doc, canvas = opened.document, opened.canvas
    assert doc.columns == ["length"] and doc.n_features == 1 and doc.axes == (0, 0)
    assert canvas.one_dimensional and canvas.density.isVisible()
    assert not canvas.components.isVisible()
    x = lengths()
    edges, heights = canvas.density.bars.getData()
    expected, expected_edges = np.histogram(x, bins="auto", density=True)
    np.testing.assert_allclose(edges, expected_edges)
    np.testing.assert_allclose(heights, expected)
    # The rug: every point at its own value, below zero.
    rug = canvas.points.positions
    np.testing.assert_array_equal(rug[:, 0], x)
    assert (rug[:, 1] < 0).all() and (rug[:, 1] > -0.2 * heights.max()).all()
    axes = canvas.getPlotItem()
    assert axes.getAxis("bottom").labelText == "length"
    assert axes.getAxis("left").labelText == "density"
    assert not opened.axes_bar.y_combo.isEnabled()
    assert "with one column, full, diag and spherical are the same model" in (
        opened.panel.covariance_type.toolTip()
    )


def test_live_em_draws_component_and_mixture_densities(qtbot, opened):
    run_to_the_end(qtbot, opened)
    mixture = opened.fit.mixture
    assert mixture.n_features == 1 and opened.is_converged()
    grid, parts, total = opened.canvas.density.drawn_curves()
    assert len(parts) == 3
    assert grid.min() < lengths().min() and grid.max() > lengths().max()
    # Each curve is w_k N(x | mu_k, var_k) of the fitted mixture; the black curve their sum.
    var = mixture.full_covariances()[:, 0, 0]
    for k, part in enumerate(parts):
        expected = (
            mixture.weights[k]
            * np.exp(-0.5 * (grid - mixture.means[k, 0]) ** 2 / var[k])
            / np.sqrt(2 * np.pi * var[k])
        )
        np.testing.assert_allclose(part, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(total, np.sum(parts, axis=0), rtol=1e-12)
    # The mixture density is a density: its integral over the drawn range is about one.
    assert np.trapezoid(total, grid) == pytest.approx(1.0, abs=0.01)
    # Three groups found: the means near -2, 1.5 and 6.
    np.testing.assert_allclose(np.sort(mixture.means[:, 0]), [-2, 1.5, 6], atol=0.3)
    # The rug's colours are the responsibilities' blend of the curves' colours.
    resp = mixture.predict_proba(opened.document.points)
    palette = opened.canvas.component_colors.astype(float)
    blended = opened.canvas.points.blended_colors.astype(float)
    np.testing.assert_allclose(blended, resp @ palette, atol=1.0)
    opened.hard_labels_action.trigger()
    drawn = opened.canvas.points.colors
    np.testing.assert_array_equal(drawn, opened.canvas.component_colors[resp.argmax(axis=1)])


def test_all_four_covariance_types_fit_one_column(qtbot, opened):
    fitted = []
    for kind in ("full", "tied", "diag", "spherical"):
        opened.document.set_settings(opened.document.settings.replace(covariance_type=kind))
        qtbot.waitUntil(lambda: opened.fit.mixture is not None and opened.fit.iteration == 0)
        run_to_the_end(qtbot, opened)
        fitted.append(opened.fit.mixture)
    for other in fitted[2:3] + fitted[3:]:  # diag and spherical coincide with full in 1-D
        np.testing.assert_allclose(
            other.full_covariances(), fitted[0].full_covariances(), rtol=1e-6
        )


def test_clicks_add_and_remove_points_on_the_line(qtbot, opened):
    doc, canvas = opened.document, opened.canvas
    n = doc.n_points
    pixel = canvas.data_to_widget(7.5, 0.05)
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=pixel)
    assert doc.n_points == n + 1 and doc.points[-1, 0] == pytest.approx(7.5, abs=0.05)
    rug = canvas.points.positions[-1]
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.RightButton, pos=canvas.data_to_widget(*rug))
    assert doc.n_points == n


def test_a_one_column_session_reopens(qtbot, make_window, opened, tmp_path):
    run_to_the_end(qtbot, opened)
    path = tmp_path / "lengths.gmms"
    assert opened.file_commands.save_session_to(path)
    other = make_window()
    before = other.frames_drawn
    assert other.file_commands.open_path(path)
    wait_shown(qtbot, other, before)
    assert other.document.axes == (0, 0) and other.canvas.one_dimensional
    np.testing.assert_array_equal(other.document.points, opened.document.points)
    np.testing.assert_array_equal(other.fit.mixture.means, opened.fit.mixture.means)


def test_exports_of_the_histogram_view(qtbot, opened, tmp_path):
    run_to_the_end(qtbot, opened)
    png, svg = tmp_path / "hist.png", tmp_path / "hist.svg"
    for action, path in (
        (opened.file_menu.export_png_action, png),
        (opened.file_menu.export_svg_action, svg),
    ):
        driver = drive(qtbot, choose_file(path))
        action.trigger()
        assert driver.done
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 200
    text = svg.read_text()
    # A path per rug point, plus the bars and the four curves.
    assert text.count("<path") >= len(opened.document.points) + 5
    assert "<image" not in text


def test_two_columns_go_back_to_the_plane(qtbot, opened, tmp_path):
    path = tmp_path / "two.csv"
    write_csv(path, ["u", "v"], np.random.default_rng(1).normal(size=(40, 2)))
    before = opened.frames_drawn
    assert opened.file_commands.open_path(path)
    wait_shown(qtbot, opened, before)
    assert not opened.canvas.one_dimensional and opened.canvas.components.isVisible()
    assert not opened.canvas.density.isVisible()
    assert len(opened.canvas.components.drawn_ellipses()) == 3
    assert opened.canvas.getPlotItem().getAxis("left").labelText == "v"
    assert opened.axes_bar.y_combo.isEnabled()


def test_the_import_dialog_accepts_one_column(qtbot, tmp_path):
    path = tmp_path / "mixed.csv"
    write_csv(path, ["name", "x"], [[f"p{i}", i * 0.5] for i in range(20)])
    dialog = ImportDialog(inspect_table(path))
    qtbot.addWidget(dialog)
    choice = dialog.choice()
    assert choice.columns == [1] and choice.axes == (0, 0)
    assert not dialog.y_combo.isEnabled()
    assert dialog.points().n_features == 1


def test_export_animation_draws_the_histogram_view(qtbot, opened, tmp_path):
    from PIL import Image

    from gmm_studio.core.frames import run_frames
    from gmm_studio.gui.density_layer import component_densities
    from gmm_studio.gui.recorder import FrameRenderer
    from gmm_studio.gui.recording_export import AnimationOptions

    doc = opened.document
    doc.set_settings(doc.settings.replace(max_iter=4, tol=0.0, init="random-points"))
    run_to_the_end(qtbot, opened)
    path = tmp_path / "one.gif"
    opened.recording_export._record(path, AnimationOptions(320, 240, 5.0))
    with Image.open(path) as gif:
        assert gif.n_frames == 5  # the start and 4 iterations
        gif.seek(0)
        first = np.asarray(gif.convert("RGB"))
        gif.seek(4)
        last = np.asarray(gif.convert("RGB"))
    assert not np.array_equal(first, last)
    # What each frame draws: the window's 1-D view, densities of that frame's mixture.
    frames = run_frames(doc.fit.history)
    renderer = FrameRenderer(doc.points, doc.columns, size=(320, 240), axes=doc.axes)
    try:
        renderer.render(frames)
        canvas = renderer.canvas
        assert canvas.one_dimensional and not canvas.components.isVisible()
        grid, _, total = canvas.density.drawn_curves()
        expected = component_densities(frames[-1].mixture, grid).sum(axis=0)
        np.testing.assert_allclose(total, expected)
        assert (canvas.points.positions[:, 1] < 0).all()  # the rug
        high = canvas.view_box.viewRange()[1][1]
        assert high >= max(component_densities(f.mixture, grid).sum(axis=0).max() for f in frames)
    finally:
        renderer.close()
