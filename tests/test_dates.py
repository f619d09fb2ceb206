"""One way of writing dates and times for people (db.dates), and no other in ui/ and db/."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from db.dates import clock, day, day_and_time, day_short, days_from, weekday

ROOT = Path(__file__).resolve().parent.parent
# A strftime-style date or time in an f-string or a strftime call.
STRFTIME = re.compile(r":%[aAbBdYHMySmIpj]|strftime\(")


def test_the_forms_the_app_writes() -> None:
    monday = date(2026, 12, 7)
    assert day(monday) == "Mon 7 Dec 2026"
    assert day_short(monday) == "7 Dec 2026"
    assert weekday(monday) == "Mon 7 Dec"
    moment = datetime(2026, 12, 7, 14, 5).astimezone()
    assert clock(moment) == "14:05" and day_and_time(moment) == "Mon 7 Dec 2026, 14:05"
    assert day(moment.astimezone(UTC)) == "Mon 7 Dec 2026"  # shown in local time
    today = date(2026, 12, 5)
    assert [days_from(today + timedelta(days=d), today) for d in (-3, -1, 0, 1, 3)] == [
        "3 days ago",
        "yesterday",
        "today",
        "tomorrow",
        "in 3 days",
    ]


def test_no_other_date_format_in_the_app() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in ("ui", "db")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "dates.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if STRFTIME.search(line)
    ]
    assert found == []
