"""The Today screen: the rep's meetings today and in the coming week."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from db.dates import day
from db.dto import AccountMark, MeetingRow
from db.labels import plural
from ui.account_pane import TableOrEmpty, make_table, section_title
from ui.formatting import time_range, weekday_label
from ui.marks import mark_data
from ui.models.reminders import REMINDER_DAYS
from ui.models.table import Column, Index, RowTableModel
from ui.next_meeting_card import NextMeetingCard, next_meeting
from ui.profiles_page import reminders_table
from ui.tasks import Runner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.briefing.warnings import WarningIndex
    from db.field.agenda import Agenda, AgendaCounts
    from db.field.meetings import MeetingCalendar
    from db.profiles.book import ProfileBook

DAYS_AHEAD = 7


BRIEFING_COLUMN = 0
ACCOUNT_COLUMN = 3  # where a warning's marker shows


def meeting_columns(today: date) -> list[Column[MeetingRow]]:
    return [
        Column("", lambda _m: "Briefing ›", tooltip=lambda _m: "Open the briefing (Ctrl+B)"),
        Column("Day", lambda m: weekday_label(m.starts_at, today)),
        Column("Time", lambda m: time_range(m.starts_at, m.ends_at, m.all_day)),
        Column("Account", lambda m: m.account_name),
        Column("With", lambda m: ", ".join(m.attendees), tooltip=lambda m: "\n".join(m.attendees)),
        Column("Purpose", lambda m: m.purpose or ""),
        Column("Place", lambda m: m.place or "", tooltip=lambda m: m.place or ""),
    ]


class TodayModel(RowTableModel[MeetingRow]):
    """Meetings of the week; today's in bold."""

    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(meeting_columns(today), parent)
        self.today = today
        self.marks: dict[uuid.UUID, AccountMark] = {}

    def set_marks(self, marks: dict[uuid.UUID, AccountMark]) -> None:
        """The warnings of the meetings' accounts (loaded after the meetings)."""
        self.marks = marks
        if self.rowCount():
            last = self.rowCount() - 1
            self.dataChanged.emit(
                self.index(0, ACCOUNT_COLUMN),
                self.index(last, ACCOUNT_COLUMN),
                [Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole],
            )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        marked = index.isValid() and index.column() == ACCOUNT_COLUMN
        if marked and role in (Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole):
            shown = mark_data(self.marks, self.row_at(index.row()).account_id, role)
            if shown is not None:
                return shown
        link = index.isValid() and index.column() == BRIEFING_COLUMN
        if link and role == Qt.ItemDataRole.ForegroundRole:
            return QColor("#1f5fa8")  # a link: one click opens the briefing
        if role == Qt.ItemDataRole.FontRole and index.isValid() and self._is_today(index.row()):
            font = QFont()
            font.setBold(True)
            return font
        return super().data(index, role)

    def _is_today(self, row: int) -> bool:
        return self.row_at(row).starts_at.astimezone().date() == self.today


