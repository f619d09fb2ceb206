"""`fieldbrief-server` as admins and scripts run it: a real subprocess."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from server.auth import AuthService
from server.store import ServerStore, database_url_for
from tests.helpers.live_server import server_process

pytestmark = pytest.mark.slow


def server_cli(*args: str | Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_admin_commands_and_one_line_errors(tmp_path: Path) -> None:
    ok = server_cli("--data-dir", tmp_path, "territory", "add", "north")
    assert ok.returncode == 0 and "north" in ok.stdout
    made = server_cli(
        "user",
        "add",
        "ana",
        "--territory",
        "north",
        "--password-stdin",
        "--data-dir",
        tmp_path,
        stdin="a long secret\n",
    )
    assert made.returncode == 0, made.stderr
    again = server_cli(
        "--data-dir", tmp_path, "user", "add", "ana", "--password-stdin", stdin="a long secret\n"
    )
    assert again.returncode == 1
    assert again.stderr.strip() == "fieldbrief-server: user 'ana' already exists"
    unknown = server_cli(
        "--data-dir",
        tmp_path,
        "user",
        "add",
        "ben",
        "--territory",
        "west",
        "--password-stdin",
        stdin="a long secret\n",
    )
    assert unknown.returncode == 1 and "no territory 'west'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    short = server_cli("--data-dir", tmp_path, "user", "add", "cy", "--password-stdin", stdin="x\n")
    assert short.returncode == 1 and "at least 12" in short.stderr
    usage = server_cli("user", "add")
    assert usage.returncode == 2 and len(usage.stderr.strip().splitlines()) == 1
    long_name = server_cli("--data-dir", tmp_path, "territory", "add", "x" * 101)
    assert long_name.returncode == 1 and "at most 100 characters" in long_name.stderr


def test_grant_revoke_and_purge_commands(tmp_path: Path) -> None:
    for name in ("north", "south"):
        server_cli("--data-dir", tmp_path, "territory", "add", name)
    server_cli(
        "--data-dir", tmp_path, "user", "add", "ana", "--territory", "north",
        "--password-stdin", stdin="a long secret\n",
    )  # fmt: skip
    granted = server_cli("--data-dir", tmp_path, "user", "grant", "ana", "--territory", "south")
    assert granted.returncode == 0 and "may now see territory south" in granted.stdout
    revoked = server_cli("--data-dir", tmp_path, "user", "revoke", "ana", "--territory", "north")
    assert revoked.returncode == 0 and "no longer sees territory north" in revoked.stdout
    nobody = server_cli("--data-dir", tmp_path, "user", "grant", "bob", "--territory", "south")
    assert nobody.returncode == 1 and nobody.stderr.strip() == "fieldbrief-server: no user 'bob'"
    too_soon = server_cli("--data-dir", tmp_path, "purge-tombstones", "--older-than-days", "30")
    assert too_soon.returncode == 1 and "at least 180" in too_soon.stderr
    purged = server_cli("--data-dir", tmp_path, "purge-tombstones")
    assert purged.returncode == 0 and "Forgot 0 deletion(s) older than 180 days" in purged.stdout

    store = ServerStore.open(database_url_for(tmp_path))
    try:
        auth = AuthService(store)
        token = auth.login("ana", "a long secret", uuid.uuid4()).access_token
        assert auth.authenticate(token).territories == frozenset({"south"})
    finally:
        store.close()


def test_serve_answers_on_loopback(tmp_path: Path) -> None:
    server_cli("--data-dir", tmp_path, "territory", "add", "north")
    server_cli(
        "--data-dir",
        tmp_path,
        "user",
        "add",
        "ana",
        "--territory",
        "north",
        "--password-stdin",
        stdin="a long secret\n",
    )
    with server_process(["serve", "--data-dir", str(tmp_path)], tmp_path / "serve.log") as url:
        health = httpx.get(f"{url}/v1/health", timeout=2)
        assert health.json()["status"] == "ok"
        login = httpx.post(
            f"{url}/v1/auth/login",
            json={
                "username": "ana",
                "password": "a long secret",
                "client_id": "8d6f2b4e-7c1a-4e0b-9a43-2f5c1d7e9b10",
            },
        )
        assert login.status_code == 200


def test_report_profiles_gives_completeness_per_rep(tmp_path: Path) -> None:
    """Ana's territory has two contacts, one with three answers (one to a question this
    definition lacks, not counted); Ben's territory has none."""
    from server.models import Record
    from server.profile_report import completeness_by_rep

    store = ServerStore.open(database_url_for(tmp_path))
    auth = AuthService(store)
    for territory in ("north", "south"):
        auth.add_territory(territory)
    auth.add_user("ana", "a long secret", ["north"])
    auth.add_user("ben", "a long secret", ["south"])
    account, rob, zoe = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    rows = [("account", account, {"name": "Acme", "territory": "north"})]
    rows += [("contact", c, {"account_id": str(account)}) for c in (rob, zoe)]
    for question, value in (("nickname", "Bob"), ("hobbies", ["chess"]), ("podcast", "x")):
        answer = {"contact_id": str(rob), "question_id": question, "value": value}
        rows.append(("profile_answer", uuid.uuid4(), answer))
    with store.session() as session:
        for version, (entity, record_id, data) in enumerate(rows, start=1):
            session.add(
                Record(entity=entity, id=record_id, territory="north", data=data, version=version)
            )
    with store.session() as session:
        ana, ben = completeness_by_rep(session)
    store.close()
    assert (ana.rep, ana.contacts, ana.profiled, ana.answered) == ("ana", 2, 1, 2)
    assert ana.average == pytest.approx(2 / (2 * 66))
    assert (ben.rep, ben.contacts, ben.average) == ("ben", 0, 0.0)
    shown = server_cli("--data-dir", tmp_path, "report", "profiles")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].split() == ["rep", "territories", "contacts", "profiled", "average"]
    assert lines[2].split() == ["ana", "north", "2", "1", "2%"]


