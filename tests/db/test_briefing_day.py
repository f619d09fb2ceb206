"""A rep's day from a real store: the meetings of that one day (this computer's), in time
order, behind a cover that lists them and marks the ones with a warning; the same words in
the HTML and in the plain text; and an account found by the name a rep types."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from html import unescape

import pytest

from db.briefing.account_names import accounts_named
from db.briefing.day import (
    NEW_PAGE,
    BriefingDay,
    DayBriefings,
    briefing_text,
    day_html,
    day_text,
    page_headers,
)
from db.briefing.report import briefing_html
from db.briefing.service import BriefingService
from db.edits import LocalEditor
from db.field.meetings import MeetingCalendar
from db.store.local_store import Store
from sync.enums import Channel, TeamRole
from tests.helpers.factories import (
    add_account,
    add_activity,
    add_contact,
    add_meeting,
    add_team_member,
)

ON = date(2026, 11, 23)  # a Monday
NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time of this computer on `day` (how the rep's calendar holds it)."""
    return datetime.combine(day, time(hour, minute)).astimezone()


def billing(store: Store, account: uuid.UUID, title: str, kind: str, **details: object) -> None:
    add_activity(
        store,
        account,
        title,
        type=kind,
        channel=Channel.BILLING,
        details=details,
        at=NOW - timedelta(days=5),
    )


@pytest.fixture
def day_store(store: Store) -> Store:
    """Three meetings on ON, written out of order, and some that are not on it."""
    acme = add_account(store, "Acme Logistics", city="Hamburg")
    zoe = add_contact(store, acme, "Zoë", "Núñez", title="Head of Procurement")
    add_team_member(store, acme, "Sandra Kühn", TeamRole.BILLING_CONTACT)
    billing(
        store,
        acme,
        "Invoice INV-1 issued",
        "invoice_issued",
        invoice="INV-1",
        amount=900,
        currency="EUR",
    )
    billing(store, acme, "Dispute opened", "dispute_opened", invoice="INV-1", reason="billed twice")
    add_meeting(store, acme, local(ON, 15), "Quarterly review", (zoe,))

    bolt = add_account(store, "Bolt & Nut GmbH", city="Köln")
    kai = add_contact(store, bolt, "Kai", "Roth")
    billing(store, bolt, "Invoice INV-7 overdue", "invoice_overdue", invoice="INV-7", amount=40)
    add_meeting(store, bolt, local(ON, 9, 30), "Site visit", (kai,))

    quiet = add_account(store, "Quiet Hill AB", city="Malmö")
    add_meeting(store, quiet, local(ON, 11), "Coffee", ends_at=local(ON, 11, 30))

    add_meeting(store, quiet, local(ON, 0) - timedelta(minutes=1), "The evening before")
    add_meeting(store, acme, local(ON + timedelta(days=1), 0), "The next day")
    gone = add_account(store, "Gone Ltd")
    add_meeting(store, gone, local(ON, 10), "With an account since deleted")
    LocalEditor(store).delete("account", gone)
    return store


def the_day(store: Store, on: date = ON, rep: str | None = "ana") -> BriefingDay:
    return DayBriefings(MeetingCalendar(store), BriefingService(store)).day(on, rep, now=NOW)


