"""Console sign-in over real HTTP: sessions in a strict cookie, CSRF on every form, expiry,
sign-out, what each role may open, and the same throttle and audit as the API's sign-in."""

from __future__ import annotations

import hashlib
import re
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import trustme
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from server.app import create_app
from server.auth import AuthService
from server.console.sessions import ABSOLUTE, COOKIE, IDLE
from server.models import AuditEntry, ConsoleSession
from tests.helpers.console import ConsoleBrowser, csrf_of, signed_in, strict_policy
from tests.server.conftest import PASSWORD, Clock
from tests.server.console.conftest import ADMIN, MANAGER, MARKETING

PAGES = ("/console/leads", "/console/holds", "/console/leads/campaign?campaign=spring")


def audit_actions(auth: AuthService) -> list[tuple[str, str, str | None]]:
    with auth.store.session() as session:
        return [
            (e.action, e.actor, e.detail)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


def sessions_held(auth: AuthService) -> list[ConsoleSession]:
    with auth.store.session() as session:
        return list(session.scalars(select(ConsoleSession)))


def goes_to_sign_in(answer: httpx.Response) -> dict[str, list[str]]:
    """The query of the sign-in page a 303 leads to (fails if it leads elsewhere)."""
    assert answer.status_code == 303, (answer.status_code, answer.text[:300])
    where = urlsplit(answer.headers["location"])
    assert where.path == "/console/login", answer.headers["location"]
    return parse_qs(where.query)


def test_pages_without_a_session_lead_to_the_sign_in_and_back(
    browser: ConsoleBrowser, console_auth: AuthService
) -> None:
    for page in (*PAGES, "/console/leads.csv"):
        assert goes_to_sign_in(browser.get(page))["next"] == [page]
    assert browser.get("/console/").headers["location"] == "/console/login"

    signed = browser.sign_in(MARKETING, PASSWORD, next_path="/console/holds")
    assert signed.status_code == 303 and signed.headers["location"] == "/console/holds"
    assert browser.get("/console/holds").status_code == 200


def test_a_session_lives_in_a_strict_http_only_cookie_and_only_its_hash_is_stored(
    browser: ConsoleBrowser, console_auth: AuthService
) -> None:
    answer = browser.sign_in(MARKETING, PASSWORD)
    assert answer.headers["location"] == "/console/leads"  # marketing's first page
    cookie = next(
        value
        for name, value in answer.headers.multi_items()
        if name == "set-cookie" and value.startswith(f"{COOKIE}=")
    )
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/console"} <= flags
    assert "secure" not in flags  # plain HTTP on loopback; under TLS it is Secure
    token = cookie.split(";")[0].split("=", 1)[1]
    (held,) = sessions_held(console_auth)
    assert held.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(held.__dict__)
    assert ("console sign-in", MARKETING, "from 127.0.0.1") in audit_actions(console_auth)


def test_a_rep_is_told_the_console_is_not_for_reps_and_sees_nothing(
    browser: ConsoleBrowser, console_auth: AuthService
) -> None:
    answer = browser.sign_in("ana", PASSWORD)
    assert answer.status_code == 403
    assert "The console is not for reps" in answer.text
    assert COOKIE not in answer.cookies and sessions_held(console_auth) == []
    for page in PAGES:
        goes_to_sign_in(browser.get(page))
    refused = audit_actions(console_auth)[-1]
    assert refused[:2] == ("console sign-in refused", "ana")


def test_a_wrong_password_shares_the_apis_throttle_and_audit(
    browser: ConsoleBrowser, console_auth: AuthService, console_url: str
) -> None:
    wrong = browser.sign_in(MARKETING, "not the password at all")
    assert wrong.status_code == 401 and "Wrong user name or password." in wrong.text
    assert 'value="mark"' in wrong.text  # the name stays in the field, never the password
    assert ("sign-in failed", MARKETING, "console, from 127.0.0.1") in audit_actions(console_auth)
    # Five failures in a row are free: four more on the API, then the sixth on the console.
    with httpx.Client(base_url=console_url, timeout=10) as api:
        for _ in range(4):
            failed = api.post(
                "/v1/auth/login",
                json={
                    "username": MARKETING,
                    "password": "nope" * 4,
                    "client_id": str(uuid.uuid4()),
                },
            )
            assert failed.status_code == 401
        assert browser.sign_in(MARKETING, "still not the password").status_code == 401
        waiting = browser.sign_in(MARKETING, PASSWORD)  # even the right one now waits
        assert waiting.status_code == 429 and int(waiting.headers["retry-after"]) >= 1
        assert "Too many failed sign-ins" in waiting.text
        on_the_api = api.post(
            "/v1/auth/login",
            json={"username": MARKETING, "password": PASSWORD, "client_id": str(uuid.uuid4())},
        )
        assert on_the_api.status_code == 429
    assert sessions_held(console_auth) == []


def test_a_disabled_user_cannot_sign_in_and_disabling_ends_the_session(
    console_url: str, console_auth: AuthService
) -> None:
    with signed_in(console_url, MARKETING, PASSWORD) as browser:
        assert browser.get("/console/leads").status_code == 200
        console_auth.set_disabled(MARKETING)
        goes_to_sign_in(browser.get("/console/leads"))
        refused = browser.sign_in(MARKETING, PASSWORD)
        assert refused.status_code == 403 and "disabled" in refused.text


def test_a_user_made_a_rep_loses_the_console_at_the_next_page(
    console_url: str, console_auth: AuthService
) -> None:
    with signed_in(console_url, MARKETING, PASSWORD) as browser:
        console_auth.set_role(MARKETING, "rep")
        goes_to_sign_in(browser.get("/console/holds"))


def test_forms_without_the_right_csrf_token_are_refused_and_change_nothing(
    browser: ConsoleBrowser, console_auth: AuthService, console_url: str
) -> None:
    form = {"username": MARKETING, "password": PASSWORD, "next": ""}
    refused = browser.http.post("/console/login", data=form)  # no form cookie, no token
    assert refused.status_code == 403 and "nothing was changed" in refused.text
    page = browser.get("/console/login")
    forged = browser.http.post("/console/login", data=form | {"csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert sessions_held(console_auth) == [] and COOKIE not in browser.http.cookies

    assert (
        browser.http.post(
            "/console/login", data=form | {"csrf_token": csrf_of(page.text)}
        ).status_code
        == 303
    )
    # Signed in: sign-out needs this session's token; another session's does not do.
    with signed_in(console_url, ADMIN, PASSWORD) as other:
        others_token = csrf_of(other.get("/console/holds").text)
    for token in (None, others_token, ""):
        data = {} if token is None else {"csrf_token": token}
        assert browser.http.post("/console/logout", data=data).status_code == 403
    assert browser.get("/console/leads").status_code == 200  # still signed in
    assert len(sessions_held(console_auth)) == 2


def test_sign_out_ends_the_session_on_the_server(
    browser: ConsoleBrowser, console_auth: AuthService
) -> None:
    browser.sign_in(MARKETING, PASSWORD)
    stolen = browser.http.cookies[COOKIE]
    out = browser.sign_out("/console/leads")
    assert out.status_code == 303 and out.headers["location"] == "/console/login?signed_out=1"
    assert "You have signed out." in browser.get("/console/login?signed_out=1").text
    assert sessions_held(console_auth) == []
    assert audit_actions(console_auth)[-1][:2] == ("console sign-out", MARKETING)
    browser.http.cookies.set(COOKIE, stolen, path="/console")  # the cookie kept: no use
    goes_to_sign_in(browser.get("/console/leads"))


def test_a_session_ends_after_idling_and_at_its_absolute_expiry(
    console_url: str, console_auth: AuthService, clock: Clock
) -> None:
    with signed_in(console_url, MARKETING, PASSWORD) as browser:
        clock.advance(seconds=IDLE.total_seconds() - 60)
        assert browser.get("/console/leads").status_code == 200  # used: idles from now
        clock.advance(seconds=IDLE.total_seconds() - 60)
        assert browser.get("/console/leads").status_code == 200
        clock.advance(seconds=IDLE.total_seconds())
        idle = goes_to_sign_in(browser.get("/console/holds"))
        assert idle["next"] == ["/console/holds"] and idle["expired"] == ["1"]
        login = browser.get("/console/login", next="/console/holds", expired="1")
        assert "Your session has ended; sign in again." in login.text

    with signed_in(console_url, MARKETING, PASSWORD) as browser:
        assert len(sessions_held(console_auth)) == 1  # the one that idled out is gone
        used_for = IDLE * 0
        while used_for + IDLE / 2 < ABSOLUTE:  # busy all day, never idle
            clock.advance(seconds=(IDLE / 2).total_seconds())
            used_for += IDLE / 2
            assert browser.get("/console/leads").status_code == 200
        clock.advance(seconds=(IDLE / 2).total_seconds())
        assert goes_to_sign_in(browser.get("/console/leads"))["expired"] == ["1"]


@pytest.mark.parametrize(
    ("name", "home", "opens", "refused"),
    [
        (MARKETING, "/console/leads", ("/console/leads", "/console/holds"), ()),
        (ADMIN, "/console/team", ("/console/leads", "/console/holds"), ()),
        (MANAGER, "/console/team", (), ("/console/leads", "/console/holds", "/console/leads.csv")),
    ],
)
def test_each_role_opens_its_pages_and_is_refused_the_others(
    console_url: str,
    console_auth: AuthService,
    name: str,
    home: str,
    opens: tuple[str, ...],
    refused: tuple[str, ...],
) -> None:
    with signed_in(console_url, name, PASSWORD) as browser:
        assert browser.get("/console/").headers["location"] == home
        for page in opens:
            answer = browser.get(page)
            assert answer.status_code == 200, (page, answer.text[:300])
            assert strict_policy(answer)
        for page in refused:
            answer = browser.get(page)
            assert answer.status_code == 403, page
            assert answer.headers["content-type"].startswith("text/html")
            assert f"not open to the {console_auth_role(name)} role" in answer.text
            assert "Sign out" in answer.text  # the page keeps the role's own menu


def console_auth_role(name: str) -> str:
    return {MARKETING: "marketing", ADMIN: "admin", MANAGER: "manager"}[name]


def test_the_menu_shows_each_role_its_own_pages(
    console_url: str, console_auth: AuthService
) -> None:
    def menu(name: str) -> list[str]:
        with signed_in(console_url, name, PASSWORD) as browser:
            page = browser.get("/console/holds" if name != MANAGER else "/console/leads").text
        nav = page.split('<nav aria-label="Console pages">', 1)[1].split("</nav>", 1)[0]
        return re.findall(r'<a href="([^"]+)"', nav)

    assert menu(MARKETING) == ["/console/leads", "/console/holds"]
    assert menu(MANAGER) == ["/console/team"]
    assert menu(ADMIN) == [
        "/console/team", "/console/leads", "/console/holds", "/console/admin/users",
        "/console/admin/territories", "/console/admin/devices", "/console/admin/keys",
        "/console/admin/ingestion", "/console/admin/policies", "/console/admin/audit",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/console/", "/v1/me", "/console/\\evil", "x" * 600],
)
def test_sign_in_never_sends_the_browser_off_the_console(
    browser: ConsoleBrowser, console_auth: AuthService, target: str
) -> None:
    answer = browser.sign_in(MARKETING, PASSWORD, next_path=target)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/leads"


def test_bad_input_is_a_page_with_a_reason_never_a_500(
    browser: ConsoleBrowser, console_auth: AuthService
) -> None:
    page = browser.get("/console/login")
    token = csrf_of(page.text)
    for fields, status, said in [
        ({"username": "", "password": ""}, 400, "Enter your user name and password."),
        ({"username": "x" * 101, "password": PASSWORD}, 400, "Wrong user name or password."),
        ({"username": "mark", "password": "p" * 5000}, 400, "Password: String should have"),
    ]:
        answer = browser.http.post("/console/login", data=fields | {"csrf_token": token})
        assert answer.status_code == status, (fields.keys(), answer.text[:300])
        assert said in answer.text and answer.headers["content-type"].startswith("text/html")
    browser.sign_in(MARKETING, PASSWORD)
    for path, said in [
        ("/console/leads/campaign", "Campaign: Field required."),
        ("/console/leads/campaign?campaign=" + "c" * 201, "Campaign: String should have"),
        ("/console/leads.csv?from=yesterday", "From: give a day such as"),
        ("/console/nowhere", "There is no console page here."),
    ]:
        answer = browser.get(path)
        assert 400 <= answer.status_code < 500, path
        assert said in answer.text, (path, answer.text[:500])
        assert answer.headers["content-type"].startswith("text/html")


def test_console_pages_run_no_inline_script_and_the_chart_library_is_served_here(
    console_url: str, console_auth: AuthService
) -> None:
    with signed_in(console_url, ADMIN, PASSWORD) as browser:
        pages = [browser.get(p) for p in ("/console/leads", "/console/holds")]
        with ConsoleBrowser(console_url) as stranger:
            pages.append(stranger.get("/console/login"))
        for page in pages:
            assert strict_policy(page)
            for tag in re.findall(r"<script\b[^>]*>", page.text):
                assert 'src="/console/static/' in tag or 'type="application/json"' in tag, tag
            assert "http://" not in page.text and "https://" not in page.text  # no CDN
        for name in ("chart.umd.min.js", "charts.js", "console.css"):
            served = browser.get(f"/console/static/{name}")
            assert served.status_code == 200 and len(served.content) > 500, name
        assert "Chart.js v4" in browser.get("/console/static/chart.umd.min.js").text[:200]


@contextmanager
def serving_https(app: FastAPI, cert: Path, key: Path) -> Iterator[str]:
    """Like tests.helpers.live_server.serving, over HTTPS with this certificate."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield f"https://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def test_over_https_the_console_cookies_are_secure(
    tmp_path: Path, console_auth: AuthService
) -> None:
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    issued.private_key_pem.write_to_path(str(key))
    cert.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    with (
        serving_https(create_app(console_auth.store, console_auth), cert, key) as url,
        httpx.Client(base_url=url, verify=trusted, timeout=10) as https,
    ):
        page = https.get("/console/login")
        form = {"username": MARKETING, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
        answer = https.post("/console/login", data=form)
        assert answer.status_code == 303
        cookies = [v for k, v in (*page.headers.multi_items(), *answer.headers.multi_items())
                   if k == "set-cookie"]  # fmt: skip
        assert len(cookies) == 2  # the form's and the session's
        for cookie in cookies:
            assert "; secure" in cookie.lower() and "samesite=strict" in cookie.lower()
        assert "max-age=31536000" in answer.headers["strict-transport-security"]
        assert https.get("/console/holds").status_code == 200
