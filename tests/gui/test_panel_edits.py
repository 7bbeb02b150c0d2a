"""The side panel asks the document it is bound to for a fit setting, with no window between."""

from gmm_studio.gui.control_panel import ControlPanel
from gmm_studio.gui.settings_store import SettingsStore
from gmm_studio.model import FitState

from .conftest import blobs, document_of


def test_a_setting_edited_in_a_bound_panel_reaches_the_documents_fit(qtbot):
    document = document_of(blobs(), n_components=3, seed=1)
    panel = ControlPanel()
    qtbot.addWidget(panel)
    panel.bind(document, SettingsStore())
    panel.n_components.setValue(5)
    assert document.fit.settings.n_components == 5 and document.dirty
    assert document.fit.state is FitState.INITIALISING  # a new K needs a new start
    panel.n_components.setValue(5)  # the value shown: no second edit
    assert document.undo_stack.count() == 0 and panel.settings() == document.settings
