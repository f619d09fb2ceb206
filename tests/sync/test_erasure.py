"""An erased person leaves every laptop's file at its next sync, and the server's file."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from db.field.holds import ContactHolds
from db.profiles.book import ProfileBook
from db.search import SearchIndex
from db.store.models import (
    Activity,
    Contact,
    ContactHold,
    MeetingAttendee,
    ProfileAnswer,
    ProfileChange,
    Task,
    VisitNote,
)
from db.store.replica import ERASED_MARK
from server.cli import main as server_cli
from server.events import Incoming
from server.gdpr import ERASED
from server.ingest import take_in
from server.models import IngestedEvent, Record
from server.records import ERASED_KEEPS, ScopedRecords
from server.store import SERVER_DB_FILENAME
from tests.helpers.live_server import RunningServer, rep_server
from tests.sync.test_engine import Device

FIRST, LAST = "Quirina", "Vandermeulen"
EMAIL = "quirina.vandermeulen@zeeland-koel.example"
ANSWER = "Collects antique barometers from Harderwijk"
NICKNAME = "Barometer Queen of Zeeland"
SENTENCE = "Quirina Vandermeulen said the cold-chain pilot slips to March."
LINKED = "Quirina wants the audit report before the board meets."
TICKET = "Vandermeulen scanner keeps rebooting"
# What no file may hold once she is erased, as written and as the search index folds it.
GONE = [FIRST, LAST, EMAIL, ANSWER, NICKNAME, SENTENCE, LINKED, TICKET]


def _needles(words: list[str]) -> list[bytes]:
    return sorted({form.encode() for word in words for form in (word, word.lower())})


@pytest.fixture
def server(tmp_path: Path, server_database_url: str) -> Iterator[RunningServer]:
    with rep_server(tmp_path / "server", server_database_url) as running:
        yield running


def _files_of(folder: Path, name: str) -> bytes:
    """A SQLite database's file, -wal and -shm as they are on disk (read with open)."""
    held = b""
    for suffix in ("", "-wal", "-shm"):
        path = folder / f"{name}{suffix}"
        if path.exists():
            with open(path, "rb") as file:
                held += file.read()
    return held


def _laptop_bytes(device: Device) -> bytes:
    return _files_of(device.store.path.parent, device.store.path.name)


def _found(held: bytes, words: list[str]) -> list[bytes]:
    return [needle for needle in _needles(words) if needle in held]


def _her_world(laptop: Device) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """Her account, her, a colleague; a meeting she attended with its note, a note that
    names her elsewhere, her profile, a hold, a follow-up. Returns (account, her, him)."""
    editor = laptop.editor
    account_id, _ = editor.create("account", name="Koelhuis Noord", territory="north")
    other_id, _ = editor.create("account", name="Dijkstra Logistiek", territory="north")
    her, _ = editor.create(
        "contact",
        account_id=account_id,
        first_name=FIRST,
        last_name=LAST,
        email=EMAIL,
        title="Head of Quality",
    )
    him, _ = editor.create(
        "contact", account_id=account_id, first_name="Bob", last_name="Stone", email="bob@x.nl"
    )
    start = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    meeting_id, _ = editor.create(
        "meeting",
        account_id=account_id,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        purpose="Audit review",
    )
    editor.create("meeting_attendee", meeting_id=meeting_id, contact_id=her)
    editor.create("meeting_attendee", meeting_id=meeting_id, contact_id=him)
    editor.create("visit_note", account_id=account_id, meeting_id=meeting_id, body=LINKED)
    editor.create("visit_note", account_id=other_id, body=f"Lunch with Bob Stone. {SENTENCE}")
    editor.create("task", account_id=account_id, contact_id=her, title="Send Quirina the report")
    book = ProfileBook(laptop.store)
    book.set_answer(her, "holidays", ANSWER)
    book.set_answer(him, "holidays", "Sailing on the IJsselmeer")
    ContactHolds(laptop.store).place(
        her, dt.date.today() + dt.timedelta(days=30), reason="asked for a quiet month"
    )
    return account_id, her, him


def _ticket(server: RunningServer, account_id: uuid.UUID, event_id: str) -> None:
    when = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
    event = {
        "event_id": event_id,
        "type": "ticket_opened",
        "occurred_at": when,
        "account_id": str(account_id),
        "contact_email": EMAIL.upper(),
        "details": {"ticket": 4711, "subject": TICKET},
    }
    result = take_in(server.store, "zendesk", [Incoming(event)], server.auth.clock)
    assert result.accepted == 1, result


