"""The audit log: sign-ins and every admin command, once each, filtered by day and user,
append-only, and never a password."""

from __future__ import annotations

import io
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from server import audit
from server.auth import AuthService
from server.cli import main as server_cli
from server.devices import Devices
from server.models import AuditEntry
from tests.server.conftest import PASSWORD, Clock

DATA = Path(__file__).parent / "data"
NEW_PASSWORD = "a brand new secret phrase"


def admin(url: str, *args: str) -> int:
    return server_cli(["--database-url", url, *args])


def login(http: httpx.Client, user: str, password: str, client_id: uuid.UUID) -> httpx.Response:
    body = {"username": user, "password": password, "client_id": str(client_id)}
    return http.post("/v1/auth/login", json=body)


def logged(auth: AuthService) -> list[AuditEntry]:
    with auth.store.session() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_each_action_is_audited_once_and_no_password_is(
    http: httpx.Client,
    auth: AuthService,
    clock: Clock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = auth.store.engine.url.render_as_string(hide_password=False)
    laptop = uuid.uuid4()
    assert login(http, "ana", PASSWORD, laptop).status_code == 200
    assert login(http, "ana", "a wrong guess", uuid.uuid4()).status_code == 401
    # A name no user has is kept as such: it may be a password typed in the wrong field.
    assert login(http, PASSWORD + "!", PASSWORD, uuid.uuid4()).status_code == 401

    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,type,occurred_at,domain,reason\n"
        "h-1,credit_hold,2026-11-01T00:00:00Z,nobody.example,overdue\n",
        encoding="utf-8",
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    commands = [
        ("territory", "add", "west"),
        ("user", "add", "cy", "--territory", "west", "--password-stdin"),
        ("user", "grant", "cy", "--territory", "north"),
        ("user", "revoke", "cy", "--territory", "north"),
        ("user", "disable", "cy"),
        ("user", "enable", "cy"),
        ("apikey", "add", "hubspot"),
        ("apikey", "revoke", "hubspot"),
        ("policy", "sensitive-answers", "off-devices"),
        ("policy", "offline-days", "30"),
        ("device", "wipe", str(laptop), "--reason", "lost"),
        ("import", "accounts", str(DATA / "salesforce_accounts.csv"), "--territory", "west"),
        ("import", "events", str(events), "--source", "sap"),
        ("purge-tombstones",),
    ]
    for args in commands:
        assert admin(url, *args) == 0, (args, capsys.readouterr().err)
    key = next(line for line in capsys.readouterr().out.splitlines() if len(line) > 30)
    # Reads change nothing in the log.
    for args in (("device", "list"), ("policy", "offline-days"), ("apikey", "list")):
        assert admin(url, *args) == 0
    assert http.post("/v1/device/wiped", json={"client_id": str(laptop)}).status_code == 204

    actions = Counter(entry.action for entry in logged(auth))
    assert actions == {
        "sign-in": 1,
        "sign-in failed": 2,
        "territory add": 1,
        "user add": 1,
        "user grant": 1,
        "user revoke": 1,
        "user disable": 1,
        "user enable": 1,
        "apikey add": 1,
        "apikey revoke": 1,
        "policy sensitive-answers": 1,
        "policy offline-days": 1,
        "device wipe": 1,
        "import accounts": 1,
        "import events": 1,
        "purge-tombstones": 1,
        "wipe done": 1,
    }
    entries = logged(auth)
    failed = [e for e in entries if e.action == "sign-in failed"]
    assert [e.actor for e in failed] == ["ana", audit.UNKNOWN_NAME]
    assert all(e.detail == "from 127.0.0.1" for e in failed)
    (signed_in,) = [e for e in entries if e.action == "sign-in"]
    assert (signed_in.actor, signed_in.at) == ("ana", clock.now)
    (wipe,) = [e for e in entries if e.action == "device wipe"]
    assert (wipe.actor, wipe.subject, wipe.detail) == ("admin", "ana", f"device {laptop}: lost")
    (done,) = [e for e in entries if e.action == "wipe done"]
    assert (done.actor, done.subject) == ("ana", str(laptop))

    # No password, key or guessed name anywhere in the table.
    with auth.store.engine.connect() as connection:
        table = " ".join(
            str(cell) for row in connection.execute(select(AuditEntry.__table__)) for cell in row
        )
    for secret in (PASSWORD, "a wrong guess", NEW_PASSWORD, key):
        assert secret not in table


def test_the_audit_command_filters_by_day_and_user(
    http: httpx.Client,
    auth: AuthService,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = auth.store.engine.url.render_as_string(hide_password=False)
    laptop = uuid.uuid4()
    assert login(http, "ana", PASSWORD, laptop).status_code == 200  # 2026-11-23
    clock.advance(days=3)
    assert login(http, "ben", PASSWORD, uuid.uuid4()).status_code == 200
    Devices(auth.store, clock).wipe(str(laptop), reason="a\nsecond line?")

    assert admin(url, "audit") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "2026-11-23 09:00:00 UTC  ana  sign-in: from 127.0.0.1",
        "2026-11-26 09:00:00 UTC  ben  sign-in: from 127.0.0.1",
        f"2026-11-26 09:00:00 UTC  admin  device wipe ana: device {laptop}: a second line?",
    ]
    assert admin(url, "audit", "--since", "2026-11-24") == 0
    assert capsys.readouterr().out.splitlines() == lines[1:]
    assert admin(url, "audit", "--user", "ana") == 0
    assert capsys.readouterr().out.splitlines() == [lines[0], lines[2]]
    assert admin(url, "audit", "--user", "ben", "--since", "2026-11-27") == 0
    assert capsys.readouterr().out.strip() == "No audit entries match."
    assert admin(url, "audit", "--since", "last week") == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "fieldbrief-server: --since takes a date such as 2026-12-01, not 'last week'"
    )


def test_the_audit_log_is_append_only(auth: AuthService) -> None:
    with auth.store.session() as session:
        audit.record(session, action="territory add", actor=audit.ADMIN, subject="west")
    for statement in ("UPDATE audit_entry SET actor = 'someone'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError, match="append-only"), auth.store.session() as session:
            session.execute(text(statement))
    assert [(e.action, e.actor) for e in logged(auth)] == [("territory add", "admin")]


def test_long_or_odd_text_is_kept_on_one_line_within_its_column(auth: AuthService) -> None:
    with auth.store.session() as session:
        audit.record(session, action="import accounts", actor="admin\r\nforged", detail="x" * 600)
        with pytest.raises(ValueError):
            audit.record(session, action=" ", actor="admin")
    (entry,) = logged(auth)
    assert entry.actor == "admin  forged"
    assert len(entry.detail or "") == 500 and (entry.detail or "").endswith("…")
