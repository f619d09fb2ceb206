"""The account detail pane: who the customer is, where they stand, what happened lately."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.dto import AccountDetail, AccountMark, ActivityRow, ContactRow
from ui.formatting import channel_icon, short_date
from ui.marks import mark_html
from ui.models.table import Column, RowTableModel
from ui.rungs import LadderBar
from ui.tasks import Runner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.accounts import AccountDirectory
    from db.briefing.warnings import WarningIndex
    from db.field.notes import NoteBook, NoteSummary

PANE_MIN_WIDTH = 410  # the six rungs of the ladder bar keep their names
NARROW_WIDTH = 460  # narrower, the ladder button goes under the facts

CONTACT_COLUMNS: list[Column[ContactRow]] = [
    Column("Name", lambda c: c.name, tooltip=lambda c: _reach(c)),
    Column("Title", lambda c: c.title or ""),
    Column("Role in deal", lambda c: c.deal_role.label if c.deal_role else ""),
    Column("Email", lambda c: c.email or "", tooltip=lambda c: _reach(c)),
]


def _reach(contact: ContactRow) -> str:
    return "\n".join(p for p in (contact.name, contact.email, contact.phone) if p)


ACTIVITY_COLUMNS: list[Column[ActivityRow]] = [
    Column("When", lambda a: short_date(a.occurred_at)),
    Column("Channel", lambda a: a.channel.label, decoration=lambda a: channel_icon(a.channel)),
    Column("What", lambda a: a.title, tooltip=lambda a: a.title),
]


NOTE_COLUMNS: list[Column[NoteSummary]] = [
    Column("Written", lambda n: short_date(n.created_at)),
    Column(
        "Note",
        lambda n: ("⚠ two versions to merge · " if n.needs_merge else "") + n.first_line,
        tooltip=lambda n: n.first_line,
    ),
]

NO_SELECTION = "Select an account to see its contacts, team and latest activity."


SIZED_ROWS = 50


def make_table(model: RowTableModel[Any], stretch_column: int) -> QTableView:
    """A read-only, row-selecting table view in the app's house look."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(24)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)
    # Columns fit their contents from the rows in view and a few more, not from Qt's
    # default 1,000 read through Python: 100 ms per list of a big territory.
    header.setResizeContentsPrecision(SIZED_ROWS)
    return view


class TableOrEmpty(QStackedWidget):
    """A list's table, or a sentence in its place while the list is empty."""

    def __init__(self, table: QTableView, empty_text: str) -> None:
        super().__init__()
        self.empty = QLabel(empty_text)
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.addWidget(table)
        self.addWidget(self.empty)

    def show_rows(self, any_rows: bool) -> None:
        self.setCurrentIndex(0 if any_rows else 1)


def section_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    return label


