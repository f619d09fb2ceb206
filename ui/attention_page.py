"""Needs attention: conflicts to resolve and changes the server refused. Nothing here is
ever dropped without the rep deciding so. Below them, for support, rows from the server
this device could not store (the sync went on without them)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from db.labels import field_label, plural
from ui.account_pane import make_table, section_title
from ui.correction_dialog import CorrectionDialog
from ui.models.table import Column, RowTableModel
from ui.tasks import Runner

if TYPE_CHECKING:  # the desk imports SQLAlchemy, which the GUI thread never needs
    from db.attention import AttentionDesk, ConflictItem, RejectedItem, SetAsideItem
    from db.changes import Changes


def _values(fields: dict[str, Any]) -> str:
    return ", ".join(f"{field_label(k)}: {v}" for k, v in fields.items() if v not in (None, ""))


# What a refused change was, in words.
_OPS = {"create": "New", "set_fields": "Edit of", "revise": "Edit of", "delete": "Deletion of"}


def _change(r: RejectedItem) -> str:
    what = r.record or r.entity.replace("_", " ")
    return f"{_OPS.get(r.op, r.op.replace('_', ' '))} {what[:1].lower()}{what[1:]}"


def _shown(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


CONFLICT_COLUMNS: list[Column[ConflictItem]] = [
    Column("Record", lambda c: c.record or c.entity, tooltip=lambda c: c.record),
    Column("Field", lambda c: field_label(c.field)),
    Column("Your value", lambda c: _shown(c.mine), tooltip=lambda c: _shown(c.mine)),
    Column("Kept on the server", lambda c: _shown(c.theirs), tooltip=lambda c: _shown(c.theirs)),
    Column(
        "Why",
        lambda c: "deleted meanwhile" if c.kind == "edited_after_delete" else "changed on both",
    ),
]
REJECTED_COLUMNS: list[Column[RejectedItem]] = [
    Column("Change", _change, tooltip=_change),
    Column("Reason", lambda r: r.reason, tooltip=lambda r: r.reason),
    Column("Values", lambda r: _values(r.fields), tooltip=lambda r: _values(r.fields)),
]
SET_ASIDE_COLUMNS: list[Column[SetAsideItem]] = [
    Column("Record", lambda r: r.entity.replace("_", " ")),
    Column("Id", lambda r: str(r.id)),
    Column("Why it could not be stored", lambda r: r.reason, tooltip=lambda r: r.reason),
]


class AttentionPage(QWidget):
    """Two lists with the rep's choices for each item."""

    count_changed = Signal(int)

    def __init__(self, runner: Runner, desk: AttentionDesk, parent: QWidget | None = None):
        super().__init__(parent)
        self._runner = runner
        self._desk = desk
        self._generation = 0
        self.conflicts: RowTableModel[ConflictItem] = RowTableModel(CONFLICT_COLUMNS, self)
        self.rejected: RowTableModel[RejectedItem] = RowTableModel(REJECTED_COLUMNS, self)
        self.conflict_table = make_table(self.conflicts, stretch_column=4)
        self.rejected_table = make_table(self.rejected, stretch_column=2)
        self.set_aside: RowTableModel[SetAsideItem] = RowTableModel(SET_ASIDE_COLUMNS, self)
        self.set_aside_table = make_table(self.set_aside, stretch_column=2)

        self.keep_theirs = QPushButton("Keep the server's value")
        self.use_mine = QPushButton("Use my value")
        self.retry = QPushButton("Send again")
        self.edit = QPushButton("Correct…")
        self.edit.setToolTip("Change the refused values, then send them again")
        self.discard = QPushButton("Discard my change")
        self.copy = QPushButton("Copy details")
        self.copy_set_aside = QPushButton("Copy for support")
        self.copy_set_aside.setToolTip("The row as the server sent it, to send to your admin")
        self._summary = QLabel()
        self._summary.setObjectName("subtitle")

        conflict_buttons = QHBoxLayout()
        for button in (self.keep_theirs, self.use_mine):
            conflict_buttons.addWidget(button)
        conflict_buttons.addStretch()
        rejected_buttons = QHBoxLayout()
        for button in (self.retry, self.edit, self.discard, self.copy):
            rejected_buttons.addWidget(button)
        rejected_buttons.addStretch()

        title = QLabel("Needs attention")
        title.setObjectName("pageTitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(title)
        layout.addWidget(self._summary)
        layout.addWidget(section_title("Conflicts: both you and someone else changed this"))
        layout.addWidget(self.conflict_table, stretch=1)
        layout.addLayout(conflict_buttons)
        layout.addWidget(section_title("Changes the server refused"))
        layout.addWidget(self.rejected_table, stretch=1)
        layout.addLayout(rejected_buttons)
        # Shown only when there are any: nothing for the rep to do but tell support.
        self._set_aside_title = section_title(
            "From the server, not stored on this device (tell your admin)"
        )
        set_aside_buttons = QHBoxLayout()
        set_aside_buttons.addWidget(self.copy_set_aside)
        set_aside_buttons.addStretch()
        self._set_aside_box = QWidget()
        box = QVBoxLayout(self._set_aside_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self._set_aside_title)
        box.addWidget(self.set_aside_table, stretch=1)
        box.addLayout(set_aside_buttons)
        self._set_aside_box.setVisible(False)
        layout.addWidget(self._set_aside_box, stretch=1)

        self.keep_theirs.clicked.connect(lambda: self._resolve(use_mine=False))
        self.use_mine.clicked.connect(lambda: self._resolve(use_mine=True))
        self.retry.clicked.connect(lambda: self._settle(self._desk.retry))
        self.discard.clicked.connect(lambda: self._settle(self._desk.discard))
        self.edit.clicked.connect(self._on_edit_clicked)
        self.copy.clicked.connect(self._on_copy_clicked)
        self.copy_set_aside.clicked.connect(self._on_copy_set_aside_clicked)
        runner.data_changed.connect(self._on_runner_data_changed)
        self.conflict_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.rejected_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.set_aside_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self._update_buttons()

    def refresh(self) -> None:
        # Only the newest load is shown (and counted): an older one may finish later.
        self._generation += 1
        generation = self._generation
        self._runner.read(
            lambda: (self._desk.conflicts(), self._desk.rejected(), self._desk.set_aside()),
            lambda loaded: self._on_loaded(generation, loaded),
        )

    @Slot(object)
    def _on_runner_data_changed(self, changes: Changes) -> None:
        if any(changes.touches(t) for t in ("conflict", "outbox", "set_aside_row")):
            self.refresh()

    def _on_loaded(
        self,
        generation: int,
        loaded: tuple[list[ConflictItem], list[RejectedItem], list[SetAsideItem]],
    ) -> None:
        if generation != self._generation:
            return
        conflicts, rejected, set_aside = loaded
        self.conflicts.set_rows(conflicts)
        self.rejected.set_rows(rejected)
        self.set_aside.set_rows(set_aside)
        self._set_aside_box.setVisible(bool(set_aside))
        for table in (self.conflict_table, self.rejected_table, self.set_aside_table):
            table.resizeColumnsToContents()
        # Rows set aside are support's to settle, not the rep's: they do not count here.
        total = len(conflicts) + len(rejected)
        summary = (
            "Nothing needs your attention."
            if not total
            else f"{plural(len(conflicts), 'conflict')} and "
            f"{plural(len(rejected), 'refused change')}."
        )
        if set_aside:
            rows = plural(len(set_aside), "row")
            summary += f" {rows} from the server could not be stored."
        self._summary.setText(summary)
        self._update_buttons()
        self.count_changed.emit(total)

    def _selected(self, table: Any, model: RowTableModel[Any]) -> Any | None:
        rows = table.selectionModel().selectedRows()
        return model.row_at(rows[0].row()) if rows else None

    def _resolve(self, use_mine: bool) -> None:
        item = self._selected(self.conflict_table, self.conflicts)
        if item is not None:
            # The runner's data_changed brings the refresh.
            self._runner.write(lambda: self._desk.resolve(item.id, use_mine))

    def _settle(self, action: Any) -> None:
        item = self._selected(self.rejected_table, self.rejected)
        if item is not None:
            self._runner.write(lambda: action(item.seq))

    @Slot()
    def _on_edit_clicked(self) -> None:
        item = self._selected(self.rejected_table, self.rejected)
        if item is None or not item.fields:
            return
        title = f"{item.entity.replace('_', ' ').capitalize()} {item.op.replace('_', ' ')}"
        dialog = self.make_correction_dialog(title, item.reason, item.fields)
        accepted = dialog.exec()
        corrected = dialog.corrected
        dialog.deleteLater()  # one per click: freed, not kept under the page
        if accepted and corrected:
            self._runner.write(lambda: self._desk.retry(item.seq, corrected))

    def make_correction_dialog(
        self, title: str, reason: str, fields: dict[str, Any]
    ) -> CorrectionDialog:
        """The dialog the Correct button opens (tests fill it in instead of a person)."""
        return CorrectionDialog(title, reason, fields, self)

    @Slot()
    def _on_copy_clicked(self) -> None:
        item = self._selected(self.rejected_table, self.rejected)
        if item is not None:
            details = {
                "change": f"{item.entity}.{item.op}",
                "id": str(item.entity_id),
                "values": item.fields,
                "reason": item.reason,
            }
            QGuiApplication.clipboard().setText(json.dumps(details, ensure_ascii=False, indent=2))

    @Slot()
    def _on_copy_set_aside_clicked(self) -> None:
        item = self._selected(self.set_aside_table, self.set_aside)
        if item is not None:
            details = {
                "record": item.entity,
                "id": str(item.id),
                "server_version": item.version,
                "reason": item.reason,
                "data": item.data,
            }
            QGuiApplication.clipboard().setText(json.dumps(details, ensure_ascii=False, indent=2))

    @Slot()
    def _update_buttons(self, *_args: Any) -> None:
        has_conflict = self._selected(self.conflict_table, self.conflicts) is not None
        has_rejected = self._selected(self.rejected_table, self.rejected) is not None
        for button in (self.keep_theirs, self.use_mine):
            button.setEnabled(has_conflict)
        for button in (self.retry, self.discard, self.copy):
            button.setEnabled(has_rejected)
        self.copy_set_aside.setEnabled(
            self._selected(self.set_aside_table, self.set_aside) is not None
        )
        selected = self._selected(self.rejected_table, self.rejected)
        self.edit.setEnabled(selected is not None and bool(selected.fields))