class TodayPage(QWidget):
    """Lists this week's meetings; Enter or a double-click opens the account."""

    account_requested = Signal(uuid.UUID)
    briefing_requested = Signal(uuid.UUID, object)  # account id, meeting id
    profile_requested = Signal(uuid.UUID)
    meetings_loaded = Signal(int)
    reminders_loaded = Signal(int)
    marks_loaded = Signal(int)  # warnings of the meetings' accounts, after the meetings
    page_requested = Signal(str)  # "followups" or "leads", from the card's links

    def __init__(
        self,
        runner: Runner,
        calendar: MeetingCalendar,
        book: ProfileBook | None = None,
        parent: QWidget | None = None,
        agenda: Agenda | None = None,
        warnings: WarningIndex | None = None,
    ):
        super().__init__(parent)
        self._runner = runner
        self._calendar = calendar
        self._book = book
        self._agenda = agenda
        self._warnings = warnings
        self._empty_territory = False
        self.model = TodayModel(date.today(), self)
        self.card = NextMeetingCard(self)
        self.card.briefing_requested.connect(self.briefing_requested)
        self.card.account_requested.connect(self.account_requested)
        self.card.page_requested.connect(self.page_requested)
        self._title = QLabel()
        self._title.setObjectName("pageTitle")
        self._summary = section_title("")
        self.table = make_table(self.model, stretch_column=5)
        self._body = TableOrEmpty(self.table, "No meetings in the next seven days.")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(self._title)
        layout.addWidget(self.card)
        layout.addWidget(self._summary)
        layout.addWidget(self._body, stretch=1)
        self._coming_title = section_title("Birthdays and anniversaries coming up")
        self.reminders, self.reminders_view = reminders_table(runner, book, self)
        self.reminders.loaded.connect(self._on_reminders_loaded)
        self.reminders_view.setMaximumHeight(150)
        layout.addWidget(self._coming_title)
        layout.addWidget(self.reminders_view)
        self._coming_title.setVisible(book is not None)
        self.reminders_view.hide()

        self.table.activated.connect(self._on_table_activated)
        self.table.clicked.connect(self._on_table_clicked)
        self.reminders_view.activated.connect(
            lambda index: self.profile_requested.emit(self.reminders.row_at(index.row()).contact_id)
        )

    def refresh(self) -> None:
        """Reloads the page: the week's meetings, the card's counts, the reminders."""
        self.refresh_meetings()
        self.refresh_agenda()
        self.refresh_reminders()

    def refresh_meetings(self) -> None:
        """Reloads the week starting today (local time) and its warning marks."""
        today = date.today()
        self.model.today = today
        self._title.setText(f"Today, {day(today)}")
        start = datetime.combine(today, time.min).astimezone()
        end = start + timedelta(days=DAYS_AHEAD)
        self._runner.read(lambda: self._calendar.between(start, end), self._on_meetings_loaded)

    def refresh_agenda(self) -> None:
        """Reloads the card's counts (follow-ups due, new leads)."""
        agenda, today = self._agenda, date.today()
        if agenda is not None:
            self._runner.read(lambda: agenda.counts(today), self._on_agenda_loaded)

    def _on_agenda_loaded(self, counts: AgendaCounts) -> None:
        was_empty, self._empty_territory = self._empty_territory, counts.empty
        if was_empty and not counts.empty:  # the first sync filled it: the welcome goes
            self.card.show_meeting(next_meeting(self.model.rows, datetime.now(UTC)), date.today())
        if counts.empty:
            self.card.show_first_run()
        else:
            self.card.show_agenda(counts.overdue, counts.due_today, counts.new_leads)

    def refresh_reminders(self) -> None:
        self.reminders.refresh()

    @Slot(int)
    def _on_reminders_loaded(self, total: int) -> None:
        shown = self.reminders.rowCount()
        self._coming_title.setText(
            f"Birthdays and anniversaries in the next {REMINDER_DAYS} days ({total:,})"
            if shown
            else f"No birthdays or anniversaries in the next {REMINDER_DAYS} days"
        )
        self.reminders_view.setVisible(bool(shown))
        self.reminders_view.resizeColumnsToContents()
        self.reminders_view.horizontalHeader().setStretchLastSection(True)
        self.reminders_loaded.emit(shown)

    def _on_meetings_loaded(self, meetings: list[MeetingRow]) -> None:
        self.model.set_rows(meetings)
        today = self.model.today
        todays = sum(1 for m in meetings if m.starts_at.astimezone().date() == today)
        self._summary.setText(
            f"{plural(todays, 'meeting')} today · {len(meetings)} in the next 7 days"
        )
        self._body.show_rows(bool(meetings))
        if not self._empty_territory:
            self.card.show_meeting(next_meeting(meetings, datetime.now(UTC)), today)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.meetings_loaded.emit(len(meetings))
        warnings = self._warnings
        if warnings is not None and meetings:
            accounts = [m.account_id for m in meetings]
            self._runner.read(lambda: warnings.marks(accounts), self._on_marks_loaded)

    def _on_marks_loaded(self, marks: dict[uuid.UUID, AccountMark]) -> None:
        self.model.set_marks(marks)
        meeting = self.card.meeting
        self.card.show_mark(marks.get(meeting.account_id) if meeting is not None else None)
        self.table.resizeColumnToContents(ACCOUNT_COLUMN)  # room for the marker
        self.marks_loaded.emit(len(marks))

    @Slot(QModelIndex)
    def _on_table_activated(self, index: QModelIndex) -> None:
        self.account_requested.emit(self.model.row_at(index.row()).account_id)

    @Slot(QModelIndex)
    def _on_table_clicked(self, index: QModelIndex) -> None:
        if index.column() == BRIEFING_COLUMN:
            self.open_briefing(index.row())

    def selected_meeting(self) -> MeetingRow | None:
        """The meeting the rep sees selected (a current row without a selection, which
        the table keeps after a reload, is not one: Ctrl+B and Ctrl+N act on what shows)."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def open_briefing(self, row: int | None = None) -> bool:
        """Asks for the briefing of a meeting (the selected one by default); False if none."""
        if row is None:
            rows = self.table.selectionModel().selectedRows()
            row = rows[0].row() if rows else -1
        if not 0 <= row < self.model.rowCount():
            return False
        meeting = self.model.row_at(row)
        self.briefing_requested.emit(meeting.account_id, meeting.id)
        return True
