"""Connectors on this machine: a signed delivery's way to the STOP line of a laptop's
briefing, and how many deliveries a second the server answers and takes in.

Run by hand: `python -m bench.connectors [--quick] [--deliveries N] [--clients C]`. A real
`fieldbrief-server serve` (its default worker processes) over loopback, on a fresh SQLite
data folder holding a 300-account demo territory, with the Zendesk and Stripe connectors
added through the CLI; the laptop is the real sync engine and briefing on an encrypted
store. Not part of `make bench`.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.keyed import open_store
from bench.report import Row, percentile, print_table
from db.briefing.service import BriefingService
from db.store.local_store import Store
from db.store.replica import LocalReplica
from server.models import HookDelivery, IngestedEvent, Record
from server.store import ServerStore, database_url_for
from sync.engine import SyncEngine

TERRITORY, USER, PASSWORD = "north", "demo", "demo-password"
ZENDESK_SECRET = "bench-zendesk-signing-secret"
STRIPE_SECRET = "whsec_bench_signing_secret_0001"


def _cli(data: Path, *args: str, stdin: str = "") -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(data), *args],
        input=stdin,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: fieldbrief-server {' '.join(args)} failed: {done.stderr}")


@contextlib.contextmanager
def _server(data: Path, log: Path) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "server.cli", "--data-dir", str(data), "serve"]
    with log.open("wb") as out:
        child = subprocess.Popen([*command, "--port", str(port)], stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 120
        while True:
            if child.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench: the server did not start:\n{log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        yield url
    finally:
        child.terminate()
        child.wait(timeout=60)


# --- signed deliveries, as the sources send them -----------------------------------------


def zendesk_ticket(ticket: int, email: str) -> tuple[bytes, dict[str, str]]:
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = json.dumps(
        {
            "ticket_id": str(ticket),
            "status": "Open",
            "priority": "Urgent",
            "subject": "Sync stuck at 80%",
            "requester_email": email,
            "organization": "",
            "organization_external_id": "",
            "created_at": "2026-01-05T08:00:00Z",
            "updated_at": stamp,
        }
    ).encode()
    digest = hmac.new(ZENDESK_SECRET.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return body, {
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "Content-Type": "application/json",
    }


def stripe_event(kind: str, obj: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    t = int(time.time())
    body = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "created": t,
            "type": kind,
            "data": {"object": obj},
        }
    ).encode()
    v1 = hmac.new(STRIPE_SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={t},v1={v1}", "Content-Type": "application/json"}


def invoice_failed(n: int, email: str) -> tuple[bytes, dict[str, str]]:
    return stripe_event(
        "invoice.payment_failed",
        {
            "id": f"in_bench{n}",
            "object": "invoice",
            "number": f"BENCH-{n:05d}",
            "customer": f"cus_bench{n}",
            "customer_email": email,
            "charge": f"ch_bench{n}",
            "currency": "eur",
            "amount_due": 120000,
            "amount_remaining": 120000,
        },
    )


def dispute_created(n: int) -> tuple[bytes, dict[str, str]]:
    now = int(time.time())
    return stripe_event(
        "charge.dispute.created",
        {
            "id": f"du_bench{n}",
            "object": "dispute",
            "charge": f"ch_bench{n}",
            "amount": 120000,
            "currency": "eur",
            "reason": "fraudulent",
            "status": "needs_response",
            "created": now,
            "evidence_details": {"due_by": now + 9 * 86400},
        },
    )


# --- the measurements ------------------------------------------------------------------------


def _people(store: ServerStore) -> list[tuple[uuid.UUID, str]]:
    """(account id, a contact's e-mail) for every account with exactly one such e-mail."""
    with store.session() as session:
        rows = session.execute(
            select(Record.data["account_id"].as_string(), Record.data["email"].as_string()).where(
                Record.entity == "contact", Record.deleted_at.is_(None)
            )
        ).all()
    seen: dict[str, list[str]] = {}
    for account, email in rows:
        if account and email:
            seen.setdefault(email.lower(), []).append(account)
    return [(uuid.UUID(accounts[0]), e) for e, accounts in seen.items() if len(accounts) == 1]


def _taken(store: ServerStore, source: str, event_id: str) -> bool:
    with store.session() as session:
        row = session.get(IngestedEvent, (source, event_id))
        return row is not None


def _wait(predicate: Any, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("bench: a delivery was never taken in")
        time.sleep(0.005)


def _stop_shown(laptop: Store, account: uuid.UUID, what: str) -> bool:
    briefing = BriefingService(laptop).briefing(account)
    return briefing is not None and any(what in w.text for w in briefing.warnings)


def latency(
    url: str, store: ServerStore, laptop: Store, people: list[tuple[uuid.UUID, str]], rounds: int
) -> list[Row]:
    """Per round: one delivery (a Zendesk urgent ticket; a Stripe dispute whose invoice came
    before), answered, taken in, one sync, the STOP line in the briefing."""
    found: dict[str, list[float]] = {k: [] for k in ("answer", "taken", "sync", "total")}
    with (
        httpx.Client(base_url=url, timeout=60) as http,
        httpx.Client(base_url=url, timeout=60) as syncer,
    ):
        engine = SyncEngine(LocalReplica(laptop), syncer, USER, PASSWORD)
        engine.run()  # the first download, not measured
        for n in range(rounds):
            account, email = people[n]
            if n % 2 == 0:
                body, headers = zendesk_ticket(700_000 + n, email)
                path, source, shown = "/v1/hooks/zendesk", "zendesk", f"#{700_000 + n}"
            else:
                before_body, before = invoice_failed(n, email)
                http.post("/v1/hooks/stripe", content=before_body, headers=before)
                _wait(lambda b=before_body: _taken(store, "stripe", json.loads(b)["id"]))
                body, headers = dispute_created(n)
                path, source, shown = "/v1/hooks/stripe", "stripe", f"BENCH-{n:05d}"
            delivery_id = _delivery_id(source, body)
            started = time.perf_counter()
            answer = http.post(path, content=body, headers=headers)
            answered = time.perf_counter()
            assert answer.status_code == 200 and answer.json()["status"] == "stored", answer.text
            _wait(lambda s=source, d=delivery_id: _taken(store, s, d))
            taken = time.perf_counter()
            engine.run()
            synced = time.perf_counter()
            assert _stop_shown(laptop, account, shown), "the briefing shows no STOP"
            found["answer"].append((answered - started) * 1000)
            found["taken"].append((taken - started) * 1000)
            found["sync"].append((synced - taken) * 1000)
            found["total"].append((synced - started) * 1000)
    rows = []
    for key, label in (
        ("answer", "delivery answered (200)"),
        ("taken", "delivery taken in (activity stored)"),
        ("sync", "the next sync, incremental"),
        ("total", "delivery -> STOP visible after that sync"),
    ):
        samples = found[key]
        rows.append(
            (
                f"{label}, p50 / p95",
                f"{percentile(samples, 50):,.0f} / {percentile(samples, 95):,.0f} ms",
                f"{rounds} rounds",
                "",
            )
        )
    return rows


def _delivery_id(source: str, body: bytes) -> str:
    document = json.loads(body)
    if source == "stripe":
        return str(document["id"])
    stamp = datetime.fromisoformat(document["updated_at"]).strftime("%Y%m%dT%H%M%SZ")
    return f"ticket-{document['ticket_id']}-{stamp}"


def throughput(
    url: str, store: ServerStore, people: list[tuple[uuid.UUID, str]], count: int, clients: int
) -> list[Row]:
    """`count` deliveries (half Zendesk tickets, half Stripe invoices) from `clients`
    keep-alive connections at once: answered per second, and taken in per second."""
    signed = []
    for n in range(count):
        _account, email = people[n % len(people)]
        if n % 2 == 0:
            signed.append(("/v1/hooks/zendesk", *zendesk_ticket(800_000 + n, email)))
        else:
            signed.append(("/v1/hooks/stripe", *invoice_failed(100_000 + n, email)))
    with store.session() as session:
        before = session.scalar(select(func.count()).select_from(HookDelivery)) or 0
    waits: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def send(part: list[tuple[str, bytes, dict[str, str]]]) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            for path, body, headers in part:
                sent = time.perf_counter()
                answer = http.post(path, content=body, headers=headers)
                with lock:
                    waits.append((time.perf_counter() - sent) * 1000)
                    if answer.status_code != 200:
                        failures.append(answer.text[:200])

    started = time.perf_counter()
    threads = [threading.Thread(target=send, args=(signed[i::clients],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answered = time.perf_counter()
    if failures:
        raise SystemExit(f"bench: {len(failures)} deliveries refused, e.g. {failures[0]}")

    def all_taken() -> bool:
        with store.session() as session:
            done = session.scalar(
                select(func.count())
                .select_from(HookDelivery)
                .where(HookDelivery.status.in_(("done", "failed")))
            )
        return (done or 0) >= before + count

    _wait(all_taken, limit=900)
    taken = time.perf_counter()
    return [
        (
            f"{count:,} deliveries answered ({clients} clients)",
            f"{count / (answered - started):,.0f} /s",
            f"p50 {percentile(waits, 50):,.0f} ms, p95 {percentile(waits, 95):,.0f} ms",
            "",
        ),
        (
            f"{count:,} deliveries taken in (stored as activities)",
            f"{count / (taken - started):,.0f} /s",
            f"all in {taken - started:,.1f} s",
            "",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.connectors", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 rounds, 400 deliveries")
    parser.add_argument("--rounds", type=int, default=30, help="latency rounds (default 30)")
    parser.add_argument("--deliveries", type=int, default=4000, help="default 4000")
    parser.add_argument("--clients", type=int, default=8, help="default 8")
    args = parser.parse_args(argv)
    rounds, count = (10, 400) if args.quick else (args.rounds, args.deliveries)
    with tempfile.TemporaryDirectory(prefix="fieldbrief-connectors-") as folder:
        work = Path(folder)
        data = work / "server"
        print("Making a 300-account demo territory and the connectors …", flush=True)
        _cli(data, "demo", "--accounts", "300", "--territory", TERRITORY)
        _cli(data, "connector", "add", "zendesk", "--secret-stdin", stdin=ZENDESK_SECRET)
        _cli(data, "connector", "add", "stripe", "--secret-stdin", stdin=STRIPE_SECRET)
        store = ServerStore.open(database_url_for(data))
        laptop = open_store(work / "laptop")
        try:
            people = _people(store)
            with _server(data, work / "server.log") as url:
                print(f"Latency: {rounds} rounds …", flush=True)
                rows = latency(url, store, laptop, people, rounds)
                print(f"Throughput: {count:,} deliveries …", flush=True)
                rows += throughput(url, store, people, count, args.clients)
        except BaseException:
            log = work / "server.log"
            if log.exists():
                print(log.read_text()[-6000:], file=sys.stderr)
            raise
        finally:
            laptop.close()
            store.close()
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
