"""The briefing read from a real store: what is open, what happened since the last visit,
who we meet and what they care about, who else touches the account, what was promised."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from db.briefing.dto import Briefing
from db.briefing.report import briefing_html
from db.briefing.rules import STOP
from db.briefing.service import BriefingService
from db.edits import LocalEditor
from db.profiles.book import ProfileBook
from db.store.local_store import Store
from sync.enums import Channel, TeamRole
from tests.helpers.factories import (
    add_account,
    add_activity,
    add_contact,
    add_meeting,
    add_team_member,
)

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    """`days` before NOW (negative: after)."""
    return NOW - timedelta(days=days)


@pytest.fixture
def acme(store: Store) -> uuid.UUID:
    return add_account(store, "Acme Logistics", city="Hamburg", industry="Logistics")


def brief(store: Store, account: uuid.UUID, meeting: uuid.UUID | None = None) -> Briefing:
    found = BriefingService(store).briefing(account, meeting, now=NOW)
    assert found is not None
    return found


def event(store: Store, account: uuid.UUID, kind: str, days: float, **details: object) -> None:
    channel = {
        "ticket": Channel.SERVICE,
        "dispute": Channel.SERVICE,
        "nps": Channel.SERVICE,
        "meeting": Channel.SALES,
    }
    add_activity(
        store,
        account,
        details.pop("title", kind.replace("_", " ")),  # type: ignore[arg-type]
        type=kind,
        channel=channel.get(
            kind.split("_")[0],
            Channel.BILLING if "invoice" in kind or "credit" in kind else Channel.MARKETING,
        ),
        details=details,
        at=at(days),
    )


def test_a_ticket_is_open_until_closed_and_a_dispute_until_resolved(
    store: Store, acme: uuid.UUID
) -> None:
    event(store, acme, "ticket_opened", 400, ticket="100", severity="urgent", subject="Old")
    event(store, acme, "ticket_closed", 390, ticket="100")
    event(store, acme, "ticket_opened", 300, ticket="123", severity="high", subject="Scanner")
    event(store, acme, "ticket_updated", 2, ticket="123", status="waiting on customer")
    event(store, acme, "dispute_opened", 500, dispute="D-1", invoice="INV-1", reason="VAT")
    event(store, acme, "dispute_resolved", 450, dispute="D-1")
    event(store, acme, "dispute_opened", 200, dispute="D-2", invoice="INV-2", reason="price")
    warnings = brief(store, acme).warnings
    assert [(w.level, w.text) for w in warnings] == [
        (STOP, "Dispute: invoice INV-2 (price), open since Thu 7 May 2026"),
        (STOP, "Ticket #123 (high): Scanner, open since Tue 27 Jan 2026"),
    ]


def test_overdue_until_paid_and_a_credit_hold_lifted_by_the_payment(
    store: Store, acme: uuid.UUID
) -> None:
    event(store, acme, "invoice_overdue", 40, invoice="INV-5", amount=1200, currency="EUR")
    event(
        store,
        acme,
        "invoice_overdue",
        30,
        invoice="INV-6",
        amount=800,
        currency="EUR",
        due_date="2026-10-20",
    )
    event(store, acme, "credit_hold", 20, invoice="INV-5", reason="overdue")
    texts = [w.text for w in brief(store, acme).warnings]
    assert texts == [
        "On credit hold (overdue): no new orders until billing lifts it.",
        "Invoice INV-5 is overdue (1,200 EUR).",
        "Invoice INV-6 is overdue (800 EUR, due Tue 20 Oct 2026).",
    ]
    event(store, acme, "invoice_paid", 1, invoice="INV-5")
    assert [w.text for w in brief(store, acme).warnings] == [texts[2]]


def test_since_the_last_visit_is_grouped_counted_and_newest_first(
    store: Store, acme: uuid.UUID
) -> None:
    add_meeting(store, acme, at(30), "Quarterly review")
    event(store, acme, "webinar_attended", 40, webinar="Before the visit")  # not since
    event(store, acme, "webinar_attended", 20, webinar="Cold chain 101")
    event(store, acme, "webinar_attended", 10, webinar="Pricing 2027")
    for days in (9, 8, 7, 6, 5):
        event(store, acme, "email_opened", days, campaign="winter")
    for days in (4, 3, 2):
        event(store, acme, "page_visit", days, url="/pricing")
    event(store, acme, "page_visit", 1, url="/careers")
    b = brief(store, acme)
    assert b.since_last_visit and b.since == at(30) + timedelta(hours=1)  # the visit's end
    assert [(g.summary, g.count) for g in b.timeline] == [
        ("visited /careers once", 1),
        ("visited /pricing 3 times", 3),
        ("opened 5 emails", 5),
        ("attended 2 webinars", 2),
    ]
    assert [i.occurred_at for i in b.timeline[2].items] == [at(d) for d in (5, 6, 7, 8, 9)]
    assert b.talking_points[:2] == (
        "Thank them for attending the “Pricing 2027” webinar.",
        "Thank them for attending the “Cold chain 101” webinar.",
    )
    assert "They looked at our pricing page 3 times" in b.talking_points[2]


def test_without_an_earlier_visit_the_last_90_days_count(store: Store, acme: uuid.UUID) -> None:
    event(store, acme, "email_opened", 100)
    event(store, acme, "email_opened", 80)
    b = brief(store, acme)
    assert not b.since_last_visit and b.since == at(90)
    assert [g.count for g in b.timeline] == [1]


def test_the_meeting_its_people_and_what_their_profiles_say(store: Store, acme: uuid.UUID) -> None:
    rob = add_contact(store, acme, "Rob", "Stone", title="Plant manager")
    ann = add_contact(store, acme, "Ann", "Archer", title="CFO")
    add_contact(store, acme, "Zed", "Absent")
    meeting = add_meeting(store, acme, at(-1), "Renewal", attendees=(rob, ann))
    book = ProfileBook(store)
    book.set_answer(rob, "hobbies", ["sailing", "chess"])
    book.set_answer(rob, "topics_to_avoid", ["the 2024 reorganisation"])
    book.set_answer(rob, "birth_date", date(1970, 11, 26))
    book.record_consent(rob, date(2026, 11, 1), "signed form")
    book.set_answer(rob, "health", "Bad knee")
    b = brief(store, acme, meeting)
    assert b.meeting is not None and b.meeting.purpose == "Renewal"
    assert [(p.name, p.attending) for p in b.people] == [("Ann Archer", True), ("Rob Stone", True)]
    rob_line = b.people[1]
    assert ("Hobbies and pastimes", "sailing; chess") in rob_line.highlights
    assert rob_line.avoid == ("the 2024 reorganisation",)
    assert rob_line.coming_up == ("Birthday on Thu 26 Nov",)
    html = briefing_html(b)
    assert "Bad knee" not in html  # sensitive answers never reach a briefing
    assert "Rob Stone — Birthday on Thu 26 Nov: congratulate them." in b.talking_points


def test_the_next_meeting_is_used_when_none_is_named(store: Store, acme: uuid.UUID) -> None:
    add_meeting(store, acme, at(10), "Past")
    add_meeting(store, acme, at(-3), "Later")
    add_meeting(store, acme, at(-1), "Next")
    b = brief(store, acme)
    assert b.meeting is not None and b.meeting.purpose == "Next"
    assert b.since == at(10) + timedelta(hours=1)  # after the last visit before it


def test_an_all_day_meeting_reads_as_its_days_not_midnights(store: Store, acme: uuid.UUID) -> None:
    midnight = datetime(2026, 11, 24).astimezone()  # this machine's, as the report shows it
    one = add_meeting(
        store, acme, midnight, "Fair", ends_at=midnight + timedelta(days=1), all_day=True
    )
    two = add_meeting(
        store, acme, midnight, "Expo", ends_at=midnight + timedelta(days=2), all_day=True
    )
    html = briefing_html(brief(store, acme, one))
    assert "<b>Tue 24 Nov 2026, all day</b>" in html
    assert "<b>Tue 24 Nov–Wed 25 Nov 2026, all day</b>" in briefing_html(brief(store, acme, two))


def test_team_touches_last_visit_notes_promises_and_marketing_next(
    store: Store, acme: uuid.UUID
) -> None:
    add_team_member(store, acme, "Sara Service", TeamRole.SERVICE_REP)
    add_team_member(store, acme, "Pete Partner", TeamRole.PARTNER_MANAGER)
    add_team_member(store, acme, "Eve Exec", TeamRole.EXECUTIVE_SPONSOR)
    event(store, acme, "ticket_closed", 12, ticket="7", title="Ticket #7 closed")
    event(store, acme, "meeting_held", 15, held_by="Eve Exec", title="Lunch with the CEO")
    visit = add_meeting(store, acme, at(14), "Demo")
    editor = LocalEditor(store)
    editor.create("visit_note", account_id=acme, meeting_id=visit, body="They liked the demo.")
    editor.create("task", account_id=acme, title="Send the SLA draft", due_date=date(2026, 11, 20))
    editor.create("task", account_id=acme, title="Done already", done=True)
    event(store, acme, "email_scheduled", -4, campaign="winter-26", title="Winter offer")
    event(store, acme, "email_scheduled", -60, campaign="spring", title="Too far ahead")
    event(store, acme, "nurture_paused", 3)
    b = brief(store, acme)
    touches = {t.name: (t.latest_at, t.latest) for t in b.team}
    assert touches == {
        "Eve Exec": (at(15), "Lunch with the CEO"),
        "Pete Partner": (None, None),
        "Sara Service": (at(12), "Ticket #7 closed"),
    }
    assert b.last_visit is not None and b.last_visit.notes == ((None, "They liked the demo."),)
    assert [(p.title, p.due) for p in b.promises] == [("Send the SLA draft", date(2026, 11, 20))]
    assert [(s.title, s.campaign) for s in b.scheduled] == [("Winter offer", "winter-26")]
    assert b.nurture_paused == ("everyone at the account",)
    assert not any(item.type == "email_scheduled" for g in b.timeline for item in g.items)
    assert b.talking_points[0] == "You promised: Send the SLA draft (was due Fri 20 Nov)."


def test_a_deleted_account_has_no_briefing(store: Store, acme: uuid.UUID) -> None:
    LocalEditor(store).delete("account", acme)
    assert BriefingService(store).briefing(acme, now=NOW) is None


@pytest.mark.parametrize(
    ("severity", "warned"), [(1, True), (2, True), (3, False), ("High", True), ("low", False)]
)
def test_numbered_and_named_severities_alike(
    store: Store, acme: uuid.UUID, severity: object, warned: bool
) -> None:
    event(store, acme, "ticket_opened", 2, ticket="9", severity=severity, subject="Down")
    event(store, acme, "ticket_updated", 1, ticket="9", status="waiting")
    assert bool(brief(store, acme).warnings) is warned


def test_a_ticket_solved_by_an_update_is_closed(store: Store, acme: uuid.UUID) -> None:
    event(store, acme, "ticket_opened", 2, ticket="9", severity="urgent")
    event(store, acme, "ticket_updated", 1, ticket="9", status="solved")
    assert brief(store, acme).warnings == ()


def test_opt_outs_warn_until_opted_in_again(store: Store, acme: uuid.UUID) -> None:
    ann = add_contact(store, acme, "Ann", "Archer")
    add_activity(store, acme, "Opted out", type="contact_opt_out", contact_id=ann, at=at(10))
    assert [w.text for w in brief(store, acme).warnings] == [
        "Ann Archer asked not to be contacted."
    ]
    add_activity(store, acme, "Opted in", type="contact_opt_in", contact_id=ann, at=at(2))
    assert brief(store, acme).warnings == ()


def test_nurture_paused_until_resumed(store: Store, acme: uuid.UUID) -> None:
    add_activity(store, acme, "Paused", type="nurture_paused", at=at(10))
    assert brief(store, acme).nurture_paused == ("everyone at the account",)
    add_activity(store, acme, "Resumed", type="nurture_resumed", at=at(2))
    assert brief(store, acme).nurture_paused == ()


def test_holds_both_ways_what_the_rep_asked_and_what_marketing_still_sends(
    store: Store, acme: uuid.UUID
) -> None:
    from db.field.holds import ContactHolds

    zoe = add_contact(store, acme, "Zoë", "Núñez")
    rob = add_contact(store, acme, "Rob", "Stone")
    ContactHolds(store).place(
        zoe, date(2026, 12, 31), None, "negotiating", today=date(2026, 11, 23)
    )
    for who, campaign in ((zoe, "winter-26"), (rob, "winter-26")):
        add_activity(
            store, acme, "Winter offer", type="email_scheduled", contact_id=who,
            details={"campaign": campaign}, at=at(-3),
        )  # fmt: skip
    b = brief(store, acme)
    [hold] = b.holds  # as db.field.holds words it
    assert hold.startswith("Zoë Núñez: all marketing on hold until") and "Thu 31 Dec 2026" in hold
    assert [b.scheduled[i].contact for i in b.held_sends] == ["Zoë Núñez"]
    html = briefing_html(b)
    assert "despite your hold" in html and "You asked marketing to hold off" in html
