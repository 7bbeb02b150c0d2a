"""A ``.gmms`` file handed over by the desktop (``Exec=gmm-studio %f``) opens as a session."""

import numpy as np
import pytest

from gmm_studio import resources
from gmm_studio.core import FitSettings, fit
from gmm_studio.gui.app import create_main_window
from gmm_studio.io import DataFileError, Session, open_document, read_points, save_session


@pytest.fixture
def saved_session(tmp_path):
    table = read_points(resources.sample_path("old_faithful"))
    settings = FitSettings(n_components=2, max_iter=4)
    result = fit(table.data, **settings.fit_kwargs())
    path = tmp_path / f"faithful{resources.SESSION_SUFFIX}"
    save_session(
        path,
        Session(
            points=table.data,
            columns=table.columns,
            settings=settings,
            mixture=result.mixture,
            log_likelihood_history=result.log_likelihood_trace,
        ),
    )
    return path, table, result


def test_session_file_opens_paused_at_its_saved_fit(qtbot, saved_session):
    path, table, result = saved_session
    window = create_main_window(opened=(path, open_document(path)))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.state == "paused")
    doc = window.document
    assert doc.name == path.name and doc.columns == ["eruptions", "waiting"]
    np.testing.assert_array_equal(doc.points, table.data)
    assert doc.settings.n_components == 2 and doc.iteration == result.n_iter
    np.testing.assert_allclose(doc.mixture.means, result.mixture.means)
    assert window.run_action.isEnabled()
    window.close()


def test_a_broken_session_file_is_a_data_file_error_naming_it(tmp_path):
    path = tmp_path / "broken.gmms"
    path.write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(DataFileError, match=r"broken\.gmms"):
        open_document(path)
