"""`contact export` and `contact erase`: the CLI on a demo server, the rules on both backends."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server import audit
from server.auth import AuthService
from server.errors import BadRequest, NotFound
from server.events import Incoming
from server.gdpr import ERASED, checked_email, erase_contact, export_contact
from server.ingest import take_in
from server.models import IngestedEvent, OutsideKey, Record
from server.records import ERASED_KEEPS, ScopedRecords
from server.store import ServerStore, database_url_for
from tests.server.conftest import Clock


def server_cli(*args: str | Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@dataclass(frozen=True)
class Person:
    """A demo contact with a profile who attended a meeting with a note, and what the test
    added about them."""

    id: uuid.UUID
    email: str
    full_name: str
    account_id: uuid.UUID
    answers: frozenset[str]
    attended_note: str  # id of the note of a meeting they attended
    named_note: str  # id of a note elsewhere that names them in full
    change: str  # id of a profile history entry
    hold: str
    activities: frozenset[str]  # their demo activities


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Person]]:
    folder = tmp_path_factory.mktemp("demo-server")
    made = server_cli("--data-dir", folder, "demo", "--accounts", "40", "--seed", "2")
    assert made.returncode == 0, made.stderr
    store = ServerStore.open(database_url_for(folder))
    try:
        yield folder, _person_of(store)
    finally:
        store.close()


CHANGED_AT = "2026-11-02T10:00:00+00:00"


def _person_of(store: ServerStore) -> Person:
    with store.session() as session:
        rows = list(session.scalars(select(Record).order_by(Record.entity, Record.id)))
    of: dict[str, list[Record]] = {}
    for row in rows:
        of.setdefault(row.entity, []).append(row)
    noted = {str(n.data.get("meeting_id")): str(n.id) for n in of["visit_note"]}
    attended = {
        str(a.data["contact_id"]): noted[str(a.data["meeting_id"])]
        for a in of["meeting_attendee"]
        if str(a.data["meeting_id"]) in noted
    }
    answers: dict[str, set[str]] = {}
    for answer in of["profile_answer"]:
        answers.setdefault(str(answer.data["contact_id"]), set()).add(str(answer.id))
    acts: dict[str, set[str]] = {}
    for act in of["activity"]:
        acts.setdefault(str(act.data.get("contact_id")), set()).add(str(act.id))
    found = [c for c in of["contact"] if {str(c.id)} <= set(answers) & set(attended) & set(acts)]
    assert found, "the demo has nobody profiled who attended a noted meeting"
    contact = found[0]
    who = str(contact.id)
    name = f"{contact.data['first_name']} {contact.data['last_name']}"
    other = next(a for a in of["account"] if a.id != uuid.UUID(contact.data["account_id"]))
    clock = Clock()
    with store.session() as session:
        records = ScopedRecords(session, frozenset(), clock)
        note = records.create(
            "visit_note",
            uuid.uuid4(),
            other.territory,
            {"account_id": str(other.id), "body": f"{name.upper()} will judge the tender."},
        )
        base = {"account_id": contact.data["account_id"], "contact_id": who}
        change = records.create(
            "profile_change",
            uuid.uuid4(),
            contact.territory,
            {**base, "question_id": "nickname", "value": "Ace", "changed_at": CHANGED_AT},
        )  # fmt: skip
        hold = records.create(
            "contact_hold",
            uuid.uuid4(),
            contact.territory,
            {**base, "campaign": None, "reason": "on leave", "expires_on": "2027-01-31"},
        )
    return Person(
        contact.id,
        str(contact.data["email"]),
        name,
        uuid.UUID(contact.data["account_id"]),
        frozenset(answers[who]),
        attended[who],
        str(note.id),
        str(change.id),
        str(hold.id),
        frozenset(acts[who]),
    )


def _ids(rows: list[dict[str, Any]]) -> set[str]:
    return {row["id"] for row in rows}


@pytest.mark.slow
def test_export_writes_everything_held_about_a_person(
    demo: tuple[Path, Person], tmp_path: Path
) -> None:
    folder, person = demo
    shown = server_cli("--data-dir", folder, "contact", "export", person.email.upper())
    assert shown.returncode == 0, shown.stderr
    held = json.loads(shown.stdout)
    assert [c["id"] for c in held["contacts"]] == [str(person.id)]
    assert held["contacts"][0]["fields"]["email"] == person.email
    assert held["accounts"][0]["id"] == str(person.account_id) and held["accounts"][0]["name"]
    assert _ids(held["profile_answers"]) == person.answers
    assert person.change in _ids(held["profile_history"])
    assert {person.attended_note, person.named_note} <= _ids(held["visit_notes"])
    assert person.activities <= _ids(held["activities"])
    assert _ids(held["holds"]) == {person.hold}
    assert str(person.id) in {a["fields"]["contact_id"] for a in held["meeting_attendance"]}

    out = tmp_path / "request-4711.json"
    written = server_cli("--data-dir", folder, "contact", "export", person.email, "--out", out)
    assert written.returncode == 0, written.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["contacts"] == held["contacts"]
    before = out.read_bytes()
    again = server_cli("--data-dir", folder, "contact", "export", person.email, "--out", out)
    assert again.returncode == 1 and len(again.stderr.strip().splitlines()) == 1
    assert "exists already" in again.stderr and out.read_bytes() == before

    unknown = server_cli("--data-dir", folder, "contact", "export", "nobody@nowhere.example")
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert unknown.stderr.strip().splitlines() == [
        "fieldbrief-server: no contact has that e-mail address (or it was erased already)"
    ]
    bad = server_cli("--data-dir", folder, "contact", "export", "not an address")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1

    store = ServerStore.open(database_url_for(folder))
    try:
        with store.session() as session:
            exports = [e for e in audit.entries(session) if e.action == "contact export"]
    finally:
        store.close()
    assert [e.subject for e in exports] == [person.email.upper(), person.email]


@pytest.mark.slow
def test_erase_asks_first_then_erases_and_says_how_much(tmp_path: Path) -> None:
    made = server_cli("--data-dir", tmp_path, "demo", "--accounts", "40", "--seed", "2")
    assert made.returncode == 0, made.stderr
    store = ServerStore.open(database_url_for(tmp_path))
    try:
        person = _person_of(store)
    finally:
        store.close()

    unasked = server_cli("--data-dir", tmp_path, "contact", "erase", person.email)  # no TTY
    assert unasked.returncode == 1
    assert unasked.stderr.strip().splitlines() == [
        "fieldbrief-server: erasing cannot be undone: add --yes to confirm (no terminal to ask)"
    ]
    declined = _on_a_terminal(tmp_path, person.email, answer="n")
    assert declined.returncode == 1 and "Nothing was erased." in declined.stdout
    assert "Erase 1 contact with the e-mail" in declined.stdout
    erased = server_cli("--data-dir", tmp_path, "contact", "erase", person.email, "--yes")
    assert erased.returncode == 0, erased.stderr
    said = erased.stdout
    assert said.startswith("Erased 1 contact with that e-mail address")
    assert f"{len(person.answers)} profile answer(s)" in said and "1 marketing hold(s)" in said
    assert person.full_name.split()[-1] not in said and person.email not in said
    gone = server_cli("--data-dir", tmp_path, "contact", "erase", person.email, "--yes")
    assert gone.returncode == 1 and "no contact has that e-mail" in gone.stderr

    store = ServerStore.open(database_url_for(tmp_path))
    try:
        with store.session() as session:
            contact = session.get(Record, ("contact", person.id))
            assert contact is not None and contact.deleted_at is not None
            assert contact.data == {"account_id": str(person.account_id)}
            for answer in person.answers:
                erased_answer = session.get(Record, ("profile_answer", uuid.UUID(answer)))
                assert erased_answer is not None and set(erased_answer.data) <= ERASED_KEEPS
            note = session.get(Record, ("visit_note", uuid.UUID(person.named_note)))
            assert note is not None and note.deleted_at is None
            assert note.data["body"] == f"{ERASED} will judge the tender."
            actions = [e.action for e in audit.entries(session)]
    finally:
        store.close()
    assert actions.count("contact erase") == 1


def _on_a_terminal(folder: Path, email: str, answer: str) -> subprocess.CompletedProcess[str]:
    """`contact erase EMAIL` with a terminal (a pseudo-terminal) as its input, answered."""
    controller, terminal = os.openpty()
    try:
        os.write(controller, f"{answer}\n".encode())
        return subprocess.run(
            [sys.executable, "-m", "server.cli", "--data-dir", str(folder), "contact", "erase",
             email],
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
    finally:
        os.close(controller)
        os.close(terminal)


# --- the rules, on SQLite and PostgreSQL --------------------------------------------------


@pytest.fixture
def store(server_database_url: str) -> Iterator[ServerStore]:
    opened = ServerStore.open(server_database_url)
    AuthService(opened).add_territory("north")
    AuthService(opened).add_territory("south")
    yield opened
    opened.close()


EMAIL = "Zoe.Berg@Acme.example"


def _fill(store: ServerStore, clock: Clock) -> dict[str, uuid.UUID]:
    """Zoë Berg twice (two territories, the address in two letter cases), Ada Lind beside
    her, and rows about and around them."""
    made: dict[str, uuid.UUID] = {}
    with store.session() as session:
        records = ScopedRecords(session, frozenset(), clock)

        def add(key: str, entity: str, where: str, /, **data: Any) -> None:
            made[key] = records.create(entity, uuid.uuid4(), where, data).id

        add("acme", "account", "north", name="Acme", territory="north")
        add("beta", "account", "south", name="Beta", territory="south")
        acme, beta = str(made["acme"]), str(made["beta"])
        add("zoe", "contact", "north", account_id=acme, first_name="Zoë", last_name="Berg",
            email=EMAIL)  # fmt: skip
        add("zoe2", "contact", "south", account_id=beta, first_name="Zoë", last_name="Berg",
            email=EMAIL.lower())  # fmt: skip
        add("ada", "contact", "north", account_id=acme, first_name="Ada", last_name="Lind",
            email="ada@acme.example")  # fmt: skip
        zoe = str(made["zoe"])
        add("lead", "lead", "north", account_id=acme, contact_id=zoe, campaign="Spring",
            handed_over_at="2026-11-01T09:00:00+00:00", status="rejected",
            decision_note="Zoë said Ms Berg has no budget")  # fmt: skip
        add("mail", "activity", "north", account_id=acme, contact_id=None, channel="marketing",
            type="email_sent", title="Sent email: Spring", occurred_at="2026-11-01T09:00:00+00:00",
            details={"campaign": "Spring", "to": EMAIL.upper()})  # fmt: skip
        add("ada_mail", "activity", "north", account_id=acme, contact_id=str(made["ada"]),
            channel="marketing", type="email_sent", title="Sent email: Spring",
            occurred_at="2026-11-01T09:00:00+00:00", details={"campaign": "Spring"})  # fmt: skip
        add("answer", "profile_answer", "north", account_id=acme, contact_id=zoe,
            question_id="nickname", value="Zo", sensitive=False)  # fmt: skip
        add("conflict", "conflict", "north", entity="profile_answer",
            entity_id=str(made["answer"]), field="value", client_value="Zozo",
            server_value="Zo", kind="both_changed", by_user="ana",
            created_at="2026-11-02T09:00:00+00:00")  # fmt: skip
        add("note", "visit_note", "north", account_id=acme,
            body="ZOË BERG and Ada Lind came; write to zoe.berg@acme.example")  # fmt: skip
        session.add(
            OutsideKey(system="hubspot", key="c-77", entity="contact", record_id=made["zoe"])
        )
    return made


def test_export_and_erase_cover_every_contact_with_the_address(store: ServerStore) -> None:
    clock = Clock()
    made = _fill(store, clock)
    with store.session() as session:
        held = export_contact(session, "  zoe.berg@ACME.example ", now=clock())
    assert _ids(held["contacts"]) == {str(made["zoe"]), str(made["zoe2"])}
    assert _ids(held["activities"]) == {str(made["mail"])}
    assert _ids(held["leads"]) == {str(made["lead"])}
    assert _ids(held["conflicts"]) == {str(made["conflict"])}
    assert _ids(held["visit_notes"]) == {str(made["note"])}
    assert held["outside_keys"] == [
        {"system": "hubspot", "key": "c-77", "entity": "contact", "record_id": str(made["zoe"])}
    ]

    clock.advance(minutes=5)
    with store.session() as session:
        done = erase_contact(session, EMAIL, clock)
    assert done.contacts == 2
    assert done.erased == {"activity": 1, "conflict": 1, "profile_answer": 1}
    assert done.redacted == {"lead": 1, "visit_note": 1}
    assert done.outside_keys == 1
    with store.session() as session:

        def data(key: str, entity: str) -> dict[str, Any]:
            record = session.get(Record, (entity, made[key]))
            assert record is not None
            return record.data

        assert data("zoe", "contact") == {"account_id": str(made["acme"])}
        assert data("conflict", "conflict") == {}
        assert data("mail", "activity") == {"account_id": str(made["acme"]), "contact_id": None}
        lead = data("lead", "lead")
        assert lead["contact_id"] is None and lead["campaign"] == "Spring"
        assert lead["decision_note"] == f"{ERASED} said {ERASED} has no budget"
        assert data("note", "visit_note")["body"] == (
            f"{ERASED} and Ada Lind came; write to {ERASED}"
        )
        assert data("ada", "contact")["first_name"] == "Ada"
        assert data("ada_mail", "activity")["title"] == "Sent email: Spring"
        assert session.scalars(select(OutsideKey)).all() == []
        [entry] = [e for e in audit.entries(session) if e.action == "contact erase"]
        assert entry.subject == EMAIL and entry.at == clock()
    with store.session() as session, pytest.raises(NotFound):
        erase_contact(session, EMAIL, clock)


def test_an_erased_record_takes_no_edit_and_no_new_row_naming_it(
    store: ServerStore,
) -> None:
    from server.auth import Caller
    from server.push import ERASED as REFUSED
    from server.push import apply_push
    from sync.entities import answer_id
    from sync.protocol import Mutation, PushRequest

    clock = Clock()
    made = _fill(store, clock)
    with store.session() as session:
        erase_contact(session, EMAIL, clock)
    device = uuid.uuid4()
    caller = Caller(user_id=1, username="ana", client_id=device, territories=frozenset({"north"}))
    zoe = made["zoe"]
    request = PushRequest(
        client_id=device,
        mutations=[
            Mutation(mutation_id=1, entity="contact", op="set_fields", id=zoe,
                     fields={"phone": "+31 6 1"}),
            Mutation(mutation_id=2, entity="profile_answer", op="create",
                     id=answer_id(zoe, "holidays"),
                     fields={"account_id": str(made["acme"]), "contact_id": str(zoe),
                             "question_id": "holidays", "value": "Crete"}),
            Mutation(mutation_id=3, entity="profile_answer", op="set_fields",
                     id=made["answer"], fields={"value": "Zozo"}),
            Mutation(mutation_id=4, entity="contact", op="delete", id=zoe),
        ],
    )  # fmt: skip
    results = apply_push(store, caller, request, clock).results
    assert [(r.status, r.reason) for r in results] == [
        ("rejected", REFUSED),
        ("rejected", f"contact_id: {REFUSED}"),
        ("rejected", REFUSED),
        ("applied", None),
    ]
    with store.session() as session:
        conflicts = session.scalars(select(Record).where(Record.entity == "conflict")).all()
        assert all(c.data == {} for c in conflicts)


def test_unmatched_events_naming_the_person_are_emptied(store: ServerStore) -> None:
    clock = Clock()
    _fill(store, clock)
    event = {
        "event_id": "ev-1",
        "type": "email_opened",
        "occurred_at": (clock() - timedelta(hours=1)).isoformat(),
        "domain": "unknown.example",
        "contact_email": EMAIL,
        "details": {"campaign": "Spring"},
    }
    assert take_in(store, "hubspot", [Incoming(event)], clock).unmatched == 1
    with store.session() as session:
        assert erase_contact(session, EMAIL.upper(), clock).events == 1
    with store.session() as session:
        kept = session.get(IngestedEvent, ("hubspot", "ev-1"))
        assert kept is not None and (kept.status, kept.event) == ("erased", {})
    # Sent again, it is still the same event: a duplicate, not a new activity about her.
    again = take_in(store, "hubspot", [Incoming(event)], clock)
    assert again.duplicate == 1


@pytest.mark.parametrize(
    "typed", ["", "   ", "zoe", "@acme.example", "zoe@", "a@b@c", "zoe berg@acme.example",
              "zoe\x00@acme.example", "z" * 320 + "@x.example"],
)  # fmt: skip
def test_an_address_that_is_not_one_is_refused(typed: str) -> None:
    with pytest.raises(BadRequest):
        checked_email(typed)


def test_export_json_is_plain_json(store: ServerStore) -> None:
    clock = Clock()
    _fill(store, clock)
    with store.session() as session:
        held = export_contact(session, EMAIL, now=datetime(2026, 12, 1, tzinfo=UTC))
    again = json.loads(json.dumps(held))
    assert again == held and again["exported_at"] == "2026-12-01T00:00:00+00:00"
    assert os.linesep not in held["email"]
