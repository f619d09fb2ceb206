"""Leads from marketing: accept or reject each (a reason from the fixed list, and words),
then say how it ended. What the rep decides goes back to marketing with the next sync."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.enums import LeadOutcome, LeadStatus, RejectReason
from db.errors import in_words
from ui.account_pane import TableOrEmpty, make_table, section_title
from ui.models.leads import LeadTableModel
from ui.tasks import Runner
from ui.undo_bar import UndoBar, UndoOffer, shorten

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.changes import Changes
    from db.field.leads import LeadCounts, LeadDesk, LeadRow

log = logging.getLogger(__name__)

# Columns fit the rows in view and this many more, never thousands read through Python.
SIZED_ROWS = 50


class LeadsPage(QWidget):
    """The rep's leads: new ones first, then accepted ones waiting for an outcome."""

    account_requested = Signal(uuid.UUID)
    loaded = Signal(int)

    def __init__(self, runner: Runner, desk: LeadDesk, parent: QWidget | None = None):
        super().__init__(parent)
        self._runner = runner
        self._desk = desk
        self._reselect: uuid.UUID | None = None  # a lead just put back, to select once shown
        self._was: uuid.UUID | None = None  # the lead selected when the rows went
        self._sized = False  # columns fitted to their contents yet
        self.model = LeadTableModel(runner, desk, self)
        self.model.modelAboutToBeReset.connect(self._on_model_about_to_be_reset)
        self.model.reloaded.connect(self._on_model_reloaded)
        self.model.counts_loaded.connect(self._on_model_counts_loaded)
        self.model.loaded.connect(self.loaded)
        title = QLabel("Leads from marketing")
        title.setObjectName("pageTitle")
        self._summary = section_title("")
        self.show_settled = QCheckBox("Show rejected and finished")
        self.show_settled.toggled.connect(self._on_show_settled_toggled)
        header = QHBoxLayout()
        header.addWidget(self._summary, stretch=1)
        header.addWidget(self.show_settled)

        self.table = make_table(self.model, stretch_column=5)
        self.table.setSortingEnabled(False)
        self.table.horizontalHeader().setResizeContentsPrecision(SIZED_ROWS)
        self.table.activated.connect(
            lambda index: self.account_requested.emit(self.model.row_at(index.row()).account_id)
        )
        self.table.selectionModel().currentRowChanged.connect(self._update_buttons)
        self.accept_button = QPushButton("Accept")
        self.accept_button.setToolTip("Take it on (A)")
        self.accept_button.clicked.connect(lambda: self.ask(ACCEPT))
        self.reject_button = QPushButton("Reject…")
        self.reject_button.setToolTip("Turn it down, saying why (R)")
        self.reject_button.clicked.connect(lambda: self.ask(REJECT))
        self.outcome_button = QPushButton("Outcome…")
        self.outcome_button.setToolTip("Won, lost or no decision (O)")
        self.outcome_button.clicked.connect(lambda: self.ask(OUTCOME))
        actions = QHBoxLayout()
        for button in (self.accept_button, self.reject_button, self.outcome_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(QLabel("Enter opens the account"))
        self._body = TableOrEmpty(
            self.table, "No leads waiting for you. Marketing's next ones arrive with a sync."
        )
        self.undo_bar = UndoBar(self)  # a lead just accepted or rejected, for a few seconds

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(title)
        layout.addLayout(header)
        layout.addWidget(self._body, stretch=1)
        layout.addLayout(actions)
        layout.addWidget(self.undo_bar)
        # Each key works exactly when its button does (O never opens a form for a lead
        # not accepted, to refuse it once filled in).
        self._buttons = {
            ACCEPT: self.accept_button,
            REJECT: self.reject_button,
            OUTCOME: self.outcome_button,
        }
        self._shortcuts = {
            kind: QShortcut(QKeySequence(key), self.table, lambda k=kind: self.ask(k))
            for key, kind in (("A", ACCEPT), ("R", REJECT), ("O", OUTCOME))
        }
        self._update_buttons()

    def refresh(self) -> None:
        """Reads the list again (its first page, or down to the selected lead) and its
        counts; the lead selected stays selected."""
        self.model.refresh(self._keep())

    def _keep(self) -> uuid.UUID | None:
        was = self.selected()
        return self._reselect or (was.id if was is not None else None)

    @Slot(bool)
    def _on_show_settled_toggled(self, checked: bool) -> None:
        self.model.set_include_settled(checked, self._keep())

    @Slot()
    def _on_model_about_to_be_reset(self) -> None:
        was = self.selected()
        self._was = was.id if was is not None else None

    @Slot(int)
    def _on_model_reloaded(self, rows: int) -> None:
        keep = self._reselect or self._was
        self._reselect = self._was = None
        self._body.show_rows(rows > 0)
        if rows and not self._sized:
            # Once, from the first rows (SIZED_ROWS of them): a reload keeps the widths the
            # rep sees, or has dragged.
            self._sized = True
            self.table.resizeColumnsToContents()
            self.table.horizontalHeader().setStretchLastSection(True)
        if rows:  # the lead the rep was on stays selected (just accepted, or put back)
            same = self.model.row_of(keep)
            self.table.selectRow(same if same is not None else 0)
        self._update_buttons()

    @Slot(object)
    def _on_model_counts_loaded(self, counts: LeadCounts) -> None:
        self._summary.setText(f"{counts.new} new · {counts.open} accepted, waiting for an outcome")

    def selected(self) -> LeadRow | None:
        current = self.table.currentIndex()
        return self.model.row_at(current.row()) if current.isValid() else None

    @Slot()
    def _update_buttons(self, *_args: QModelIndex) -> None:
        row = self.selected()
        can_decide = row is not None and row.outcome is None
        accepted = row is not None and row.status is LeadStatus.ACCEPTED
        self.accept_button.setEnabled(can_decide and not accepted)
        self.reject_button.setEnabled(can_decide)
        self.outcome_button.setEnabled(accepted)
        for kind, shortcut in self._shortcuts.items():
            shortcut.setEnabled(self._buttons[kind].isEnabled())

    def ask(self, kind: str) -> None:
        """Opens the feedback dialog for the selected lead (accept, reject or outcome)."""
        row = self.selected()
        if row is None or not self._buttons[kind].isEnabled():
            return
        self.dialog = LeadDialog(kind, row, self)
        self.dialog.decided.connect(self._write)
        self.dialog.open()

    def _write(self, kind: str, lead_id: uuid.UUID, choice: str, words: str) -> None:
        desk = self._desk
        at = self.model.row_of(lead_id)
        row = self.model.row_at(at) if at is not None else None

        def write() -> Changes:
            if kind == ACCEPT:
                return desk.accept(lead_id, words)
            if kind == REJECT:
                return desk.reject(lead_id, RejectReason(choice), words)
            return desk.record_outcome(lead_id, LeadOutcome(choice), words)

        def written(_changes: Changes) -> None:
            self.refresh()
            if kind in (ACCEPT, REJECT) and row is not None:
                name = shorten(row.contact_name or row.account_name)
                said = "accepted" if kind == ACCEPT else "rejected"
                self.undo_bar.offer(
                    UndoOffer(f"Lead {name} {said}", lambda: self.undo_decision(lead_id))
                )

        self._runner.write(write, written, self._on_write_failed)

    def undo_decision(self, lead_id: uuid.UUID) -> None:
        """Puts an accepted or rejected lead back to new, and selects it again."""
        desk = self._desk

        def written(_changes: Changes) -> None:
            self._reselect = lead_id
            self.refresh()

        self._runner.write(lambda: desk.undo_decision(lead_id), written, self._on_write_failed)

    def _on_write_failed(self, exc: Exception) -> None:
        log.error("recording a lead decision failed", exc_info=exc)
        QMessageBox.warning(self, "Lead", in_words(exc, "recording the decision"))


ACCEPT, REJECT, OUTCOME = "accept", "reject", "outcome"


class LeadDialog(QDialog):
    """Accept (a note), reject (a reason and words) or an outcome (won/lost/none, why);
    freed once closed."""

    decided = Signal(str, uuid.UUID, str, str)  # kind, lead, choice, words

    def __init__(self, kind: str, row: LeadRow, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.kind = kind
        self.row = row
        titles = {ACCEPT: "Accept lead", REJECT: "Reject lead", OUTCOME: "How did it end?"}
        self.setWindowTitle(titles[kind])
        self.resize(460, 260)
        about = QLabel(
            f"<b>{row.contact_name or row.account_name}</b> · {row.account_name}<br>"
            f"from “{row.campaign}”"
        )
        self.choice = QComboBox()
        # Nothing chosen for the rep: a reason is theirs to pick (OK waits for one).
        self.choice.addItem("Choose…", None)
        if kind == REJECT:
            for reason in RejectReason:
                self.choice.addItem(reason.label, reason.value)
        elif kind == OUTCOME:
            for outcome in LeadOutcome:
                self.choice.addItem(outcome.label, outcome.value)
        self.words = QPlainTextEdit()
        self.words.setPlaceholderText(
            {ACCEPT: "Anything marketing should know (optional)",
             REJECT: "What marketing should know (needed for “Other”)",
             OUTCOME: "Why (needed when lost)"}[kind]
        )  # fmt: skip
        form = QFormLayout()
        form.addRow(about)
        if kind != ACCEPT:
            form.addRow("Reason:" if kind == REJECT else "Outcome:", self.choice)
        form.addRow("Note:", self.words)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        if kind != ACCEPT:
            self.choice.currentIndexChanged.connect(self._on_choice_current_index_changed)
            self._on_choice_current_index_changed()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    @Slot()
    def _on_choice_current_index_changed(self, *_args: int) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.choice.currentData() is not None)

    def _ok(self) -> None:
        if self.kind != ACCEPT and self.choice.currentData() is None:
            return
        choice = str(self.choice.currentData() or "")
        self.decided.emit(self.kind, self.row.id, choice, self.words.toPlainText())
        self.accept()
