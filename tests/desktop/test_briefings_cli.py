"""`fieldbrief briefings`, run as a real subprocess on a store made by `fieldbrief demo`: a
day's briefings as one PDF (a cover, then a briefing a part, each page headed by its part)
and as text saying the same things; one account's by name; one-line errors otherwise."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from db.briefing.day import BriefingDay, DayBriefings, briefing_header, cover_header
from db.briefing.report import page_header
from db.briefing.service import BriefingService
from db.dates import day
from db.field.meetings import MeetingCalendar
from db.store.local_store import Store
from desktop.store_key import store_key
from sync.enums import Channel
from tests.desktop.test_cli import assert_one_line_error, fieldbrief
from tests.helpers.factories import add_account, add_activity, add_contact, add_meeting

pytestmark = pytest.mark.slow

ON = date(2026, 11, 23)


def page_texts(path: Path) -> list[str]:
    """Each page's words, single-spaced, ligatures ("ﬁ") read as their letters."""
    return [
        " ".join(unicodedata.normalize("NFKC", page.extract_text()).split())
        for page in PdfReader(path).pages
    ]


def one_spaced(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("demo") / "data"
    made = fieldbrief("demo", "--accounts", "60", "--seed", "3", "--data-dir", data)
    assert made.returncode == 0, made.stderr
    return data


@pytest.fixture(scope="module")
def busy_day(demo: Path) -> BriefingDay:
    """The demo's first day with meetings in the coming week, as the app reads it."""
    store = Store.open(demo, store_key(demo))
    try:
        days = DayBriefings(MeetingCalendar(store), BriefingService(store))
        for ahead in range(7):
            found = days.day(date.today() + timedelta(days=ahead))
            if found.briefings:
                return found
    finally:
        store.close()
    raise AssertionError("the demo has no meeting in the coming week")


@pytest.fixture
def crafted(tmp_path: Path) -> Iterator[Store]:
    """An encrypted store like the app's, holding what a test writes into it."""
    data = tmp_path / "crafted"
    store = Store.open(data, store_key(data))
    yield store
    store.close()


def test_a_days_pdf_and_text_say_the_same(
    demo: Path, busy_day: BriefingDay, tmp_path: Path
) -> None:
    when = busy_day.on.isoformat()
    target = tmp_path / "day.pdf"
    written = fieldbrief("--data-dir", demo, "briefings", "--date", when, "--pdf", target)
    assert written.returncode == 0, written.stderr
    assert written.stderr == ""  # no Qt chatter, no traceback
    pages = page_texts(target)
    count = len(busy_day.briefings)
    assert written.stdout == f"Wrote {target}: {count} briefing{'s' * (count != 1)}, " + (
        f"{len(pages)} pages.\n"
    )
    assert len(pages) >= count + 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["day.pdf"]  # no temporary left
    assert PdfReader(target).metadata.title == f"Briefings {when}"

    shown = fieldbrief("--data-dir", demo, "briefings", "--date", when, "--text")
    assert shown.returncode == 0, shown.stderr
    text = one_spaced(shown.stdout)

    # The cover, then each briefing from a page of its own, in time order, headed by it.
    assert pages[0].startswith(f"{cover_header(busy_day)} page 1 of {len(pages)}")
    headers = [briefing_header(b) for b in busy_day.briefings]
    firsts = [next(n for n, p in enumerate(pages) if p.startswith(h)) for h in headers]
    assert firsts == sorted(firsts) and firsts[0] == 1
    for number, page in enumerate(pages[1:], start=2):
        assert any(page.startswith(f"{h} page {number} of") for h in headers), page[:100]

    printed = " ".join(pages)
    for b in busy_day.briefings:
        assert b.meeting is not None
        times = f"{b.meeting.starts_at.astimezone():%H:%M}–{b.meeting.ends_at.astimezone():%H:%M}"
        said = [b.account_name, times, *(p.name for p in b.people if p.attending)]
        for warning in b.warnings:
            said += [warning.first, warning.text, warning.headline]
        for phrase in said:
            assert phrase in printed, phrase
            assert phrase in text, phrase


def test_the_day_is_today_unless_told(demo: Path) -> None:
    shown = fieldbrief("--data-dir", demo, "briefings", "--text")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"Your day, {day(date.today())}\n")


def test_a_day_without_meetings_says_so_on_its_cover(demo: Path, tmp_path: Path) -> None:
    shown = fieldbrief("--data-dir", demo, "briefings", "--date", "2199-12-31", "--text")
    assert shown.returncode == 0, shown.stderr
    assert "No meetings on Tue 31 Dec 2199: no briefings to print." in shown.stdout
    target = tmp_path / "empty.pdf"
    written = fieldbrief("--data-dir", demo, "briefings", "--date", "2199-12-31", "--pdf", target)
    assert written.returncode == 0, written.stderr
    [cover] = page_texts(target)
    assert "No meetings on Tue 31 Dec 2199: no briefings to print." in cover


