"""Sign-in hardening over real HTTP: throttling per user name and per address (shared by
server processes), the password rule, and refresh-token families."""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher
from sqlalchemy import insert, select

from server.auth import REUSE_GRACE, AuthService
from server.errors import BadRequest
from server.models import AuthToken, Device, LoginFailure, User
from server.store import ServerStore, create_server_engine
from server.throttle import ADDRESS_LIMITS, USER_LIMITS
from tests.helpers.live_server import server_process
from tests.server.conftest import PASSWORD, Clock

WRONG = "not the password at all"


def login(
    http: httpx.Client,
    user: str = "ana",
    password: str = PASSWORD,
    client_id: uuid.UUID | None = None,
) -> httpx.Response:
    body = {"username": user, "password": password, "client_id": str(client_id or uuid.uuid4())}
    return http.post("/v1/auth/login", json=body)


def refresh(http: httpx.Client, token: str) -> httpx.Response:
    return http.post("/v1/auth/refresh", json={"refresh_token": token})


def me(http: httpx.Client, tokens: dict[str, Any]) -> int:
    """The status /me answers with the pair's access token."""
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    return http.get("/v1/me", headers=headers).status_code


def fail(http: httpx.Client, times: int, user: str = "ana") -> None:
    for _ in range(times):
        assert login(http, user, WRONG).status_code == 401


def assert_waits(response: httpx.Response, seconds: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == str(seconds)
    assert response.json()["error"] == "too_many_attempts"
    assert response.json()["message"].startswith("too many failed sign-ins; try again in ")


@contextmanager
def client_from(base_url: str, address: str) -> Iterator[httpx.Client]:
    """A client whose requests come from another loopback address."""
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=base_url, transport=transport, timeout=10) as client:
        yield client


