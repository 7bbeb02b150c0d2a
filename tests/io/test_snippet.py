""" "Copy as Python": the scikit-learn code, run for real, rebuilds GMM Studio's fit."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from gmm_studio.core import COVARIANCE_TYPES, FitSettings, em_steps, fit
from gmm_studio.io import python_snippet, read_points


def run_snippet(code: str) -> dict:
    namespace = {"print": lambda *args, **kwargs: None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        exec(compile(code, "<copied from GMM Studio>", "exec"), namespace)
    return namespace


def studio_fit(table, settings):
    steps = list(em_steps(table.data, **settings.fit_kwargs()))
    return steps[0].mixture, steps[-1]


def check_rebuilds(table, settings, code):
    start, last = studio_fit(table, settings)
    ns = run_snippet(code)
    np.testing.assert_array_equal(ns["X"], table.data)  # same points, same order
    gm = ns["gm"]
    assert gm.converged_ == last.converged
    # scikit-learn checks convergence one iteration later: at most one more step.
    assert gm.n_iter_ in (last.iteration, last.iteration + 1)
    same_steps = fit(
        table.data, settings.n_components, covariance_type=settings.covariance_type,
        weights_init=start.weights, means_init=start.means, covariances_init=start.covariances,
        tol=0.0, max_iter=gm.n_iter_, reg_covar=settings.reg_covar,
    )  # fmt: skip
    np.testing.assert_allclose(gm.weights_, same_steps.weights, rtol=1e-6)
    np.testing.assert_allclose(gm.means_, same_steps.means, rtol=1e-6)
    np.testing.assert_allclose(gm.covariances_, same_steps.covariances, rtol=1e-6)
    np.testing.assert_allclose(gm.score(table.data), last.mean_log_likelihood, atol=settings.tol)
    scale = np.abs(table.data).max()
    np.testing.assert_allclose(gm.means_, last.mixture.means, rtol=1e-3, atol=1e-3 * scale)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_rebuilds_the_fit_on_the_same_csv(samples_dir, covariance_type):
    table = read_points(samples_dir / "old_faithful.csv")
    settings = FitSettings(n_components=2, covariance_type=covariance_type, seed=3)
    start, _ = studio_fit(table, settings)
    code = python_snippet(start, settings, table)
    assert "precisions_init=precisions_init" in code and "old_faithful.csv" in code
    check_rebuilds(table, settings, code)


def test_reads_the_same_columns_and_drops_the_same_rows(tmp_path):
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(size=(40, 3)), rng.normal(size=(40, 3)) + 4])
    lines = ["\ufeff# measured today", "site;a;b;c"]
    for i, row in enumerate(X):
        cells = [repr(v) for v in row.tolist()]
        if i % 13 == 5:
            cells[2] = "NA"
        lines.append(";".join([f"s{i}", *cells]))
    path = tmp_path / "sites.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = read_points(path, ["c", "a"])
    assert table.n_dropped == 6
    settings = FitSettings(n_components=2, covariance_type="full", init="kmeans", seed=0)
    start, _ = studio_fit(table, settings)
    check_rebuilds(table, settings, python_snippet(start, settings, table))


def test_npy_npz_and_record_arrays(tmp_path):
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(size=(30, 2)), rng.normal(size=(30, 2)) + 5])
    np.save(tmp_path / "p.npy", X)
    np.savez(tmp_path / "cols.npz", u=X[:, 0], v=X[:, 1])
    rec = np.zeros(len(X), dtype=[("u", "f8"), ("name", "U3"), ("v", "f4")])
    rec["u"], rec["v"] = X[:, 0], X[:, 1]
    np.save(tmp_path / "rec.npy", rec)
    settings = FitSettings(n_components=2, covariance_type="diag", seed=1)
    for name in ("p.npy", "cols.npz", "rec.npy"):
        table = read_points(tmp_path / name)
        start, _ = studio_fit(table, settings)
        check_rebuilds(table, settings, python_snippet(start, settings, table))


def test_points_without_a_file_are_written_into_the_code():
    X = np.vstack([np.eye(2) * 0.1 + [[0, 0]], [[3.0, 3.1], [3.2, 2.9], [0.2, 0.05]]])
    settings = FitSettings(n_components=2, covariance_type="spherical", seed=0)
    start = fit(X, 2, covariance_type="spherical", seed=0, max_iter=0).mixture
    code = python_snippet(start, settings, points=X, columns=["x", "y"])
    ns = run_snippet(code)
    np.testing.assert_array_equal(ns["X"], X)
    np.testing.assert_array_equal(ns["means_init"], start.means)


def test_decimal_comma_files_are_written_into_the_code(tmp_path):
    path = tmp_path / "komma.csv"
    path.write_text("a;b\n" + "".join(f"{i},5;{i * i},25\n" for i in range(12)))
    table = read_points(path)
    settings = FitSettings(n_components=2, seed=0)
    start, _ = studio_fit(table, settings)
    code = python_snippet(start, settings, table)
    assert "genfromtxt" not in code
    check_rebuilds(table, settings, code)


def test_n_init_is_in_the_gaussian_mixture_call(samples_dir):
    table = read_points(samples_dir / "old_faithful.csv")
    settings = FitSettings(n_components=2, seed=3, n_init=3)
    start, _ = studio_fit(table, settings)
    code = python_snippet(start, settings, table)
    assert run_snippet(code)["gm"].n_init == 3
    check_rebuilds(table, settings, code)  # every start begins at the given parameters


def hostile_names(marker) -> list[str]:
    """Column names that would run code (touching ``marker``) if pasted into the snippet raw."""
    run = f"open({str(marker)!r}, 'w').close()"
    return [
        f"a\n{run}\n#",
        f"b\r{run}\r#",
        f"c'''\n{run}\n'''",
        f'd"); {run}; ("',
        f"e\\\n{run}",
        f"f\u2028{run}",
    ]


def check_nothing_injected(code: str, marker, table, names) -> None:
    try:
        ns = run_snippet(code)
    finally:
        assert not marker.exists(), "a column name ran as code"
    for name in names:
        assert name not in code  # only escaped copies of the names appear
    assert ns["columns"] == list(names)
    if table is not None:
        np.testing.assert_array_equal(ns["X"], table.data)


def two_blobs(n=20):
    rng = np.random.default_rng(5)
    return np.vstack([rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + 4])


SETTINGS = FitSettings(n_components=2, covariance_type="full", seed=0)


def test_hostile_names_from_a_session_stay_literals(tmp_path):
    from gmm_studio.io import Session, load_session, save_session

    marker = tmp_path / "pwned"
    names = hostile_names(marker)[:2]
    save_session(tmp_path / "s.gmms", Session(points=two_blobs(), columns=names))
    session = load_session(tmp_path / "s.gmms")
    start = fit(session.points, 2, seed=0, max_iter=0).mixture
    code = python_snippet(start, SETTINGS, points=session.points, columns=session.columns)
    check_nothing_injected(code, marker, None, names)


@pytest.mark.parametrize("pair", [(0, 1), (2, 3), (4, 5)])
def test_hostile_record_field_names_stay_literals(tmp_path, pair):
    marker = tmp_path / "pwned"
    names = [hostile_names(marker)[i] for i in pair]
    X = two_blobs()
    rec = np.zeros(len(X), dtype=[(names[0], "f8"), (names[1], "f8")])
    rec[names[0]], rec[names[1]] = X[:, 0], X[:, 1]
    np.save(tmp_path / "rec.npy", rec)
    table = read_points(tmp_path / "rec.npy")
    assert table.columns == names
    start, _ = studio_fit(table, SETTINGS)
    check_nothing_injected(python_snippet(start, SETTINGS, table), marker, table, names)


def test_hostile_npz_column_names_and_keys_stay_literals(tmp_path):
    marker = tmp_path / "pwned"
    names = hostile_names(marker)[2:4]
    X = two_blobs()
    np.savez(tmp_path / "named.npz", X=X, columns=np.array(names))
    table = read_points(tmp_path / "named.npz")
    assert table.columns == names
    start, _ = studio_fit(table, SETTINGS)
    check_nothing_injected(python_snippet(start, SETTINGS, table), marker, table, names)
    keys = hostile_names(marker)[4:6]
    np.savez(tmp_path / "keys.npz", **{keys[0]: X[:, 0], keys[1]: X[:, 1]})
    table = read_points(tmp_path / "keys.npz")
    check_nothing_injected(python_snippet(start, SETTINGS, table), marker, table, keys)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_a_standardized_fit_is_rebuilt_on_z_scores(tmp_path, covariance_type):
    rng = np.random.default_rng(7)
    X = np.vstack([rng.normal(size=(40, 2)), rng.normal(size=(40, 2)) + 3]) * [0.02, 900.0]
    np.save(tmp_path / "scaled.npy", X)
    table = read_points(tmp_path / "scaled.npy")
    settings = FitSettings(
        n_components=2, covariance_type=covariance_type, seed=1, standardize=True
    )
    start, last = studio_fit(table, settings)
    ns = run_snippet(python_snippet(start, settings, table))
    assert ns["gm"].n_iter_ in (last.iteration, last.iteration + 1)
    np.testing.assert_allclose(ns["means"], last.mixture.means, rtol=1e-3)
    z_scale = ns["scale"] ** 2 if covariance_type == "diag" else np.outer(ns["scale"], ns["scale"])
    np.testing.assert_allclose(
        ns["covariances"] / z_scale, last.mixture.covariances / z_scale, atol=1e-3
    )
    assert ns["mean_log_likelihood"] == pytest.approx(last.mean_log_likelihood, abs=1e-3)


def _weighted_points(seed=5):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(size=(30, 2)), rng.normal(size=(30, 2)) * 0.5 + [4.0, 1.0]])
    return X, rng.integers(0, 4, len(X)).astype(float)  # zero weights included


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_whole_number_weights_become_repeated_rows_the_same_fit(covariance_type):
    X, w = _weighted_points()
    settings = FitSettings(n_components=2, covariance_type=covariance_type, seed=2)
    steps = list(em_steps(X, sample_weight=w, **settings.fit_kwargs()))
    start, last = steps[0].mixture, steps[-1]
    code = python_snippet(start, settings, points=X, columns=["x", "y"], sample_weight=w)
    ns = run_snippet(code)
    np.testing.assert_array_equal(ns["sample_weight"], w)
    np.testing.assert_array_equal(ns["X"], np.repeat(X, w.astype(int), axis=0))
    gm = ns["gm"]
    assert gm.n_iter_ in (last.iteration, last.iteration + 1)
    same_steps = fit(
        X, 2, covariance_type=covariance_type, sample_weight=w, weights_init=start.weights,
        means_init=start.means, covariances_init=start.covariances, tol=0.0,
        max_iter=gm.n_iter_, reg_covar=settings.reg_covar,
    )  # fmt: skip
    np.testing.assert_allclose(gm.weights_, same_steps.weights, rtol=1e-6)
    np.testing.assert_allclose(gm.means_, same_steps.means, rtol=1e-6)
    np.testing.assert_allclose(gm.covariances_, same_steps.covariances, rtol=1e-6)
    assert ns["mean_log_likelihood"] == pytest.approx(last.mean_log_likelihood, abs=settings.tol)


def test_whole_number_weights_of_a_standardized_fit_are_rebuilt_on_z_scores():
    X, w = _weighted_points(seed=8)
    X = X * [0.01, 700.0]
    settings = FitSettings(n_components=2, covariance_type="full", seed=1, standardize=True)
    steps = list(em_steps(X, sample_weight=w, **settings.fit_kwargs()))
    start, last = steps[0].mixture, steps[-1]
    ns = run_snippet(python_snippet(start, settings, points=X, sample_weight=w))
    np.testing.assert_allclose(ns["means"], last.mixture.means, rtol=1e-3)
    z_scale = np.outer(ns["scale"], ns["scale"])
    np.testing.assert_allclose(
        ns["covariances"] / z_scale, last.mixture.covariances / z_scale, atol=1e-3
    )
    assert ns["mean_log_likelihood"] == pytest.approx(last.mean_log_likelihood, abs=1e-3)


def test_weights_that_are_not_whole_numbers_are_written_with_a_note():
    X, w = _weighted_points()
    w = w + 0.5
    settings = FitSettings(n_components=2, covariance_type="spherical", seed=0)
    start = fit(X, 2, covariance_type="spherical", seed=0, max_iter=0, sample_weight=w).mixture
    code = python_snippet(start, settings, points=X, sample_weight=w)
    assert "not whole numbers" in code and "np.repeat" not in code
    ns = run_snippet(code)
    np.testing.assert_array_equal(ns["sample_weight"], w)
    np.testing.assert_array_equal(ns["X"], X)  # fitted as they are: scikit-learn has no weights


def test_weighted_points_cannot_be_given_as_a_file(samples_dir):
    table = read_points(samples_dir / "old_faithful.csv")
    start = fit(table.data, 2, seed=0, max_iter=0).mixture
    with pytest.raises(ValueError, match="weighted points"):
        python_snippet(start, FitSettings(), table, sample_weight=np.ones(len(table.data)))
