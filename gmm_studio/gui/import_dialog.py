"""The import dialog: choose which columns of a data file to fit and which two to show."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from html import escape

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
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gmm_studio.gui.dialog_parts import ok_cancel_buttons, show_status, status_label
from gmm_studio.gui.document import default_axes
from gmm_studio.io import DataFileError, PointTable, ReadOptions, TableInfo, inspect_table

PREVIEW_SHOWN = 10


@dataclass(frozen=True)
class ImportChoice:
    """What the user chose in the import dialog.

    Attributes
    ----------
    columns : list of int
        Indices (among the file's columns) of the columns to fit, one or more, in file order.
    axes : tuple of int
        Positions within ``columns`` of the columns shown on the horizontal and vertical axes
        (``(0, 0)`` for one column: the histogram view).
    drop_incomplete : bool
        Drop rows with missing or non-finite values in the chosen columns.
    labels : int or None
        The column of true labels, if any.
    weights : int or None
        The column of sample weights, if any.
    standardize : bool
        Fit on z-scored columns.
    """

    columns: list[int]
    axes: tuple[int, int]
    drop_incomplete: bool = True
    labels: int | None = None
    weights: int | None = None
    standardize: bool = False


def import_choice_needed(info: TableInfo) -> bool:
    """Whether to ask the user before importing: more than two numeric columns, non-numeric
    columns, index or label columns, numeric columns with stray text, or rows with missing
    values."""
    return (
        len(info.numeric_columns) > 2
        or not all(info.numeric)
        or bool(info.index_columns or info.label_columns)
        or bool(info.column_problems)
        or info.incomplete_count() > 0
    )


class ImportDialog(QDialog):
    """Preview a table and choose how to read it, the columns to fit, the two axes, true
    labels, and incomplete-row handling.

    Parameters
    ----------
    info : TableInfo
        From `gmm_studio.io.inspect_table` (or `inspect_pasted_text`).
    parent : QWidget, optional
    offer_weights : bool
        Offer a column of sample weights.
    offer_standardize : bool
        Offer to fit on z-scored columns (the fit setting ``standardize``).
    standardize : bool
        Whether that option starts ticked (the document's current setting).

    Notes
    -----
    After ``exec()`` returns ``Accepted``, `choice` holds the selection and `points` reads it.
    OK is enabled only for a valid choice; a line under the options says what is missing.
    For a file, the header row and the first data row can be set: the file is read again.
    Column names are edited in the row of names above the preview.
    """

    choiceChanged = Signal()

    def __init__(
        self,
        info: TableInfo,
        parent: QWidget | None = None,
        *,
        offer_weights: bool = False,
        offer_standardize: bool = False,
        standardize: bool = False,
    ):
        super().__init__(parent)
        self.info = info
        self.read_problem: str | None = None
        name = info.source.name if info.source is not None else "pasted text"
        self.setWindowTitle(f"Import {name}")
        self.setObjectName("importDialog")
        self._name = name

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setObjectName("summary")

        self.header_spin = QSpinBox()
        self.header_spin.setObjectName("headerRow")
        self.header_spin.setSpecialValueText("none")
        self.data_spin = QSpinBox()
        self.data_spin.setObjectName("firstDataRow")
        for spin in (self.header_spin, self.data_spin):
            spin.setRange(0, 1_000_000)
            spin.setKeyboardTracking(False)
            spin.setMinimumWidth(90)
        self.data_spin.setMinimum(1)
        rows_box = QGroupBox("Rows")
        rows_box.setObjectName("rowsBox")
        rows_line = QHBoxLayout(rows_box)
        rows_line.addWidget(QLabel("Header row (0: none):"))
        rows_line.addWidget(self.header_spin)
        rows_line.addSpacing(24)
        rows_line.addWidget(QLabel("First data row:"))
        rows_line.addWidget(self.data_spin)
        self.sheet_combo = QComboBox()
        self.sheet_combo.setObjectName("sheet")
        self.sheet_combo.addItems(info.spec.sheets)
        self.sheet_combo.setCurrentText(info.spec.sheet or "")
        sheet_label = QLabel("Sheet:")
        for widget in (sheet_label, self.sheet_combo):
            widget.setVisible(len(info.spec.sheets) > 1)
        rows_line.addSpacing(24)
        rows_line.addWidget(sheet_label)
        rows_line.addWidget(self.sheet_combo)
        self.sheet_combo.currentIndexChanged.connect(self._change_sheet)
        rows_line.addStretch(1)
        rows_box.setVisible(info.source is not None and info.lines is not None)
        self._show_rows()
        self.header_spin.valueChanged.connect(self._reread)
        self.data_spin.valueChanged.connect(self._reread)

        self._column_names: list[str] = []  # as edited in the row of names
        self.names = QTableWidget(1, 0)
        self.names.setObjectName("names")
        self.names.setVerticalHeaderLabels(["name"])
        self.names.horizontalHeader().hide()
        self.names.itemChanged.connect(self._rename)
        self.preview = QTableWidget()
        self.preview.setObjectName("preview")
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.preview.horizontalScrollBar().valueChanged.connect(
            self.names.horizontalScrollBar().setValue
        )

        self.fit_box = QGroupBox("Columns to fit (one or more)")
        self.fit_layout = QGridLayout(self.fit_box)
        self.fit_checks: dict[int, QCheckBox] = {}

        self.labels_combo = QComboBox()
        self.labels_combo.setObjectName("labelsColumn")
        self.weights_combo = QComboBox()
        self.weights_combo.setObjectName("weightsColumn")
        self.standardize_check = QCheckBox("Fit on standardized columns (z-scores)")
        self.standardize_check.setObjectName("standardize")
        self.standardize_check.setToolTip(
            "EM runs on each column minus its mean, divided by its standard deviation; "
            "everything is shown in the original units"
        )
        self.standardize_check.setVisible(offer_standardize)
        self.standardize_check.setChecked(offer_standardize and standardize)
        self.labels_combo.currentIndexChanged.connect(self._roles_changed)
        self.weights_combo.currentIndexChanged.connect(self._roles_changed)
        self.standardize_check.toggled.connect(self._update_status)

        self.x_combo = QComboBox()
        self.x_combo.setObjectName("xAxis")
        self.y_combo = QComboBox()
        self.y_combo.setObjectName("yAxis")
        self.x_combo.currentIndexChanged.connect(self._update_status)
        self.y_combo.currentIndexChanged.connect(self._update_status)
        axes = QFormLayout()
        axes.addRow("Horizontal axis:", self.x_combo)
        axes.addRow("Vertical axis:", self.y_combo)
        roles = QFormLayout()
        roles.addRow("True labels:", self.labels_combo)
        weights_label = QLabel("Sample weights:")
        roles.addRow(weights_label, self.weights_combo)
        weights_label.setVisible(offer_weights)
        self.weights_combo.setVisible(offer_weights)

        self.drop_check = QCheckBox()
        self.drop_check.setObjectName("dropIncomplete")
        self.drop_check.setChecked(True)
        self.drop_check.toggled.connect(self._update_status)

        self.status = status_label()
        self.buttons = ok_cancel_buttons(self, "Import")

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(rows_box)
        layout.addWidget(self.names)
        layout.addWidget(self.preview, stretch=1)
        layout.addWidget(self.fit_box)
        row = QHBoxLayout()
        row.addLayout(axes)
        row.addSpacing(24)
        row.addLayout(roles)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.standardize_check)
        layout.addWidget(self.drop_check)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(680, 600)
        self._populate()

    # -- building -----------------------------------------------------------------------

    def _populate(self) -> None:
        """Fill the preview, names, column choices and role menus from `info`."""
        info = self.info
        self.summary.setText(self._summary_text())
        self._fill_preview()
        self._fill_names()
        for check in self.fit_checks.values():
            self.fit_layout.removeWidget(check)
            check.deleteLater()
        self.fit_checks = {}
        roles = set(info.index_columns) | set(info.label_columns)
        for n, index in enumerate(info.numeric_columns):
            check = QCheckBox(self._check_text(index, info.columns[index]))
            check.setObjectName(f"fit_{index}")
            problem = info.column_problems.get(index)
            if problem:
                check.setEnabled(False)
                check.setToolTip(problem)
            else:
                check.setChecked(index not in roles)
            check.toggled.connect(self._update)
            self.fit_layout.addWidget(check, n // 3, n % 3)
            self.fit_checks[index] = check
        for combo, candidates, default in (
            (self.labels_combo, self._label_candidates(), next(iter(info.label_columns), None)),
            (self.weights_combo, info.numeric_columns, None),
        ):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("none", None)
            for index in candidates:
                combo.addItem(info.columns[index], index)
            combo.setCurrentIndex(max(combo.findData(default), 0))
            combo.blockSignals(False)
        self._update()

    def _label_candidates(self) -> list[int]:
        info = self.info
        others = [i for i in range(len(info.columns)) if i not in info.label_columns]
        return [*info.label_columns, *others]

    def _check_text(self, index: int, name: str) -> str:
        info = self.info
        if index in info.column_problems:
            return f"{name} (has text)"
        if index in info.index_columns:
            return f"{name} (index)"
        if index in info.label_columns:
            return f"{name} (labels)"
        return name

    def _summary_text(self) -> str:
        info = self.info
        numeric = len(info.numeric_columns)
        text = (
            f"<b>{escape(self._name)}</b>: {info.n_rows} rows, {len(info.columns)} columns "
            f"({numeric} numeric)."
        )
        skipped = [c for c, is_num in zip(info.columns, info.numeric, strict=True) if not is_num]
        if skipped:
            text += f" Text columns, not fitted: {escape(', '.join(skipped))}."
        for note in info.notes:
            text += f"<br>Note: {escape(note, quote=False)}."
        for note in info.role_notes():
            text += f"<br>Note: {escape(note, quote=False)}."
        return text

    def _fill_preview(self) -> None:
        info = self.info
        rows = info.preview[:PREVIEW_SHOWN]
        table = self.preview
        table.clear()
        table.setRowCount(len(rows))
        table.setColumnCount(len(info.columns))
        table.setHorizontalHeaderLabels(info.columns)
        grey = QBrush(QColor(128, 128, 128))
        for r, row in enumerate(rows):
            for c, cell in enumerate(row[: len(info.columns)]):
                item = QTableWidgetItem(cell)
                if not info.numeric[c]:
                    item.setForeground(grey)
                table.setItem(r, c, item)
        if info.lines is not None:
            word = info.line_word
            table.setVerticalHeaderLabels([f"{word} {int(n)}" for n in info.lines[: len(rows)]])
        table.resizeColumnsToContents()

    def _fill_names(self) -> None:
        info = self.info
        names = self.names
        names.blockSignals(True)
        self._column_names = list(info.columns)
        names.setColumnCount(len(info.columns))
        for c, name in enumerate(info.columns):
            names.setItem(0, c, QTableWidgetItem(name))
            names.setColumnWidth(c, self.preview.columnWidth(c))
        names.verticalHeader().setFixedWidth(self.preview.verticalHeader().sizeHint().width())
        names.setFixedHeight(names.rowHeight(0) + 2 * names.frameWidth() + 2)
        names.blockSignals(False)

    def _show_rows(self) -> None:
        info = self.info
        if info.lines is None or not len(info.lines):
            return
        for spin in (self.header_spin, self.data_spin):
            spin.blockSignals(True)
        self.header_spin.setValue(info.spec.skip_lines if info.has_header else 0)
        self.data_spin.setValue(int(info.lines[0]))
        for spin in (self.header_spin, self.data_spin):
            spin.blockSignals(False)

    def _reread(self) -> None:
        """Read the file again with the header row and first data row shown."""
        header, first = self.header_spin.value(), self.data_spin.value()
        if header:
            options = ReadOptions(skip_rows=header - 1, header=True, first_data_row=first)
        else:
            options = ReadOptions(skip_rows=first - 1, header=False)
        self._read(dataclasses.replace(options, sheet=self.info.spec.sheet))

    def _change_sheet(self) -> None:
        """Read another sheet of the workbook, its rows found afresh."""
        self._read(ReadOptions(sheet=self.sheet_combo.currentText()))

    def _read(self, options: ReadOptions) -> None:
        try:
            info = inspect_table(self.info.source, options)
        except DataFileError as error:
            self.read_problem = error.problem[:1].upper() + error.problem[1:] + "."
            self._update_status()
            return
        self.read_problem = None
        self.info = info
        self._show_rows()
        self._populate()

    # -- state --------------------------------------------------------------------------

    def _names(self) -> list[str]:
        return list(self._column_names)

    def _rename(self, item: QTableWidgetItem) -> None:
        """A name edited in the row of names: its check box and the menus follow."""
        column = item.column()
        self._column_names[column] = item.text().strip()
        check = self.fit_checks.get(column)
        if check is not None:
            check.setText(self._check_text(column, self._column_names[column]))
        self._update()

    def selected_columns(self) -> list[int]:
        """File indices of the columns ticked for fitting, in file order."""
        return [i for i, check in self.fit_checks.items() if check.isChecked()]

    def labels_column(self) -> int | None:
        """The column chosen as true labels, or None."""
        return self.labels_combo.currentData()

    def weights_column(self) -> int | None:
        """The column chosen as sample weights, or None (always None when not offered)."""
        return self.weights_combo.currentData() if self.weights_combo.isVisibleTo(self) else None

    def _roles_changed(self) -> None:
        for index in (self.labels_column(), self.weights_column()):
            check = self.fit_checks.get(index)
            if check is not None:
                check.setChecked(False)
        self._update()

    def _update(self) -> None:
        used = {self.labels_column(), self.weights_column()}
        for index, check in self.fit_checks.items():
            check.setEnabled(index not in used and index not in self.info.column_problems)
        chosen = self.selected_columns()
        all_names = self._names()
        for combo, default in ((self.x_combo, 0), (self.y_combo, 1)):
            previous = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            for index in chosen:
                combo.addItem(all_names[index], index)
            if previous in chosen:
                combo.setCurrentIndex(chosen.index(previous))
            elif default < len(chosen):
                combo.setCurrentIndex(default)
            combo.blockSignals(False)
        if self.x_combo.currentIndex() == self.y_combo.currentIndex() and len(chosen) >= 2:
            self.y_combo.setCurrentIndex(1 if self.x_combo.currentIndex() == 0 else 0)
        self.y_combo.setEnabled(len(chosen) >= 2)  # one column: a histogram, no vertical axis
        self._update_status()

    def incomplete_count(self) -> int:
        """Rows with a missing or non-finite value in the ticked columns (and weights)."""
        weights = self.weights_column()
        extra = [] if weights is None else [weights]
        return self.info.incomplete_count([*self.selected_columns(), *extra])

    def _problem(self) -> str | None:
        if self.read_problem is not None:
            return self.read_problem
        names = self._names()
        if not all(names):
            return "Every column needs a name."
        if len(set(names)) != len(names):
            return "Two columns have the same name."
        chosen = self.selected_columns()
        if not chosen:
            return "Tick at least one column to fit."
        if len(chosen) >= 2 and self.x_combo.currentIndex() == self.y_combo.currentIndex():
            return "Show two different columns on the axes."
        incomplete = self.incomplete_count()
        if incomplete and not self.drop_check.isChecked():
            return "EM needs complete rows: drop the incomplete rows or untick their columns."
        if incomplete == self.info.n_rows:
            return "Every row has a missing value in the ticked columns."
        if self.weights_column() is not None:
            try:
                self.points()  # checks the weights
            except DataFileError as error:
                return error.problem[:1].upper() + error.problem[1:] + "."
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
        if self.labels_column() is not None:
            ok += f" True labels: {self._column_names[self.labels_column()]}."
        show_status(self.status, self.buttons, problem, ok)
        self.choiceChanged.emit()

    def choice(self) -> ImportChoice | None:
        """The current choice, or None while it is not valid."""
        if self._problem() is not None:
            return None
        return self._current()

    def _current(self) -> ImportChoice:
        return ImportChoice(
            columns=self.selected_columns(),
            axes=(self.x_combo.currentIndex(), max(self.y_combo.currentIndex(), 0)),
            drop_incomplete=self.drop_check.isChecked() or self.incomplete_count() == 0,
            labels=self.labels_column(),
            weights=self.weights_column(),
            standardize=self.standardize_check.isChecked(),
        )

    def points(self) -> PointTable:
        """Read the chosen columns under their (edited) names (raises `DataFileError` like
        `TableInfo.select`, and ValueError for names that are blank or repeated)."""
        choice = self._current()
        return self.info.renamed(self._names()).select(
            choice.columns,
            drop_incomplete=choice.drop_incomplete,
            weights=choice.weights,
            labels=choice.labels,
        )

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
    info: TableInfo,
    parent: QWidget | None = None,
    *,
    offer_weights: bool = False,
    standardize: bool | None = None,
) -> tuple[PointTable, tuple[int, int], bool | None] | None:
    """Import ``info``: directly when the choice is obvious, else through `ImportDialog`.

    ``standardize``, when given, is offered in the dialog, ticked or not as given.

    Returns
    -------
    (PointTable, axes, standardize) or None
        ``axes`` are the positions of the two shown columns within the table's columns;
        ``standardize`` is the choice (as given when no dialog was shown). None if the user
        cancelled.
    """
    if not import_dialog_needed(info):
        table = info.select()
        return table, default_axes(table.n_features), standardize
    dialog = ImportDialog(
        info, parent, offer_weights=offer_weights, offer_standardize=standardize is not None,
        standardize=bool(standardize),
    )  # fmt: skip
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        choice = dialog.choice()
        chosen = choice.standardize if standardize is not None else None
        return dialog.points(), choice.axes, chosen
    finally:
        dialog.deleteLater()
