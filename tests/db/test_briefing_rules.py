"""Each warning and talking point fires exactly when it should (db.briefing.rules)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from db.briefing.rules import (
    CAUTION,
    STOP,
    Birthday,
    Dispute,
    Facts,
    Invoice,
    Promise,
    Scheduled,
    Survey,
    Ticket,
    talking_points,
    warnings,
)
from sync.enums import LadderRung

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BASE = Facts(today=TODAY, rung=LadderRung.CUSTOMER)


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def ticket(severity: str, number: str = "123") -> Ticket:
    return Ticket(number, severity, "Scanner offline", days_ago(3))


def nps(score: int, days: int = 10, kind: str = "nps") -> Survey:
    return Survey(kind, score, "slow answers", "Rob Stone", days_ago(days))


# (what the store knows, the warnings expected as (level, words in the text))
WARNING_CASES = [
    ("nothing open", {}, []),
    (
        "open dispute",
        {"open_disputes": (Dispute("D-1", "INV-7", "wrong VAT", days_ago(5)),)},
        [(STOP, "Dispute: invoice INV-7 (wrong VAT), open since Wed 18 Nov 2026")],
    ),
    ("urgent ticket", {"open_tickets": (ticket("urgent"),)}, [(STOP, "Ticket #123 (urgent)")]),
    ("high ticket", {"open_tickets": (ticket("high"),)}, [(STOP, "Ticket #123 (high)")]),
    ("normal ticket: no warning", {"open_tickets": (ticket("normal"),)}, []),
    (
        "overdue invoice",
        {"overdue_invoices": (Invoice("INV-9", "1,200 EUR", date(2026, 10, 1)),)},
        [(CAUTION, "Invoice INV-9 is overdue (1,200 EUR, due Thu 1 Oct 2026)")],
    ),
    ("credit hold", {"credit_hold": "overdue"}, [(STOP, "On credit hold (overdue)")]),
    ("no-contact flag", {"no_contact": ("Ann Archer",)}, [(CAUTION, "Ann Archer asked not")]),
    ("detractor NPS", {"surveys": (nps(4),)}, [(CAUTION, "Rob Stone rated us 4/10")]),
    ("NPS of 6 is a detractor", {"surveys": (nps(6),)}, [(CAUTION, "rated us 6/10")]),
    ("passive NPS: no warning", {"surveys": (nps(7),)}, []),
    ("old detractor: no warning", {"surveys": (nps(2, days=200),)}, []),
    ("newest survey counts", {"surveys": (nps(9), nps(1, days=30))}, []),
    ("unhappy CSAT", {"surveys": (nps(2, kind="csat"),)}, [(CAUTION, "rated us 2/5")]),
    ("content CSAT: no warning", {"surveys": (nps(4, kind="csat"),)}, []),
]


@pytest.mark.parametrize(
    ("facts", "expected"), [c[1:] for c in WARNING_CASES], ids=[c[0] for c in WARNING_CASES]
)
def test_warnings(facts: dict[str, object], expected: list[tuple[str, str]]) -> None:
    found = warnings(replace(BASE, **facts))  # type: ignore[arg-type]
    assert len(found) == len(expected)
    for warning, (level, words) in zip(found, expected, strict=True):
        assert warning.level == level and words in warning.text


def test_stop_warnings_come_first() -> None:
    found = warnings(
        replace(
            BASE,
            surveys=(nps(3),),
            overdue_invoices=(Invoice("INV-9", "10 EUR", None),),
            open_disputes=(Dispute("D-1", None, "", days_ago(1)),),
        )
    )
    assert [w.level for w in found] == [STOP, CAUTION, CAUTION]


# (facts, points expected: each a phrase that must start or be in one point, in order)
POINT_CASES = [
    ("a plain customer: the ladder's next step", {}, ["Ask what would make us their first"]),
    (
        "dispute first, and no ladder talk",
        {"open_disputes": (Dispute("D-1", "INV-7", "", days_ago(5)),)},
        ["Start with the dispute about invoice INV-7"],
    ),
    (
        "urgent ticket: ask about it before anything else",
        {"open_tickets": (ticket("urgent"),)},
        ["Ask about ticket #123 before anything else."],
    ),
    (
        "normal tickets: check they move",
        {"open_tickets": (ticket("low", "1"), ticket("normal", "2"))},
        ["Check that their open tickets (#1, #2) are moving.", "Ask what would make us"],
    ),
    (
        "webinar attended: thank them",
        {"webinars_attended": ("Pricing 2027",)},
        ["Thank them for attending the “Pricing 2027” webinar.", "Ask what would make us"],
    ),
    (
        "download: ask about it",
        {"downloads": ("Cold chain guide",)},
        ["Ask what they made of “Cold chain guide”.", "Ask what would make us"],
    ),
    ("one pricing visit is not interest", {"pricing_visits": 1}, ["Ask what would make us"]),
    (
        "pricing visits: budget and timing",
        {"pricing_visits": 3},
        ["They looked at our pricing page 3 times", "Ask what would make us"],
    ),
    (
        "promoter: ask for a reference",
        {"surveys": (nps(10),)},
        ["They rated us 10/10: ask for a reference", "Ask what would make us"],
    ),
    (
        "detractor: ask what would make them rate us higher",
        {"surveys": (nps(3),)},
        ["Ask what would make them rate us higher than 3/10.", "Ask what would make us"],
    ),
    (
        "promises, overdue ones with their date",
        {"promises": (Promise("Send the SLA draft", date(2026, 11, 20), None),)},
        ["You promised: Send the SLA draft (was due Fri 20 Nov).", "Ask what would make us"],
    ),
    (
        "birthday this week",
        {"birthdays": (Birthday("Rob Stone", "Birthday", TODAY + timedelta(days=3)),)},
        ["Rob Stone — Birthday on Thu 26 Nov", "Ask what would make us"],
    ),
    (
        "birthday in three weeks: not yet",
        {"birthdays": (Birthday("Rob Stone", "Birthday", TODAY + timedelta(days=21)),)},
        ["Ask what would make us"],
    ),
    (
        "marketing's next send",
        {"scheduled": (Scheduled("Winter offer", "winter-26", None, NOW + timedelta(days=4)),)},
        ["Marketing sends “winter-26” on Fri 27 Nov", "Ask what would make us"],
    ),
    ("a prospect: qualify", {"rung": LadderRung.PROSPECT}, ["Qualify:"]),
    (
        "promoter before an open dispute: no reference ask, no ladder step",
        {
            "surveys": (nps(10, days=40),),
            "open_disputes": (Dispute("D-1", "INV-7", "", days_ago(5)),),
        },
        ["Start with the dispute about invoice INV-7"],
    ),
    (
        "a credit hold: no pitch off the pricing visits, no reference ask",
        {"pricing_visits": 3, "surveys": (nps(10),), "credit_hold": "overdue"},
        [],
    ),
]


@pytest.mark.parametrize(
    ("facts", "expected"), [c[1:] for c in POINT_CASES], ids=[c[0] for c in POINT_CASES]
)
def test_talking_points(facts: dict[str, object], expected: list[str]) -> None:
    points = talking_points(replace(BASE, **facts))  # type: ignore[arg-type]
    assert len(points) == len(expected), points
    for point, words in zip(points, expected, strict=True):
        assert point.startswith(words) or words in point
