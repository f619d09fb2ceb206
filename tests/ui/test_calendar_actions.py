"""File ▸ Import calendar / Export meetings from the window: results in plain words, the
Today list refreshed, a bad file refused without a traceback."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

from ui.main_window import TODAY, MainWindow


def _ics(path: Path, *events: tuple[str, datetime, str]) -> Path:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Test//EN"]
    for uid, (summary, start, attendee) in enumerate(events):
        lines += [
            "BEGIN:VEVENT",
            f"UID:test-{uid}@example.org",
            f"DTSTAMP:{start:%Y%m%dT%H%M%SZ}",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
            f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{summary}",
            f"ATTENDEE;CN=Guest:mailto:{attendee}",
            "END:VEVENT",
        ]
    path.write_text("\r\n".join([*lines, "END:VCALENDAR", ""]))
    return path


def test_import_adds_meetings_with_known_contacts_and_says_what_it_left_out(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.calendar.show_messages = False
    window.show_page(TODAY)
    today = window.today_page
    qtbot.waitUntil(lambda: today.model.rowCount() == 1, timeout=5000)
    tomorrow = datetime.combine(date.today() + timedelta(days=1), time(10)).astimezone()
    file = _ics(
        tmp_path / "outlook.ics",
        ("Pilot planning", tomorrow, "ZOE@acme.example"),
        ("Dentist", tomorrow + timedelta(hours=3), "someone@else.example"),
    )
    with qtbot.waitSignal(window.calendar.imported, timeout=10_000) as said:
        window.calendar.import_file(file)
    summary = said.args[0]
    assert summary.startswith("Imported outlook.ics: 1 new, 0 updated, 0 unchanged")
    assert "Dentist" in summary and "no attendee is one of your contacts" in summary
    qtbot.waitUntil(lambda: today.model.rowCount() == 2, timeout=5000)
    added = [m for m in today.model.rows if m.purpose == "Pilot planning"]
    assert added and added[0].account_name == "Acme Logistics"
    assert added[0].attendees == ("Zoë Núñez",)

    with qtbot.waitSignal(window.calendar.imported, timeout=10_000) as again:
        window.calendar.import_file(file)
    assert again.args[0].startswith("Imported outlook.ics: 0 new, 0 updated, 1 unchanged")

    target = tmp_path / "mine.ics"
    with qtbot.waitSignal(window.calendar.exported, timeout=10_000) as done:
        window.calendar.export_file(target)
    assert done.args[1] == 2
    text = target.read_text()
    assert "BEGIN:VCALENDAR" in text and "Pilot planning" in text and "Quarterly review" in text


def test_a_file_that_is_not_a_calendar_is_refused_in_plain_words(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.calendar.show_messages = False
    notes = tmp_path / "notes.ics"
    notes.write_text("Shopping list: milk, eggs")
    with qtbot.waitSignal(window.calendar.failed, timeout=10_000) as said:
        window.calendar.import_file(notes)
    assert "notes.ics is not a calendar file" in said.args[0]
