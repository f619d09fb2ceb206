"""The Leads page's list read a page at a time in an index's order: the same rows in the
same order as the whole list, counts and a lead's place from the index, never a sort of
every lead; and the index the migration makes is the model's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex

from db.edits import LocalEditor
from db.field.leads import LeadCounts, LeadDesk
from db.store.local_store import STORE_FILENAME, Store
from db.store.models import Lead
from db.store.schema import KNOWN_REVISIONS, _alembic_upgrade
from sync.enums import LeadOutcome, LeadStatus
from tests.helpers.factories import add_account, add_contact
from tests.helpers.leads import FIRST_HANDED_OVER, add_leads, statements_run, whole_list_reads


@pytest.fixture
def leads(store: Store) -> dict[str, list[uuid.UUID]]:
    """Leads of every kind, their hand-overs interleaved, two at the same minute; one
    withdrawn, one of an account since deleted."""
    account = add_account(store, "Brightwater Foods")
    contact = add_contact(store, account, "Matteo", "Bruno", title="COO")
    later = FIRST_HANDED_OVER + timedelta(seconds=30)
    made = {
        "new": add_leads(store, account, 7, contact_id=contact),
        "new_later": add_leads(store, account, 5, first=later),
        "open": add_leads(store, account, 4, status=LeadStatus.ACCEPTED, first=later),
        "finished": add_leads(
            store, account, 3, status=LeadStatus.ACCEPTED, outcome=LeadOutcome.WON
        ),
        "rejected": add_leads(store, account, 3, status=LeadStatus.REJECTED, first=later),
        "tie": add_leads(store, account, 1) + add_leads(store, account, 1),  # same minute
    }
    gone = add_account(store, "Gone GmbH")
    made["of_gone_account"] = add_leads(store, gone, 2)
    made["withdrawn"] = add_leads(store, account, 1, first=FIRST_HANDED_OVER + timedelta(days=9))
    editor = LocalEditor(store)
    editor.delete("account", gone)
    editor.delete("lead", made["withdrawn"][0])
    return made


def test_pages_put_together_are_the_whole_list_in_its_order(
    store: Store, leads: dict[str, list[uuid.UUID]]
) -> None:
    desk = LeadDesk(store)
    for include_settled in (False, True):
        whole = desk.leads(include_settled=include_settled)
        paged = [
            row
            for offset in range(0, len(whole) + 3, 3)
            for row in desk.page(offset, 3, include_settled=include_settled)
        ]
        assert paged == whole
        assert len({row.id for row in whole}) == len(whole)
        ranks = [_rank(row.status, row.outcome) for row in whole]
        assert ranks == sorted(ranks)  # new, accepted and open, finished, rejected
        for rank in set(ranks):  # newest first within each
            times = [r.handed_over_at for r, k in zip(whole, ranks, strict=True) if k == rank]
            assert times == sorted(times, reverse=True)
        listed = {row.id for row in whole}
        assert not listed & {*leads["of_gone_account"], *leads["withdrawn"]}
    waiting = desk.leads()
    assert len(waiting) == 7 + 5 + 4 + 2 and all(row.waiting for row in waiting)
    assert len(desk.leads(include_settled=True)) == len(waiting) + 3 + 3
    tied = [row.id for row in waiting if row.handed_over_at == FIRST_HANDED_OVER]
    assert len(tied) == 3 and tied == sorted(tied, key=lambda lead_id: lead_id.hex)  # by id
    (newest,) = desk.page(0, 1)  # the last of "new", handed over at 9:06
    assert (newest.id, newest.account_name) == (leads["new"][-1], "Brightwater Foods")
    assert (newest.contact_name, newest.contact_title) == ("Matteo Bruno", "COO")
    assert {row.contact_name for row in waiting} == {"Matteo Bruno", None}
    assert desk.page(100, 10) == []


def test_counts_and_a_leads_place_come_from_the_index(
    store: Store, leads: dict[str, list[uuid.UUID]]
) -> None:
    desk = LeadDesk(store)
    assert desk.counts() == LeadCounts(new=7 + 5 + 2, open=4)
    for include_settled in (False, True):
        whole = desk.leads(include_settled=include_settled)
        places = [desk.position(row.id, include_settled=include_settled) for row in whole]
        assert places == list(range(len(whole)))
    assert desk.position(leads["rejected"][0]) is None  # not listed while settled are hidden
    assert desk.position(leads["withdrawn"][0], include_settled=True) is None
    assert desk.position(leads["of_gone_account"][0], include_settled=True) is None
    assert desk.position(uuid.uuid4()) is None

    lead = leads["new"][0]
    desk.accept(lead)
    assert desk.counts() == LeadCounts(new=7 + 5 + 2 - 1, open=4 + 1)
    assert desk.position(lead) == 7 + 5 + 2 - 1 + 4  # the oldest of the accepted ones


def test_no_read_of_the_list_sorts_or_reads_every_lead(
    store: Store, leads: dict[str, list[uuid.UUID]]
) -> None:
    desk = LeadDesk(store)
    with statements_run(store) as statements:
        desk.page(0, 5)
        desk.page(5, 5)
        desk.page(0, 5, include_settled=True)
        desk.counts()
        desk.position(leads["open"][0])
        desk.position(leads["finished"][0], include_settled=True)
    assert len(statements) >= 6
    assert whole_list_reads(store, statements) == {}


def test_the_check_finds_a_sort_of_every_lead(store: Store) -> None:
    everything = ("SELECT lead.id FROM lead ORDER BY lead.handed_over_at DESC", ())
    unlimited = ("SELECT lead.id FROM lead WHERE lead.deleted_at IS NULL", ())
    counted = ("SELECT count(*) FROM lead WHERE lead.status = 'new'", ())
    found = whole_list_reads(store, [everything, unlimited, counted])
    assert list(found.values()) == [
        ["SCAN lead", "USE TEMP B-TREE FOR ORDER BY"],
        ["SCAN lead USING COVERING INDEX ix_lead_listed"],
        ["SCAN lead"],
    ]


def test_a_page_out_of_range_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="page"):
        LeadDesk(store).page(-1, 10)
    with pytest.raises(ValueError, match="page"):
        LeadDesk(store).page(0, -10)


def test_the_migration_makes_the_models_index(store: Store) -> None:
    with store.engine.connect() as connection:
        made = connection.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'ix_lead_listed'")
        ).scalar_one()
    (index,) = (i for i in Lead.metadata.tables["lead"].indexes if i.name == "ix_lead_listed")
    declared = str(CreateIndex(index).compile(dialect=sqlite.dialect()))
    assert " ".join(made.split()) == " ".join(declared.split())


def test_a_store_of_the_revision_before_lists_its_leads_once_upgraded(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    old = create_engine(f"sqlite:///{data_dir / STORE_FILENAME}")
    _alembic_upgrade(old, KNOWN_REVISIONS[KNOWN_REVISIONS.index("0018_lead_listed") - 1])
    account, lead = uuid.uuid4().hex, uuid.uuid4().hex
    with old.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO account (id, name, territory, ladder_rung, created_at, updated_at,"
                " version) VALUES (:id, 'Kept GmbH', 'north', 'customer', :at, :at, 1)"
            ),
            {"id": account, "at": "2026-11-01 09:00:00.000000"},
        )
        connection.execute(
            text(
                "INSERT INTO lead (id, account_id, campaign, handed_over_at, status, created_at,"
                " updated_at, version) VALUES (:id, :account, 'Fair', :at, 'new', :at, :at, 1)"
            ),
            {"id": lead, "account": account, "at": "2026-11-01 09:00:00.000000"},
        )
    old.dispose()
    store = Store.open(data_dir)
    try:
        (row,) = LeadDesk(store).page(0, 10)
        assert (row.id.hex, row.account_name, row.handed_over_at) == (
            lead,
            "Kept GmbH",
            datetime(2026, 11, 1, 9, tzinfo=UTC),
        )
        assert LeadDesk(store).counts() == LeadCounts(new=1, open=0)
    finally:
        store.close()


def _rank(status: LeadStatus, outcome: LeadOutcome | None) -> int:
    if status is LeadStatus.NEW:
        return 0
    if status is LeadStatus.REJECTED:
        return 3
    return 1 if outcome is None else 2
