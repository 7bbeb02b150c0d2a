"""Blended point colours, hard labels and the numpy raster for the live view."""

import numpy as np
import pytest

from gmm_studio.core import COVARIANCE_TYPES, FitError, blockwise, initialize, point_raster
from gmm_studio.core.point_colors import blended_colors
from gmm_studio.core.point_raster import rasterize

PALETTE = np.array([[230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48]])


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("d", [1, 2, 3])
def test_colors_blend_the_palette_by_responsibility(covariance_type, d):
    rng = np.random.default_rng(d)
    X = np.concatenate([rng.normal(size=(150, d)) + 2.5 * c for c in range(4)])
    mixture = initialize(X, 4, covariance_type=covariance_type, seed=0)
    colors, labels = blended_colors(X, mixture, PALETTE)
    assert colors.dtype == np.uint8 and colors.shape == (600, 3)
    expected = mixture.predict_proba(X) @ PALETTE
    assert np.max(np.abs(colors - expected)) <= 0.5 + 1e-9
    assert labels.dtype == np.uint8
    np.testing.assert_array_equal(labels, mixture.predict(X))


def test_colors_with_alpha_and_threads_cover_every_row():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(70_000, 2)) * [1.0, 2.0] + rng.integers(0, 2, (70_000, 1)) * 5
    mixture = initialize(X[:1000], 2, seed=1)
    before = blockwise.thread_count()
    try:
        blockwise.set_thread_count(2)
        data = blockwise.BlockData(X)
        colors, labels = blended_colors(X, mixture, PALETTE[:2], alpha=True, data=data)
    finally:
        blockwise.set_thread_count(before)
    assert colors.shape == (70_000, 4)
    assert np.all(colors[:, 3] == 255)
    expected = mixture.predict_proba(X) @ PALETTE[:2]
    assert np.max(np.abs(colors[:, :3] - expected)) <= 0.5 + 1e-9
    np.testing.assert_array_equal(labels, mixture.predict(X))


def test_a_point_owned_by_one_component_takes_its_color_exactly():
    X = np.array([[0.0, 0.0], [100.0, 100.0]])
    mixture = initialize(np.array([[0.0, 0.0], [100.0, 100.0]]), 2, init="kmeans")
    colors, labels = blended_colors(X, mixture, PALETTE[:2])
    np.testing.assert_array_equal(colors, PALETTE[labels])


def test_bad_palette_is_a_clear_error():
    X = np.zeros((5, 2))
    mixture = initialize(np.arange(10.0).reshape(5, 2), 2, seed=0)
    with pytest.raises(FitError, match="one RGB colour per component"):
        blended_colors(X, mixture, PALETTE)
    with pytest.raises(FitError, match="0 to 255"):
        blended_colors(X, mixture, [[0, 0, 300], [0, 0, 0]])


def test_raster_averages_colors_per_pixel_and_leaves_empty_pixels_transparent():
    xy = np.array([[0.5, 0.5], [0.6, 0.7], [3.5, 1.5], [9.0, 9.0], [np.nan, 1.0]])
    colors = np.array([[255, 0, 0], [0, 0, 255], [0, 255, 0], [9, 9, 9], [9, 9, 9]], np.uint8)
    image = rasterize(xy, colors, (0.0, 4.0, 0.0, 2.0, 4, 2, 1.0), diameter=1)
    assert image.shape == (2, 4, 4) and image.dtype == np.uint8
    # Row 0 is the bottom (y from 0 to 1), column 0 the left (x from 0 to 1); opaque.
    np.testing.assert_array_equal(image[0, 0], [128, 0, 128, 255])
    np.testing.assert_array_equal(image[1, 3], [0, 255, 0, 255])
    # Every other pixel is empty: the point at (9, 9) and the NaN fall outside.
    image[0, 0] = image[1, 3] = 0
    assert not image.any()