def test_an_erased_person_leaves_every_laptop_file_and_the_server_file(
    tmp_path: Path, server: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    laptop = Device(tmp_path / "laptop", server.url)
    tablet = Device(tmp_path / "tablet", server.url)
    account_id, her, him = _her_world(laptop)
    assert laptop.sync().rejected == 0
    _ticket(server, account_id, "zd-4711")
    # An event that names her but found no account waits, with her address in it.
    unmatched = {**_event_about_nobody(), "contact_email": EMAIL}
    take_in(server.store, "zendesk", [Incoming(unmatched)], server.auth.clock)
    laptop.sync()
    tablet.sync()
    assert _found(_laptop_bytes(laptop), [LAST, ANSWER, TICKET])  # she is there before
    # The tablet, offline, edits her and answers one more question about her.
    tablet.editor.set_fields("contact", her, phone="+31 6 1234 5678")
    ProfileBook(tablet.store).set_answer(her, "nickname", NICKNAME)

    url = server.store.engine.url.render_as_string(hide_password=False)
    assert server_cli(["contact", "erase", EMAIL, "--yes", "--database-url", url]) == 0
    said = capsys.readouterr().out
    assert "Erased 1 contact" in said and "1 profile answer(s)" in said
    assert not [word for word in GONE if word.lower() in said.lower()]  # counts, not values

    outcome = laptop.sync()
    assert outcome.rejected == 0
    with laptop.store.reading() as session:
        assert session.get(Contact, her) is None
        for model in (ProfileAnswer, ProfileChange, ContactHold, MeetingAttendee, Activity):
            stmt = select(func.count()).select_from(model).where(model.contact_id == her)
            assert session.scalar(stmt) == 0, model
        assert session.scalar(select(func.count()).select_from(Activity)) == 0  # the ticket
        bodies = sorted(session.scalars(select(VisitNote.body)))
        assert bodies == [
            f"Lunch with Bob Stone. {ERASED} said the cold-chain pilot slips to March.",
            f"{ERASED} wants the audit report before the board meets.",
        ]
        [task] = session.scalars(select(Task)).all()
        assert (task.title, task.contact_id) == (f"Send {ERASED} the report", None)
        assert session.get(Contact, him) is not None  # her colleague stays, and his answer
        assert session.scalar(select(ProfileAnswer.value).where(ProfileAnswer.contact_id == him))
    search = SearchIndex(laptop.store)
    assert search.search(LAST) == [] and search.search(FIRST) == []
    assert [r.title for r in search.search("Stone")] == ["Bob Stone", "Visit note"]
    # Her words are in no file of the laptop: while the store is open, and once closed.
    assert _found(_laptop_bytes(laptop), GONE) == []
    laptop.store.close()
    assert _found(_laptop_bytes(laptop), GONE) == []

    # The tablet's offline edits about her are refused, not merged into conflicts, and
    # leave its outbox with her row.
    outcome = tablet.sync()
    assert outcome.rejected >= 2 and outcome.conflicts == 0
    assert tablet.outbox() == []
    with tablet.store.reading() as session:
        assert session.get(Contact, her) is None
    assert _found(_laptop_bytes(tablet), GONE) == []
    tablet.store.close()
    assert _found(_laptop_bytes(tablet), GONE) == []

    _server_keeps_nothing_of_her(server, her)


def _event_about_nobody() -> dict[str, object]:
    return {
        "event_id": "zd-orphan",
        "type": "ticket_opened",
        "occurred_at": (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat(),
        "domain": "nobody-we-know.example",
        "details": {"ticket": 4712, "subject": TICKET},
    }


def _server_keeps_nothing_of_her(server: RunningServer, her: uuid.UUID) -> None:
    with server.store.session() as session:
        contact = session.get(Record, ("contact", her))
        assert contact is not None and contact.deleted_at is not None
        assert set(contact.data) == {"account_id"}
        # Every tombstone a device pulls keeps ids only, and no page carries her words.
        records = ScopedRecords(session, frozenset({"north"}), server.auth.clock)
        pages = records.changes_since(0, records.current_version(), 100_000)
        for row in pages:
            if row.deleted:
                assert set(json.loads(row.data)) <= ERASED_KEEPS, row.entity
            assert not [w for w in GONE if w.lower() in row.data.lower()], row.entity
        events = session.scalars(select(IngestedEvent).order_by(IngestedEvent.event_id)).all()
        assert [(e.event_id, e.status, e.event) for e in events] == [
            ("zd-4711", "accepted", {}),
            ("zd-orphan", "erased", {}),
        ]
        if session.get_bind().dialect.name != "sqlite":
            return
        # Her address is left in one place on purpose: the audit log's line of the erasure.
        for (table,) in session.execute(text("SELECT name FROM sqlite_master WHERE type='table'")):
            if table != "audit_entry":
                dump = " ".join(map(str, session.execute(text(f'SELECT * FROM "{table}"'))))
                assert EMAIL not in dump.lower(), table
    folder = Path(str(server.store.engine.url.database)).parent
    held = _files_of(folder, SERVER_DB_FILENAME)
    # Her names as written (in lower case they are part of the audit line's address).
    assert [name for name in (FIRST, LAST) if name.encode() in held] == []
    assert _found(held, [ANSWER, NICKNAME, SENTENCE, LINKED, TICKET]) == []


def test_the_marks_agree() -> None:
    assert ERASED == ERASED_MARK
