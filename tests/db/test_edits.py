"""Local edits write their row and their outbox entry together, or neither."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from db.edits import LocalEditor
from db.errors import StoreUserError
from db.store.local_store import Store
from db.store.models import Account, OutboxEntry
from sync.enums import LadderRung
from tests.helpers.factories import add_account


def outbox(store: Store) -> list[OutboxEntry]:
    with store.reading() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))


def test_an_edit_queues_a_mutation_with_the_values_it_replaced(store: Store) -> None:
    account_id = add_account(store, "Acme", city="Bonn", ladder_rung=LadderRung.CLIENT)
    changes = LocalEditor(store).set_fields("account", account_id, city="Köln", name="Acme")
    assert changes.touches("account")
    [entry] = outbox(store)
    assert (entry.entity, entry.op, entry.entity_id) == ("account", "set_fields", account_id)
    assert entry.fields == {"city": "Köln"}  # the unchanged name is not sent
    assert entry.base == {"city": "Bonn"}
    assert entry.status == "pending"


def test_mutation_ids_increase_and_never_repeat(store: Store) -> None:
    editor = LocalEditor(store)
    account_id, _ = editor.create("account", name="Acme", territory="north")
    editor.set_fields("account", account_id, ladder_rung=LadderRung.PARTNER)
    editor.delete("account", account_id)
    entries = outbox(store)
    assert [e.op for e in entries] == ["create", "set_fields", "delete"]
    assert [e.seq for e in entries] == sorted({e.seq for e in entries})
    assert entries[0].fields["name"] == "Acme" and entries[0].fields["territory"] == "north"
    assert entries[1].fields == {"ladder_rung": "partner"}
    assert entries[1].base == {"ladder_rung": "prospect"}


def test_a_failed_outbox_write_leaves_the_row_unchanged(store: Store) -> None:
    account_id = add_account(store, "Acme", city="Bonn")

    def fail(*_args: object) -> None:
        raise RuntimeError("disk full")

    event.listen(OutboxEntry, "before_insert", fail)
    try:
        with pytest.raises(RuntimeError):
            LocalEditor(store).set_fields("account", account_id, city="Köln")
    finally:
        event.remove(OutboxEntry, "before_insert", fail)
    with store.reading() as session:
        account = session.get(Account, account_id)
        assert account is not None and account.city == "Bonn" and account.version == 1
    assert outbox(store) == []


def test_a_note_body_edit_is_a_revision(store: Store) -> None:
    editor = LocalEditor(store)
    account_id = add_account(store, "Acme")
    note_id, _ = editor.create("visit_note", account_id=account_id, body="Met Zoë.")
    editor.set_fields("visit_note", note_id, body="Met Zoë. Wants a pilot.")
    assert [e.op for e in outbox(store)] == ["create", "revise"]


def test_editing_a_deleted_row_is_refused_in_plain_words(store: Store) -> None:
    editor = LocalEditor(store)
    account_id = add_account(store, "Acme")
    editor.delete("account", account_id)
    assert not editor.delete("account", account_id)
    with pytest.raises(StoreUserError, match="deleted"):
        editor.set_fields("account", account_id, city="Köln")


def test_unknown_fields_and_tables_are_refused(store: Store) -> None:
    editor = LocalEditor(store)
    with pytest.raises(ValueError, match="no editable fields"):
        editor.create("account", name="Acme", territory="north", version=5)
    with pytest.raises(ValueError, match="not a synced table"):
        editor.create("gizmo", name="x")
