"""Leads from marketing written straight into a real store, many at once, and a check of
the query plans that read them, for tests."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from db.store.local_store import Store
from db.store.models import Lead
from sync.enums import LeadOutcome, LeadStatus, RejectReason

FIRST_HANDED_OVER = datetime(2026, 11, 1, 9, tzinfo=UTC)


def add_leads(
    store: Store,
    account_id: uuid.UUID,
    count: int,
    *,
    status: LeadStatus = LeadStatus.NEW,
    outcome: LeadOutcome | None = None,
    campaign: str = "Winter offer",
    first: datetime = FIRST_HANDED_OVER,
    contact_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """`count` leads handed over a minute apart from `first` (the last one the newest);
    their campaigns are numbered ("Winter offer 007")."""
    with store.session() as session:
        leads = [
            Lead(
                account_id=account_id,
                contact_id=contact_id,
                campaign=f"{campaign} {i:03}",
                score=i % 100,
                handed_over_at=first + timedelta(minutes=i),
                status=status,
                reject_reason=RejectReason.NO_NEED if status is LeadStatus.REJECTED else None,
                outcome=outcome,
            )
            for i in range(count)
        ]
        session.add_all(leads)
        session.flush()
        return [lead.id for lead in leads]


_LEAD_READ = re.compile(r"\b(SCAN|SEARCH) lead\b")
_OTHER_SCAN = re.compile(r"\bSCAN (account|contact)\b")
_AGGREGATE = re.compile(r"\bcount\(", re.IGNORECASE)


@contextmanager
def statements_run(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs the store runs inside the block, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)


def whole_list_reads(store: Store, statements: list[tuple[str, Any]]) -> dict[str, list[str]]:
    """The plan lines of statements on lead that read more than they keep, by statement:
    a temporary B-tree (every row sorted), a list of leads read other than as a LIMIT in
    the order of ix_lead_listed, a count other than of a range of that index alone, a SCAN
    of account or contact. Empty when every read stops early or counts from the index."""
    found: dict[str, list[str]] = {}
    with store.engine.connect() as connection:
        for statement, parameters in statements:
            flat = " ".join(statement.split())
            if not re.search(r"\bFROM lead\b", flat):
                continue
            plan = [
                row[3]
                for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            ]
            counted = bool(_AGGREGATE.search(flat))
            bad = []
            for line in plan:
                if "TEMP B-TREE" in line or _OTHER_SCAN.search(line):
                    bad.append(line)
                match = _LEAD_READ.search(line)
                if match is None or "(id=?)" in line:  # one lead by its key
                    continue
                reads_index = "ix_lead_listed" in line and (not counted or "COVERING INDEX" in line)
                # A count reads a range of the index; a list, a LIMIT in the index's order.
                stops_early = match.group(1) == "SEARCH" if counted else " LIMIT " in flat
                if not (reads_index and stops_early):
                    bad.append(line)
            if bad:
                found[flat[:300]] = bad
    return found