def test_raster_of_many_points_matches_a_direct_count():
    rng = np.random.default_rng(4)
    xy = rng.normal(size=(20_000, 2))
    colors = rng.integers(0, 256, size=(20_000, 3), dtype=np.uint8)
    image = rasterize(xy, colors, (-2, 2, -1, 3, 16, 10, 1.0), diameter=1)
    col = np.floor((xy[:, 0] + 2) / 4 * 16).astype(int)
    row = np.floor((xy[:, 1] + 1) / 4 * 10).astype(int)
    for r, c in [(3, 8), (2, 5), (0, 0), (9, 15)]:
        here = (row == r) & (col == c)
        if here.any():
            expected = colors[here].mean(axis=0)
            assert np.all(np.abs(image[r, c, :3] - expected) <= 0.5 + 1e-9)
            assert image[r, c, 3] == 255
        else:
            assert not image[r, c].any()


def test_a_disc_covers_its_neighbours_and_mixes_where_discs_overlap():
    xy = np.array([[2.5, 2.5], [4.5, 2.5]])
    colors = np.array([[255, 0, 0], [0, 0, 255]], np.uint8)
    image = rasterize(xy, colors, (0.0, 8.0, 0.0, 5.0, 8, 5, 1.0), diameter=3)
    np.testing.assert_array_equal(image[2, 2], [255, 0, 0, 255])
    np.testing.assert_array_equal(image[2, 3], [128, 0, 128, 255])  # both discs
    np.testing.assert_array_equal(image[2, 5], [0, 0, 255, 255])
    assert not image[0, 0].any() and not image[4, 7].any()


def test_raster_of_an_empty_view_is_transparent():
    image = rasterize(np.zeros((0, 2)), np.zeros((0, 3), np.uint8), (0, 1, 0, 1, 3, 2, 1.0))
    assert image.shape == (2, 3, 4) and not image.any()
    flat = rasterize(np.ones((3, 2)), np.ones((3, 3), np.uint8), (1, 1, 0, 1, 3, 2, 1.0))
    assert not flat.any()


@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_raster_of_discs_of_many_sizes_matches_a_direct_computation(monkeypatch, chunk):
    # Points of several disc sizes, some off the view; small chunks cross chunk boundaries.
    monkeypatch.setattr(point_raster, "_CHUNK", chunk)
    rng = np.random.default_rng(9)
    xy = rng.uniform(-3, 13, size=(60, 2))
    colors = rng.integers(0, 256, size=(60, 3), dtype=np.uint8)
    scale = rng.choice([0.4, 1.0, 1.6, 3.0], size=60)
    key = (0.0, 10.0, 0.0, 8.0, 40, 32, 1.0)
    geometry = point_raster.build_raster_geometry(xy, key, scale=scale)
    image = point_raster.paint_raster(geometry, colors)
    sums = np.zeros((32, 40, 3))
    counts = np.zeros((32, 40))
    for (x, y), colour, d in zip(xy, colors, geometry.diameters, strict=True):
        if not d:
            assert not (0 <= x < 10 and 0 <= y < 8)  # only points far off the view are left out
            continue
        shift = 0.0 if d % 2 else 0.5
        col, row = int(np.floor(x * 4 + shift)), int(np.floor(y * 4 + shift))
        for dx, dy in point_raster.disc_offsets(d):
            if 0 <= col + dx < 40 and 0 <= row + dy < 32:
                sums[row + dy, col + dx] += colour
                counts[row + dy, col + dx] += 1
    covered = counts > 0
    np.testing.assert_array_equal(image[..., 3], np.where(covered, 255, 0))
    expected = np.floor(sums[covered] / counts[covered][:, None] + 0.5)
    np.testing.assert_array_equal(image[covered][:, :3], expected)
    assert not image[~covered].any()
    # Heavier points have larger discs, as the markers' sizes scale.
    assert len(set(geometry.diameters[geometry.diameters > 0].tolist())) >= 3
