"""Pieces the import and generate dialogs share: a status line and OK/Cancel buttons."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel


def status_label() -> QLabel:
    """A word-wrapped line that says what OK will do, or what stops it."""
    label = QLabel()
    label.setObjectName("status")
    label.setWordWrap(True)
    return label


def ok_cancel_buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    """OK (renamed ``ok_text``) and Cancel, wired to accept and reject ``dialog``."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def show_status(label: QLabel, buttons: QDialogButtonBox, problem: str | None, ok: str) -> None:
    """Show ``problem`` (OK disabled) or, when there is none, ``ok`` (OK enabled)."""
    label.setText(problem or ok)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)
