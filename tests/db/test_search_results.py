"""The global search as the Search screen shows it: names first, why each result matched,
invoice and ticket numbers, and whatever a rep types taken as plain text."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from db.accounts import AccountDirectory
from db.dates import day_short
from db.dto import AccountQuery
from db.search import (
    ResultKind,
    SearchIndex,
    SearchResult,
    pause_indexing,
    rebuild_index,
    search_tiers,
    typed_phrases,
)
from db.store.local_store import Store
from db.store.models import Account, Activity, VisitNote
from db.store.probe import KNOWN_REVISIONS, STORE_FILENAME
from db.store.types import utc_now
from sync.enums import Channel
from tests.helpers.factories import add_account, add_activity, add_contact, add_note


def search(store: Store, typed: str) -> list[SearchResult]:
    return SearchIndex(store).search(typed)


def shown(results: list[SearchResult]) -> list[tuple[str, str]]:
    return [(r.kind.label, r.title) for r in results]


def marked(result: SearchResult) -> list[str]:
    return [result.reason[start:end] for start, end in result.marks]


def invoice(store: Store, account: uuid.UUID, number: str, what: str, days_ago: float) -> uuid.UUID:
    return add_activity(
        store,
        account,
        f"Invoice {number} {what} (€1,200)",
        days_ago=days_ago,
        channel=Channel.BILLING,
        type=f"invoice_{what}",
        details={"invoice": number, "amount": 1200, "currency": "EUR"},
    )


def ticket(store: Store, account: uuid.UUID, number: int | str, title: str) -> uuid.UUID:
    return add_activity(
        store,
        account,
        title,
        channel=Channel.SERVICE,
        type="ticket_opened",
        details={"ticket": number, "severity": 2, "status": "open"},
    )


def occurred(store: Store, activity_id: uuid.UUID) -> datetime:
    with store.reading() as session:
        return session.get_one(Activity, activity_id).occurred_at


@pytest.fixture
def filled(store: Store) -> Store:
    acme = add_account(store, "Acme Logistics", city="Hamburg", industry="Logistics")
    add_contact(
        store,
        acme,
        "Zoë",
        "Núñez",
        email="zoe.nunez@acme.example",
        title="Head of Procurement",
    )
    bright = add_account(store, "Brightwater Foods")
    add_note(store, bright, "They want a pilot of the cold-chain tracker before March.")
    return store


# --- ranking --------------------------------------------------------------------------------


def test_names_come_first_whole_words_before_prefixes_accounts_before_contacts(
    filled: Store,
) -> None:
    bright = add_account(filled, "Brightwater Foods Two")
    add_contact(filled, bright, "Ines", "Pilotti")  # a contact's name, by prefix
    add_account(filled, "Pilotwerk AG")  # an account's name, by prefix
    add_account(filled, "Seaside Shipping", industry="Pilot boats")  # not a name
    add_contact(filled, bright, "Mara", "Pilot")  # a contact's whole name
    # Whole-word account names, the one that begins with the word first however long.
    add_account(filled, "Harbour Pilot Services")
    add_account(filled, "Pilot Freight and Marine Logistics International GmbH")
    # A note that says the word again and again: still after every name.
    add_note(filled, bright, "Pilot, pilot, pilot: the pilot's pilot.")

    results = search(filled, "pilot")

    assert shown(results[:5]) == [
        ("Account", "Pilot Freight and Marine Logistics International GmbH"),
        ("Account", "Harbour Pilot Services"),
        ("Contact", "Mara Pilot"),
        ("Account", "Pilotwerk AG"),
        ("Contact", "Ines Pilotti"),
    ]
    assert sorted(shown(results[5:])) == [
        ("Account", "Seaside Shipping"),
        ("Visit note", "Visit note"),
        ("Visit note", "Visit note"),
    ]


def test_an_invoice_number_comes_before_the_same_text_in_a_note(filled: Store) -> None:
    acme = add_account(filled, "Zenith Freight")
    add_note(filled, acme, "Asked about INV-2026-00042 twice, and about INV-2026-00042 again.")
    invoice(filled, acme, "INV-2026-00042", "issued", days_ago=9)
    assert [r.kind for r in search(filled, "INV-2026-00042")] == [
        ResultKind.ACTIVITY,
        ResultKind.NOTE,
    ]


# --- why a result matched ----------------------------------------------------------------


def test_an_accounts_name_says_name(filled: Store) -> None:
    first = search(filled, "acme")[0]
    assert (first.kind, first.account_name, first.reason) == (
        ResultKind.ACCOUNT,
        "Acme Logistics",
        "name",
    )


def test_a_contacts_name_says_whose(filled: Store) -> None:
    [result] = search(filled, "nunez")
    assert (result.kind, result.account_name, result.reason) == (
        ResultKind.CONTACT,
        "Acme Logistics",
        "contact: Zoë Núñez",
    )
    assert marked(result) == ["Núñez"]


def test_other_fields_say_which_in_plain_words(filled: Store) -> None:
    [city] = search(filled, "hamburg")
    assert (city.reason, marked(city)) == ("city: Hamburg", ["Hamburg"])
    [email] = [r for r in search(filled, "acme") if r.kind is ResultKind.CONTACT]
    assert email.reason == "contact: Zoë Núñez · email: zoe.nunez@acme.example"
    assert marked(email) == ["acme"]
    [job] = search(filled, "head of proc")
    assert job.reason == "contact: Zoë Núñez · job title: Head of Procurement"
    assert marked(job) == ["Head of Procurement"]


def test_a_field_that_repeats_a_word_already_shown_is_left_out(filled: Store) -> None:
    """ "logistics hamburg" matches the name, the industry and the city: the reason names
    what each added, not the industry that only says "logistics" again."""
    [result] = search(filled, "logistics hamburg")
    assert result.reason == "name · city: Hamburg"


def test_a_note_says_when_it_was_written_and_shows_the_words(filled: Store) -> None:
    [result] = search(filled, "cold chain pilot")
    with filled.reading() as session:
        written = session.get_one(VisitNote, result.ref_id).created_at
    assert result.kind is ResultKind.NOTE and result.account_name == "Brightwater Foods"
    assert result.reason == (
        f"note of {day_short(written)}: They want a pilot of the cold-chain tracker before March."
    )
    assert marked(result) == ["pilot", "cold-chain"]


def test_a_long_note_shows_the_words_in_a_snippet(filled: Store) -> None:
    acme = add_account(filled, "Kestrel Farms")
    add_note(filled, acme, "Talked about the weather. " * 20 + "Then the pilot.\n\nMore. " * 10)
    [result] = search(filled, "then pilot")
    assert "…" in result.reason and len(result.reason) < 140
    assert "pilot" in marked(result)
    assert "\n" not in result.reason


def test_an_activity_shows_its_title_and_day_with_the_number_marked(filled: Store) -> None:
    acme = add_account(filled, "Zenith Freight")
    issued = invoice(filled, acme, "INV-2026-00042", "issued", days_ago=9)
    [result] = search(filled, "INV-2026-00042")
    assert (result.kind, result.ref_id, result.account_name) == (
        ResultKind.ACTIVITY,
        issued,
        "Zenith Freight",
    )
    when = day_short(occurred(filled, issued))
    assert result.reason == f"Invoice INV-2026-00042 issued (€1,200), {when}"
    assert marked(result) == ["INV-2026-00042"]


def test_a_number_the_title_does_not_show_is_named(filled: Store) -> None:
    acme = add_account(filled, "Zenith Freight")
    case = ticket(filled, acme, 57303, "Support case opened: API timeouts")
    [result] = search(filled, "57303")
    when = day_short(occurred(filled, case))
    assert result.reason == f"ticket 57303: Support case opened: API timeouts, {when}"
    assert marked(result) == ["57303"]


# --- invoice and ticket numbers ------------------------------------------------------------


@pytest.fixture
def numbered(filled: Store) -> dict[str, uuid.UUID]:
    zenith = add_account(filled, "Zenith Freight")
    orbit = add_account(filled, "Orbit Stores")
    return {
        "issued": invoice(filled, zenith, "INV-2026-00042", "issued", days_ago=30),
        "paid": invoice(filled, zenith, "INV-2026-00042", "paid", days_ago=2),
        "other": invoice(filled, orbit, "INV-2026-00421", "issued", days_ago=5),
        "ticket": ticket(filled, zenith, 57303, "Ticket #57303 opened: API timeouts"),
        "tck": ticket(filled, orbit, "TCK-1234", "Ticket TCK-1234 opened: wrong invoice address"),
        "dispute": add_activity(
            filled,
            orbit,
            "Dispute D-77 opened: invoice INV-2025-00913 (invoiced twice)",
            channel=Channel.SERVICE,
            type="dispute_opened",
            details={"dispute": "D-77", "invoice": "INV-2025-00913", "reason": "invoiced twice"},
        ),
        "email": add_activity(
            filled, orbit, "Sent email: Spring offer", details={"campaign": "INV-2026-99999"}
        ),
    }


def found(store: Store, typed: str) -> list[uuid.UUID]:
    return [r.ref_id for r in search(store, typed) if r.kind is ResultKind.ACTIVITY]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("INV-2026-00042", ["paid", "issued"]),  # whole, newest first
        ("inv-2026-00042", ["paid", "issued"]),
        ("INV 2026 00042", ["paid", "issued"]),
        ("INV-2026-0004", ["paid", "issued"]),  # by prefix
        ("INV-2026-004", ["other"]),
        ("INV-2026-00", ["paid", "other", "issued"]),
        ("00421", ["other"]),
        ("57303", ["ticket"]),
        ("#57303", ["ticket"]),
        ("573", ["ticket"]),
        ("TCK-1234", ["tck"]),
        ("tck-12", ["tck"]),
        ("D-77", ["dispute"]),
        ("INV-2025-00913", ["dispute"]),
        ("INV-2026-99999", []),  # a campaign's name, not an invoice
    ],
)
def test_invoice_ticket_and_dispute_numbers_are_found(
    filled: Store, numbered: dict[str, uuid.UUID], typed: str, expected: list[str]
) -> None:
    assert found(filled, typed) == [numbered[name] for name in expected]


def test_a_whole_number_comes_before_longer_ones_it_begins(
    filled: Store, numbered: dict[str, uuid.UUID]
) -> None:
    zenith = add_account(filled, "Zenith Two")
    longer = ticket(filled, zenith, 573031, "Ticket #573031 opened: slow reports")
    assert found(filled, "57303") == [numbered["ticket"], longer]


def test_numbers_follow_edits_deletes_and_their_account(
    filled: Store, numbered: dict[str, uuid.UUID]
) -> None:
    with filled.session() as session:
        session.get_one(Activity, numbered["other"]).details = {"invoice": "INV-2026-00777"}
        session.get_one(Activity, numbered["issued"]).deleted_at = utc_now()
    assert found(filled, "00421") == []
    assert found(filled, "INV-2026-00777") == [numbered["other"]]
    assert found(filled, "INV-2026-00042") == [numbered["paid"]]
    with filled.session() as session:
        session.delete(session.get_one(Activity, numbered["paid"]))
        orbit = session.get_one(Activity, numbered["tck"]).account_id
        session.get_one(Account, orbit).deleted_at = utc_now()
    assert found(filled, "INV-2026-00042") == []
    assert found(filled, "TCK-1234") == []


def test_details_that_are_not_json_do_not_stop_an_activity_being_written(filled: Store) -> None:
    acme = add_account(filled, "Zenith Freight")
    with filled.session() as session:
        session.execute(
            text(
                "INSERT INTO activity (id, account_id, channel, type, title, occurred_at,"
                " details, created_at, updated_at, version) VALUES (:id, :account, 'billing',"
                " 'invoice_issued', 'Invoice INV-9 issued', '2026-01-02 00:00:00',"
                " '{\"invoice\": broken', '2026-01-02 00:00:00', '2026-01-02 00:00:00', 1)"
            ),
            {"id": uuid.uuid4().hex, "account": acme.hex},
        )
    assert found(filled, "INV-9") == []


# --- what a rep types is text ------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "acme AND",
        "OR acme",
        "NOT acme",
        "acme NOT logistics",
        "NEAR(acme logistics)",
        "NEAR(acme",
        '"',
        '"acme',
        'acme"',
        '"acme logistics"',
        '""acme""',
        "*",
        "acme*",
        "*acme",
        "-acme",
        "acme -logistics",
        "+acme",
        ":",
        "title:acme",
        "{title}: acme",
        "body : acme",
        "(acme",
        "acme)",
        "(acme OR x)",
        "^",
        "^acme",
        "acme^2",
        "INV-",
        "-INV-2026-",
        "a'b",
        "'; DROP TABLE account; --",
        "\\",
        "\x00",
        "​",  # a zero-width space
        "ß" * 500,
        "a-" * 200,
    ],
)
def test_operators_are_plain_text(filled: Store, typed: str) -> None:
    results = search(filled, typed)  # must not raise
    assert all(isinstance(r, SearchResult) for r in results)
    AccountDirectory(filled).page(AccountQuery(text=typed), 0, 50)


@pytest.mark.parametrize(
    "typed", ['"acme', 'acme"', "-acme", "+acme", "(acme", "acme)", "^acme", "acme*", "*acme"]
)
def test_punctuation_around_a_word_leaves_the_word(filled: Store, typed: str) -> None:
    assert search(filled, typed)[0].account_name == "Acme Logistics"


@pytest.mark.parametrize(("word", "name"), [("NOT", "Notley"), ("OR", "Orbit"), ("NEAR", "Nearby")])
def test_operator_words_are_words(filled: Store, word: str, name: str) -> None:
    add_account(filled, f"{name} Farms")
    assert [r.account_name for r in search(filled, word)] == [f"{name} Farms"]


def test_a_phrase_is_the_parts_of_a_word() -> None:
    assert typed_phrases(' "INV-2026-0042" zoe.nunez  NEAR(a  -  ^ * ') == [
        "INV 2026 0042",
        "zoe nunez",
        "NEAR a",
    ]
    assert typed_phrases("Nun\u0303ez") == ["Nuñez"]  # decomposed accents are composed
    assert typed_phrases("*** ---") == []


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.sampled_from([*"aAcmeNOTRDE*\"-^:()+{}., '\\ü0123456789#", "NEAR", "AND", "OR"]),
        max_size=20,
    ).map("".join)
    | st.text(max_size=30)  # any character at all: emoji, accents alone, new letters
)
def test_no_typed_text_makes_search_fail(filled: Store, typed: str) -> None:
    search(filled, typed)
    AccountDirectory(filled).page(AccountQuery(text=typed), 0, 10)


# --- the index behind it -------------------------------------------------------------------


def _plan(store: Store, typed: str) -> list[list[str]]:
    plans = []
    with store.reading() as session:
        for tier in search_tiers(typed):
            rows = session.execute(
                text(f"EXPLAIN QUERY PLAN {tier.statement}"),
                {"query": tier.query, "kind": tier.kind, "limit": 100},
            )
            plans.append([row[-1] for row in rows])
    return plans


def test_every_query_starts_from_a_full_text_index_and_sorts_nothing(
    filled: Store, numbered: dict[str, uuid.UUID]
) -> None:
    plans = _plan(filled, "acme INV-2026")
    assert len(plans) == 7
    for plan in plans:
        first, *rest = plan
        assert first.startswith("SCAN") and "VIRTUAL TABLE INDEX" in first, plan
        # Each other table is looked up by key for the rows shown: no scan, no sort.
        assert all(step.startswith("SEARCH") for step in rest), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan


def _numbers_index(store: Store) -> list[tuple[object, ...]]:
    with store.reading() as session:
        rows = session.execute(
            text(
                "SELECT d.activity_id, r.invoice, r.ticket, r.dispute"
                " FROM search_ref_doc AS d JOIN search_ref AS r ON r.rowid = d.rowid"
            )
        )
        return sorted(tuple(r) for r in rows)


def test_a_rebuilt_numbers_index_is_the_one_the_triggers_keep(
    filled: Store, numbered: dict[str, uuid.UUID]
) -> None:
    with filled.session() as session:
        session.get_one(Activity, numbered["other"]).deleted_at = utc_now()
    kept = _numbers_index(filled)
    assert len(kept) == 5  # not the deleted one, not the email
    with filled.session() as session:
        pause_indexing(session)
    zenith = add_account(filled, "Zenith Two")
    late = ticket(filled, zenith, 88001, "Ticket #88001 opened")  # paused: not indexed yet
    assert found(filled, "88001") == []
    with filled.session() as session:
        rebuild_index(session)
    assert found(filled, "88001") == [late]
    assert [r for r in _numbers_index(filled) if r[0] != late.hex] == kept
    assert found(filled, "INV-2026-00421") == []


def test_upgrading_a_store_indexes_the_numbers_it_holds(data_dir: Path) -> None:
    from db.store.schema import _alembic_upgrade

    before = KNOWN_REVISIONS[KNOWN_REVISIONS.index("0013_search_numbers") - 1]
    data_dir.mkdir(parents=True)
    old = create_engine(f"sqlite:///{data_dir / STORE_FILENAME}")
    _alembic_upgrade(old, before)
    account, activity = uuid.uuid4().hex, uuid.uuid4().hex
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account (id, name, territory, ladder_rung, created_at,"
                " updated_at, version) VALUES (:id, 'Old Timer GmbH', 'north', 'client',"
                " '2025-01-01 00:00:00', '2025-01-01 00:00:00', 1)"
            ),
            {"id": account},
        )
        conn.execute(
            text(
                "INSERT INTO activity (id, account_id, channel, type, title, occurred_at,"
                " details, created_at, updated_at, version) VALUES (:id, :account,"
                " 'billing', 'invoice_overdue', 'Invoice INV-2025-00007 overdue',"
                " '2025-03-01 00:00:00', '{\"invoice\": \"INV-2025-00007\"}',"
                " '2025-03-01 00:00:00', '2025-03-01 00:00:00', 1)"
            ),
            {"id": activity, "account": account},
        )
    old.dispose()
    store = Store.open(data_dir)
    try:
        assert found(store, "INV-2025-00007") == [uuid.UUID(hex=activity)]
    finally:
        store.close()


def test_the_numbers_migration_goes_down_and_up_again(data_dir: Path) -> None:
    from alembic import command
    from alembic.config import Config

    store = Store.open(data_dir)
    try:
        config = Config()
        config.set_main_option("script_location", "db.store:migrations")
        before = KNOWN_REVISIONS[KNOWN_REVISIONS.index("0013_search_numbers") - 1]
        with store.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, before)
            names = set(conn.execute(text("SELECT name FROM sqlite_master")).scalars())
            assert not {n for n in names if n.startswith(("search_ref", "activity_search"))}
            command.upgrade(config, "head")
        acme = add_account(store, "Zenith Freight")
        number = invoice(store, acme, "INV-2026-00042", "issued", days_ago=1)
        assert found(store, "INV-2026-00042") == [number]
    finally:
        store.close()
