"""Plain-words formatting of dates, times and amounts for display (local time)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtGui import QColor, QIcon

from db.dates import clock, day_short, weekday
from db.enums import Channel
from ui.rungs import dot_icon

CHANNEL_COLOURS: dict[Channel, str] = {
    Channel.MARKETING: "#8e5bd0",
    Channel.SERVICE: "#d9534f",
    Channel.BILLING: "#e0a100",
    Channel.SALES: "#4a90d9",
}


def channel_icon(channel: Channel) -> QIcon:
    return dot_icon(CHANNEL_COLOURS[channel])


def local(moment: datetime) -> datetime:
    """An aware datetime in the machine's local time zone."""
    return moment.astimezone()


def short_date(moment: datetime | date) -> str:
    """'23 Nov 2026'."""
    return day_short(moment)


def time_range(start: datetime, end: datetime, all_day: bool = False) -> str:
    """'09:30–10:15' in local time; 'all day' (or 'all day, 3 days') for all-day ones."""
    if not all_day:
        return f"{clock(start)}–{clock(end)}"
    days = max(round((end - start) / timedelta(days=1)), 1)
    return "all day" if days == 1 else f"all day, {days} days"


def weekday_label(moment: datetime, today: date) -> str:
    """'Today', 'Tomorrow' or 'Wed 25 Nov'."""
    day = local(moment).date()
    delta = (day - today).days
    if delta == 0:
        return "Today"
    if delta == 1:
        return "Tomorrow"
    return weekday(day)


def muted() -> QColor:
    return QColor("#6b7480")
