"""CSV import of accounts as CRMs export them: ours, Salesforce's and HubSpot's headers.

All or nothing: a file with any bad row writes nothing and reports every bad row, checked
by the same row schema as a rep's push (sync.row_schema), and refusing formula-looking cells.
Re-importing updates: a row's id in the source system finds its record through the
server's own table of outside keys (OutsideKey); new records get random ids. An account
the file moves to another territory takes its contacts, notes and the rest along.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import BadRequest, NotFound
from server.models import OutsideKey, Record, Territory
from server.records import Clock, ScopedRecords
from server.store import ServerStore
from sync.csv_safe import looks_like_formula
from sync.row_schema import INT64_MAX, RowProblem, checked_fields

SOURCE_ID_CHARS = 200  # OutsideKey.key's size
# Our field -> the headers each source uses for it (compared without case or spaces).
ACCOUNT_HEADERS: dict[str, tuple[str, ...]] = {
    "source_id": ("external_id", "account id", "id", "record id", "company id"),
    "name": ("name", "account name", "company name"),
    "industry": ("industry",),
    "employees": ("employees", "numberofemployees", "number of employees"),
    "street": ("street", "billing street", "billingstreet", "street address", "address"),
    "postal_code": (
        "postal_code", "billing zip/postal code", "billingpostalcode", "postal code", "zip",
    ),
    "city": ("city", "billing city", "billingcity"),
    "country": ("country", "billing country", "billingcountry", "country/region"),
    "phone": ("phone", "phone number"),
    "website": ("website", "website url", "company domain name"),
}  # fmt: skip
SOURCES = {  # a header only one source writes tells which source a file came from
    "salesforce": {"account id", "billing city", "billingcity", "account name"},
    "hubspot": {"record id", "company id", "company name", "country/region"},
}


@dataclass(frozen=True)
class ImportResult:
    source: str
    created: int
    updated: int
    unchanged: int


class ImportFailed(BadRequest):
    """The file was refused; `problems` lists every bad row."""

    def __init__(self, problems: list[str]) -> None:
        shown = "; ".join(problems[:10]) + (
            f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        )
        super().__init__(f"nothing was imported: {shown}")
        self.problems = problems


def _key(header: str) -> str:
    return " ".join(header.strip().lower().split())


def read_accounts(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parses a CSV text into (source, rows of our fields); raises ImportFailed."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [_key(h) for h in reader.fieldnames or []]
    columns: dict[str, str] = {}
    for field, aliases in ACCOUNT_HEADERS.items():
        for raw, key in zip(reader.fieldnames or [], headers, strict=True):
            if key in aliases and field not in columns:
                columns[field] = raw
    missing = [f for f in ("source_id", "name") if f not in columns]
    if missing:
        raise ImportFailed(
            [f"the file has no {' or '.join(ACCOUNT_HEADERS[f][:3])} column" for f in missing]
        )
    source = next((s for s, marks in SOURCES.items() if marks & set(headers)), "fieldbrief")
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, raw_row in enumerate(reader, start=2):
        row = {f: (raw_row.get(c) or "").strip() for f, c in columns.items()}
        where = f"row {line}"
        if not row["source_id"]:
            problems.append(f"{where}: no id")
            continue
        if row["source_id"] in seen:
            problems.append(f"{where}: id {row['source_id']} repeats row {seen[row['source_id']]}")
            continue
        seen[row["source_id"]] = line
        if not row["name"]:
            problems.append(f"{where}: no name")
        if row.get("employees"):
            try:
                row["employees"] = int(row["employees"].replace(",", "").replace(" ", ""))
            except ValueError:
                problems.append(f"{where}: employees {row['employees']!r} is not a number")
        problem = _row_problem(row)
        if problem:
            problems.append(f"{where}: {problem}")
        rows.append({k: (v if v != "" else None) for k, v in row.items()})
    if problems:
        raise ImportFailed(problems)
    return source, rows


def _row_problem(row: dict[str, Any]) -> str | None:
    """What is wrong with a row's values for an account (the rows schema of a push), or
    with a cell a spreadsheet would run as a formula; None when nothing is."""
    formulas = [
        name for name, value in row.items() if isinstance(value, str) and looks_like_formula(value)
    ]
    if formulas:
        return f"{', '.join(formulas)} looks like a spreadsheet formula; remove the leading sign"
    source_id = row["source_id"]
    if len(source_id) > SOURCE_ID_CHARS:
        return f"the id has more than {SOURCE_ID_CHARS} characters"
    if "\x00" in source_id:
        return "the id holds a NUL character"
    if isinstance(row.get("employees"), int) and row["employees"] > INT64_MAX:
        return "employees: a number past 64 bits"
    fields = {k: v for k, v in row.items() if k != "source_id" and v not in ("", None)}
    if "name" not in fields:
        return None  # said already
    try:
        checked_fields("account", {**fields, "territory": "t"}, whole=True)
    except RowProblem as exc:
        return str(exc)
    return None


def import_accounts(
    store: ServerStore,
    path: Path,
    territory: str,
    clock: Clock,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Imports (or re-imports) accounts from a CSV file into `territory`, all or nothing."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel and HubSpot write a BOM
    except UnicodeDecodeError:
        raise ImportFailed(["the file is not UTF-8 text; export it as UTF-8 CSV"]) from None
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc.strerror}") from None
    source, rows = read_accounts(text)
    created = updated = unchanged = 0
    with store.session() as session:
        if session.scalar(select(Territory).where(Territory.name == territory)) is None:
            raise NotFound(
                f"no territory {territory!r}; add it first with: territory add {territory}"
            )
        records = ScopedRecords(session, frozenset({territory}), clock)
        records.lock_for_writing()
        for done, row in enumerate(rows, start=1):
            source_id = row.pop("source_id")
            fields = {
                **row,
                "territory": territory,
                "source_system": source,
                "source_id": source_id,
            }
            existing = _imported(session, source, source_id)
            if existing is None:
                fields.setdefault("ladder_rung", "prospect")
                record = records.create("account", uuid.uuid4(), territory, fields)
                session.add(
                    OutsideKey(system=source, key=source_id, entity="account", record_id=record.id)
                )
                created += 1
            else:
                merged = {**existing.data, **fields}
                moved = existing.territory != territory
                if merged == existing.data and not moved:
                    unchanged += 1
                else:
                    existing.data, existing.territory = merged, territory
                    records.save(existing)
                    if moved:  # its contacts, notes, meetings and activities go with it
                        records.move_account_rows(existing.id, territory)
                    updated += 1
            if progress is not None and (done % 500 == 0 or done == len(rows)):
                progress(done, len(rows))
    return ImportResult(source, created, updated, unchanged)


def _imported(session: Session, system: str, key: str) -> Record | None:
    """The account imported before from `system` under `key`, if any."""
    found = session.get(OutsideKey, (system, key))
    return session.get(Record, ("account", found.record_id)) if found is not None else None


def accounts_by_crm_id(session: Session, systems: list[str], key: str) -> list[Record]:
    """The accounts imported from any of `systems` under `key` (what events name them by)."""
    stmt = select(Record).join(
        OutsideKey, (OutsideKey.record_id == Record.id) & (Record.entity == OutsideKey.entity)
    )
    stmt = stmt.where(OutsideKey.key == key, OutsideKey.system.in_(systems))
    return list(session.scalars(stmt.where(OutsideKey.entity == "account")))
