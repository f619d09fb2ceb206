"""Events from marketing, service and billing over real HTTP: checks, matching, duplicates,
the unmatched queue, API keys, territories, CSV, and the way to a rep's laptop."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from db.edits import LOCAL_COLUMNS
from db.store.local_store import Store
from db.store.models import Activity
from db.store.replica import LocalReplica
from server.auth import AuthService
from server.cli import main as server_main
from server.events import EVENT_TYPES
from server.importer import import_accounts
from server.ingest import ApiKeys
from server.models import IngestedEvent, OutsideKey, Record
from server.records import ScopedRecords, encode_cursor
from sync.engine import SyncEngine
from sync.enums import Channel
from tests.server.conftest import PASSWORD, Clock

EVENTS = "/v1/ingest/events"


def write(auth: AuthService, entity: str, territory: str, data: dict[str, Any]) -> uuid.UUID:
    record_id = uuid.uuid4()
    with auth.store.session() as session:
        ScopedRecords(session, frozenset({territory}), auth.clock).create(
            entity, record_id, territory, data
        )
    return record_id


def activities(auth: AuthService) -> dict[uuid.UUID, Record]:
    with auth.store.session() as session:
        rows = session.scalars(select(Record).where(Record.entity == "activity"))
        return {r.id: r for r in rows}


def taken_as(auth: AuthService, source: str, event_id: str) -> uuid.UUID | None:
    """The id of the activity the server recorded an event as having become."""
    with auth.store.session() as session:
        taken = session.get(IngestedEvent, (source, event_id))
        return taken.activity_id if taken is not None else None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def event(event_id: str, type: str = "ticket_opened", **fields: Any) -> dict[str, Any]:
    fields.setdefault("occurred_at", "2026-11-20T10:15:00+01:00")
    fields.setdefault("details", {"ticket": 4711, "subject": "Sync stuck", "severity": "high"})
    return {"event_id": event_id, "type": type, **fields}


def send(http: httpx.Client, key: str, *events: dict[str, Any]) -> dict[str, Any]:
    response = http.post(EVENTS, json={"events": list(events)}, headers=bearer(key))
    assert response.status_code == 200, response.text
    return dict(response.json())


def cli(url: str, *args: str) -> int:
    return server_main(["--database-url", url, *args])


class Customers:
    """Acme in north (a contact, Zoë) and Südwerk in south (a contact, Ida)."""

    def __init__(self, auth: AuthService) -> None:
        self.acme = write(
            auth,
            "account",
            "north",
            {"name": "Acme", "territory": "north", "website": "https://www.Acme.example/"},
        )
        self.zoe = write(
            auth,
            "contact",
            "north",
            {
                "account_id": str(self.acme),
                "first_name": "Zoë",
                "last_name": "Berg",
                "email": "Zoe.Berg@acme.example",
            },
        )
        self.suedwerk = write(
            auth,
            "account",
            "south",
            {"name": "Südwerk", "territory": "south", "website": "suedwerk.example"},
        )
        self.ida = write(
            auth,
            "contact",
            "south",
            {
                "account_id": str(self.suedwerk),
                "first_name": "Ida",
                "last_name": "Roth",
                "email": "ida@suedwerk.example",
            },
        )


@pytest.fixture
def customers(auth: AuthService) -> Customers:
    return Customers(auth)


@pytest.fixture
def zendesk(auth: AuthService) -> str:
    return ApiKeys(auth.store, auth.clock).add("zendesk")


def test_good_events_land_and_bad_ones_say_which_field(
    http: httpx.Client, auth: AuthService, customers: Customers, zendesk: str
) -> None:
    body = send(
        http,
        zendesk,
        event("t-1", account_id=str(customers.acme), contact_email="ZOE.berg@acme.example"),
        event("t-2", account_id=str(customers.acme), details={"subject": "No number"}),
        event(
            "inv-1",
            "invoice_overdue",
            domain="acme.example",
            occurred_at="2026-11-22T08:00:00Z",
            details={
                "invoice": "INV-1",
                "amount": 1200,
                "currency": "eur",
                "due_date": "2026-11-01",
            },
        ),
        event("s-1", "nps_response", domain="acme.example", details={"score": 11}),
        event("x-1", "fax_received", domain="acme.example"),
        event("n-1", account_id=str(customers.acme), occurred_at="2026-11-20T10:00:00"),
        {"type": "ticket_opened"},
        "not an event",
    )
    results = {r["event_id"]: r for r in body["results"] if r["event_id"]}
    assert [r["status"] for r in body["results"]] == [
        "accepted", "rejected", "accepted", "rejected", "rejected", "rejected", "rejected",
        "rejected",
    ]  # fmt: skip
    assert (body["accepted"], body["rejected"], body["duplicate"], body["unmatched"]) == (
        2,
        6,
        0,
        0,
    )
    assert results["t-2"]["error"] == "details.ticket: required for ticket_opened"
    assert results["s-1"]["error"] == "details.score: Input should be less than or equal to 10"
    assert results["x-1"]["error"] == "type: unknown event type 'fax_received'"
    assert results["n-1"]["error"] == "occurred_at: Input should have timezone info"
    assert body["results"][6]["error"].startswith("event_id: required")
    assert body["results"][7]["error"] == "an event must be a JSON object"

    ticket = activities(auth)[uuid.UUID(results["t-1"]["activity_id"])]
    assert ticket.id == taken_as(auth, "zendesk", "t-1")
    assert ticket.territory == "north"
    assert ticket.data == {
        "account_id": str(customers.acme),
        "contact_id": str(customers.zoe),
        "channel": "service",
        "type": "ticket_opened",
        "title": "Ticket #4711 opened: Sync stuck (high)",
        "occurred_at": "2026-11-20T09:15:00+00:00",
        "details": {"ticket": 4711, "severity": "high", "subject": "Sync stuck"},
        "source_system": "zendesk",
    }
    invoice = activities(auth)[uuid.UUID(results["inv-1"]["activity_id"])]
    assert (invoice.data["channel"], invoice.data["title"], invoice.data["contact_id"]) == (
        "billing",
        "Invoice INV-1 overdue: 1,200 EUR",
        None,
    )
    assert invoice.data["details"]["currency"] == "EUR"
    assert len(activities(auth)) == 2


def test_only_a_planned_email_may_lie_in_the_future(
    http: httpx.Client, auth: AuthService, customers: Customers, zendesk: str
) -> None:
    later = {"occurred_at": "2027-01-15T09:00:00Z", "details": {"campaign": "Spring launch"}}
    body = send(
        http,
        zendesk,
        event("s-1", "email_scheduled", domain="acme.example", **later),
        event("s-2", "email_sent", domain="acme.example", **later),
    )
    assert [r["status"] for r in body["results"]] == ["accepted", "rejected"]
    assert body["results"][1]["error"] == (
        "occurred_at: more than a day in the future (only email_scheduled may be)"
    )
    [planned] = activities(auth).values()
    assert planned.data["title"] == "Email scheduled: Spring launch"
    assert planned.data["occurred_at"] == "2027-01-15T09:00:00+00:00"


def test_a_resent_event_is_a_duplicate_and_writes_nothing(
    http: httpx.Client, auth: AuthService, customers: Customers, zendesk: str
) -> None:
    first = event("t-1", account_id=str(customers.acme))
    body = send(http, zendesk, first, first)
    assert [r["status"] for r in body["results"]] == ["accepted", "duplicate"]
    assert body["results"][1]["activity_id"] == body["results"][0]["activity_id"]
    [stored] = activities(auth).values()

    again = send(http, zendesk, {**first, "title": "Changed in the meantime"})
    assert again["results"] == [
        {
            "event_id": "t-1",
            "status": "duplicate",
            "error": None,
            "activity_id": str(stored.id),
        }
    ]
    [after] = activities(auth).values()
    assert (after.version, after.data) == (stored.version, stored.data)

    # Another system's event with the same id is another event.
    other = ApiKeys(auth.store, auth.clock).add("netsuite")
    assert send(http, other, first)["accepted"] == 1
    assert len(activities(auth)) == 2


def test_accounts_are_found_by_id_crm_id_domain_and_email(
    http: httpx.Client, auth: AuthService, customers: Customers, zendesk: str, tmp_path: Path
) -> None:
    export = tmp_path / "salesforce.csv"
    export.write_text("Account ID,Account Name,Billing City\n001A,Bauhaus AG,Köln\n")
    import_accounts(auth.store, export, "north", auth.clock)
    nps = {"details": {"score": 9, "comment": "great people"}}
    body = send(
        http,
        zendesk,
        event("by-id", "nps_response", account_id=str(customers.acme), **nps),
        event("by-crm", "nps_response", crm_id="001A", **nps),
        event("by-crm-system", "nps_response", crm_id="salesforce:001A", **nps),
        event("by-domain", "nps_response", domain="http://WWW.SUEDWERK.example/contact", **nps),
        event("by-email", "nps_response", email="Ida@Suedwerk.example", **nps),
        event("by-email-other", "nps_response", email="IDA@suedwerk.example",
              contact_email="zoe.berg@acme.example", **nps),
        event("wrong-crm", "nps_response", crm_id="hubspot:001A", **nps),
    )  # fmt: skip
    found = {r["event_id"]: r for r in body["results"]}
    assert {k: v["status"] for k, v in found.items()} == {
        **dict.fromkeys(
            ("by-id", "by-crm", "by-crm-system", "by-domain", "by-email", "by-email-other"),
            "accepted",
        ),
        "wrong-crm": "unmatched",
    }
    assert found["wrong-crm"]["error"] == "no account imported with CRM id hubspot:001A"
    rows = {r.id: r for r in activities(auth).values()}

    def landed(event_id: str) -> tuple[str, str, str | None]:
        row = rows[uuid.UUID(found[event_id]["activity_id"])]
        return row.territory, row.data["account_id"], row.data["contact_id"]

    with auth.store.session() as session:
        bauhaus = session.get(OutsideKey, ("salesforce", "001A")).record_id  # type: ignore[union-attr]
    assert landed("by-id") == ("north", str(customers.acme), None)
    assert landed("by-crm") == landed("by-crm-system") == ("north", str(bauhaus), None)
    assert landed("by-domain") == ("south", str(customers.suedwerk), None)
    assert landed("by-email") == ("south", str(customers.suedwerk), str(customers.ida))
    # contact_email names no contact of that account: the e-mail's own contact stays.
    assert landed("by-email-other") == ("south", str(customers.suedwerk), str(customers.ida))
    assert rows[uuid.UUID(found["by-id"]["activity_id"])].data["title"] == (
        "NPS response: 9 — great people"
    )


def test_no_account_several_accounts_or_a_deleted_one_leave_the_event_unmatched(
    http: httpx.Client, auth: AuthService, customers: Customers, zendesk: str
) -> None:
    write(auth, "account", "south", {"name": "Acme Süd", "territory": "south",
                                     "website": "acme.example"})  # fmt: skip
    gone = write(auth, "account", "north", {"name": "Gone", "territory": "north"})
    with auth.store.session() as session:
        record = ScopedRecords(session, frozenset({"north"}), auth.clock).get("account", gone)
        assert record is not None
        record.deleted_at = auth.clock()
    body = send(
        http,
        zendesk,
        event("none", domain="nobody.example"),
        event("two", domain="acme.example"),
        event("deleted", account_id=str(gone)),
        event("no-contact", email="nobody@acme.example"),
    )
    assert body["unmatched"] == 4 and activities(auth) == {}
    assert [r["error"] for r in body["results"]] == [
        "no account with the website domain nobody.example",
        "the website domain acme.example names 2 accounts",
        f"account {gone} was deleted",
        "no contact with the e-mail nobody@acme.example",
    ]


def test_an_unmatched_event_waits_and_a_rematch_takes_it_in(
    http: httpx.Client,
    auth: AuthService,
    zendesk: str,
    server_database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    waiting = event(
        "inv-9",
        "invoice_issued",
        crm_id="K-7",
        occurred_at="2026-11-02T12:00:00Z",
        details={"invoice": "INV-9", "amount": 980.5, "currency": "USD"},
    )
    [result] = send(http, zendesk, waiting)["results"]
    assert (result["status"], result["activity_id"]) == ("unmatched", None)
    again = send(http, zendesk, waiting)["results"][0]
    assert again["status"] == "duplicate"
    assert again["error"] == "received before, unmatched: no account imported with CRM id K-7"

    assert cli(server_database_url, "events", "unmatched") == 0
    listed = capsys.readouterr().out
    assert "zendesk" in listed and "inv-9" in listed and "crm_id=K-7" in listed
    assert "no account imported with CRM id K-7" in listed

    accounts = tmp_path / "accounts.csv"
    accounts.write_text("external_id,name\nK-7,Kessler KG\n")
    assert (
        cli(server_database_url, "import", "accounts", str(accounts), "--territory", "south") == 0
    )
    capsys.readouterr()
    assert cli(server_database_url, "events", "rematch") == 0
    assert "Matched 1 event(s) to their account; 0 still unmatched." in capsys.readouterr().out
    assert cli(server_database_url, "events", "unmatched") == 0
    assert "No events are waiting" in capsys.readouterr().out

    [invoice] = activities(auth).values()
    assert invoice.id == taken_as(auth, "zendesk", "inv-9") and invoice.territory == "south"
    assert invoice.data["title"] == "Invoice INV-9 issued: 980.50 USD"
    assert invoice.data["source_system"] == "zendesk"
    assert send(http, zendesk, waiting)["results"][0] == {
        "event_id": "inv-9",
        "status": "duplicate",
        "error": None,
        "activity_id": str(invoice.id),
    }
    assert cli(server_database_url, "events", "rematch") == 0
    assert "Matched 0 event(s)" in capsys.readouterr().out


def test_api_keys_and_rep_tokens_each_open_only_their_own_routes(
    http: httpx.Client,
    auth: AuthService,
    customers: Customers,
    server_database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli(server_database_url, "apikey", "add", "hubspot") == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key.startswith("fbk_")
    assert cli(server_database_url, "apikey", "add", "hubspot") == 1
    assert "hubspot already has an API key" in capsys.readouterr().err
    assert cli(server_database_url, "apikey", "add", "Hub Spot") == 1
    assert "a source name is" in capsys.readouterr().err

    visit = event("p-1", "page_visit", domain="acme.example", details={"url": "/pricing"})
    assert send(http, key, visit)["accepted"] == 1
    assert http.get("/v1/me", headers=bearer(key)).status_code == 401  # not a rep's token

    tokens = http.post(
        "/v1/auth/login",
        json={"username": "ana", "password": PASSWORD, "client_id": str(uuid.uuid4())},
    ).json()
    for headers in ({}, bearer("fbk_made-up"), bearer(tokens["access_token"])):
        refused = http.post(EVENTS, json={"events": [visit]}, headers=headers)
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"] == "unauthorized"
    assert http.get("/v1/me", headers=bearer(tokens["access_token"])).status_code == 200

    assert cli(server_database_url, "apikey", "revoke", "hubspot") == 0
    revoked = http.post(EVENTS, json={"events": [visit]}, headers=bearer(key))
    assert revoked.status_code == 401
    assert revoked.json()["message"] == (
        "this API key was revoked; ask your Fieldbrief admin for a new one"
    )
    capsys.readouterr()
    assert cli(server_database_url, "apikey", "list") == 0
    [line] = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("hubspot")]
    _name, _created, _at, *used, revoked, _at = line.split()
    assert used == ["2026-11-23", "09:00"] and revoked != "-"  # the server's clock is the test's
    assert cli(server_database_url, "apikey", "revoke", "hubspot") == 1
    assert cli(server_database_url, "apikey", "add", "hubspot") == 0  # a successor key


def test_an_event_lands_in_its_accounts_territory_and_only_its_reps_pull_it(
    http: httpx.Client, auth: AuthService, customers: Customers, zendesk: str
) -> None:
    [result] = send(http, zendesk, event("t-south", email="ida@suedwerk.example"))["results"]
    assert result["status"] == "accepted"

    def pulled(user: str) -> set[str]:
        tokens = http.post(
            "/v1/auth/login",
            json={"username": user, "password": PASSWORD, "client_id": str(uuid.uuid4())},
        ).json()
        page = http.get(
            "/v1/sync/changes",
            params={"cursor": encode_cursor(0)},
            headers=bearer(tokens["access_token"]),
        ).json()
        return {row["id"] for row in page["rows"] if row["entity"] == "activity"}

    assert pulled("ana") == set()
    assert pulled("ben") == {result["activity_id"]}


def test_a_csv_upload_names_the_row_of_each_problem(
    http: httpx.Client, auth: AuthService, customers: Customers, zendesk: str
) -> None:
    csv_text = (
        "\ufeffevent_id,type,occurred_at,domain,email,title,invoice,amount,currency,score,comment\n"
        "c-1,invoice_paid,2026-11-21T10:00:00Z,acme.example,,,INV-7,1200.50,EUR,,\n"
        'c-2,csat_response,2026-11-21T11:00:00Z,,ida@suedwerk.example,,,,,4,"quick, kind"\n'
        "c-3,csat_response,yesterday,,ida@suedwerk.example,,,,,4,\n"
        "c-4,invoice_paid,2026-11-21T10:00:00Z,acme.example,,,INV-8,lots,EUR,,\n"
    )
    response = http.post(
        f"{EVENTS}.csv",
        content=csv_text.encode(),
        headers={**bearer(zendesk), "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "accepted",
        "accepted",
        "rejected",
        "rejected",
    ]
    assert body["results"][2]["error"].startswith("row 4: occurred_at: Input should be a valid")
    assert body["results"][3]["error"] == "row 5: details.amount: must be a number"
    rows = activities(auth)
    paid = rows[uuid.UUID(body["results"][0]["activity_id"])].data
    assert paid["details"] == {"invoice": "INV-7", "amount": 1200.5, "currency": "EUR"}
    assert paid["title"] == "Invoice INV-7 paid: 1,200.50 EUR"
    csat = rows[uuid.UUID(body["results"][1]["activity_id"])].data
    assert csat["details"] == {"score": 4, "comment": "quick, kind"}
    assert (csat["title"], csat["contact_id"]) == (
        "CSAT response: 4 — quick, kind",
        str(customers.ida),
    )

    no_type = http.post(
        f"{EVENTS}.csv",
        content=b"event_id,occurred_at,domain\nx,2026-11-21T10:00:00Z,acme.example\n",
        headers={**bearer(zendesk), "Content-Type": "text/csv"},
    )
    assert no_type.status_code == 400
    assert no_type.json()["message"] == "the CSV has no type column"


def test_a_body_that_is_not_a_batch_is_422(http: httpx.Client, zendesk: str) -> None:
    for body in ({"events": "many"}, [event("a")], {"events": [event("a")] * 1001}):
        response = http.post(EVENTS, json=body, headers=bearer(zendesk))
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "invalid_request"


def test_the_cli_takes_in_a_csv_file(
    auth: AuthService,
    customers: Customers,
    server_database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    events = tmp_path / "billing.csv"
    events.write_text(
        "event_id,type,occurred_at,crm_id,domain,reason\n"
        "h-1,credit_hold,2026-11-01T00:00:00Z,,acme.example,overdue\n"
        "h-2,credit_hold,2026-11-01T00:00:00Z,,nobody.example,overdue\n"
        "h-3,credit_hold,2026-11-01T00:00:00Z,X-1,acme.example,overdue\n",
        encoding="utf-8",
    )
    assert cli(server_database_url, "import", "events", str(events), "--source", "sap") == 1
    out, err = capsys.readouterr()
    assert "1 accepted, 0 duplicate, 1 unmatched, 1 rejected" in out
    assert "unmatched: row 3: no account with the website domain nobody.example" in err
    assert "rejected: row 4: give exactly one account reference" in err
    [hold] = activities(auth).values()
    assert (hold.data["title"], hold.data["source_system"]) == ("Credit hold: overdue", "sap")
    assert cli(server_database_url, "import", "events", str(events), "--source", "sap") == 1
    assert "0 accepted, 2 duplicate, 0 unmatched, 1 rejected" in capsys.readouterr().out


@pytest.fixture
def laptop(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "laptop")
    yield store
    store.close()


def test_an_ingested_activity_reaches_the_laptop_as_an_activity_row(
    http: httpx.Client,
    base_url: str,
    auth: AuthService,
    clock: Clock,
    customers: Customers,
    zendesk: str,
    laptop: Store,
) -> None:
    body = send(
        http,
        zendesk,
        event("t-9", account_id=str(customers.acme), contact_email="zoe.berg@acme.example"),
        event("w-1", "webinar_attended", email="zoe.berg@acme.example",
              details={"webinar": "Automating your warehouse", "minutes": 42}),
    )  # fmt: skip
    assert body["accepted"] == 2
    with httpx.Client(base_url=base_url, timeout=10) as client:
        outcome = SyncEngine(LocalReplica(laptop), client, "ana", PASSWORD).run()
    assert outcome.snapshot
    ticket_id = uuid.UUID(body["results"][0]["activity_id"])
    with laptop.reading() as session:
        ticket = session.get(Activity, ticket_id)
        assert ticket is not None
        assert (ticket.account_id, ticket.contact_id) == (customers.acme, customers.zoe)
        assert (ticket.channel, ticket.type) == (Channel.SERVICE, "ticket_opened")
        assert ticket.title == "Ticket #4711 opened: Sync stuck (high)"
        assert ticket.occurred_at == datetime(2026, 11, 20, 9, 15, tzinfo=UTC)
        assert ticket.details == {"ticket": 4711, "severity": "high", "subject": "Sync stuck"}
        assert ticket.source_system == "zendesk" and ticket.server_version is not None
        webinar = session.scalars(select(Activity).where(Activity.type == "webinar_attended")).one()
        assert (webinar.channel, webinar.title) == (
            Channel.MARKETING,
            "Attended webinar: Automating your warehouse",
        )
        assert webinar.details == {"webinar": "Automating your warehouse", "minutes": 42}
    # Exactly the fields the app's Activity row syncs: no more, no fewer.
    synced = {c.key for c in Activity.__table__.columns} - LOCAL_COLUMNS
    assert [set(r.data) for r in activities(auth).values()] == [synced, synced]


def test_every_title_names_only_details_of_its_type() -> None:
    for name, kind in EVENT_TYPES.items():
        named = set(re.findall(r"\{(\w+)\}", kind.title))
        assert named <= set(kind.details.model_fields) | {"money"}, name
