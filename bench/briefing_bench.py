"""Opening a briefing for an account with 10,000 activities, in a 2,000-account demo store:
the store read and rules (off the GUI thread), then the HTML the screen shows."""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.keyed import open_store
from bench.report import Row, percentile, verdict

ACTIVITIES = 10_000
OPENS = 30
TARGET_MS = 150
# A busy customer's three years: marketing's emails and web visits are most of the events;
# tickets are opened and (but for the last few) closed, invoices issued and (but for a few)
# paid, as in the demo territory.
MARKETING: tuple[tuple[str, dict[str, Any]], ...] = (
    ("email_sent", {"campaign": "nurture"}),
    ("email_opened", {"campaign": "nurture"}),
    ("email_clicked", {"campaign": "nurture", "url": "/pricing"}),
    ("page_visit", {"url": "/pricing", "seconds": 40}),
    ("page_visit", {"url": "/docs", "seconds": 90}),
    ("webinar_attended", {"webinar": "Cold chain 101", "minutes": 40}),
    ("content_download", {"asset": "Pricing guide"}),
)
SHARES = {"marketing": 0.70, "ticket": 0.06, "invoice": 0.06, "nps": 0.02, "call": 0.04}
OPEN_LAST = 3  # the newest tickets and invoices still open


def heavy_store(folder: Path) -> tuple[Any, Any]:
    """A demo store plus one account with ACTIVITIES events over three years."""
    from sqlalchemy import insert, select

    from db.demo.territory import generate_demo
    from db.store.models import Account, Activity, Contact

    store = open_store(folder)
    generate_demo(store, 2_000, 1, today=date.today())
    rng = random.Random(7)
    now = datetime.now(UTC)
    with store.session() as session:
        account_id = session.scalars(select(Account.id).order_by(Account.name).limit(1)).one()
        contacts = session.scalars(select(Contact.id).where(Contact.account_id == account_id)).all()
        rows: list[dict[str, Any]] = []

        def add(channel: str, kind: str, at: datetime, details: dict[str, Any]) -> None:
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "account_id": account_id,
                    "contact_id": rng.choice(contacts) if contacts else None,
                    "channel": channel,
                    "type": kind,
                    "title": f"{kind.replace('_', ' ')} {len(rows)}",
                    "occurred_at": at,
                    "details": details,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )

        def when() -> datetime:
            return now - timedelta(seconds=rng.randrange(3 * 365 * 86_400))

        kinds, weights = list(SHARES), list(SHARES.values())
        while len(rows) < ACTIVITIES:
            what = rng.choices(kinds, weights)[0]
            at = when()
            if what == "marketing":
                kind, details = rng.choice(MARKETING)
                add("marketing", kind, at, dict(details))
            elif what == "ticket":
                ticket = {"ticket": str(len(rows)), "severity": "normal", "subject": "Printer"}
                add("service", "ticket_opened", at, ticket)
                add("service", "ticket_closed", at + timedelta(days=3), ticket)
            elif what == "invoice":
                invoice = {"invoice": f"INV-{len(rows)}", "amount": 1200, "currency": "EUR"}
                add("billing", "invoice_issued", at, invoice)
                add("billing", "invoice_paid", at + timedelta(days=25), invoice)
            elif what == "nps":
                add("service", "nps_response", at, {"score": rng.randint(5, 10)})
            else:
                add("sales", "call_logged", at, {"minutes": 12})
        for kind in ("ticket_closed", "invoice_paid"):  # the newest few are still open
            newest = sorted((r for r in rows if r["type"] == kind), key=lambda r: r["occurred_at"])
            for row in newest[-OPEN_LAST:]:
                rows.remove(row)
        session.execute(insert(Activity), rows)
    return store, account_id


def run() -> list[Row]:
    from db.briefing.report import briefing_html
    from db.briefing.service import BriefingService

    with tempfile.TemporaryDirectory() as tmp:
        store, account_id = heavy_store(Path(tmp))
        try:
            service = BriefingService(store)
            service.briefing(account_id)  # warm: the first read pulls pages from disk
            read_ms, html_ms = [], []
            for _ in range(OPENS):
                started = time.perf_counter()
                briefing = service.briefing(account_id)
                read_ms.append((time.perf_counter() - started) * 1000)
                assert briefing is not None
                started = time.perf_counter()
                briefing_html(briefing)
                html_ms.append((time.perf_counter() - started) * 1000)
            total = [r + h for r, h in zip(read_ms, html_ms, strict=True)]
        finally:
            store.close()
    p95 = percentile(total, 95)
    return [
        (
            f"open a briefing, {ACTIVITIES:,} activities p95 (read + HTML)",
            f"{p95:.1f} ms (p50 {percentile(total, 50):.1f}; HTML {percentile(html_ms, 95):.1f})",
            f"< {TARGET_MS} ms",
            verdict(p95 < TARGET_MS),
        )
    ]


if __name__ == "__main__":
    from bench.report import print_table

    print_table(run())
