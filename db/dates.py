"""How the app writes dates and times for people, in one place: screens, notes, reports and
messages all say "Mon 7 Dec 2026" and "14:05", in this computer's time zone.

Plain functions with no Qt and no SQL, so the screens (through ui.formatting) and the
services that write text (a note's template, a hold's summary) share them.
"""

from __future__ import annotations

from datetime import date, datetime

# The same, for Qt's date and time fields (QDateEdit.setDisplayFormat).
QT_DATE_FORMAT = "ddd d MMM yyyy"
QT_DATE_TIME_FORMAT = "ddd d MMM yyyy, HH:mm"


def _local_day(when: date | datetime) -> date:
    return when.astimezone().date() if isinstance(when, datetime) else when


def day(when: date | datetime) -> str:
    """'Mon 7 Dec 2026'."""
    shown = _local_day(when)
    return f"{shown:%a} {shown.day} {shown:%b %Y}"


def weekday(when: date | datetime) -> str:
    """'Wed 25 Nov', for days within the coming week."""
    shown = _local_day(when)
    return f"{shown:%a} {shown.day} {shown:%b}"


def day_short(when: date | datetime) -> str:
    """'7 Dec 2026', for table columns."""
    shown = _local_day(when)
    return f"{shown.day} {shown:%b %Y}"


def clock(moment: datetime) -> str:
    """'14:05', local time."""
    return f"{moment.astimezone():%H:%M}"


def day_and_time(moment: datetime) -> str:
    """'Mon 7 Dec 2026, 14:05'."""
    return f"{day(moment)}, {clock(moment)}"


def days_from(when: date | datetime, today: date) -> str:
    """'today', 'tomorrow', 'yesterday', 'in 3 days', '3 days ago'."""
    delta = (_local_day(when) - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    return f"in {delta} days" if delta > 0 else f"{-delta} days ago"
