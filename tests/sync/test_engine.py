"""Two devices and a server on 127.0.0.1: push, snapshot, pull, merge, conflict, no loss."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from db.edits import LocalEditor
from db.store.local_store import Store
from db.store.models import Account, OutboxEntry, RemoteRecord, VisitNote
from db.store.replica import LocalReplica
from server.app import create_app
from server.auth import AuthService
from server.store import ServerStore, database_url_for
from sync.engine import RetryPolicy, SyncEngine, SyncError
from tests.helpers.live_server import REP_PASSWORD, rep_server, serving

PASSWORD = REP_PASSWORD


@pytest.fixture
def base_url(tmp_path: Path, server_database_url: str) -> Iterator[str]:
    with rep_server(tmp_path, server_database_url) as server:
        yield server.url


# Retries that do not make a test wait through real back-off for a server that is gone.
FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01)


class Device:
    def __init__(self, folder: Path, base_url: str) -> None:
        self.store = Store.open(folder)
        self.editor = LocalEditor(self.store)
        self.base_url = base_url

    def sync(self, password: str = PASSWORD):  # type: ignore[no-untyped-def]
        with httpx.Client(base_url=self.base_url, timeout=10) as http:
            engine = SyncEngine(LocalReplica(self.store), http, "ana", password, retry=FAST)
            return engine.run()

    def account(self, name: str) -> Account:
        with self.store.reading() as session:
            return session.scalars(select(Account).where(Account.name == name)).one()

    def outbox(self) -> list[OutboxEntry]:
        with self.store.reading() as session:
            return list(session.scalars(select(OutboxEntry)))


@pytest.fixture
def laptop(tmp_path: Path, base_url: str) -> Iterator[Device]:
    device = Device(tmp_path / "laptop", base_url)
    yield device
    device.store.close()


@pytest.fixture
def tablet(tmp_path: Path, base_url: str) -> Iterator[Device]:
    device = Device(tmp_path / "tablet", base_url)
    yield device
    device.store.close()


def test_an_offline_edit_reaches_the_other_device(laptop: Device, tablet: Device) -> None:
    account_id, _ = laptop.editor.create("account", name="Acme", territory="north", city="Bonn")
    laptop.editor.create("visit_note", account_id=account_id, body="Met Zoë; wants a pilot.")
    first = laptop.sync()
    assert (first.pushed, first.rejected) == (2, 0)
    assert laptop.outbox() == []
    assert laptop.account("Acme").server_version is not None

    second = tablet.sync()
    assert second.snapshot and second.pulled == 2
    assert tablet.account("Acme").city == "Bonn"
    with tablet.store.reading() as session:
        [note] = session.scalars(select(VisitNote)).all()
        assert note.body == "Met Zoë; wants a pilot." and note.account_id == account_id


def test_both_devices_edit_offline_and_converge(laptop: Device, tablet: Device) -> None:
    account_id, _ = laptop.editor.create("account", name="Acme", territory="north", city="Bonn")
    laptop.sync()
    tablet.sync()
    laptop.editor.set_fields("account", account_id, city="Köln", phone="+49 1")
    tablet.editor.set_fields("account", account_id, city="Aachen", website="acme.example")
    laptop.sync()
    outcome = tablet.sync()
    assert outcome.conflicts == 1
    laptop.sync()
    for device in (laptop, tablet):
        account = device.account("Acme")
        # Different fields merged; the same field kept the server's value...
        assert (account.city, account.phone, account.website) == ("Köln", "+49 1", "acme.example")
    # ...and the tablet's value is not lost: it is in the conflict both devices now hold.
    for device in (laptop, tablet):
        with device.store.reading() as session:
            [conflict] = session.scalars(select(RemoteRecord)).all()
            assert conflict.entity == "conflict"
            assert (conflict.data["client_value"], conflict.data["server_value"]) == (
                "Aachen",
                "Köln",
            )


def test_a_rejected_mutation_is_parked_with_its_reason(laptop: Device) -> None:
    laptop.editor.create("account", name="Elsewhere", territory="south")
    laptop.editor.create("account", name="Ours", territory="north")
    outcome = laptop.sync()
    assert (outcome.pushed, outcome.rejected) == (2, 1)
    [parked] = laptop.outbox()
    assert parked.status == "rejected" and "territory" in (parked.reason or "")
    assert laptop.sync().pushed == 0  # parked entries do not block or repeat


def test_a_wrong_password_or_no_server_fails_in_plain_words(laptop: Device) -> None:
    laptop.editor.create("account", name="Acme", territory="north")
    with pytest.raises(SyncError, match="wrong user name or password"):
        laptop.sync(password="nope nope")
    laptop.base_url = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(SyncError, match="cannot reach the server"):
        laptop.sync()
    assert len(laptop.outbox()) == 1  # nothing lost


def test_a_first_sync_downloads_a_whole_demo_territory(tmp_path: Path) -> None:
    """Every kind of row, across many snapshot pages, lands with its foreign keys intact."""
    from sqlalchemy import func, text

    from db.store.models import Activity, Contact, MeetingAttendee, Task
    from server.cli import main as server_main
    from sync.engine import sync_once

    assert server_main(["--data-dir", str(tmp_path / "srv"), "demo", "--accounts", "120"]) == 0
    store = ServerStore.open(database_url_for(tmp_path / "srv"))
    laptop = Store.open(tmp_path / "laptop")
    try:
        with serving(create_app(store, AuthService(store))) as url:
            outcome = sync_once(LocalReplica(laptop), url, "demo", "demo-password")
        assert outcome.snapshot and outcome.pulled > 2000
        with laptop.reading() as session:
            counts = {
                model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Account, Activity, MeetingAttendee, Task, VisitNote)
            }
            assert counts["account"] == 120 and all(counts.values())
            assert session.execute(text("PRAGMA foreign_key_check")).fetchall() == []
            # The search index, filled once at the end of the download, covers every
            # live account, contact and note, and its triggers run again.
            indexed = session.execute(
                text("SELECT kind, count(*) FROM search_doc GROUP BY kind")
            ).all()
            live = {
                model.__tablename__: session.scalar(
                    select(func.count()).select_from(model).where(model.deleted_at.is_(None))
                )
                for model in (Account, Contact, VisitNote)
            }
            assert dict(indexed) == live
            assert session.execute(text("SELECT count(*) FROM search_paused")).scalar() == 0
    finally:
        laptop.close()
        store.close()


def test_later_syncs_sign_in_with_the_rotating_refresh_token(laptop: Device) -> None:
    from sync.engine import NeedsSignIn

    tokens: list[str] = []
    with httpx.Client(base_url=laptop.base_url, timeout=10) as http:
        replica = LocalReplica(laptop.store)
        SyncEngine(replica, http, "ana", PASSWORD, on_refresh_token=tokens.append).run()
        SyncEngine(
            replica, http, "ana", refresh_token=tokens[0], on_refresh_token=tokens.append
        ).run()
        assert len(tokens) == 2 and tokens[0] != tokens[1]
        SyncEngine(
            replica, http, "ana", refresh_token=tokens[1], on_refresh_token=tokens.append
        ).run()
        # A spent refresh token whose successor was spent too is no retry after a lost
        # answer: it ends that sign-in, the newest token with it.
        for spent in (tokens[0], tokens[2]):
            with pytest.raises(NeedsSignIn):
                SyncEngine(replica, http, "ana", refresh_token=spent).run()


def test_conflicts_and_refusals_are_settled_from_the_attention_desk(
    laptop: Device, tablet: Device
) -> None:
    from db.attention import AttentionDesk

    account_id, _ = laptop.editor.create("account", name="Acme", territory="north", city="Bonn")
    laptop.sync()
    tablet.sync()
    laptop.editor.set_fields("account", account_id, city="Köln")
    tablet.editor.set_fields("account", account_id, city="Aachen")
    tablet.editor.create("account", name="Elsewhere", territory="south")
    laptop.sync()
    tablet.sync()

    desk = AttentionDesk(tablet.store)
    [conflict] = desk.conflicts()
    assert (conflict.field, conflict.mine, conflict.theirs) == ("city", "Aachen", "Köln")
    [refused] = desk.rejected()
    assert "territory" in refused.reason

    desk.resolve(conflict.id, use_mine=True)  # the tablet's rep insists on Aachen
    desk.discard(refused.seq)
    assert desk.conflicts() == [] and desk.rejected() == []
    tablet.sync()
    laptop.sync()
    assert laptop.account("Acme").city == "Aachen"
    assert AttentionDesk(laptop.store).conflicts() == []  # resolved everywhere


def test_a_refused_change_can_be_retried(laptop: Device) -> None:
    from db.attention import AttentionDesk

    laptop.editor.create("account", name="Elsewhere", territory="south")
    laptop.sync()
    desk = AttentionDesk(laptop.store)
    [refused] = desk.rejected()
    assert desk.retry(refused.seq)
    assert laptop.sync().rejected == 1  # still refused, and parked again with its reason
    assert len(desk.rejected()) == 1


def test_profiles_sync_and_one_question_answered_on_two_devices_stays_one_answer(
    laptop: Device, tablet: Device
) -> None:
    """Answer rows have ids derived from (contact, question): two devices answering the same
    question offline converge on one row; differing values leave a conflict to settle."""
    from db.profiles.book import ProfileBook
    from db.store.models import ProfileAnswer

    account_id, _ = laptop.editor.create("account", name="Acme", territory="north")
    contact_id, _ = laptop.editor.create(
        "contact", account_id=account_id, first_name="Rob", last_name="Stone"
    )
    laptop.sync()
    tablet.sync()
    on_laptop, on_tablet = ProfileBook(laptop.store), ProfileBook(tablet.store)
    on_laptop.set_answer(contact_id, "nickname", "Bob")
    on_tablet.set_answer(contact_id, "nickname", "Robbie")
    on_laptop.set_answer(contact_id, "hobbies", ["sailing"])
    on_tablet.set_answer(contact_id, "hobbies", ["sailing"])  # the same answer: no conflict
    on_tablet.set_answer(contact_id, "car", "Volvo V90")
    assert (laptop.sync().rejected, tablet.sync().rejected) == (0, 0)
    laptop.sync()
    for device, book in ((laptop, on_laptop), (tablet, on_tablet)):
        profile = book.profile(contact_id)
        assert profile is not None
        assert profile.answers == {"nickname": "Bob", "hobbies": ["sailing"], "car": "Volvo V90"}
        with device.store.reading() as session:
            assert len(session.scalars(select(ProfileAnswer)).all()) == 3
            conflicts = [r.data for r in session.scalars(select(RemoteRecord))]
        assert [(c["field"], c["client_value"], c["server_value"]) for c in conflicts] == [
            ("value", "Robbie", "Bob")
        ]
        # Both devices' history, each entry named by the server after who signed in.
        history = book.history(contact_id)
        assert len(history) == 5 and {h.changed_by for h in history} == {"ana"}


def test_a_contact_moved_to_another_territorys_account_takes_its_profile_there(
    tmp_path: Path, server_database_url: str
) -> None:
    """On the server each row lives in its account's territory: a contact filed under an
    account of another territory goes there with its answers, and leaves the old one."""
    from db.profiles.book import ProfileBook
    from server.models import Record

    with rep_server(tmp_path, server_database_url) as server:
        server.auth.add_territory("south")
        server.auth.grant("ana", "south")
        laptop = Device(tmp_path / "laptop", server.url)
        north, _ = laptop.editor.create("account", name="Acme", territory="north")
        south, _ = laptop.editor.create("account", name="Borealis", territory="south")
        contact_id, _ = laptop.editor.create(
            "contact", account_id=north, first_name="Rob", last_name="Stone"
        )
        ProfileBook(laptop.store).set_answer(contact_id, "nickname", "Bob")
        laptop.sync()
        laptop.editor.set_fields("contact", contact_id, account_id=south)
        assert laptop.sync().rejected == 0
        with server.store.session() as session:
            rows = session.scalars(
                select(Record).where(
                    Record.entity.in_(["contact", "profile_answer", "profile_change"])
                )
            ).all()
            assert {(r.entity, r.territory, r.data.get("account_id")) for r in rows} == {
                ("contact", "south", str(south)),
                ("profile_answer", "south", str(south)),
                ("profile_change", "south", str(south)),
            }
        laptop.store.close()


def test_a_note_rewritten_on_two_devices_offline_keeps_both_texts_to_merge(
    laptop: Device, tablet: Device
) -> None:
    """The second device's text is not lost: the note says it needs a merge and both
    devices can show the two texts side by side; the merge settles it everywhere."""
    from db.field.notes import NoteBook

    account_id, _ = laptop.editor.create("account", name="Acme", territory="north")
    on_laptop, on_tablet = NoteBook(laptop.store), NoteBook(tablet.store)
    note_id, _ = on_laptop.start(account_id)
    on_laptop.save(note_id, "Met Zoë.")
    laptop.sync()
    tablet.sync()
    on_laptop.save(note_id, "Met Zoë. Wants a pilot.")
    on_tablet.save(note_id, "Met Zoë. Budget approved.")
    laptop.sync()
    assert tablet.sync().conflicts == 1
    laptop.sync()
    for book in (on_laptop, on_tablet):
        view = book.note(note_id)
        assert view is not None and view.conflict_id is not None
        assert view.body == "Met Zoë. Wants a pilot."  # what the server kept
        assert view.other_body == "Met Zoë. Budget approved."  # and the text it could not take
    merged = "Met Zoë. Wants a pilot. Budget approved."
    on_tablet.finish_merge(note_id, merged, on_tablet.note(note_id).conflict_id)  # type: ignore[union-attr,arg-type]
    tablet.sync()
    laptop.sync()
    for book in (on_laptop, on_tablet):
        view = book.note(note_id)
        assert view is not None and view.body == merged and view.conflict_id is None
