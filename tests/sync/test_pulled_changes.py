"""Pulled edits over real HTTP write only the columns that changed; rows, the search index
and later local edits stay right whichever columns a pull touches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from db.edits import LocalEditor
from db.search import SearchIndex
from db.store.local_store import Store
from db.store.models import Account, Contact
from db.store.replica import LocalReplica
from sync.engine import SyncEngine
from sync.outcome import SyncOutcome
from tests.helpers.live_server import REP_PASSWORD, rep_server


@pytest.fixture
def url(tmp_path: Path, server_database_url: str) -> Iterator[str]:
    with rep_server(tmp_path, server_database_url) as server:
        yield server.url


class Device:
    def __init__(self, folder: Path, url: str) -> None:
        self.store = Store.open(folder)
        self.editor = LocalEditor(self.store)
        self.url = url

    def sync(self) -> SyncOutcome:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            return SyncEngine(LocalReplica(self.store), http, "ana", REP_PASSWORD).run()

    def found(self, text: str) -> set[str]:
        return {hit.title for hit in SearchIndex(self.store).search(text)}

    def account(self) -> Account:
        with self.store.reading() as session:
            return session.scalars(select(Account)).one()


@pytest.fixture
def laptop(tmp_path: Path, url: str) -> Iterator[Device]:
    device = Device(tmp_path / "laptop", url)
    yield device
    device.store.close()


@pytest.fixture
def tablet(tmp_path: Path, url: str) -> Iterator[Device]:
    device = Device(tmp_path / "tablet", url)
    yield device
    device.store.close()


def test_pulled_edits_keep_rows_and_search_right(laptop: Device, tablet: Device) -> None:
    account_id, _ = laptop.editor.create(
        "account", name="Acme", territory="north", city="Bonn", industry="Retail"
    )
    contact_id, _ = laptop.editor.create(
        "contact", account_id=account_id, first_name="Zoë", last_name="Brandt"
    )
    laptop.sync()
    tablet.sync()
    assert tablet.found("Bonn") == {"Acme"} and tablet.found("Brandt") == {"Zoë Brandt"}

    laptop.editor.set_fields("account", account_id, phone="+49 1")  # not searched
    laptop.sync()
    assert tablet.sync().pulled == 1
    before = tablet.account()
    assert (before.phone, before.city, before.industry) == ("+49 1", "Bonn", "Retail")
    assert tablet.found("Bonn") == {"Acme"}

    laptop.editor.set_fields("account", account_id, city="Köln", phone=None)  # searched
    laptop.sync()
    tablet.sync()
    after = tablet.account()
    assert (after.name, after.city, after.phone) == ("Acme", "Köln", None)
    assert after.version > before.version and after.server_version > before.server_version
    assert tablet.found("Bonn") == set() and tablet.found("Köln") == {"Acme"}

    laptop.editor.set_fields("account", account_id, name="Globex")
    laptop.editor.delete("contact", contact_id)
    laptop.sync()
    tablet.sync()
    assert tablet.found("Acme") == set() and tablet.found("Globex") == {"Globex"}
    assert tablet.found("Brandt") == set()
    with tablet.store.reading() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None and contact.deleted_at is not None

    tablet.editor.set_fields("account", account_id, website="globex.example")  # still editable
    tablet.sync()
    laptop.sync()
    assert laptop.account().website == "globex.example"
    assert tablet.sync().repaired == () and laptop.sync().repaired == ()


def test_a_sync_tells_the_window_what_it_changed(laptop: Device, tablet: Device) -> None:
    account_id, _ = laptop.editor.create("account", name="Acme", territory="north")
    laptop.editor.create("task", account_id=account_id, title="Send the quote")
    sent = laptop.sync()
    assert sent.changes.touches("outbox")  # the outbox emptied: Needs attention may change
    first = tablet.sync()
    assert {"account", "task"} <= first.changes.tables
    laptop.editor.set_fields("account", account_id, city="Köln")
    laptop.sync()
    assert tablet.sync().changes.tables == {"account"}
    assert not tablet.sync().changes  # nothing new: nothing to refresh
