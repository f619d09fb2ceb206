"""The company's policy on sensitive profile answers, end to end over loopback HTTP: an
admin keeps them off laptops, devices erase their copies, the server keeps them and refuses
new ones; allowed again, they come back. Withdrawn consent erases everywhere."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from db.edits import LocalEditor, create_row
from db.profiles.book import ProfileBook, ProfileError
from db.store.models import OutboxEntry, ProfileAnswer
from server.cli import main as server_cli
from server.models import Record
from server.records import ScopedRecords, WireRecord
from server.store import ServerStore
from sync.entities import answer_id
from tests.helpers.live_server import RunningServer, rep_server
from tests.sync.test_engine import Device


@pytest.fixture
def server(tmp_path: Path, server_database_url: str) -> Iterator[RunningServer]:
    with rep_server(tmp_path, server_database_url) as running:
        yield running


def _devices(tmp_path: Path, server: RunningServer, *names: str) -> list[Device]:
    return [Device(tmp_path / name, server.url) for name in names]


def _profiled(device: Device) -> uuid.UUID:
    """An account and contact with consent, a health answer and a nickname."""
    editor = LocalEditor(device.store)
    account_id, _ = editor.create("account", name="Acme", territory="north")
    contact_id, _ = editor.create(
        "contact", account_id=account_id, first_name="Rob", last_name="Stone"
    )
    book = ProfileBook(device.store)
    book.record_consent(contact_id, dt.date(2026, 11, 2), "signed form at the trade fair")
    book.set_answer(contact_id, "health", "Bad knee; prefers short walks")
    book.set_answer(contact_id, "nickname", "Bob")
    return contact_id


def _server_value(store: ServerStore, contact_id: uuid.UUID, question: str) -> object:
    with store.session() as session:
        record = session.get(Record, ("profile_answer", answer_id(contact_id, question)))
        assert record is not None
        return record.data["value"]


def _policy(server: RunningServer, *args: str, capsys: pytest.CaptureFixture[str]) -> str:
    url = server.store.engine.url.render_as_string(hide_password=False)
    assert server_cli(["policy", "sensitive-answers", *args, "--database-url", url]) == 0
    return capsys.readouterr().out


def test_off_devices_erases_laptop_copies_keeps_the_server_one_and_allowed_brings_them_back(
    tmp_path: Path, server: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    laptop, phone = _devices(tmp_path, server, "laptop", "phone")
    contact_id = _profiled(laptop)
    laptop.sync()
    phone.sync()
    on_laptop, on_phone = ProfileBook(laptop.store), ProfileBook(phone.store)
    assert on_phone.profile(contact_id).answers["health"] == "Bad knee; prefers short walks"  # type: ignore[union-attr]
    # The phone, offline, changes the answer before it hears of the policy.
    on_phone.set_answer(contact_id, "health", "Knee operated in October")

    assert "kept on laptops" in _policy(server, capsys=capsys)
    assert "kept off laptops" in _policy(server, "off-devices", capsys=capsys)

    outcome = laptop.sync()
    assert outcome.warnings == (
        "your company keeps sensitive profile answers off laptops: 1 was erased from this one",
    )
    profile = on_laptop.profile(contact_id)
    assert profile is not None and not profile.sensitive_allowed
    assert "health" not in profile.answers and profile.answers["nickname"] == "Bob"
    with pytest.raises(ProfileError, match="off laptops"):
        on_laptop.set_answer(contact_id, "health", "anything")
    # The server keeps it; the stored file on the laptop holds no trace of it.
    assert _server_value(server.store, contact_id, "health") == "Bad knee; prefers short walks"
    assert b"Bad knee" not in _store_bytes(laptop)

    # The phone's offline edit is refused, and its copy and the refused edit are erased.
    outcome = phone.sync()
    assert outcome.rejected == 1
    assert "health" not in on_phone.profile(contact_id).answers  # type: ignore[union-attr]
    assert [e for e in phone.outbox() if e.entity == "profile_answer"] == []
    assert _server_value(server.store, contact_id, "health") == "Bad knee; prefers short walks"
    for device in (laptop, phone):  # and the next sync finds nothing to repair
        again = device.sync()
        assert (again.repaired, again.warnings, again.rejected) == ((), (), 0)

    _policy(server, "allowed", capsys=capsys)
    outcome = laptop.sync()
    assert outcome.repaired == ("profile_answer",)
    assert on_laptop.profile(contact_id).answers["health"] == "Bad knee; prefers short walks"  # type: ignore[union-attr]
    on_laptop.set_answer(contact_id, "health", "Fine now")
    assert laptop.sync().rejected == 0
    assert _server_value(server.store, contact_id, "health") == "Fine now"
    for device in (laptop, phone):
        device.store.close()


def _store_bytes(device: Device) -> bytes:
    """The laptop's database file and its write-ahead log, as they are on disk."""
    device.store.engine.dispose()
    folder = Path(str(device.store.engine.url.database)).parent
    return b"".join(p.read_bytes() for p in folder.glob("*.sqlite3*"))