def words(html: str) -> str:
    """What the HTML says, single-spaced, as a PDF's text reads."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_days_meetings_in_time_order_and_no_others(day_store: Store) -> None:
    found = the_day(day_store)
    assert [b.account_name for b in found.briefings] == [
        "Bolt & Nut GmbH",
        "Quiet Hill AB",
        "Acme Logistics",
    ]
    assert [b.meeting.purpose for b in found.briefings if b.meeting] == [
        "Site visit",
        "Coffee",
        "Quarterly review",
    ]
    assert found.on == ON and found.rep == "ana" and found.made_at == NOW


def test_the_cover_lists_the_day_then_each_briefing_starts_a_page(day_store: Store) -> None:
    found = the_day(day_store)
    html = day_html(found)
    cover, *parts = html.split(NEW_PAGE)
    assert len(parts) == 3  # one new page a briefing, none before the cover
    said = words(cover)
    assert "Your day, Mon 23 Nov 2026" in said
    assert "For ana · 3 meetings" in said
    assert "1 meeting marked STOP" in said
    rows = [said.index(f"{t} {name}") for t, name in (
        ("09:30–10:30", "Bolt & Nut GmbH"),
        ("11:00–11:30", "Quiet Hill AB"),
        ("15:00–16:00", "Acme Logistics"),
    )]  # fmt: skip
    assert rows == sorted(rows)
    assert "Kai Roth" in said and "Zoë Núñez" in said and "Head office" in said
    # The marks: STOP white on black, CAUTION in a black frame, the word in each.
    assert re.search(r"bgcolor='#000000' style='[^']*color:#ffffff'><b>STOP</b>", cover)
    assert re.search(r"style='[^']*border: 2px solid #000000'><b>CAUTION</b>", cover)
    assert "STOP Open dispute: invoice INV-1" in said
    assert "CAUTION Overdue invoice INV-7" in said
    assert "nothing open" in said  # Quiet Hill
    # Each part is the briefing, in time order, printed whole.
    for part, briefing in zip(parts, found.briefings, strict=True):
        assert part.startswith(f"<h1>{briefing.account_name.replace('&', '&amp;')}</h1>")
    assert page_headers(found) == (
        "Your day, Mon 23 Nov 2026 · ana",
        "09:30–10:30 · Bolt & Nut GmbH · briefing for Mon 23 Nov 2026",
        "11:00–11:30 · Quiet Hill AB · briefing for Mon 23 Nov 2026",
        "15:00–16:00 · Acme Logistics · briefing for Mon 23 Nov 2026",
    )


def test_the_stop_band_is_in_the_html_and_the_text(day_store: Store) -> None:
    found = the_day(day_store)
    acme = found.briefings[2]
    [warning] = acme.warnings
    html = briefing_html(acme, printable=True)
    band = html[html.index("bgcolor='#000000'") : html.index("Talking points")]
    # A word, not only a colour or an icon: STOP white on solid black, beside the sentence.
    assert "bgcolor='#000000' style='color:#ffffff'><img" in band
    assert "<b style='font-size:12pt'>STOP</b>" in band
    assert "STOP: open dispute, do not pitch" in band

    text = briefing_text(acme)
    rule = "#" * 88
    start = text.index(rule)
    end = text.index(rule, start + 1)
    framed = text[start:end]
    assert "# STOP: open dispute, do not pitch" in framed
    assert "# Dispute: invoice INV-1, 900 EUR (billed twice), open since" in framed
    assert "# Who resolves it: Sandra Kühn (billing)" in framed
    assert warning.first in day_text(found)


def test_the_text_says_what_the_html_says(day_store: Store) -> None:
    """Every account, time, warning, talking point and contact of the day's PDF is in the
    text, which is built from the same briefings."""
    found = the_day(day_store)
    said, text = words(day_html(found)), " ".join(day_text(found).split())
    expected = ["Your day, Mon 23 Nov 2026", "3 meetings", "1 meeting marked STOP"]
    for b in found.briefings:
        assert b.meeting is not None
        expected.append(b.account_name)
        expected.append(f"{b.meeting.starts_at.astimezone():%H:%M}")
        expected += [p.name for p in b.people]
        expected += b.talking_points
        for w in b.warnings:
            expected += [w.first, w.text, w.headline]
        expected += [s.open[0] for s in b.status if s.open]
    for phrase in expected:
        assert phrase in said, phrase
        assert phrase in text, phrase


def test_a_day_without_meetings_says_so(day_store: Store) -> None:
    quiet = the_day(day_store, ON + timedelta(days=3), rep=None)
    assert quiet.briefings == ()
    assert NEW_PAGE not in day_html(quiet)
    assert "No meetings on Thu 26 Nov 2026: no briefings to print." in words(day_html(quiet))
    assert "No meetings on Thu 26 Nov 2026: no briefings to print." in day_text(quiet)
    assert page_headers(quiet) == ("Your day, Thu 26 Nov 2026",)  # nobody signed in yet


def test_an_all_day_meeting_comes_first_and_says_all_day(day_store: Store) -> None:
    fair = add_account(day_store, "Trade Fair Hall 4")
    midnight = local(ON, 0)
    add_meeting(
        day_store, fair, midnight, "Fair", ends_at=midnight + timedelta(days=1), all_day=True
    )
    found = the_day(day_store)
    assert found.briefings[0].account_name == "Trade Fair Hall 4"
    assert "all day Trade Fair Hall 4" in words(day_html(found))
    assert "all day       Trade Fair Hall 4" in day_text(found)
    assert "Mon 23 Nov 2026, all day" in briefing_text(found.briefings[0])


def test_the_text_keeps_to_its_width(day_store: Store) -> None:
    found = the_day(day_store)
    assert max(len(line) for line in day_text(found).splitlines()) <= 88


# -- an account by name ----------------------------------------------------------------------


def test_an_exact_name_in_any_case_is_one_account(store: Store) -> None:
    acme = add_account(store, "Acme Logistics")
    add_account(store, "Acme Logistics Nord")
    oster = add_account(store, "Østergaard Capital A/S", city="Aarhus")
    assert [a.id for a in accounts_named(store, "acme LOGISTICS").exact] == [acme]
    # SQLite folds ASCII only: "ØSTERGAARD" still finds "Østergaard".
    assert [a.id for a in accounts_named(store, " ØSTERGAARD capital a/s ").exact] == [oster]


def test_several_accounts_of_one_name_are_all_named(store: Store) -> None:
    first = add_account(store, "Acme", city="Hamburg")
    second = add_account(store, "ACME", city="Bonn")
    found = accounts_named(store, "acme")
    assert {a.id for a in found.exact} == {first, second}
    assert {a.city for a in found.exact} == {"Hamburg", "Bonn"}


def test_no_such_name_offers_the_nearest_names_holding_it_first(store: Store) -> None:
    for name in ("Acme Logistics", "Acme Foods", "Nordic Acme Tools", "Bolt GmbH"):
        add_account(store, name)
    other = add_account(store, "Zeta Corp")
    add_contact(store, other, "Acme", "Fan")  # matches through a contact, not its name
    found = accounts_named(store, "acme")
    assert found.exact == ()
    names = [a.name for a in found.candidates]
    assert set(names[:3]) == {"Acme Logistics", "Acme Foods", "Nordic Acme Tools"}
    assert names[3:] == ["Zeta Corp"]
    assert accounts_named(store, "qwxz").candidates == ()
    assert accounts_named(store, "!!!") == accounts_named(store, "qwxz")


def test_a_deleted_account_is_no_match(store: Store) -> None:
    gone = add_account(store, "Gone Ltd")
    LocalEditor(store).delete("account", gone)
    assert accounts_named(store, "Gone Ltd").exact == ()
    assert accounts_named(store, "Gone Ltd").candidates == ()


def test_at_most_five_candidates(store: Store) -> None:
    for number in range(8):
        add_account(store, f"Acme Branch {number}")
    assert len(accounts_named(store, "acme").candidates) == 5
