"""The Qt user interface: the only package that imports PySide6 and pyqtgraph."""

from gmm_studio.gui._refcount_guard import protect_singletons

protect_singletons()
