"""The top of Today: the next meeting (when, where, with whom, a Briefing button) and what
else waits today (overdue follow-ups, new leads); on a first run, how to get a territory."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from db.dto import AccountMark, MeetingRow
from db.labels import plural
from ui.formatting import time_range, weekday_label
from ui.marks import mark_html

FIRST_RUN = (
    "Your territory is still empty. Sign in to your company's server "
    "(Sync ▸ Sign in, Ctrl+Shift+L), then press F5: your accounts and meetings download, "
    "and everything works offline from then on."
)


def next_meeting(meetings: list[MeetingRow], now: datetime) -> MeetingRow | None:
    """The first meeting that has not ended yet."""
    upcoming = [m for m in meetings if m.ends_at > now]
    return min(upcoming, key=lambda m: m.starts_at, default=None)


class NextMeetingCard(QFrame):
    """Shows one meeting and the day's other work; its buttons ask, the page acts."""

    briefing_requested = Signal(uuid.UUID, object)  # account id, meeting id
    account_requested = Signal(uuid.UUID)
    page_requested = Signal(str)  # "followups" or "leads"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nextMeeting")
        self.meeting: MeetingRow | None = None
        self.heading = QLabel()
        self.heading.setObjectName("cardHeading")
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning = QLabel()  # a warning from the briefing's rules, when there is one
        self.warning.setObjectName("cardWarning")
        self.warning.setTextFormat(Qt.TextFormat.RichText)
        self.warning.setWordWrap(True)
        self.warning.hide()
        self.agenda = QLabel()
        self.agenda.setObjectName("subtitle")
        self.agenda.setTextFormat(Qt.TextFormat.RichText)
        self.agenda.linkActivated.connect(self.page_requested.emit)

        self.briefing_button = QPushButton("Briefing")
        self.briefing_button.setToolTip("The pre-call briefing for this meeting (Ctrl+B)")
        self.briefing_button.clicked.connect(self._ask_briefing)
        self.account_button = QPushButton("Account")
        self.account_button.setToolTip("Open the account")
        self.account_button.clicked.connect(self._ask_account)
        for button in (self.briefing_button, self.account_button):
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        buttons = QVBoxLayout()
        buttons.addWidget(self.briefing_button)
        buttons.addWidget(self.account_button)
        buttons.addStretch(1)

        text = QVBoxLayout()
        text.setSpacing(4)
        text.addWidget(self.heading)
        text.addWidget(self.details)
        text.addWidget(self.warning)
        text.addWidget(self.agenda)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addLayout(text, stretch=1)
        layout.addLayout(buttons)

    def show_mark(self, mark: AccountMark | None) -> None:
        """The next meeting's account's warning (None: it has none)."""
        self.warning.setText(mark_html(mark) if mark is not None else "")
        self.warning.setVisible(mark is not None)

    def show_meeting(self, meeting: MeetingRow | None, today: date) -> None:
        if meeting != self.meeting:
            self.show_mark(None)  # until the new one's warnings are read
        self.meeting = meeting
        has = meeting is not None
        self.briefing_button.setVisible(has)
        self.account_button.setVisible(has)
        self.details.setVisible(has)
        if meeting is None:
            self.heading.setText("No more meetings in the next seven days")
            return
        when = weekday_label(meeting.starts_at, today)
        hours = time_range(meeting.starts_at, meeting.ends_at, meeting.all_day)
        self.heading.setText(f"Next: {when}, {hours} · {meeting.account_name}")
        parts = [meeting.purpose or "Meeting"]
        if meeting.attendees:
            parts.append("with " + ", ".join(meeting.attendees))
        if meeting.place:
            parts.append(meeting.place)
        self.details.setText(" · ".join(parts))

    def show_first_run(self) -> None:
        self.meeting = None
        self.heading.setText("Welcome to Fieldbrief")
        self.details.setText(FIRST_RUN)
        self.details.show()
        self.briefing_button.hide()
        self.account_button.hide()
        self.agenda.hide()

    def show_agenda(self, overdue: int, due_today: int, new_leads: int) -> None:
        parts = []
        if overdue:
            parts.append(f"<a href='followups'>{plural(overdue, 'follow-up')} overdue</a>")
        if due_today:
            parts.append(f"<a href='followups'>{plural(due_today, 'follow-up')} due today</a>")
        if new_leads:
            parts.append(f"<a href='leads'>{plural(new_leads, 'new lead')}</a>")
        self.agenda.setText(" · ".join(parts) or "No follow-ups due and no new leads")
        self.agenda.show()

    def _ask_briefing(self) -> None:
        if self.meeting is not None:
            self.briefing_requested.emit(self.meeting.account_id, self.meeting.id)

    def _ask_account(self) -> None:
        if self.meeting is not None:
            self.account_requested.emit(self.meeting.account_id)