def test_one_account_by_its_name_in_any_case(
    demo: Path, busy_day: BriefingDay, tmp_path: Path
) -> None:
    name = busy_day.briefings[0].account_name
    shown = fieldbrief("--data-dir", demo, "briefings", "--account", name.upper(), "--text")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"{name}\n")
    assert "Who you meet" in shown.stdout or "Key contacts" in shown.stdout
    target = tmp_path / "one.pdf"
    written = fieldbrief("--data-dir", demo, "briefings", "--account", name, "--pdf", target)
    assert written.returncode == 0, written.stderr
    pages = page_texts(target)
    assert pages[0].startswith(page_header(busy_day.briefings[0]))
    assert pages[0].split(" page 1 of ")[1].split(" ", 1)[1].startswith(name)


def test_a_stop_prints_on_the_cover_and_its_page_without_a_display(
    crafted: Store, tmp_path: Path
) -> None:
    acme = add_account(crafted, "Acme Logistics", city="Hamburg")
    zoe = add_contact(crafted, acme, "Zoë", "Núñez")
    add_activity(
        crafted, acme, "Dispute opened", type="dispute_opened", channel=Channel.BILLING,
        details={"invoice": "INV-1", "reason": "billed twice"},
        at=datetime(2026, 11, 20, tzinfo=UTC),
    )  # fmt: skip
    add_meeting(crafted, acme, datetime(2026, 11, 23, 10).astimezone(), "Review", (zoe,))
    crafted.close()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    target = tmp_path / "stop.pdf"
    data = crafted.path.parent
    written = fieldbrief(
        "--data-dir", data, "briefings", "--date", ON.isoformat(), "--pdf", target, env=env
    )
    assert written.returncode == 0, written.stderr
    cover, page = page_texts(target)  # one meeting: the cover and its page
    assert "1 meeting marked STOP" in cover and "STOP Open dispute: invoice INV-1" in cover
    assert page.startswith("10:00–11:00 · Acme Logistics · briefing for Mon 23 Nov 2026")
    assert "STOP STOP: open dispute, do not pitch" in page  # the label, then the sentence

    shown = fieldbrief("--data-dir", data, "briefings", "--date", ON.isoformat(), "--text")
    assert "[STOP] Open dispute: invoice INV-1" in shown.stdout
    assert "# STOP: open dispute, do not pitch" in shown.stdout


def test_a_name_that_is_not_one_account_is_one_line_naming_the_candidates(
    crafted: Store,
) -> None:
    add_account(crafted, "Acme", city="Hamburg")
    add_account(crafted, "ACME", city="Bonn")
    add_account(crafted, "Acme Foods")
    data = crafted.path.parent
    crafted.close()

    def fails(name: str) -> str:
        return assert_one_line_error(
            fieldbrief("--data-dir", data, "briefings", "--account", name, "--text")
        )

    line = fails("acme")
    assert line.startswith("fieldbrief: several accounts are named 'acme': ")
    assert "ACME (Bonn)" in line and "Acme (Hamburg)" in line and "Foods" not in line
    line = fails("Acme F")
    assert line == "fieldbrief: no account named 'Acme F'; did you mean: Acme Foods"
    assert fails("Zzyzx") == "fieldbrief: no account named 'Zzyzx'"


@pytest.mark.parametrize(
    "args",
    [
        ["--text", "--date", "2026-13-01"],
        ["--text", "--date", "26-1-1"],
        ["--text", "--date", "٢٠٢٦-١١-٢٣"],  # digits, but not ASCII ones
        ["--text", "--date", "1899-12-31"],
        ["--date", "2026-11-23"],  # neither --pdf nor --text
        ["--text", "--pdf", "x.pdf"],
        ["--text", "--date", "2026-11-23", "--account", "Acme"],
        ["--text", "--account", "   "],
        ["--text", "--account", "A" * 201],
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str], tmp_path: Path) -> None:
    result = fieldbrief("--data-dir", tmp_path, "briefings", *args)
    assert "see --help" in assert_one_line_error(result, code=2)
    assert not (tmp_path / "fieldbrief.db").exists()


def test_problems_exit_1_with_one_line_and_write_nothing(demo: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    line = assert_one_line_error(fieldbrief("--data-dir", empty, "briefings", "--text"))
    assert line.startswith(f"fieldbrief: no store in {empty}")
    assert not empty.exists()  # not made by asking
    missing = tmp_path / "nowhere" / "day.pdf"
    line = assert_one_line_error(fieldbrief("--data-dir", demo, "briefings", "--pdf", missing))
    assert line == f"fieldbrief: cannot save the PDF: folder {missing.parent} does not exist"
    line = assert_one_line_error(fieldbrief("--data-dir", demo, "briefings", "--pdf", tmp_path))
    assert line == f"fieldbrief: cannot save the PDF: {tmp_path} is a folder"
    if os.name == "posix" and Path("/proc/self").is_dir():  # a folder no file can be made in
        line = assert_one_line_error(
            fieldbrief("--data-dir", demo, "briefings", "--pdf", "/proc/day.pdf")
        )
        assert line.startswith("fieldbrief: cannot write /proc/day.pdf: ")
        assert "Traceback" in (demo / "fieldbrief.log").read_text()  # the log has it


def test_help_names_the_options() -> None:
    shown = fieldbrief("briefings", "--help")
    assert shown.returncode == 0
    for option in ("--date", "--account", "--pdf", "--text", "--data-dir"):
        assert option in shown.stdout
