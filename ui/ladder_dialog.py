"""Moving an account on the relationship ladder: choose a rung, say why; its history below.

The same dialog is the read-only view of the history: Cancel leaves everything as it was.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from db.changes import Changes
from db.dates import clock, day_and_time, day_short
from db.enums import LadderRung
from db.errors import in_words
from ui.account_pane import make_table, section_title
from ui.models.table import Column, RowTableModel
from ui.rungs import rung_icon, step_words
from ui.screen_fit import fit_to_screen
from ui.tasks import Runner
from ui.undo_bar import UndoOffer

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.field.ladder import Ladder, LadderStanding, LadderStep

log = logging.getLogger(__name__)

TOP_DOWN = list(reversed(LadderRung))  # shown like a ladder: partner at the top


def _when(step: LadderStep) -> str:
    return f"{day_short(step.changed_at)}, {clock(step.changed_at)}"


def _move(step: LadderStep) -> str:
    if step.from_rung is None:
        return f"Placed on {step.to_rung.label}"
    arrow = "↑" if step.is_up else "↓"
    return f"{arrow} {step.from_rung.label} → {step.to_rung.label}"


HISTORY_COLUMNS: list[Column[LadderStep]] = [
    Column("When", _when, tooltip=lambda s: day_and_time(s.changed_at)),
    Column(
        "Move",
        _move,
        decoration=lambda s: rung_icon(s.to_rung),
        tooltip=lambda s: step_words(s.from_rung, s.to_rung) if s.from_rung else "",
    ),
    Column("Reason", lambda s: s.reason or "", tooltip=lambda s: s.reason or ""),
    Column("By", lambda s: s.changed_by or "this device"),
]


class LadderDialog(QDialog):
    """Shows an account's rung and ladder history and moves it, through the runner.

    One per window, reused: `show_account` resets it for the account and opens it."""

    loaded = Signal()  # the account's standing is on screen
    moved = Signal(object)  # Changes, once the move is in the store
    # UndoOffer: the move just stored and how to take it back. The dialog closes on a move,
    # so the window shows the offer (UndoBar.offer) in its own undo bar.
    undo_offered = Signal(object)

    def __init__(self, runner: Runner, ladder: Ladder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._ladder = ladder
        self._generation = 0
        self._saving = False
        self.account_id: uuid.UUID | None = None
        self.standing: LadderStanding | None = None
        self.setWindowTitle("Relationship ladder")

        self._name = QLabel("Loading…")
        self._name.setObjectName("accountName")
        self._now = QLabel()
        self._now.setObjectName("subtitle")

        rungs_box = QGroupBox("Move to")
        grid = QGridLayout(rungs_box)
        grid.setHorizontalSpacing(24)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        self.rungs = QButtonGroup(self)
        self.rung_buttons: dict[LadderRung, QRadioButton] = {}
        self._steps: dict[LadderRung, QLabel] = {}
        for row, rung in enumerate(TOP_DOWN):
            button = QRadioButton(rung.label)
            button.setIcon(rung_icon(rung))
            self.rungs.addButton(button, rung.step)
            self.rung_buttons[rung] = button
            steps = QLabel()
            steps.setObjectName("subtitle")
            self._steps[rung] = steps
            grid.addWidget(button, row, 0)
            grid.addWidget(steps, row, 1)
        self.rungs.idToggled.connect(self._on_rungs_id_toggled)

        self.reason = QLineEdit()
        self.reason.setMaxLength(ladder.reason_limit)
        self.reason.setPlaceholderText("Signed the frame contract, spoke at our user day…")
        self.reason.setClearButtonEnabled(True)
        self.reason.textChanged.connect(self._on_reason_text_changed)
        reason_label = QLabel("&Why:")
        reason_label.setBuddy(self.reason)
        reason_row = QHBoxLayout()
        reason_row.addWidget(reason_label)
        reason_row.addWidget(self.reason, stretch=1)
        self.hint = QLabel()
        self.hint.setObjectName("subtitle")
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        self.error.hide()

        self.history_model: RowTableModel[LadderStep] = RowTableModel(HISTORY_COLUMNS, self)
        self._history_title = section_title("History")
        self.history = make_table(self.history_model, stretch_column=2)
        self.history.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes rungs, reason, buttons
        # Reasons are what the history is for: wrapped in full, rows as tall as they need.
        self.history.setWordWrap(True)
        self.history.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        no_moves = QLabel("No moves yet: each move is kept here with its reason.")
        no_moves.setObjectName("emptyState")
        no_moves.setAlignment(Qt.AlignmentFlag.AlignCenter)
        no_moves.setWordWrap(True)
        self._history_stack = QStackedWidget()
        self._history_stack.addWidget(no_moves)
        self._history_stack.addWidget(self.history)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(self._name)
        layout.addWidget(self._now)
        layout.addWidget(rungs_box)
        layout.addLayout(reason_row)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        layout.addWidget(self._history_title)
        layout.addWidget(self._history_stack, stretch=1)
        layout.addWidget(self.buttons)
        fit_to_screen(self, QSize(720, 620))
        self._update_ok()

    # -- loading ---------------------------------------------------------------------------

    def show_account(self, account_id: uuid.UUID) -> None:
        """Resets the dialog for the account, opens it (window-modal) and loads the
        account's rung and history off the GUI thread."""
        self._generation += 1
        self.account_id = account_id
        self.standing = None
        self._saving = False
        self._name.setText("Loading…")
        self._now.clear()
        self.reason.clear()
        self.error.hide()
        self.history_model.set_rows([])
        self._history_title.setText("History")
        self._history_stack.setCurrentIndex(1)
        self._set_rungs(None)
        self.open()
        self.reload()

    def reload(self) -> None:
        account_id = self.account_id
        if account_id is None:
            return
        generation = self._generation
        self._runner.read(
            lambda: self._ladder.standing(account_id),
            lambda standing: self._on_loaded(generation, standing),
        )

    def _on_loaded(self, generation: int, standing: LadderStanding | None) -> None:
        if generation != self._generation:
            return
        # Read again after a refusal: keep the rep's choice unless it is where it stands now.
        keep = self.chosen if self.standing is not None else None
        self.standing = standing
        if standing is None:
            self._name.setText("This account is no longer in your territory.")
            self._set_rungs(None)
            self.loaded.emit()
            return
        self._name.setText(standing.name)
        self.setWindowTitle(f"Relationship ladder · {standing.name}")
        self._now.setText(
            f"Now a {standing.rung.label.lower()} · step {standing.rung.step} of {len(LadderRung)}"
        )
        self._set_rungs(standing.rung)
        if keep is not None:
            self.choose(keep)
        self.history_model.set_rows(standing.history)
        moves = len(standing.history)
        self._history_title.setText(
            f"History ({moves} move{'s' * (moves != 1)})" if moves else "History"
        )
        self._history_stack.setCurrentIndex(1 if moves else 0)
        for column in (0, 1, 3):
            self.history.resizeColumnToContents(column)
        self.rung_buttons[self.chosen or standing.rung].setFocus(Qt.FocusReason.OtherFocusReason)
        self.loaded.emit()

    def _set_rungs(self, current: LadderRung | None) -> None:
        """Marks the current rung (checked, bold) and shows how far every other one is."""
        for rung, button in self.rung_buttons.items():
            font = QFont(button.font())
            font.setBold(rung is current)
            button.setFont(font)
            button.setEnabled(current is not None)
            self._steps[rung].setText(step_words(current, rung) if current is not None else "")
        if current is not None:
            self.rung_buttons[current].setChecked(True)
        self._update_ok()

    # -- choosing --------------------------------------------------------------------------

    @property
    def chosen(self) -> LadderRung | None:
        checked = self.rungs.checkedId()
        return list(LadderRung)[checked - 1] if checked > 0 else None

    def choose(self, rung: LadderRung) -> None:
        self.rung_buttons[rung].setChecked(True)

    @Slot(int, bool)
    def _on_rungs_id_toggled(self, _id: int, checked: bool) -> None:
        if checked:
            self._update_ok()

    @Slot(str)
    def _on_reason_text_changed(self, _text: str) -> None:
        self.error.hide()
        self._update_ok()

    def _update_ok(self) -> None:
        standing, chosen = self.standing, self.chosen
        ready = False
        if self._saving:
            self.ok.setText("Moving…")
            hint = ""
        elif standing is None or chosen is None:
            self.ok.setText("Move")
            hint = ""
        elif chosen is standing.rung:
            self.ok.setText("Move")
            hint = f"Choose the rung to move {standing.name} to."
        else:
            direction = "up" if chosen.step > standing.rung.step else "down"
            self.ok.setText(f"Move {direction} to {chosen.label}")
            ready = bool(self.reason.text().strip())
            hint = "" if ready else "Say why it moves; the reason is kept in the history."
        self.ok.setEnabled(ready and not self._saving)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))

    # -- moving ----------------------------------------------------------------------------

    def accept(self) -> None:
        """Writes the move through the runner; the dialog closes once it is stored."""
        standing, chosen = self.standing, self.chosen
        if not self.ok.isEnabled() or standing is None or chosen is None:
            return
        reason = self.reason.text()
        account_id, generation = standing.account_id, self._generation
        ladder = self._ladder
        recorded: list[uuid.UUID] = []  # the step's id, for its undo

        def write() -> Changes:
            change_id, changes = ladder.record_move(account_id, chosen, reason)
            recorded.append(change_id)
            return changes

        def done(changes: Changes) -> None:
            offer = UndoOffer(
                f"{standing.name} moved to {chosen.label}", lambda: self.undo_move(recorded[0])
            )
            self._on_moved(generation, changes, offer)

        self._saving = True
        self.buttons.setEnabled(False)
        self._update_ok()
        self._runner.write(write, done, lambda exc: self._on_refused(generation, exc))

    def _on_moved(self, generation: int, changes: Changes, offer: UndoOffer) -> None:
        self._saving = False
        self.buttons.setEnabled(True)
        if generation != self._generation:
            return
        self.moved.emit(changes)
        super().accept()
        self.undo_offered.emit(offer)

    def undo_move(self, change_id: uuid.UUID) -> None:
        """Takes a move back: the account returns to its rung and the step leaves the
        history. A refusal (it moved again since) reaches the window's status bar."""
        ladder = self._ladder
        self._runner.write(lambda: ladder.undo_move(change_id))

    def _on_refused(self, generation: int, exc: Exception) -> None:
        log.error("moving an account on the ladder failed", exc_info=exc)
        self._saving = False
        self.buttons.setEnabled(True)
        if generation != self._generation:
            return
        self.error.setText(in_words(exc, "moving the account"))
        self.error.show()
        self._update_ok()
        self.reload()  # the account may have moved or gone meanwhile (a sync)
