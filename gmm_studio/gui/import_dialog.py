"""The import dialog: choose which columns of a data file to fit and which two to show."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gmm_studio.gui.dialog_parts import ok_cancel_buttons, show_status, status_label
from gmm_studio.io import PointTable, TableInfo

PREVIEW_SHOWN = 10


@dataclass(frozen=True)
class ImportChoice:
    """What the user chose in the import dialog.

    Attributes
    ----------
    columns : list of int
        Indices (among the file's columns) of the columns to fit, two or more, in file order.
    axes : tuple of int
        Positions within ``columns`` of the columns shown on the horizontal and vertical axes.
    drop_incomplete : bool
        Drop rows with missing or non-finite values in the chosen columns.
    """

    columns: list[int]
    axes: tuple[int, int]
    drop_incomplete: bool = True


def import_choice_needed(info: TableInfo) -> bool:
    """Whether to ask the user before importing: more than two numeric columns, non-numeric
    columns, numeric columns with stray text, or rows with missing values."""
    return (
        len(info.numeric_columns) != 2
        or not all(info.numeric)
        or bool(info.column_problems)
        or info.incomplete_count() > 0
    )


class ImportDialog(QDialog):
    """Preview a table and choose the columns to fit, the two axes and incomplete-row handling.

    Parameters
    ----------
    info : TableInfo
        From `gmm_studio.io.inspect_table` (or `inspect_pasted_text`).
    parent : QWidget, optional

    Notes
    -----
    After ``exec()`` returns ``Accepted``, `choice` holds the selection and `points` reads it.
    OK is enabled only for a valid choice; a line under the options says what is missing.
    """

    choiceChanged = Signal()

    def __init__(self, info: TableInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.info = info
        name = info.source.name if info.source is not None else "pasted text"
        self.setWindowTitle(f"Import {name}")
        self.setObjectName("importDialog")

        summary = QLabel(self._summary_text(name))
        summary.setWordWrap(True)
        summary.setObjectName("summary")

        self.preview = self._make_preview()

        fit_box = QGroupBox("Columns to fit (two or more)")
        fit_layout = QGridLayout(fit_box)
        self.fit_checks: dict[int, QCheckBox] = {}
        for n, index in enumerate(info.numeric_columns):
            check = QCheckBox(info.columns[index])
            check.setObjectName(f"fit_{index}")
            problem = info.column_problems.get(index)
            if problem:
                check.setEnabled(False)
                check.setToolTip(problem)
                check.setText(f"{info.columns[index]} (has text)")
            else:
                check.setChecked(True)
            check.toggled.connect(self._update)
            fit_layout.addWidget(check, n // 3, n % 3)
            self.fit_checks[index] = check

        self.x_combo = QComboBox()
        self.x_combo.setObjectName("xAxis")
        self.y_combo = QComboBox()
        self.y_combo.setObjectName("yAxis")
        self.x_combo.currentIndexChanged.connect(self._update_status)
        self.y_combo.currentIndexChanged.connect(self._update_status)
        axes = QFormLayout()
        axes.addRow("Horizontal axis:", self.x_combo)
        axes.addRow("Vertical axis:", self.y_combo)

        self.drop_check = QCheckBox()
        self.drop_check.setObjectName("dropIncomplete")
        self.drop_check.setChecked(True)
        self.drop_check.toggled.connect(self._update_status)

        self.status = status_label()
        self.buttons = ok_cancel_buttons(self, "Import")

        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.preview, stretch=1)
        layout.addWidget(fit_box)
        row = QHBoxLayout()
        row.addLayout(axes)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.drop_check)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(640, 520)
        self._update()

    # -- building -----------------------------------------------------------------------

    def _summary_text(self, name: str) -> str:
        info = self.info
        numeric = len(info.numeric_columns)
        text = (
            f"<b>{name}</b>: {info.n_rows} rows, {len(info.columns)} columns ({numeric} numeric)."
        )
        skipped = [c for c, is_num in zip(info.columns, info.numeric, strict=True) if not is_num]
        if skipped:
            text += f" Text columns, not fitted: {', '.join(skipped)}."
        for note in info.notes:
            text += f"<br>Note: {note}."
        return text

    def _make_preview(self) -> QTableWidget:
        info = self.info
        rows = info.preview[:PREVIEW_SHOWN]
        table = QTableWidget(len(rows), len(info.columns))
        table.setObjectName("preview")
        table.setHorizontalHeaderLabels(info.columns)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        grey = QBrush(QColor(128, 128, 128))
        for r, row in enumerate(rows):
            for c, cell in enumerate(row[: len(info.columns)]):
                item = QTableWidgetItem(cell)
                if not info.numeric[c]:
                    item.setForeground(grey)
                table.setItem(r, c, item)
        if info.lines is not None:
            table.setVerticalHeaderLabels([f"line {int(n)}" for n in info.lines[: len(rows)]])
        table.resizeColumnsToContents()
        return table

    # -- state --------------------------------------------------------------------------

    def selected_columns(self) -> list[int]:
        """File indices of the columns ticked for fitting, in file order."""
        return [i for i, check in self.fit_checks.items() if check.isChecked()]

    def _update(self) -> None:
        chosen = self.selected_columns()
        names = [self.info.columns[i] for i in chosen]
        for combo, default in ((self.x_combo, 0), (self.y_combo, 1)):
            previous = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            if previous in names:
                combo.setCurrentIndex(names.index(previous))
            elif default < len(names):
                combo.setCurrentIndex(default)
            combo.blockSignals(False)
        if self.x_combo.currentIndex() == self.y_combo.currentIndex() and len(names) >= 2:
            self.y_combo.setCurrentIndex(1 if self.x_combo.currentIndex() == 0 else 0)
        self._update_status()

    def incomplete_count(self) -> int:
        """Rows with a missing or non-finite value in the ticked columns."""
        return self.info.incomplete_count(self.selected_columns())

    def _problem(self) -> str | None:
        chosen = self.selected_columns()
        if len(chosen) < 2:
            return "Tick at least two columns to fit."
        if self.x_combo.currentIndex() == self.y_combo.currentIndex():
            return "Show two different columns on the axes."
        incomplete = self.incomplete_count()
        if incomplete and not self.drop_check.isChecked():
            return "EM needs complete rows: drop the incomplete rows or untick their columns."
        if incomplete == self.info.n_rows:
            return "Every row has a missing value in the ticked columns."
        return None

    def _update_status(self) -> None:
        incomplete = self.incomplete_count()
        rows = "row" if incomplete == 1 else "rows"
        self.drop_check.setText(
            f"Drop the {incomplete} {rows} with missing or non-finite values"
            if incomplete
            else "No rows with missing values in the ticked columns"
        )
        self.drop_check.setEnabled(incomplete > 0)
        problem = self._problem()
        kept = self.info.n_rows - incomplete
        ok = f"{kept} points in {len(self.selected_columns())} dimensions."
        show_status(self.status, self.buttons, problem, ok)
        self.choiceChanged.emit()

    def choice(self) -> ImportChoice | None:
        """The current choice, or None while it is not valid."""
        if self._problem() is not None:
            return None
        return ImportChoice(
            columns=self.selected_columns(),
            axes=(self.x_combo.currentIndex(), self.y_combo.currentIndex()),
            drop_incomplete=self.drop_check.isChecked() or self.incomplete_count() == 0,
        )

    def points(self) -> PointTable:
        """Read the chosen columns (raises `DataFileError` like `TableInfo.select`)."""
        choice = self.choice()
        if choice is None:
            raise ValueError("the import choice is not complete")
        return self.info.select(choice.columns, drop_incomplete=choice.drop_incomplete)

    def accept(self) -> None:
        """Close with Accepted, only for a valid choice."""
        if self.choice() is not None:
            super().accept()


def import_dialog_needed(info: TableInfo) -> bool:
    """True when importing ``info`` shows the dialog: a choice to make, or reader notes (a
    file that is not UTF-8, decimal commas, ...) the user should see before the points
    replace the document."""
    return bool(info.notes) or import_choice_needed(info)


def ask_import(
    info: TableInfo, parent: QWidget | None = None
) -> tuple[PointTable, tuple[int, int]] | None:
    """Import ``info``: directly when the choice is obvious, else through `ImportDialog`.

    Returns
    -------
    (PointTable, axes) or None
        ``axes`` are the positions of the two shown columns within the table's columns;
        None if the user cancelled.
    """
    if not import_dialog_needed(info):
        return info.select(), (0, 1)
    dialog = ImportDialog(info, parent)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.points(), dialog.choice().axes
    finally:
        dialog.deleteLater()