class CountingHasher(PasswordHasher):
    """Argon2 as before, counting every hash and verification."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.calls += 1
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.calls += 1
        return super().verify(hash, password)


# -- throttling -----------------------------------------------------------------------


def test_after_five_failures_sign_in_waits_then_the_right_password_works(
    http: httpx.Client, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="server.auth")
    fail(http, USER_LIMITS.free)
    assert login(http).status_code == 200  # five are free, and a success clears them
    fail(http, USER_LIMITS.free + 1)
    waiting = login(http)
    assert_waits(waiting, 1)
    assert waiting.json()["message"] == "too many failed sign-ins; try again in 1 second"
    clock.advance(seconds=1)
    assert login(http).status_code == 200

    failures = [r for r in caplog.records if r.name == "server.auth"]
    assert failures and all(r.levelno == logging.WARNING for r in failures)
    logged = "\n".join(r.getMessage() for r in failures)
    pseudonym = f"address #{hashlib.sha256(b'127.0.0.1').hexdigest()[:10]}"
    assert f"failed sign-in for user 'ana' from {pseudonym} (6 in a row for the name" in logged
    assert WRONG not in logged and PASSWORD not in logged
    assert "127.0.0.1" not in logged  # an address is personal data: only its pseudonym


def test_waits_double_up_to_a_lock_out_of_the_name_from_every_address(
    http: httpx.Client, base_url: str, clock: Clock
) -> None:
    fail(http, USER_LIMITS.free)
    for failures in range(USER_LIMITS.free + 1, USER_LIMITS.lock_after):
        fail(http, 1)
        wait = 2 ** (failures - USER_LIMITS.free - 1)  # 1, 2, 4, 8 seconds
        assert_waits(login(http), wait)
        clock.advance(seconds=wait)
    fail(http, 1)  # the tenth in a row: locked out
    assert_waits(login(http), 15 * 60)
    with client_from(base_url, "127.0.0.2") as elsewhere:
        assert_waits(login(elsewhere), 15 * 60)  # the name waits, wherever it comes from
    assert login(http, "ben").status_code == 200  # another name from the same address
    clock.advance(minutes=14, seconds=59)
    locked = login(http)
    assert_waits(locked, 1)
    clock.advance(seconds=1)
    assert login(http).status_code == 200
    fail(http, USER_LIMITS.free)  # the success cleared the count: five free again
    assert login(http).status_code == 200


def test_one_address_guessing_many_names_waits(
    http: httpx.Client, base_url: str, clock: Clock
) -> None:
    for number in range(ADDRESS_LIMITS.free + 1):
        assert login(http, f"guess-{number}", WRONG).status_code == 401
    assert_waits(login(http), 1)  # ana's own count is 0: the address waits
    with client_from(base_url, "127.0.0.2") as elsewhere:
        assert login(elsewhere).status_code == 200  # another address does not
    clock.advance(seconds=1)
    assert login(http).status_code == 200
    assert login(http, "nobody", WRONG).status_code == 401
    assert_waits(login(http), 2)  # a right password does not clear the address's count


def test_a_throttled_sign_in_does_no_password_work(
    http: httpx.Client, auth: AuthService, clock: Clock
) -> None:
    counting = CountingHasher()
    auth.hasher = counting
    fail(http, USER_LIMITS.free + 1)
    assert counting.calls == USER_LIMITS.free + 1
    for password in (PASSWORD, WRONG, PASSWORD):
        assert_waits(login(http, password=password), 1)
    assert login(http, "nobody", WRONG).status_code == 401  # others are not held up
    assert counting.calls == USER_LIMITS.free + 2  # none for the refused ones
    clock.advance(seconds=1)
    assert login(http).status_code == 200
    assert counting.calls == USER_LIMITS.free + 3


def test_counts_are_forgotten_after_a_quiet_day(
    http: httpx.Client, auth: AuthService, clock: Clock
) -> None:
    fail(http, USER_LIMITS.free)
    fail(http, 1, "someone")
    clock.advance(days=1, seconds=1)
    fail(http, USER_LIMITS.free)  # counted from one again: no wait yet
    assert login(http).status_code == 200
    with auth.store.session() as session:  # and the counts nobody added to are gone
        left = session.execute(select(LoginFailure.kind, LoginFailure.failures)).all()
    assert [tuple(row) for row in left] == [("address", USER_LIMITS.free)]


@contextmanager
def serve(database_url: str, log: Path) -> Iterator[str]:
    """`fieldbrief-server serve` as a real process; yields its URL once up."""
    args = ["--database-url", database_url, "serve", "--workers", "1"]
    with server_process(args, log) as url:
        yield url


@pytest.mark.slow
def test_server_processes_on_one_database_share_the_counts(
    server_database_url: str, tmp_path: Path
) -> None:
    store = ServerStore.open(server_database_url)
    try:
        setup = AuthService(store)
        setup.add_territory("north")
        setup.add_user("ana", PASSWORD, ["north"])
        with ExitStack() as stack:
            urls = [serve(server_database_url, tmp_path / f"server{n}.log") for n in (1, 2)]
            first, second = (
                stack.enter_context(httpx.Client(base_url=stack.enter_context(url), timeout=30))
                for url in urls
            )
            # Failures at the same moment on both: each one counts, once.
            guesses = [
                threading.Thread(target=login, args=(server, f"guess-{n}", WRONG))
                for n, server in enumerate([first, second] * 4)
            ]
            for guess in guesses:
                guess.start()
            for guess in guesses:
                guess.join(timeout=60)
            with store.session() as session:
                counted = session.scalar(
                    select(LoginFailure.failures).where(
                        LoginFailure.kind == "address", LoginFailure.key == "127.0.0.1"
                    )
                )
            assert counted == 8

            # Five failures on one server, the sixth on the other: the first one waits (real
            # clocks here: the wait is a second, the next request takes milliseconds).
            fail(first, USER_LIMITS.free)
            fail(second, 1)
            assert_waits(login(first), 1)
    finally:
        store.close()


# -- the password rule ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-pass1", "the password must have at least 12 characters"),
        ("Password1234", "this password is one of the most common ones; choose another"),
        ("qwerty123456", "this password is one of the most common ones; choose another"),
    ],
)
def test_short_or_common_passwords_are_refused(auth: AuthService, password: str, why: str) -> None:
    with pytest.raises(BadRequest) as refused:
        auth.add_user("cy", password, ["north"])
    assert refused.value.message == why
    with auth.store.session() as session:
        assert session.scalar(select(User).where(User.name == "cy")) is None


def test_long_uncommon_passwords_are_accepted(auth: AuthService) -> None:
    auth.add_user("cy", "demo-password", ["north"])  # the demo command's
    auth.add_user("dee", "a long secret", ["south"])
    assert auth.login("cy", "demo-password", uuid.uuid4()).access_token


# -- refresh-token families -----------------------------------------------------------


def test_a_reused_refresh_token_ends_its_whole_sign_in(
    http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="server.auth")
    first = login(http).json()
    second = refresh(http, first["refresh_token"]).json()
    newest = refresh(http, second["refresh_token"]).json()
    elsewhere = login(http).json()  # another device's sign-in: another family
    assert me(http, newest) == 200

    assert refresh(http, first["refresh_token"]).status_code == 401  # a stolen copy, say
    assert me(http, newest) == 401
    assert refresh(http, newest["refresh_token"]).status_code == 401
    assert me(http, elsewhere) == 200
    logged = [r.getMessage() for r in caplog.records if r.name == "server.auth"]
    assert any("refresh token of user 'ana' was sent again" in line for line in logged)
    assert not any(first["refresh_token"] in line for line in logged)


def test_a_retry_after_a_lost_answer_gets_a_new_pair_within_the_grace(
    http: httpx.Client, clock: Clock
) -> None:
    first = login(http).json()
    lost = refresh(http, first["refresh_token"]).json()  # its answer never arrives
    clock.advance(seconds=REUSE_GRACE.total_seconds() - 1)
    retried = refresh(http, first["refresh_token"])
    assert retried.status_code == 200
    assert me(http, lost) == 401  # the pair whose answer was lost is revoked
    assert refresh(http, lost["refresh_token"]).status_code == 401
    pair = retried.json()
    assert me(http, pair) == 200  # ... and that did not end the sign-in
    assert me(http, refresh(http, pair["refresh_token"]).json()) == 200


def test_past_the_grace_a_reuse_ends_the_sign_in(http: httpx.Client, clock: Clock) -> None:
    first = login(http).json()
    second = refresh(http, first["refresh_token"]).json()
    clock.advance(seconds=REUSE_GRACE.total_seconds() + 1)
    assert refresh(http, first["refresh_token"]).status_code == 401
    assert me(http, second) == 401
    assert refresh(http, second["refresh_token"]).status_code == 401


def test_tokens_revoked_by_a_logout_have_no_grace(http: httpx.Client) -> None:
    first = login(http).json()
    second = refresh(http, first["refresh_token"]).json()
    headers = {"Authorization": f"Bearer {second['access_token']}"}
    assert http.post("/v1/auth/logout", headers=headers).status_code == 204
    assert refresh(http, first["refresh_token"]).status_code == 401
    assert refresh(http, second["refresh_token"]).status_code == 401


def test_tokens_issued_before_the_upgrade_keep_working(
    server_database_url: str, clock: Clock
) -> None:
    """The migration gives tokens that predate families one per device."""
    engine = create_server_engine(server_database_url)
    config = Config()
    config.set_main_option("script_location", "server:migrations")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "s0006_scope_totals")
    store = ServerStore(engine)
    try:
        auth = AuthService(store, clock)
        auth.add_territory("north")  # users and territories are as they were then
        auth.add_user("ana", PASSWORD, ["north"])
        device, raw = uuid.uuid4(), "a refresh token from before the upgrade"
        with store.session() as session:
            user_id = session.scalar(select(User.id))
            session.add(Device(client_id=device, user_id=user_id))
            session.flush()
            # Only the columns the table had then.
            session.execute(
                insert(AuthToken.__table__).values(
                    token_hash=hashlib.sha256(raw.encode()).hexdigest(),
                    kind="refresh",
                    user_id=user_id,
                    client_id=device,
                    expires_at=clock() + timedelta(days=1),
                )
            )
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        with store.session() as session:
            assert set(session.scalars(select(AuthToken.family))) == {device}
        pair = auth.refresh(raw)
        assert auth.authenticate(pair.access_token).username == "ana"
        with engine.begin() as conn:  # and back, and up again
            config.attributes["connection"] = conn
            command.downgrade(config, "s0006_scope_totals")
            command.upgrade(config, "head")
    finally:
        store.close()
