"""The devices reps sign in from: listed with their app version, wiped remotely (one, all of
a user's, or by disabling the user), over real HTTP and the admin's commands."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select

from server.auth import AuthService
from server.cli import main as server_cli
from server.devices import Devices, set_offline_days
from server.models import AuthToken, Device, User
from server.store import ServerStore, create_server_engine
from sync.protocol import VERSION_HEADER
from tests.server.conftest import PASSWORD, Clock


def login(
    http: httpx.Client,
    client_id: uuid.UUID,
    user: str = "ana",
    password: str = PASSWORD,
    version: str | bytes | None = "1.4.0",
) -> httpx.Response:
    body = {"username": user, "password": password, "client_id": str(client_id)}
    headers = {VERSION_HEADER: version} if version is not None else {}
    return http.post("/v1/auth/login", json=body, headers=headers)


def bearer(token: str, version: str | bytes | None = "1.4.0") -> dict[str, str | bytes]:
    headers: dict[str, str | bytes] = {"Authorization": f"Bearer {token}"}
    return headers | ({VERSION_HEADER: version} if version is not None else {})


def admin(url: str, *args: str) -> int:
    return server_cli(["--database-url", url, *args])


def test_a_device_is_listed_after_sign_in_with_its_version_and_last_seen_moves(
    http: httpx.Client, auth: AuthService, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    laptop = uuid.uuid4()
    tokens = login(http, laptop).json()
    devices = Devices(auth.store, clock)
    (listed,) = devices.listed()
    assert (listed.client_id, listed.user, listed.app_version) == (laptop, "ana", "1.4.0")
    assert listed.first_seen == listed.last_seen == clock.now
    signed_in = clock.now

    clock.advance(seconds=20)  # within a minute: the hot path writes nothing
    assert http.get("/v1/me", headers=bearer(tokens["access_token"])).status_code == 200
    assert devices.listed()[0].last_seen == signed_in
    clock.advance(minutes=2)
    assert http.get("/v1/me", headers=bearer(tokens["access_token"], "1.5.0")).status_code == 200
    (moved,) = devices.listed()
    assert moved.last_seen == clock.now and moved.first_seen == signed_in
    assert moved.app_version == "1.5.0"  # an update is seen at once

    url = auth.store.engine.url.render_as_string(hide_password=False)
    assert admin(url, "device", "list", "--user", "ana") == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("device") and "app version" in table[0] and "wipe" in table[0]
    assert table[1].split()[:3] == [str(laptop), "ana", "1.5.0"]
    assert table[1].endswith("-")
    assert admin(url, "device", "list", "--user", "ben") == 0
    assert capsys.readouterr().out.strip() == "No devices yet."
    assert admin(url, "device", "list", "--user", "nobody") == 1
    assert capsys.readouterr().err.strip() == "fieldbrief-server: no user 'nobody'"


def test_old_clients_without_the_version_header_still_work(
    http: httpx.Client, auth: AuthService, clock: Clock
) -> None:
    laptop = uuid.uuid4()
    with auth.store.session() as session:
        set_offline_days(session, 14)
    response = login(http, laptop, version=None)
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = http.get("/v1/me", headers=bearer(token, None))
    # No field an older app would refuse: it does not know the offline limit.
    assert me.status_code == 200 and "offline_days" not in me.json()
    snapshot = http.get("/v1/sync/snapshot", headers=bearer(token, None))
    assert snapshot.status_code == 200
    cursor = {"cursor": snapshot.json()["cursor"], "include": "me"}
    pulled = http.get("/v1/sync/changes", params=cursor, headers=bearer(token, None))
    assert pulled.status_code == 200 and "offline_days" not in pulled.json()["me"]
    assert Devices(auth.store, clock).listed()[0].app_version is None
    # An app that says its version hears the limit, on /me and on each pull page.
    assert http.get("/v1/me", headers=bearer(token)).json()["offline_days"] == 14
    pulled = http.get("/v1/sync/changes", params=cursor, headers=bearer(token))
    assert pulled.json()["me"]["offline_days"] == 14


@pytest.mark.parametrize(
    "version", ["../../etc/passwd", "1.0 beta", "x" * 41, "", "1.0;DROP", "é1".encode()]
)
def test_a_bad_version_header_is_a_400_in_words(http: httpx.Client, version: str | bytes) -> None:
    laptop = uuid.uuid4()
    refused = login(http, laptop, version=version)
    assert refused.status_code == 400, refused.text
    assert VERSION_HEADER in refused.json()["message"]
    token = login(http, laptop).json()["access_token"]
    me = http.get("/v1/me", headers=bearer(token, version))
    assert me.status_code == 400 and me.json()["error"] == "bad_request"


def test_a_wiped_device_is_answered_410_until_and_after_it_says_it_erased(
    http: httpx.Client, auth: AuthService, clock: Clock
) -> None:
    laptop, desktop = uuid.uuid4(), uuid.uuid4()
    tokens = login(http, laptop).json()
    other = login(http, desktop).json()
    marked = Devices(auth.store, clock).wipe(str(laptop), reason="  reported\nstolen ")
    assert marked == [laptop]

    expected = {
        "error": "device_wiped",
        "message": "your administrator wiped this device on 2026-11-23 (reported stolen)",
    }
    me = http.get("/v1/me", headers=bearer(tokens["access_token"]))
    assert (me.status_code, me.json()) == (410, expected)
    clock.advance(hours=2)  # its access token has expired meanwhile: still told
    assert http.get("/v1/me", headers=bearer(tokens["access_token"])).json() == expected
    refreshed = http.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert (refreshed.status_code, refreshed.json()) == (410, expected)
    # Signing in on it again, right password or wrong, is told the same.
    assert login(http, laptop).json() == expected
    assert login(http, laptop, password="not the password").json() == expected
    # The rep's other device goes on.
    refreshed = http.post("/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert refreshed.status_code == 200

    done = http.post("/v1/device/wiped", json={"client_id": str(laptop)})
    assert done.status_code == 204
    (wiped, kept) = sorted(Devices(auth.store, clock).listed(), key=lambda d: d.client_id != laptop)
    assert wiped.wipe == "done 2026-11-23" and kept.wipe == "-"
    assert http.post("/v1/device/wiped", json={"client_id": str(laptop)}).status_code == 204
    assert login(http, laptop).status_code == 410  # its id stays dead
    for unknown in (desktop, uuid.uuid4()):  # not asked, or no such device: the same 404
        answer = http.post("/v1/device/wiped", json={"client_id": str(unknown)})
        assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    assert http.post("/v1/device/wiped", json={"client_id": "nope"}).status_code == 422


def test_wiping_a_user_marks_every_device_of_theirs_only(
    http: httpx.Client, auth: AuthService, capsys: pytest.CaptureFixture[str]
) -> None:
    ana = [login(http, uuid.uuid4()).json() for _ in range(2)]
    ben = login(http, uuid.uuid4(), user="ben").json()
    url = auth.store.engine.url.render_as_string(hide_password=False)
    assert admin(url, "device", "wipe", "--user", "ana") == 0
    assert "2 device(s) erase their copy" in capsys.readouterr().out
    for tokens in ana:
        assert http.get("/v1/me", headers=bearer(tokens["access_token"])).status_code == 410
    assert http.get("/v1/me", headers=bearer(ben["access_token"])).status_code == 200
    assert admin(url, "device", "wipe", "--user", "ana") == 0
    assert "Nothing to do" in capsys.readouterr().out


def test_disabling_a_user_wipes_their_devices_unless_kept(
    http: httpx.Client, auth: AuthService, capsys: pytest.CaptureFixture[str]
) -> None:
    ana_laptop, ben_laptop = uuid.uuid4(), uuid.uuid4()
    assert login(http, ana_laptop).status_code == 200
    assert login(http, ben_laptop, user="ben").status_code == 200
    url = auth.store.engine.url.render_as_string(hide_password=False)

    assert admin(url, "user", "disable", "ana") == 0
    assert "1 device(s) of ana erase their copy" in capsys.readouterr().out
    wiped = login(http, ana_laptop)
    assert wiped.status_code == 410
    assert wiped.json()["message"].endswith("(your user was disabled)")

    assert admin(url, "user", "disable", "ben", "--keep-devices") == 0
    capsys.readouterr()
    kept = login(http, ben_laptop, user="ben")
    assert kept.status_code == 403 and "disabled" in kept.json()["message"]
    assert admin(url, "user", "enable", "ben") == 0
    assert login(http, ben_laptop, user="ben").status_code == 200


def test_device_wipe_arguments_are_checked_in_one_line(
    auth: AuthService, capsys: pytest.CaptureFixture[str]
) -> None:
    url = auth.store.engine.url.render_as_string(hide_password=False)
    cases = [
        (("device", "wipe"), "name a device id or --user NAME (one of them)"),
        (("device", "wipe", str(uuid.uuid4()), "--user", "ana"), "one of them"),
        (("device", "wipe", "laptop-7"), "'laptop-7' is not a device id (see: device list)"),
        (("device", "wipe", str(uuid.uuid4())), "see: device list"),
        (("device", "wipe", "--user", "nobody"), "no user 'nobody'"),
        (("device", "wipe", "--user", "ana", "--reason", "x" * 201), "at most 200 characters"),
    ]
    for args, said in cases:
        assert admin(url, *args) == 1, args
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and said in err, (args, err)
    assert admin(url, "device", "wipe", "--user", "ana") == 0
    assert "has signed in from no device yet" in capsys.readouterr().out


def test_the_offline_limit_is_set_shown_and_lifted(
    auth: AuthService, capsys: pytest.CaptureFixture[str]
) -> None:
    url = auth.store.engine.url.render_as_string(hide_password=False)
    assert admin(url, "policy", "offline-days") == 0
    assert "offline-days is off" in capsys.readouterr().out
    assert admin(url, "policy", "offline-days", "30") == 0
    assert "for 30 day(s)" in capsys.readouterr().out
    assert admin(url, "policy", "offline-days") == 0
    assert "for 30 day(s)" in capsys.readouterr().out
    for wrong in ("0", "-3", "3651", "ten", "1.5"):
        with pytest.raises(SystemExit) as usage:
            admin(url, "policy", "offline-days", wrong)
        assert usage.value.code == 2
        assert "offline-days takes a number of days from 1 to 3650" in capsys.readouterr().err
    assert admin(url, "policy", "offline-days", "off") == 0
    assert "offline-days is off" in capsys.readouterr().out


def test_the_upgrade_keeps_every_device_and_sign_in(server_database_url: str) -> None:
    """s0010 adds the device's columns in place: copying the table (SQLite batch mode)
    would have dropped it, and its foreign keys every auth_token with it."""
    engine = create_server_engine(server_database_url)
    config = Config()
    config.set_main_option("script_location", "server:migrations")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "s0009_mutation_digest")
    device = uuid.uuid4()
    now = Clock().now
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
                token_hash=hashlib.sha256(b"kept").hexdigest(),
                kind="refresh",
                user_id=user_id,
                client_id=device,
                expires_at=now + timedelta(days=1),
                family=device,
            )
        )
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    store = ServerStore(engine)
    try:
        with store.session() as session:
            assert session.scalars(select(AuthToken.client_id)).all() == [device]
            kept = session.get(Device, device)
            assert kept is not None and kept.app_version is None and kept.wipe_requested_at is None
        with engine.begin() as conn:  # and back, and up again
            config.attributes["connection"] = conn
            command.downgrade(config, "s0009_mutation_digest")
            command.upgrade(config, "head")
        with store.session() as session:
            assert session.scalars(select(AuthToken.client_id)).all() == [device]
    finally:
        store.close()
