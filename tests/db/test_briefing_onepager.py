"""The briefing as a one-pager a rep reads in two minutes, from a real store: always the same
order, a warning band that says what to do first and survives a black-and-white print,
talking points that never contradict it, "nothing open" where nothing is, the window after
the last visit, the last note rendered and capped."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from db.briefing.dto import Briefing
from db.briefing.note_html import MORE, note_html
from db.briefing.report import NOTHING_OPEN, briefing_html
from db.briefing.rules import CAUTION, STOP
from db.briefing.service import BriefingService
from db.edits import LocalEditor
from db.store.local_store import Store
from sync.enums import Channel, LadderRung, TeamRole
from tests.helpers.factories import (
    add_account,
    add_activity,
    add_contact,
    add_meeting,
    add_team_member,
)

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
CHANNELS = {"ticket": Channel.SERVICE, "nps": Channel.SERVICE, "csat": Channel.SERVICE}


def at(days: float) -> datetime:
    """`days` before NOW (negative: after)."""
    return NOW - timedelta(days=days)


def event(store: Store, account: uuid.UUID, kind: str, days: float, **details: object) -> None:
    channel = CHANNELS.get(kind.split("_")[0], Channel.MARKETING)
    if kind.startswith(("invoice", "dispute", "credit")):
        channel = Channel.BILLING
    if kind == "meeting_held":
        channel = Channel.SALES
    add_activity(
        store,
        account,
        str(details.pop("title", kind.replace("_", " "))),
        type=kind,
        channel=channel,
        details=details,
        at=at(days),
    )


def brief(store: Store, account: uuid.UUID, meeting: uuid.UUID | None = None) -> Briefing:
    found = BriefingService(store).briefing(account, meeting, now=NOW)
    assert found is not None
    return found


@pytest.fixture
def acme(store: Store) -> uuid.UUID:
    return add_account(store, "Acme Logistics", city="Hamburg", ladder_rung=LadderRung.SUPPORTER)


@pytest.fixture
def disputed(store: Store, acme: uuid.UUID) -> uuid.UUID:
    """Acme with everything a briefing shows, and an open dispute about a DKK invoice."""
    rob = add_contact(
        store, acme, "Rob", "Stone", title="CFO", phone="+45 33 12 34 56", email="rob@acme.dk"
    )
    add_team_member(store, acme, "Sandra Kühn", TeamRole.BILLING_CONTACT)
    add_team_member(store, acme, "Sam Lee", TeamRole.SERVICE_REP)
    visit = add_meeting(store, acme, at(30), "Quarterly review", (rob,))
    add_meeting(store, acme, at(-1), "Renewal", (rob,))
    editor = LocalEditor(store)
    editor.create(
        "visit_note", account_id=acme, meeting_id=visit, body="## Discussed\n\nThe **renewal**."
    )
    editor.create("task", account_id=acme, title="Send the SLA draft")
    event(store, acme, "nps_response", 40, score=10, comment="great")  # before the dispute
    event(store, acme, "invoice_issued", 25, invoice="INV-1", amount=37800, currency="DKK")
    event(store, acme, "dispute_opened", 10, dispute="D-1", invoice="INV-1", reason="billed twice")
    for days in (4, 3):
        event(store, acme, "page_visit", days, url="/pricing")
    event(store, acme, "email_scheduled", -5, campaign="winter-26", title="Winter offer")
    return acme


# -- order ---------------------------------------------------------------------------------

SECTIONS = (
    "STOP: open dispute, do not pitch",
    "Talking points",
    "Who you meet",
    ">Service<",
    ">Billing<",
    ">Marketing<",
    "Since your last visit",
    "Our account team",
    "Last visit",
    "What you promised",
    "What marketing sends them next",
)


def test_the_sections_come_in_one_order(store: Store, disputed: uuid.UUID) -> None:
    html = briefing_html(brief(store, disputed))
    found = [html.find(section) for section in SECTIONS]
    assert -1 not in found, [s for s, f in zip(SECTIONS, found, strict=True) if f == -1]
    assert found == sorted(found)
    # A quiet account has the same sections in the same order (no band, a calm line).
    quiet = add_account(store, "Quiet GmbH")
    add_contact(store, quiet, "Ida", "Berg")
    html = briefing_html(brief(store, quiet))
    calm = [
        {"Who you meet": "Key contacts", "Since your last visit": "Last 90 days"}.get(s, s)
        for s in ("Nothing open that should stop", *SECTIONS[1:])
    ]
    found = [html.find(section) for section in calm]
    assert -1 not in found and found == sorted(found)


def test_who_they_meet_with_phone_and_e_mail(store: Store, disputed: uuid.UUID) -> None:
    b = brief(store, disputed)
    [rob] = b.people
    assert (rob.name, rob.phones, rob.email, rob.attending) == (
        "Rob Stone",
        ("+45 33 12 34 56",),
        "rob@acme.dk",
        True,
    )
    assert "+45 33 12 34 56 · rob@acme.dk" in briefing_html(b)


# -- service, billing, marketing -----------------------------------------------------------


def test_one_line_each_for_service_billing_and_marketing(store: Store, acme: uuid.UUID) -> None:
    b = brief(store, acme)
    assert [(s.channel, s.open, s.scores) for s in b.status] == [
        ("service", (), ()),
        ("billing", (), ()),
        ("marketing", (), ()),
    ]
    assert briefing_html(b).count(f"<span class='muted'>{NOTHING_OPEN}</span>") == 3

    ann = add_contact(store, acme, "Ann", "Archer")
    add_activity(
        store, acme, "NPS", type="nps_response", channel=Channel.SERVICE, contact_id=ann,
        details={"score": 9}, at=at(20),
    )  # fmt: skip
    event(store, acme, "csat_response", 5, score=4)
    event(store, acme, "ticket_opened", 3, ticket="77", severity="normal", subject="Label")
    event(store, acme, "invoice_overdue", 2, invoice="INV-9", amount=1200, currency="EUR")
    b = brief(store, acme)
    service, billing, marketing = b.status
    assert service.open == ("ticket #77 (normal) open since Fri 20 Nov 2026",)
    assert service.scores == (
        "NPS 9/10 from Ann Archer, Tue 3 Nov 2026",
        "CSAT 4/5, Wed 18 Nov 2026",
    )
    assert billing.open == ("invoice INV-9 overdue (1,200 EUR)",)
    assert marketing.open == ()
    html = briefing_html(b)
    assert html.count(f"<span class='muted'>{NOTHING_OPEN}</span>") == 1  # marketing
    assert "ticket #77 (normal) open since Fri 20 Nov 2026 · NPS 9/10 from Ann Archer" in html


# -- the warning band ----------------------------------------------------------------------


def test_the_warning_says_what_to_do_first_amount_since_and_who_resolves_it(
    store: Store, disputed: uuid.UUID
) -> None:
    b = brief(store, disputed)
    [warning] = b.warnings
    assert warning.level == STOP
    assert warning.first == "STOP: open dispute, do not pitch"
    # No amount on the dispute: its invoice's, from when it was issued.
    assert (
        warning.text
        == "Dispute: invoice INV-1, 37,800 DKK (billed twice), open since Fri 13 Nov 2026"
    )
    assert warning.owner == "Sandra Kühn (billing)"
    html = briefing_html(b)
    band = html[html.index("bgcolor='#000000'") : html.index("Talking points")]
    assert "Dispute: invoice INV-1, 37,800 DKK (billed twice), open since Fri 13 Nov 2026" in band
    assert "Who resolves it: <b>Sandra Kühn (billing)</b>" in band
    assert "<img src='data:image/svg+xml;base64," in band  # the icon
    # Directly after the band: the talking points, then who they meet.
    assert html.index("Talking points") < html.index("Who you meet") < html.index(">Service<")


def test_without_a_billing_colleague_the_band_says_so(store: Store, acme: uuid.UUID) -> None:
    event(store, acme, "dispute_opened", 3, dispute="D-9", amount=500, currency="EUR")
    [warning] = brief(store, acme).warnings
    assert warning.text == "Dispute: dispute D-9, 500 EUR, open since Fri 20 Nov 2026"
    assert warning.owner == "billing (nobody named on the team)"


def _luminance(colour: str) -> float:
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue


def test_the_band_reads_in_black_and_white(store: Store, disputed: uuid.UUID) -> None:
    """Printed in greyscale, the band is not a grey like the ladder's chip: a light fill in
    a thick black frame, with its icon and the word STOP."""
    event(store, disputed, "invoice_overdue", 1, invoice="INV-2", amount=10, currency="EUR")
    html = briefing_html(brief(store, disputed))
    frames = re.findall(r"cellpadding='(\d)' bgcolor='#000000'.*?bgcolor='(#\w{6})'", html)
    assert [int(width) for width, _fill in frames] == [4, 2]  # STOP thicker than CAUTION
    chip = re.search(r"<td bgcolor='(#\w{6})' align='center' style='color:#ffffff'>", html)
    assert chip is not None
    for _width, fill in frames:
        assert _luminance(fill) - _luminance(chip.group(1)) > 0.5
    assert html.count("data:image/svg+xml;base64,") == 2  # one icon a warning
    assert "STOP: open dispute" in html and "CAUTION: invoice overdue" in html


# -- talking points ------------------------------------------------------------------------


def test_no_reference_ask_while_a_dispute_is_open(store: Store, disputed: uuid.UUID) -> None:
    points = brief(store, disputed).talking_points
    assert points[0] == (
        "Start with the dispute about invoice INV-1: listen, acknowledge, "
        "say that Sandra Kühn in billing resolves it."
    )
    said = " ".join(points)
    assert "reference" not in said  # the 10/10 was given before the dispute
    assert "budget and timing" not in said  # no pitch off the pricing visits either
    assert "speak for us" not in said  # nor the ladder's next step

    event(store, disputed, "dispute_resolved", 1, dispute="D-1", invoice="INV-1")
    said = " ".join(brief(store, disputed).talking_points)
    assert "They rated us 10/10: ask for a reference" in said
    assert "budget and timing" in said and "speak for us" in said


# -- since the last visit ------------------------------------------------------------------


def test_since_the_last_visit_starts_after_it(store: Store, acme: uuid.UUID) -> None:
    add_meeting(store, acme, at(10), "Site visit")  # 10 days ago, for an hour
    event(store, acme, "email_opened", 10.5, title="Before the visit")
    event(store, acme, "email_clicked", 10 - 0.5 / 24, title="During the visit")
    event(store, acme, "form_fill", 10 - 1 / 24, title="As the visit ended")
    event(store, acme, "content_download", 9, title="After the visit", asset="Guide")
    b = brief(store, acme)
    assert b.since == at(10) + timedelta(hours=1)
    assert [i.title for g in b.timeline for i in g.items] == ["After the visit"]
    assert "Since your last visit (Fri 13 Nov 2026)" in briefing_html(b)


def test_the_reps_own_visit_is_not_a_meeting_with_colleagues(store: Store, acme: uuid.UUID) -> None:
    add_meeting(store, acme, at(20), "Site visit")
    # The app logs the rep's own visit as it ends (no colleague named), and one from
    # another of the rep's devices the store has no meeting for.
    event(store, acme, "meeting_held", 20 - 1 / 24, title="Meeting held: Site visit")
    event(store, acme, "meeting_held", 12, title="Meeting held: Drop-in")
    event(store, acme, "meeting_held", 6, title="Lunch with the CEO", held_by="Eve Exec")
    b = brief(store, acme)
    assert [(g.summary, g.count) for g in b.timeline] == [
        ("1 meeting with colleagues", 1),
        ("1 visit of yours", 1),
    ]
    assert [i.title for g in b.timeline for i in g.items] == [
        "Lunch with the CEO",
        "Meeting held: Drop-in",
    ]


def test_no_line_repeats_the_timeline(store: Store, acme: uuid.UUID) -> None:
    add_meeting(store, acme, at(30), "Quarterly review")
    add_team_member(store, acme, "Sam Lee", TeamRole.SERVICE_REP)
    for days in (9, 8, 7, 6, 5):
        event(store, acme, "email_opened", days, title=f"Opened email {days}")
    event(store, acme, "ticket_closed", 4, ticket="7", title="Ticket #7 closed: printer")
    html = briefing_html(brief(store, acme))
    assert html.count("pened 5 emails") == 1  # no per-channel summary above the groups
    assert html.count("Opened email 5") == 1  # the newest, named in its group's line
    assert html.count("Ticket #7 closed: printer") == 1  # not again as Sam's last touch
    assert "last touch Thu 19 Nov 2026" in html


# -- the last visit's note -----------------------------------------------------------------

NOTE = """## Visit report: Acme Logistics — Quarterly review, Sat 24 Oct 2026

