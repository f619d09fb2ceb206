"""The FTS5 index: what is written is found, what is deleted or renamed is not."""

from __future__ import annotations

import pytest

from db.accounts import AccountDirectory
from db.dto import AccountQuery, AccountSort
from db.search import ResultKind, SearchIndex, fts_query, pause_indexing, rebuild_index
from db.store.local_store import Store
from db.store.models import Account, Contact
from db.store.types import utc_now
from tests.helpers.factories import add_account, add_contact, add_note


def names(store: Store, text: str) -> list[str]:
    return [r.name for r in AccountDirectory(store).page(AccountQuery(text=text), 0, 100)]


@pytest.fixture
def filled(store: Store) -> Store:
    acme = add_account(store, "Acme Logistics", city="Hamburg")
    add_contact(store, acme, "Zoë", "Núñez", email="zoe.nunez@acme.example")
    bright = add_account(store, "Brightwater Foods")
    add_note(store, bright, "They want a pilot of the cold-chain tracker before March.")
    add_account(store, "Müller Maschinenbau")
    return store


def test_account_names_match_by_word_prefix(filled: Store) -> None:
    assert names(filled, "acm") == ["Acme Logistics"]
    assert names(filled, "log acm") == ["Acme Logistics"]
    assert names(filled, "foods") == ["Brightwater Foods"]


def test_contact_names_and_emails_find_their_account(filled: Store) -> None:
    assert names(filled, "Núñez") == ["Acme Logistics"]
    assert names(filled, "zoe.nunez") == ["Acme Logistics"]


def test_accents_need_not_be_typed(filled: Store) -> None:
    assert names(filled, "muller") == ["Müller Maschinenbau"]
    assert names(filled, "nunez") == ["Acme Logistics"]


def test_visit_notes_find_their_account(filled: Store) -> None:
    assert names(filled, "cold chain pilot") == ["Brightwater Foods"]


def test_renamed_account_is_found_by_its_new_name_only(filled: Store) -> None:
    with filled.session() as session:
        account = session.query(Account).filter_by(name="Acme Logistics").one()
        account.name = "Zenith Freight"
    assert names(filled, "logistics") == []
    assert names(filled, "zenith") == ["Zenith Freight"]


def test_soft_deleted_rows_leave_lists_counts_and_search(filled: Store) -> None:
    directory = AccountDirectory(filled)
    acme = directory.page(AccountQuery(text="acme"), 0, 10)[0]
    assert directory.soft_delete(acme.id).touches("account")
    assert names(filled, "acme") == []
    assert names(filled, "nunez") == []  # its contact no longer leads to it
    assert "Acme Logistics" not in names(filled, "")
    assert directory.count(AccountQuery()) == 2
    assert directory.detail(acme.id) is None
    assert SearchIndex(filled).search("acme") == []
    assert not directory.soft_delete(acme.id)  # deleting twice changes nothing


def test_soft_deleted_contact_is_not_found(filled: Store) -> None:
    with filled.session() as session:
        contact = session.query(Contact).filter_by(last_name="Núñez").one()
        contact.deleted_at = utc_now()
    assert names(filled, "nunez") == []
    assert names(filled, "acme") == ["Acme Logistics"]


def test_hard_delete_removes_index_entries(filled: Store) -> None:
    with filled.session() as session:
        account = session.query(Account).filter_by(name="Müller Maschinenbau").one()
        session.delete(account)
    assert SearchIndex(filled).search("muller") == []


@pytest.mark.parametrize(
    "typed", ['"', "AND", "NEAR(a b", "title:x", "a OR", "*", "-x", "'; DROP TABLE account; --"]
)
def test_fts_syntax_in_the_search_box_is_plain_text(filled: Store, typed: str) -> None:
    names(filled, typed)  # must not raise
    SearchIndex(filled).search(typed)


def test_fts_query_quotes_every_word_as_a_prefix() -> None:
    assert fts_query("  acme   lo ") == '"acme"* "lo"*'
    assert fts_query("--- !!") is None


def test_global_search_returns_kinds_with_their_account(filled: Store) -> None:
    hits = SearchIndex(filled).search("acme")
    kinds = {h.kind for h in hits}
    assert kinds == {ResultKind.ACCOUNT, ResultKind.CONTACT}  # the contact's email has "acme"
    assert all(h.account_name == "Acme Logistics" for h in hits)
    note_hit = SearchIndex(filled).search("tracker")[0]
    assert note_hit.kind is ResultKind.NOTE
    assert "tracker" in note_hit.reason


@pytest.mark.parametrize("text", ["a", "acme", "nunez", "cold chain", "zzz", "m"])
@pytest.mark.parametrize("sort", list(AccountSort))
def test_broad_and_narrow_plans_agree(filled: Store, text: str, sort: AccountSort) -> None:
    """The broad plan (temp table, walk in display order) returns what the narrow one does."""
    for i in range(30):
        add_contact(filled, add_account(filled, f"Meridian {i:02d}", city="Aachen"), "Max", "Moll")
    query = AccountQuery(text=text, sort=sort)
    narrow = AccountDirectory(filled, broad_match=10**9)
    broad = AccountDirectory(filled, broad_match=0)
    for offset in (0, 5):
        assert broad.page(query, offset, 7) == narrow.page(query, offset, 7)
    assert broad.count(query) == narrow.count(query)


def _index(store: Store) -> list[tuple[object, ...]]:
    from sqlalchemy import text as sql

    with store.reading() as session:
        rows = session.execute(
            sql(
                "SELECT d.kind, d.ref_id, d.account_id, f.title, f.body"
                " FROM search_doc AS d JOIN search_fts AS f ON f.rowid = d.rowid"
            )
        )
        return sorted(tuple(r) for r in rows)


def test_a_rebuilt_index_is_the_one_the_triggers_keep(filled: Store) -> None:
    """A first download fills the store with the triggers paused, then rebuilds: the result
    must be what row-by-row upkeep gives, soft-deleted rows left out."""
    gone = add_account(filled, "Gone Gmbh")
    with filled.session() as session:
        session.get_one(Account, gone).deleted_at = utc_now()
    kept = _index(filled)
    assert len(kept) == 5 and "Gone Gmbh" not in str(kept)
    with filled.session() as session:
        pause_indexing(session)
    with filled.session() as session:
        session.get_one(Account, gone).deleted_at = None  # paused: the index misses this
    assert names(filled, "gone") == []
    with filled.session() as session:
        rebuild_index(session)
    assert names(filled, "gone") == ["Gone Gmbh"]
    assert [r for r in _index(filled) if "Gone" not in str(r)] == kept
    add_contact(filled, gone, "Ada", "Quist")  # the triggers run again
    assert names(filled, "quist") == ["Gone Gmbh"]


@pytest.mark.parametrize("window", [0, 2, 6])
def test_a_short_walk_goes_further_or_looks_matches_up(
    filled: Store, window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Walks that end before a page is full (a short window over spread-out matches) still
    give the narrow plan's page: by walking further once, or by looking the matches up."""
    import db.accounts

    for i in range(40):
        name = f"Meridian {i:02d}" if i % 3 else f"Nordhafen {i:02d}"
        add_account(filled, name, city="Aachen" if i % 2 else "Kiel")
    monkeypatch.setattr(db.accounts, "BROAD_WINDOW", window)
    narrow = AccountDirectory(filled, broad_match=10**9)
    broad = AccountDirectory(filled, broad_match=0)
    for text in ("meridian", "kiel", "nordhafen"):
        query = AccountQuery(text=text)
        for offset in (0, 4):
            assert broad.page(query, offset, 8) == narrow.page(query, offset, 8)
