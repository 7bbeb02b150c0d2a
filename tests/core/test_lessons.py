"""Each lesson shows what its caption says."""

import numpy as np
import pytest

from gmm_studio.core import DegenerateCovarianceError, FitSettings, initialize
from gmm_studio.core.lessons import LESSONS, teaching_start
from gmm_studio.core.run import EMRun
from gmm_studio.resources import sample_path


def run(lesson, **changes):
    settings = lesson.settings.replace(**changes) if changes else lesson.settings
    return list(EMRun(lesson.data, settings, lesson.start).snapshots())


def test_every_lesson_is_complete():
    for make in LESSONS.values():
        lesson = make()
        assert lesson.caption and lesson.name and lesson.data.shape[1] == 2
        assert lesson.start.n_components == lesson.settings.n_components
        assert lesson.start.covariance_type == lesson.settings.covariance_type


def test_overlapping_components_converge_slowly():
    lesson = LESSONS["overlapping"]()
    assert run(lesson)[-1].iteration >= 30


def test_a_poor_start_ends_in_a_worse_local_optimum():
    good, poor = run(LESSONS["good-start"]())[-1], run(LESSONS["poor-start"]())[-1]
    assert good.converged and poor.converged
    assert poor.log_likelihood < good.log_likelihood - 50


def test_the_collapse_lesson_collapses_and_reg_covar_prevents_it():
    lesson = LESSONS["collapse"]()
    with pytest.raises(DegenerateCovarianceError):
        run(lesson)
    assert run(lesson, reg_covar=1e-6)[-1].converged


def test_the_wrong_k_is_worse_by_bic_than_the_right_one():
    lesson = LESSONS["wrong-k"]()
    two = run(lesson)[-1].mixture
    three = run(LESSONS["good-start"]())[-1].mixture
    assert three.bic(lesson.data) < two.bic(lesson.data) - 100


def test_full_covariances_fit_anisotropic_clusters_far_better():
    spherical = run(LESSONS["anisotropic-spherical"]())[-1]
    full = run(LESSONS["anisotropic-full"]())[-1]
    assert full.log_likelihood > spherical.log_likelihood + 100


@pytest.mark.parametrize("name", ["seed_example.csv", "old_faithful.csv"])
def test_teaching_start_takes_a_dozen_iterations_to_the_same_optimum(name):
    X = np.loadtxt(sample_path(name), delimiter=",", skiprows=1)
    k = 3 if name == "seed_example.csv" else 2
    settings = FitSettings(n_components=k)
    slow = list(EMRun(X, settings, teaching_start(X, k)).snapshots())
    fast = list(EMRun(X, settings, initialize(X, k, seed=0)).snapshots())
    assert slow[-1].iteration >= 12 and slow[-1].iteration > fast[-1].iteration
    assert slow[-1].log_likelihood == pytest.approx(fast[-1].log_likelihood, abs=1e-3)