def test_demo_territories_sit_side_by_side(tmp_path: Path) -> None:
    first = server_cli("--data-dir", tmp_path, "demo", "--accounts", "20")
    assert first.returncode == 0, first.stderr
    assert "Sign in as demo / demo-password; demo sees territories: demo." in first.stdout
    server_cli("--data-dir", tmp_path, "territory", "add", "south")
    server_cli(
        "--data-dir", tmp_path, "user", "add", "ana", "--territory", "south",
        "--password-stdin", stdin="a long secret\n",
    )  # fmt: skip

    second = server_cli("--data-dir", tmp_path, "demo", "--accounts", "20", "--territory", "south")
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == [
        "Wrote 20 demo accounts into territory south.",
        "Sign in as demo / demo-password; demo sees territories: demo, south.",
        "Also granted south: ana.",
    ]
    again = server_cli("--data-dir", tmp_path, "demo", "--accounts", "20", "--territory", "south")
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert again.stderr.strip() == (
        "fieldbrief-server: territory 'south' already has demo data; pick another --territory"
    )

    from sqlalchemy import func, select

    from server.models import Record

    store = ServerStore.open(database_url_for(tmp_path))
    try:
        with store.session() as session:
            ids = {
                territory: set(
                    session.scalars(select(Record.id).where(Record.territory == territory))
                )
                for territory in ("demo", "south")
            }
            accounts = dict(
                session.execute(
                    select(Record.territory, func.count())
                    .where(Record.entity == "account")
                    .group_by(Record.territory)
                ).all()
            )
            session.add(
                Record(entity="account", id=uuid.uuid4(), territory="west", data={}, version=10**9)
            )
        assert accounts == {"demo": 20, "south": 20}
        assert len(ids["south"]) == len(ids["demo"]) and not ids["south"] & ids["demo"]
        token = AuthService(store).login("demo", "demo-password", uuid.uuid4()).access_token
        assert AuthService(store).authenticate(token).territories == frozenset({"demo", "south"})
    finally:
        store.close()
    taken = server_cli("--data-dir", tmp_path, "demo", "--territory", "west")
    assert taken.returncode == 1 and taken.stderr.strip() == (
        "fieldbrief-server: territory 'west' already holds 1 record(s); "
        "demo data goes only into an empty territory"
    )


def test_demo_does_not_print_a_password_an_admin_changed(tmp_path: Path) -> None:
    server_cli(
        "--data-dir", tmp_path, "user", "add", "demo", "--password-stdin", stdin="not the demo's\n"
    )
    made = server_cli("--data-dir", tmp_path, "demo", "--accounts", "3", "--territory", "east")
    assert made.returncode == 0, made.stderr
    assert "demo-password" not in made.stdout
    assert "Sign in as demo (with the password an admin set); demo sees territories: east." in (
        made.stdout
    )
