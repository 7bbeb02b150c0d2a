"""EM passes in a child process: the same results as in this process, to the last bit."""

import os
import signal
from multiprocessing import shared_memory

import numpy as np
import pytest

from gmm_studio.core import Locks, initialize
from gmm_studio.core.blockwise import BlockData
from gmm_studio.core.em import em_pass
from gmm_studio.core.pass_process import PassProcess, PassProcessLost
from gmm_studio.core.point_colors import ColorBlend, blended_colors

PALETTE = np.array([[230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48]])


@pytest.fixture(scope="module")
def passes():
    process = PassProcess()
    wait_until_ready(process)
    yield process
    process.close()


def wait_until_ready(process: PassProcess, seconds: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not process.ready():
        assert time.monotonic() < deadline, "the pass process did not start"
        time.sleep(0.01)


def overlapping(n=20_000, seed=3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 0.0], [2.0, 1.0], [-1.0, 2.5], [1.5, -2.0]])
    X = centers[rng.integers(0, 4, n)] + rng.standard_normal((n, 2))
    X.flags.writeable = False
    return X


def shared_segments(sizes) -> set[str]:
    """Names of this machine's shared memory segments of these sizes in bytes (Linux)."""
    import pathlib

    return {p.name for p in pathlib.Path("/dev/shm").glob("psm_*") if p.stat().st_size in sizes}


def assert_same_pass(here, there) -> None:
    (total, mixture), (total_there, mixture_there) = here, there
    assert total == total_there
    for name in ("weights", "means", "covariances"):
        np.testing.assert_array_equal(getattr(mixture, name), getattr(mixture_there, name))


def pass_here(data, mixture, reg_covar=1e-6, locks=None):
    blend = ColorBlend(data.n_samples, PALETTE)
    data.observer = blend.add
    try:
        return em_pass(data.X, mixture, reg_covar, data, locks), blend
    finally:
        data.observer = None


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_a_pass_and_its_colours_in_the_child_are_those_of_this_process(passes, covariance_type):
    X = overlapping()
    data = BlockData(X)
    mixture = initialize(X, 4, covariance_type=covariance_type, init="random-points", seed=1)
    for _ in range(3):  # a few iterations on the same bound data
        here, blend = pass_here(data, mixture)
        there_blend = ColorBlend(data.n_samples, PALETTE)
        there = passes.em_pass(data, mixture, 1e-6, None, there_blend)
        assert_same_pass(here, there)
        assert there_blend.complete
        np.testing.assert_array_equal(there_blend.colors, blend.colors)
        np.testing.assert_array_equal(there_blend.labels, blend.labels)
        mixture = here[1]


def test_weights_and_locks_reach_the_child(passes):
    X = overlapping(seed=4)
    weights = np.random.default_rng(0).integers(0, 4, len(X)).astype(float)
    data = BlockData(X, weights)
    mixture = initialize(X, 4, init="random-points", seed=2)
    locks = Locks(
        mean=(True, False, False, False),
        covariance=(False, True, False, False),
        weight=(False, False, True, False),
    )
    here, _ = pass_here(data, mixture, locks=locks)
    assert_same_pass(here, passes.em_pass(data, mixture, 1e-6, locks))
    np.testing.assert_array_equal(here[1].means[0], mixture.means[0])  # the lock held


def test_new_data_are_bound_and_the_child_answers_for_them(passes):
    first, second = overlapping(seed=5), overlapping(n=7_000, seed=6)
    mixture = initialize(first, 4, init="random-points", seed=3)
    for X in (first, second, first):
        data = BlockData(X)
        here, _ = pass_here(data, mixture)
        assert_same_pass(here, passes.em_pass(data, mixture, 1e-6))


def test_the_colour_pass_in_the_child_is_blended_colors(passes):
    X = overlapping(seed=7)
    data = BlockData(X)
    mixture = initialize(X, 4, init="random-points", seed=4)
    colors, labels = passes.colors(data, mixture, PALETTE)
    expected_colors, expected_labels = blended_colors(X, mixture, PALETTE, data=data)
    np.testing.assert_array_equal(colors, expected_colors)
    np.testing.assert_array_equal(labels, expected_labels)
    assert labels.dtype == expected_labels.dtype


def test_a_memory_mapped_file_is_read_by_the_child_from_the_file(passes, tmp_path):
    path = tmp_path / "points.npy"
    np.save(path, overlapping(n=30_000, seed=8))
    mapped = np.load(path, mmap_mode="r")
    mixture = initialize(np.asarray(mapped), 4, init="random-points", seed=5)
    # The whole map, and rows from the middle of it (their own offset in the file).
    for X in (mapped, mapped[12_345:]):
        data = BlockData(X)
        assert data.X is X  # used as is, not copied
        here, _ = pass_here(data, mixture)
        assert_same_pass(here, passes.em_pass(data, mixture, 1e-6))


def test_an_error_in_the_child_is_raised_here_and_the_child_goes_on(passes):
    X = overlapping(seed=9)
    data = BlockData(X)
    wrong = initialize(np.hstack([X, X]), 4, init="random-points", seed=6)  # 4 columns, not 2
    with pytest.raises(ValueError) as raised:
        em_pass(X, wrong, 1e-6, data)
    with pytest.raises(ValueError) as raised_there:
        passes.em_pass(data, wrong, 1e-6)
    assert str(raised_there.value) == str(raised.value)
    mixture = initialize(X, 4, init="random-points", seed=6)
    here, _ = pass_here(data, mixture)
    assert_same_pass(here, passes.em_pass(data, mixture, 1e-6))


def test_a_child_that_was_killed_is_reported_lost_and_close_frees_the_shared_memory():
    process = PassProcess()
    wait_until_ready(process)
    X = overlapping(seed=10)
    data = BlockData(X)
    mixture = initialize(X, 4, init="random-points", seed=7)
    n = len(X)
    sizes = {X.nbytes, 3 * n, 2 * n}  # the rows, the colours, the labels
    before = shared_segments(sizes)
    process.em_pass(data, mixture, 1e-6)
    names = shared_segments(sizes) - before
    assert len(names) == 3
    os.kill(process.pid, signal.SIGKILL)
    with pytest.raises(PassProcessLost):
        process.em_pass(data, mixture, 1e-6)
    assert not process.ready()
    process.close()
    process.close()  # twice is fine
    for name in names:
        with pytest.raises(FileNotFoundError):
            shared_memory.SharedMemory(name=name)


def test_data_larger_than_the_free_shared_memory_are_refused_not_written():
    import os

    from gmm_studio.core.pass_process import SHARED_MEMORY_FS, fits_in_shared_memory

    info = os.statvfs(SHARED_MEMORY_FS)
    free = info.f_bavail * info.f_frsize
    assert fits_in_shared_memory(free // 2)
    assert not fits_in_shared_memory(free)  # a quarter must stay free
    assert not fits_in_shared_memory(1 << 60)


def test_the_child_ignores_ctrl_c_which_belongs_to_the_window(passes):
    import time

    X = overlapping(seed=11)
    data = BlockData(X)
    mixture = initialize(X, 4, init="random-points", seed=8)
    os.kill(passes.pid, signal.SIGINT)  # as a terminal's Ctrl+C reaches its process group
    time.sleep(0.2)
    here, _ = pass_here(data, mixture)
    assert_same_pass(here, passes.em_pass(data, mixture, 1e-6))
