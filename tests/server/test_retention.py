"""Retention: old activity erased at once, daily and at start, on laptops too; `off` keeps all."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from db.search import SearchIndex
from db.store.models import Activity
from server import audit
from server.auth import AuthService
from server.cli import main as server_cli
from server.models import Record
from server.records import ERASED_KEEPS, ScopedRecords
from server.retention import cutoff
from server.settings import set_retention_years
from server.store import ServerStore, database_url_for
from tests.helpers.live_server import server_process
from tests.server.conftest import Clock
from tests.sync.test_engine import Device

INVOICE = "INV-QXZ-77731"


def _account(store: ServerStore, clock: Clock) -> uuid.UUID:
    with store.session() as session:
        records = ScopedRecords(session, frozenset(), clock)
        data = {"name": "Acme", "territory": "north"}
        return records.create("account", uuid.uuid4(), "north", data).id


def _activity(
    store: ServerStore, clock: Clock, account: uuid.UUID, occurred: str, **details: Any
) -> uuid.UUID:
    title = f"Invoice {details['invoice']} issued" if "invoice" in details else "Visited a page"
    with store.session() as session:
        records = ScopedRecords(session, frozenset(), clock)
        data = {
            "account_id": str(account),
            "contact_id": None,
            "channel": "billing" if "invoice" in details else "marketing",
            "type": "invoice_issued" if "invoice" in details else "page_visit",
            "title": title,
            "occurred_at": occurred,
            "details": details,
            "source_system": "test",
        }
        return records.create("activity", uuid.uuid4(), "north", data).id


def _erased(store: ServerStore, activity: uuid.UUID) -> bool:
    with store.session() as session:
        record = session.get(Record, ("activity", activity))
        assert record is not None
        return record.deleted_at is not None and set(record.data) <= ERASED_KEEPS


def _on_laptop(device: Device) -> set[uuid.UUID]:
    with device.store.reading() as session:
        return set(session.scalars(select(Activity.id)))


def _policy(store: ServerStore, *args: str, capsys: pytest.CaptureFixture[str]) -> str:
    url = store.engine.url.render_as_string(hide_password=False)
    assert server_cli(["policy", "retention-years", *args, "--database-url", url]) == 0
    return capsys.readouterr().out


def _laptop_bytes(device: Device) -> bytes:
    folder = device.store.path.parent
    return b"".join(path.read_bytes() for path in folder.glob(f"{device.store.path.name}*"))


def test_setting_it_erases_old_activity_here_and_on_a_laptop(
    tmp_path: Path,
    auth: AuthService,
    clock: Clock,
    base_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = auth.store
    # The command runs on the real clock; these lie far from its five-year line either way.
    now = datetime.now(UTC)
    line = cutoff(now, 5)
    account = _account(store, clock)
    ancient = _activity(store, clock, account, (now - timedelta(days=7 * 366)).isoformat(),
                        invoice=INVOICE)  # fmt: skip
    basic = _activity(store, clock, account, f"{now.year - 9}0102T030405Z")  # ISO basic form
    # Just before the line in UTC, though its own date (+14:00) is the day after.
    ahead = (line - timedelta(hours=2)).astimezone(_tz(14)).isoformat()
    offset = _activity(store, clock, account, ahead)
    inside = _activity(store, clock, account, (line + timedelta(days=3)).isoformat())
    recent = _activity(store, clock, account, (now - timedelta(days=1)).isoformat())
    laptop = Device(tmp_path / "laptop", base_url)
    laptop.sync()
    assert _on_laptop(laptop) == {ancient, basic, offset, inside, recent}
    assert [r.title for r in SearchIndex(laptop.store).search(INVOICE)] == [
        f"Invoice {INVOICE} issued"
    ]

    assert "kept for ever" in _policy(store, capsys=capsys)
    said = _policy(store, "5", capsys=capsys)
    assert "kept 5 year(s)" in said and "Erased 3 activity record(s)" in said
    assert [_erased(store, a) for a in (ancient, basic, offset, inside, recent)] == [
        True, True, True, False, False,
    ]  # fmt: skip
    assert "kept 5 year(s)" in _policy(store, capsys=capsys)  # shown, nothing more erased

    laptop.sync()
    assert _on_laptop(laptop) == {inside, recent}
    assert SearchIndex(laptop.store).search(INVOICE) == []
    held = _laptop_bytes(laptop)
    assert [n for n in (INVOICE.encode(), b"qxz", b"77731") if n in held] == []
    laptop.store.close()
    with store.session() as session:
        actions = [(e.action, e.detail) for e in audit.entries(session)]
    assert ("policy retention-years", "5 years") in actions
    assert [a for a, _ in actions].count("retention") == 1


def _tz(hours: int) -> Any:
    from datetime import timezone

    return timezone(timedelta(hours=hours))


@pytest.mark.parametrize("typed", ["0", "101", "-1", "five", "5.5", "٥"])
def test_a_retention_that_is_not_one_is_a_usage_error(
    typed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        server_cli(["policy", "retention-years", typed, "--data-dir", str(tmp_path)])
    assert exit_.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_the_server_applies_it_again_at_the_first_request_of_each_day(
    tmp_path: Path, auth: AuthService, clock: Clock, http: httpx.Client, base_url: str
) -> None:
    store = auth.store
    with store.session() as session:
        set_retention_years(session, 5)
    account = _account(store, clock)
    line = cutoff(clock(), 5)
    ages_tomorrow = _activity(store, clock, account, (line + timedelta(hours=12)).isoformat())
    recent = _activity(store, clock, account, (clock() - timedelta(days=1)).isoformat())
    laptop = Device(tmp_path / "laptop", base_url)
    laptop.sync()
    assert http.get("/v1/health").status_code == 200
    assert not _erased(store, ages_tomorrow)  # the same day: no run

    clock.advance(days=1)
    assert http.get("/v1/health").status_code == 200  # the day's first request runs it
    assert _erased(store, ages_tomorrow) and not _erased(store, recent)
    laptop.sync()
    assert _on_laptop(laptop) == {recent}
    laptop.store.close()
    with store.session() as session:
        [run] = [e for e in audit.entries(session) if e.action == "retention"]
    assert run.actor == "server" and run.at == clock()


def test_off_keeps_everything(
    auth: AuthService, clock: Clock, http: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    store = auth.store
    _policy(store, "5", capsys=capsys)
    said = _policy(store, "off", capsys=capsys)
    assert "kept for ever (retention-years is off)" in said
    account = _account(store, clock)
    old = _activity(store, clock, account, "1996-05-04T09:30:00+00:00")
    clock.advance(days=1)
    assert http.get("/v1/health").status_code == 200
    assert not _erased(store, old)


@pytest.mark.slow
def test_serve_applies_it_as_it_starts(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "server.cli", "--data-dir", str(tmp_path), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    assert cli("territory", "add", "north").returncode == 0
    assert cli("policy", "retention-years", "2").returncode == 0
    store = ServerStore.open(database_url_for(tmp_path))
    try:
        clock = Clock()
        old = _activity(store, clock, _account(store, clock), "2001-09-10T08:00:00+00:00")
    finally:
        store.close()
    with server_process(["serve", "--data-dir", str(tmp_path)], tmp_path / "serve.log"):
        pass
    store = ServerStore.open(database_url_for(tmp_path))
    try:
        assert _erased(store, old)
    finally:
        store.close()
    said = (tmp_path / "serve.log").read_text()
    assert "Retention: erased 1 activity record(s) older than 2 years." in said
