"""`fieldbrief-server user add --role` as a real subprocess, then those users on the console
of a real `serve`; and the migration that brings roles and console sessions."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, inspect, select

from server.models import AuthToken, Device, User
from server.store import ServerStore, create_server_engine, database_url_for
from tests.helpers.console import ConsoleBrowser
from tests.helpers.live_server import server_process
from tests.server.conftest import PASSWORD, Clock


def server_cli(*args: str | Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_user_add_gives_roles_and_those_users_sign_in_to_the_console(tmp_path: Path) -> None:
    data = ("--data-dir", tmp_path)
    assert server_cli(*data, "territory", "add", "north").returncode == 0

    def add(*args: str) -> subprocess.CompletedProcess[str]:
        return server_cli(*data, "user", "add", *args, "--password-stdin", stdin=PASSWORD + "\n")

    made = add("maya", "--role", "manager", "--territory", "north")
    assert made.returncode == 0 and made.stdout.strip() == "Added user maya (manager)."
    assert add("mark", "--role", "marketing").returncode == 0
    assert add("ana", "--territory", "north").stdout.strip() == "Added user ana."  # a rep
    wrong_role = add("boss", "--role", "boss")
    assert wrong_role.returncode == 2 and len(wrong_role.stderr.strip().splitlines()) == 1
    assert "invalid choice: 'boss'" in wrong_role.stderr
    scoped = add("mia", "--role", "marketing", "--territory", "north")
    assert scoped.returncode == 1 and scoped.stderr.strip() == (
        "fieldbrief-server: a marketing user sees every territory: leave out --territory"
    )
    assert "--role" in server_cli("user", "add", "--help").stdout

    store = ServerStore.open(database_url_for(tmp_path))
    try:
        with store.session() as session:
            roles = {name: role for name, role in session.execute(select(User.name, User.role))}
    finally:
        store.close()
    assert roles == {"maya": "manager", "mark": "marketing", "ana": "rep"}
    audit = server_cli(*data, "audit").stdout
    assert "admin  user add maya: manager; sees north" in audit
    assert "admin  user add mark: marketing; sees every territory" in audit
    assert "admin  user add ana: sees north" in audit

    with server_process([*map(str, data), "serve", "--workers", "1"], tmp_path / "log") as url:
        for name, home, status in (("mark", "/console/leads", 303), ("maya", "/console/team", 303)):
            with ConsoleBrowser(url) as browser:
                answer = browser.sign_in(name, PASSWORD)
                assert answer.status_code == status and answer.headers["location"] == home
        with ConsoleBrowser(url) as browser:
            assert browser.sign_in("ana", PASSWORD).status_code == 403
    log = (tmp_path / "log").read_text()
    assert "Traceback" not in log and PASSWORD not in log
    assert "GET /console/login 200" in log and "mark" not in log  # the log names no one


def test_the_upgrade_makes_every_user_a_rep_and_keeps_their_sign_ins(
    server_database_url: str,
) -> None:
    """s0011 adds the role in place (a copy of app_user would cascade to every device and
    token on SQLite) and the session table; down and up again keep them too."""
    engine = create_server_engine(server_database_url)
    config = Config()
    config.set_main_option("script_location", "server:migrations")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "s0010_devices_audit")
    device, now = uuid.uuid4(), Clock().now
    with engine.begin() as conn:  # only the columns the tables had then
        conn.execute(
            insert(User.__table__).values(
                name="ana", password_hash="x", disabled=False, created_at=now
            )
        )
        user_id = conn.scalar(select(User.__table__.c.id))
        conn.execute(
            insert(Device.__table__).values(
                client_id=device, user_id=user_id, registered_at=now, last_seen_at=now
            )
        )
        conn.execute(
            insert(AuthToken.__table__).values(
                token_hash="kept", kind="refresh", user_id=user_id, client_id=device,
                expires_at=now + timedelta(days=1), family=device,
            )
        )  # fmt: skip
    try:
        for _ in range(2):
            with engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                assert "console_session" in inspect(conn).get_table_names()
            with engine.begin() as conn:
                assert conn.execute(select(User.__table__.c.role)).scalars().all() == ["rep"]
                assert conn.execute(select(AuthToken.__table__.c.client_id)).scalars().all() == [
                    device
                ]
            with engine.begin() as conn:
                config.attributes["connection"] = conn
                command.downgrade(config, "s0010_devices_audit")
                assert "console_session" not in inspect(conn).get_table_names()
                assert "role" not in {c["name"] for c in inspect(conn).get_columns("app_user")}
    finally:
        engine.dispose()