def test_withdrawn_consent_erases_even_over_an_edit_from_another_device(
    tmp_path: Path, server: RunningServer
) -> None:
    laptop, tablet = _devices(tmp_path, server, "laptop", "tablet")
    contact_id = _profiled(laptop)
    laptop.sync()
    tablet.sync()
    ProfileBook(tablet.store).set_answer(contact_id, "health", "Knee operated in October")
    ProfileBook(laptop.store).withdraw_consent(contact_id)
    tablet.sync()
    assert laptop.sync().conflicts == 0
    tablet.sync()
    assert _server_value(server.store, contact_id, "health") is None
    for device in (laptop, tablet):
        assert "health" not in ProfileBook(device.store).profile(contact_id).answers  # type: ignore[union-attr]
        device.store.close()


def test_conflicts_about_sensitive_answers_go_out_without_either_value(
    server: RunningServer,
) -> None:
    answer, other = uuid.uuid4(), uuid.uuid4()
    with server.store.session() as session:
        records = ScopedRecords(session, frozenset({"north"}), server.auth.clock)
        records.create("profile_answer", answer, "north", {"sensitive": True, "value": "x"})
        records.create("profile_answer", other, "north", {"sensitive": False, "value": "y"})
        rows = []
        for entity, about in (
            ("conflict", answer),
            ("conflict", other),
            ("profile_answer", answer),
        ):
            data = {
                "entity": "profile_answer",
                "entity_id": str(about),
                "field": "value",
                "client_value": "a",
                "server_value": "b",
            }
            if entity == "profile_answer":
                data = {"sensitive": True, "value": "secret", "question_id": "health"}
            rows.append(WireRecord(entity, uuid.uuid4(), 1, False, json.dumps(data), ()))
        cleaned = [json.loads(r.data) for r in records.without_sensitive_values(rows)]
    assert (cleaned[0]["client_value"], cleaned[0]["server_value"]) == (None, None)
    assert (cleaned[1]["client_value"], cleaned[1]["server_value"]) == ("a", "b")
    assert cleaned[2] == {"sensitive": True, "value": None, "question_id": "health"}


def test_a_device_that_lies_about_sensitivity_is_still_refused(
    tmp_path: Path, server: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """The server goes by the definition: a health answer is sensitive whatever the flag."""
    (laptop,) = _devices(tmp_path, server, "laptop")
    editor = LocalEditor(laptop.store)
    account_id, _ = editor.create("account", name="Acme", territory="north")
    contact_id, _ = editor.create("contact", account_id=account_id, first_name="R", last_name="S")
    laptop.sync()
    _policy(server, "off-devices", capsys=capsys)
    fields = {"account_id": account_id, "contact_id": contact_id, "question_id": "health"}
    with laptop.store.session() as session:
        fields |= {"value": "bad knee", "sensitive": False}
        create_row(session, "profile_answer", fields, answer_id(contact_id, "health"))
    outcome = laptop.sync()
    assert outcome.rejected == 1
    with laptop.store.reading() as session:
        (entry,) = session.scalars(select(OutboxEntry).where(OutboxEntry.status == "rejected"))
        assert "off laptops" in (entry.reason or "")
        assert (
            session.scalars(select(ProfileAnswer)).one().value == "bad knee"
        )  # not sensitive here
    laptop.store.close()