**Attendees:** Rob Stone, Ann Archer

### Discussed

They *liked* the cold-chain demo <script>alert(1)</script> and asked about [pricing](https://x).

### Objections

\u00a0

### Next steps

- [ ] Send the SLA draft
- [x] Book the lab visit
- Call Ann in January
- Check the scanner firmware
- Ask about the Hamburg site
- Invite them to the customer day
"""


def test_the_last_visits_note_is_rendered_and_capped(store: Store, acme: uuid.UUID) -> None:
    visit = add_meeting(store, acme, at(30), "Quarterly review")
    LocalEditor(store).create("visit_note", account_id=acme, meeting_id=visit, body=NOTE)
    html = briefing_html(brief(store, acme))
    note = html[html.index("Last visit: ") : html.index("What you promised")]
    assert "<b>Attendees:</b> Rob Stone, Ann Archer" in note
    assert "They <i>liked</i> the cold-chain demo &lt;script&gt;" in note
    assert "asked about pricing." in note
    assert "☐ Send the SLA draft" in note and "☑ Book the lab visit" in note
    assert not re.search(r"\*\*|##|- \[|\]\(", note)  # no raw Markdown
    assert "Visit report" not in note and "Objections" not in note  # said above / empty
    assert f"… {MORE}" in note
    assert "Invite them to the customer day" not in note  # past the cap


def test_a_long_paragraph_is_cut_at_a_word_and_a_short_note_is_whole() -> None:
    long = note_html(" ".join(["word"] * 400))
    assert long.endswith(f"<p class='muted'><i>… {MORE}</i></p>")
    shown = re.sub(r"<[^>]+>", "", long.split("<p class='muted'>")[0])
    assert len(shown) <= 700 and shown.endswith("word …")
    assert MORE not in note_html("Short and sweet.")


# -- the rules on their own ----------------------------------------------------------------


def test_caution_warnings_name_what_to_do_first_too(store: Store, acme: uuid.UUID) -> None:
    ann = add_contact(store, acme, "Ann", "Archer")
    add_activity(store, acme, "Opted out", type="contact_opt_out", contact_id=ann, at=at(3))
    event(store, acme, "invoice_overdue", 2, invoice="INV-9", amount=1200, currency="EUR")
    assert [(w.level, w.first, w.headline) for w in brief(store, acme).warnings] == [
        (
            CAUTION,
            "CAUTION: invoice overdue, no new order before it is paid",
            "Overdue invoice INV-9",
        ),
        (CAUTION, "CAUTION: do not contact Ann Archer", "Ann Archer asked not to be contacted"),
    ]
