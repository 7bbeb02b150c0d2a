"""The one settings store: every key with its default, malformed values read as defaults."""

from PySide6.QtCore import QByteArray, QSettings

from gmm_studio.core import FitSettings
from gmm_studio.gui import settings_store
from gmm_studio.gui.settings_store import PREFERENCES, SettingsStore


def test_every_preference_starts_at_its_default(qtbot):
    store = SettingsStore()
    assert len({p.key for p in PREFERENCES}) == len(PREFERENCES)
    for preference in PREFERENCES:
        assert store.get(preference) == preference.default


def test_values_round_trip_through_the_settings_file(qtbot, tmp_path):
    store = SettingsStore()
    values = {
        settings_store.SPEED: 7,
        settings_store.RADII: (1.0, 3.0),
        settings_store.HARD_LABELS: True,
        settings_store.GEOMETRY: QByteArray(b"\x01\x02"),
        settings_store.LAST_FOLDER: str(tmp_path),
        settings_store.RECENT_FILES: [str(tmp_path / "a.csv")],
        settings_store.EM_DEFAULTS: FitSettings(n_components=5, tol=1e-4),
    }
    changed = []
    store.changed.connect(changed.append)
    for preference, value in values.items():
        store.set(preference, value)
    store.set(settings_store.SPEED, 7)  # the same value again: no change
    store.sync()
    assert changed == [p.key for p in values]
    again = SettingsStore()
    for preference, value in values.items():
        assert again.get(preference) == value


def test_malformed_values_read_as_defaults(qtbot):
    raw = QSettings(SettingsStore().file_name(), QSettings.Format.IniFormat)
    for key, bad in [
        ("view/speed", "fast"),
        ("view/hard_labels", "maybe"),
        ("window/geometry", "not bytes"),
        ("em/defaults", '{"n_components": -3}'),
        ("files/recent", 12),
    ]:
        raw.setValue(key, bad)
    raw.sync()
    store = SettingsStore()
    for preference in PREFERENCES:
        assert store.get(preference) == preference.default, preference.key