class AccountPane(QWidget):
    """Shows one account's detail, loaded off the GUI thread."""

    detail_shown = Signal(object)  # AccountDetail, once it is on screen
    profile_requested = Signal(uuid.UUID)  # a contact's customer profile, to open
    note_requested = Signal(uuid.UUID)  # a visit note, to open
    new_note_requested = Signal(uuid.UUID)  # the account to write a new note about
    ladder_requested = Signal(uuid.UUID)  # the account to move on the ladder (or see how)
    briefing_requested = Signal(uuid.UUID)  # the account to brief the rep on
    holds_requested = Signal(uuid.UUID)  # the account whose contacts marketing should spare

    def __init__(
        self,
        runner: Runner,
        directory: AccountDirectory,
        parent: QWidget | None = None,
        notes: NoteBook | None = None,
        warnings: WarningIndex | None = None,
    ):
        super().__init__(parent)
        self._runner = runner
        self._directory = directory
        self._notes = notes
        self._warnings = warnings
        self._generation = 0
        self.account_id: uuid.UUID | None = None
        self.detail: AccountDetail | None = None

        self._stack = QStackedWidget()
        self._empty = QLabel(NO_SELECTION)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        self._empty.setObjectName("emptyState")
        self._stack.addWidget(self._empty)
        # Scrolled, not squeezed, when the window is low: rows never overlap.
        detail = QScrollArea()
        detail.setWidgetResizable(True)
        detail.setFrameShape(QFrame.Shape.NoFrame)
        detail.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        detail.setWidget(self._build_detail())
        self._stack.addWidget(detail)
        self.setMinimumWidth(PANE_MIN_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)

    def _build_detail(self) -> QWidget:
        page = QWidget()
        self._name = QLabel()
        self._name.setObjectName("accountName")
        self._name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._subtitle = QLabel()
        self._subtitle.setObjectName("subtitle")
        self.warning = QLabel()  # the briefing's worst warning, first thing under the name
        self.warning.setObjectName("paneWarning")
        self.warning.setTextFormat(Qt.TextFormat.RichText)
        self.warning.setWordWrap(True)
        self.warning.hide()
        self.ladder_bar = LadderBar(
            clickable_hint="Click to move it on the ladder or see its history (Ctrl+L)"
        )
        self.ladder_bar.clicked.connect(self.request_ladder)
        self.ladder_button = QPushButton("Move on the ladder…")
        self.ladder_button.setToolTip(
            "Move the account up or down the ladder, or see its history (Ctrl+L)"
        )
        self.ladder_button.clicked.connect(self.request_ladder)
        self.briefing_button = QPushButton("Briefing")
        self.briefing_button.setToolTip("The pre-call briefing for this account (Ctrl+B)")
        self.briefing_button.clicked.connect(self.request_briefing)
        # The two actions on the account: one above the other beside the facts, side by
        # side under them when the pane is narrow.
        self._actions = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._actions.setSpacing(6)
        self._actions.addWidget(self.briefing_button)
        self._actions.addWidget(self.ladder_button)
        actions = QWidget()
        actions.setLayout(self._actions)
        self._actions.setContentsMargins(0, 0, 0, 0)
        self._actions_box = actions

        facts = QFormLayout()
        facts.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        facts.setHorizontalSpacing(12)
        facts.setVerticalSpacing(4)
        self._facts: dict[str, QLabel] = {}
        for key in ("Address", "Phone", "Website", "Owner", "Account team"):
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._facts[key] = value
            facts.addRow(f"{key}:", value)

        self.contacts_model: RowTableModel[ContactRow] = RowTableModel(CONTACT_COLUMNS, self)
        self._contacts_title = section_title("Contacts")
        self._holds = QPushButton("Marketing holds…")
        self._holds.setToolTip(
            "Ask marketing to leave a contact alone while a deal is on (Ctrl+Shift+H)"
        )
        self._holds.clicked.connect(self.request_holds)
        contacts_header = QHBoxLayout()
        contacts_header.addWidget(self._contacts_title, stretch=1)
        contacts_header.addWidget(self._holds)
        self._contacts = make_table(self.contacts_model, stretch_column=3)
        self._contacts.setMaximumHeight(170)
        self._contacts.setToolTip("Enter or double-click: the contact's customer profile")
        self._contacts.activated.connect(
            lambda index: self.profile_requested.emit(self.contacts_model.row_at(index.row()).id)
        )

        self.notes_model: RowTableModel[NoteSummary] = RowTableModel(NOTE_COLUMNS, self)
        self._notes_title = section_title("Visit notes")
        self._new_note = QPushButton("New note…")
        self._new_note.setToolTip("Write a visit note about this account (Ctrl+N)")
        self._new_note.clicked.connect(self.request_new_note)
        notes_header = QHBoxLayout()
        notes_header.addWidget(self._notes_title, stretch=1)
        notes_header.addWidget(self._new_note)
        self._notes_view = make_table(self.notes_model, stretch_column=1)
        self._notes_view.setMaximumHeight(130)
        self._notes_view.setToolTip("Enter or double-click: open the note")
        self._notes_view.activated.connect(
            lambda index: self.note_requested.emit(self.notes_model.row_at(index.row()).id)
        )
        for widget in (self._notes_title, self._new_note, self._notes_view):
            widget.setVisible(self._notes is not None)

        self.activity_model: RowTableModel[ActivityRow] = RowTableModel(ACTIVITY_COLUMNS, self)
        self._activity_title = section_title("Latest activity")
        self._activity = make_table(self.activity_model, stretch_column=2)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(self._name)
        layout.addWidget(self._subtitle)
        layout.addWidget(self.warning)
        layout.addWidget(self.ladder_bar)
        # The button sits under the bar's right end, beside the short facts: the bar keeps
        # the pane's width for its labels and the pane's minimum width does not grow.
        self._facts_row = facts_row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        facts_row.addLayout(facts, stretch=1)
        facts_row.addWidget(self._actions_box, alignment=Qt.AlignmentFlag.AlignTop)
        layout.addLayout(facts_row)
        layout.addLayout(contacts_header)
        layout.addWidget(self._contacts)
        layout.addLayout(notes_header)
        layout.addWidget(self._notes_view)
        layout.addWidget(self._activity_title)
        layout.addWidget(self._activity, stretch=1)
        return page

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Narrow, the buttons go under the facts, which keep the width."""
        narrow = event.size().width() < NARROW_WIDTH
        self._facts_row.setDirection(
            QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight
        )
        self._actions.setDirection(
            QBoxLayout.Direction.LeftToRight if narrow else QBoxLayout.Direction.TopToBottom
        )
        self._facts_row.setAlignment(
            self._actions_box,
            Qt.AlignmentFlag.AlignRight if narrow else Qt.AlignmentFlag.AlignTop,
        )
        super().resizeEvent(event)

    def show_account(self, account_id: uuid.UUID | None) -> None:
        """Loads and shows an account; None clears the pane."""
        self._generation += 1
        self.account_id = account_id
        if account_id is None:
            self.show_empty(NO_SELECTION)
            return
        generation = self._generation
        self._runner.read(
            lambda: self._directory.detail(account_id),
            lambda detail: self._on_detail_loaded(generation, detail),
        )

    def show_empty(self, message: str) -> None:
        """Clears the pane and explains why it is empty."""
        self._generation += 1
        self.account_id = None
        self.detail = None
        self._empty.setText(message)
        self._stack.setCurrentIndex(0)

    def reload(self) -> None:
        self.show_account(self.account_id)

    def _on_detail_loaded(self, generation: int, detail: AccountDetail | None) -> None:
        if generation != self._generation:
            return
        self.detail = detail
        if detail is None:
            self._empty.setText("This account is no longer in your territory.")
            self._stack.setCurrentIndex(0)
            return
        self._name.setText(detail.name)
        parts = [detail.industry, f"{detail.employees:,} employees" if detail.employees else None]
        parts.append(f"Territory {detail.territory}")
        self._subtitle.setText(" · ".join(p for p in parts if p))
        self.ladder_bar.set_rung(detail.ladder_rung)
        self._facts["Address"].setText(detail.address or "—")
        self._facts["Phone"].setText(detail.phone or "—")
        self._facts["Website"].setText(detail.website or "—")
        self._facts["Owner"].setText(detail.owner_rep or "—")
        team = ", ".join(f"{t.name} ({t.role.label.lower()})" for t in detail.team)
        self._facts["Account team"].setText(team or "—")
        self.contacts_model.set_rows(detail.contacts)
        self._contacts_title.setText(f"Contacts ({len(detail.contacts)})")
        self._contacts.resizeColumnsToContents()
        self.activity_model.set_rows(detail.latest_activity)
        shown = len(detail.latest_activity)
        self._activity_title.setText(
            f"Latest activity ({shown} of {detail.activity_count:,})"
            if detail.activity_count > shown
            else f"Latest activity ({shown})"
        )
        self._activity.resizeColumnToContents(0)
        self._activity.resizeColumnToContents(1)
        self._stack.setCurrentIndex(1)
        self._load_notes(generation, detail.id)
        self._load_mark(generation, detail.id)
        self.detail_shown.emit(detail)

    def _load_mark(self, generation: int, account_id: uuid.UUID) -> None:
        warnings = self._warnings
        if warnings is None:
            return
        self._runner.read(
            lambda: warnings.marks([account_id]).get(account_id),
            lambda mark: self._on_mark_loaded(generation, mark),
        )

    def _on_mark_loaded(self, generation: int, mark: AccountMark | None) -> None:
        if generation != self._generation:
            return
        self.warning.setText(mark_html(mark) if mark is not None else "")
        self.warning.setVisible(mark is not None)

    def reload_notes(self) -> None:
        if self.detail is not None:
            self._load_notes(self._generation, self.detail.id)

    def request_briefing(self) -> None:
        if self.account_id is not None and self.detail is not None:
            self.briefing_requested.emit(self.account_id)

    def request_ladder(self) -> None:
        if self.account_id is not None and self.detail is not None:
            self.ladder_requested.emit(self.account_id)

    def request_holds(self) -> None:
        if self.account_id is not None:
            self.holds_requested.emit(self.account_id)

    def request_new_note(self) -> None:
        if self.account_id is not None and self._notes is not None:
            self.new_note_requested.emit(self.account_id)

    def _load_notes(self, generation: int, account_id: uuid.UUID) -> None:
        notes = self._notes
        if notes is None:
            return
        self._runner.read(
            lambda: notes.for_account(account_id),
            lambda rows: self._on_notes_loaded(generation, rows),
        )

    def _on_notes_loaded(self, generation: int, rows: list[NoteSummary]) -> None:
        if generation != self._generation:
            return
        self.notes_model.set_rows(rows)
        self._notes_title.setText(f"Visit notes ({len(rows)})" if rows else "No visit notes yet")
        self._notes_view.setVisible(bool(rows))
        self._notes_view.resizeColumnToContents(0)
