"""CSV import of accounts as CRMs export them: ours, Salesforce's and HubSpot's headers.

All or nothing: a file with any bad row writes nothing and reports every bad row.
Re-importing updates: each row's id in the source system becomes a stable record id.
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

from server.errors import BadRequest, NotFound
from server.models import Record, Territory
from server.records import Clock, ScopedRecords
from server.store import ServerStore

IMPORT_NAMESPACE = uuid.UUID("6f1c6f52-2b0e-4d55-9a8e-1f3c2b7d9e01")

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
        rows.append({k: (v if v != "" else None) for k, v in row.items()})
    if problems:
        raise ImportFailed(problems)
    return source, rows


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
        for done, row in enumerate(rows, start=1):
            source_id = row.pop("source_id")
            record_id = uuid.uuid5(IMPORT_NAMESPACE, f"{source}:{source_id}")
            fields = {
                **row,
                "territory": territory,
                "source_system": source,
                "source_id": source_id,
            }
            existing = session.get(Record, ("account", record_id))
            if existing is None:
                fields.setdefault("ladder_rung", "prospect")
                records.create("account", record_id, territory, fields)
                created += 1
            else:
                merged = {**existing.data, **fields}
                if merged == existing.data and existing.territory == territory:
                    unchanged += 1
                else:
                    existing.data, existing.territory = merged, territory
                    records.save(existing)
                    updated += 1
            if progress is not None and (done % 500 == 0 or done == len(rows)):
                progress(done, len(rows))
    return ImportResult(source, created, updated, unchanged)
