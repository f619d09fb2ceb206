"""The admins' pages over real HTTP: only admins see them, every action needs the page's CSRF
token, destructive ones ask first, and each does what the CLI's command does (the same
service) and lands in the same audit log under the admin's name."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from server.auth import AuthService
from server.devices import offline_days
from server.models import AuditEntry, Record, User
from server.records import ScopedRecords
from server.settings import retention_years, sensitive_policy
from sync.protocol import VERSION_HEADER
from tests.helpers.console import ConsoleBrowser, csrf_of, signed_in, strict_policy
from tests.server.conftest import PASSWORD, Clock
from tests.server.console.conftest import ADMIN, MANAGER, MARKETING

PAGES = (
    "/console/admin/users",
    "/console/admin/users/detail?name=ana",
    "/console/admin/territories",
    "/console/admin/devices",
    "/console/admin/keys",
    "/console/admin/ingestion",
    "/console/admin/policies",
    "/console/admin/audit",
)
TICKET = {"ticket": 4711, "subject": "Sync stuck", "severity": "high"}
# Each action, with a form that would change something if it were taken.
ACTIONS = (
    ("/console/admin/users/add", {"name": "zed", "role": "rep", "password": "x" * 20}),
    ("/console/admin/users/role", {"name": "ana", "role": "admin"}),
    ("/console/admin/users/grant", {"name": "ana", "territory": "south"}),
    ("/console/admin/users/revoke", {"name": "ana", "territory": "north"}),
    ("/console/admin/users/disable", {"name": "ana", "confirm": "yes"}),
    ("/console/admin/users/enable", {"name": "ben"}),
    ("/console/admin/users/wipe", {"name": "ana", "confirm": "yes"}),
    ("/console/admin/territories/add", {"name": "west"}),
    ("/console/admin/devices/wipe", {"device": "DEVICE", "confirm": "yes"}),
    ("/console/admin/keys/add", {"name": "stripe"}),
    ("/console/admin/keys/revoke", {"name": "hubspot", "confirm": "yes"}),
    ("/console/admin/ingestion/rematch", {}),
    ("/console/admin/policies/sensitive-answers", {"value": "off-devices"}),
    ("/console/admin/policies/offline-days", {"value": "30"}),
    ("/console/admin/policies/retention-years", {"value": "off"}),
)


@pytest.fixture
def admin(console_url: str) -> Iterator[ConsoleBrowser]:
    with signed_in(console_url, ADMIN, PASSWORD) as ada:
        yield ada


@pytest.fixture
def api(console_url: str) -> Iterator[httpx.Client]:
    """The API a laptop and other systems speak."""
    with httpx.Client(base_url=console_url, timeout=10) as client:
        yield client


def laptop_sign_in(api: httpx.Client, user: str = "ana") -> tuple[uuid.UUID, str]:
    """A rep signs in from a new laptop (app 1.4.0); its device id and access token."""
    device = uuid.uuid4()
    body = {"username": user, "password": PASSWORD, "client_id": str(device)}
    answer = api.post("/v1/auth/login", json=body, headers={VERSION_HEADER: "1.4.0"})
    assert answer.status_code == 200, answer.text
    return device, answer.json()["access_token"]


def me(api: httpx.Client, token: str) -> httpx.Response:
    return api.get("/v1/me", headers={"Authorization": f"Bearer {token}"})


def post(browser: ConsoleBrowser, page: str, action: str, **data: str) -> httpx.Response:
    """Opens `page` and sends `data` to `action` with its CSRF token, as its form does."""
    return browser.post_form(page, action, data)


def audit_lines(auth: AuthService, actor: str | None = None) -> list[tuple[str, str, str, str]]:
    """(action, actor, subject, detail) of the audit log, oldest first."""
    with auth.store.session() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if actor is not None:
            query = query.where(AuditEntry.actor == actor)
        return [
            (e.action, e.actor, e.subject or "", e.detail or "") for e in session.scalars(query)
        ]


def audit_count(auth: AuthService) -> int:
    """Entries besides sign-ins to the console."""
    with auth.store.session() as session:
        query = select(func.count()).where(AuditEntry.action != "console sign-in")
        return int(session.scalar(query) or 0)


def user_row(auth: AuthService, name: str) -> User | None:
    with auth.store.session() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is not None:
            session.expunge(user)
        return user


def territories_of(auth: AuthService, name: str) -> list[str]:
    with auth.store.session() as session:
        user = session.scalars(select(User).where(User.name == name)).one()
        return sorted(t.name for t in user.territories)


def notice(page: str) -> str:
    found = re.search(r'<p class="message notice" role="status">(.*?)</p>', page, re.S)
    assert found is not None, page[:2000]
    return " ".join(found.group(1).split())


def error(page: str) -> str:
    found = re.search(r'<p class="message error" role="alert"[^>]*>(.*?)</p>', page, re.S)
    assert found is not None, page[:2000]
    return " ".join(found.group(1).split()).replace("&#39;", "'")


def follow(browser: ConsoleBrowser, answer: httpx.Response) -> httpx.Response:
    assert answer.status_code == 303, (answer.status_code, answer.text[:1000])
    return browser.http.get(answer.headers["location"])


# -- who may see and do what ----------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_admin_pages_are_for_admins_only(
    path: str, console_url: str, admin: ConsoleBrowser, browser: ConsoleBrowser
) -> None:
    page = admin.http.get(path)
    assert page.status_code == 200, page.text[:500]
    assert strict_policy(page) and "<h1>" in page.text
    for name in (MANAGER, MARKETING):
        with signed_in(console_url, name, PASSWORD) as other:
            refused = other.http.get(path)
            assert refused.status_code == 403, (name, path)
            assert "Not for your role" in refused.text
    away = browser.http.get(path)
    assert away.status_code == 303
    assert away.headers["location"].startswith("/console/login?next=/console/admin/")


def test_no_action_is_taken_for_another_role_or_without_the_pages_token(
    console_auth: AuthService, console_url: str, admin: ConsoleBrowser, api: httpx.Client
) -> None:
    device, _ = laptop_sign_in(api)
    console_auth.set_disabled("ben")
    before = audit_count(console_auth)
    with signed_in(console_url, MARKETING, PASSWORD) as mark:
        token = csrf_of(mark.get("/console/leads").text)
        for action, form in ACTIONS:
            data = {k: v.replace("DEVICE", str(device)) for k, v in form.items()}
            answer = mark.http.post(action, data=data | {"csrf_token": token})
            assert answer.status_code == 403, action
    admin_token = csrf_of(admin.get("/console/admin/users").text)
    for action, form in ACTIONS:
        data = {k: v.replace("DEVICE", str(device)) for k, v in form.items()}
        missing = admin.http.post(action, data=data)
        assert missing.status_code == 403, action
        assert "did not come from this console" in missing.text
        wrong = admin.http.post(action, data=data | {"csrf_token": admin_token[::-1]})
        assert wrong.status_code == 403, action
    assert audit_count(console_auth) == before  # nothing done, nothing audited
    ana = user_row(console_auth, "ana")
    assert ana is not None and ana.role == "rep" and not ana.disabled
    assert territories_of(console_auth, "ana") == ["north"]
    assert user_row(console_auth, "zed") is None
    ben = user_row(console_auth, "ben")
    assert ben is not None and ben.disabled
    with console_auth.store.session() as session:
        assert sensitive_policy(session) == "allowed" and offline_days(session) is None


# -- users ------------------------------------------------------------------------------------


def test_a_user_is_added_with_a_role_and_territories_as_the_cli_adds_one(
    console_auth: AuthService, admin: ConsoleBrowser
) -> None:
    page = "/console/admin/users"
    action = "/console/admin/users/add"
    form = {"name": "nina", "role": "manager", "territory": "north"}
    weak = post(admin, page, action, **form, password="password1234", password_again="password1234")
    assert weak.status_code == 400
    assert "common" in error(weak.text)
    assert 'value="nina"' in weak.text  # the form keeps what was typed, never a password
    assert "password1234" not in weak.text
    good = "a long and unusual passphrase"
    differ = post(admin, page, action, **form, password=good, password_again=good + "!")
    assert differ.status_code == 400 and "differ" in error(differ.text)
    assert user_row(console_auth, "nina") is None
    added = post(admin, page, action, **form, password=good, password_again=good)
    detail = follow(admin, added)
    assert notice(detail.text) == "Added user nina."
    nina = user_row(console_auth, "nina")
    assert nina is not None and nina.role == "manager"
    assert territories_of(console_auth, "nina") == ["north"]
    assert ("user add", ADMIN, "nina", "manager; sees north") in audit_lines(console_auth)
    again = post(admin, page, action, **form, password=good, password_again=good)
    assert again.status_code == 409 and "already exists" in error(again.text)
    # Marketing sees every territory: the boxes ticked are not granted.
    post(
        admin,
        page,
        action,
        name="mo",
        role="marketing",
        territory="north",
        password=good,
        password_again=good,
    )
    assert territories_of(console_auth, "mo") == []
    bad_role = post(admin, page, action, name="x", role="boss", password=good, password_again=good)
    assert bad_role.status_code == 400 and "a role is one of" in error(bad_role.text)


def test_territories_are_granted_and_taken_away_and_roles_changed(
    console_auth: AuthService, admin: ConsoleBrowser
) -> None:
    page = "/console/admin/users/detail?name=ana"
    granted = post(admin, page, "/console/admin/users/grant", name="ana", territory="south")
    assert "Territory south granted" in notice(follow(admin, granted).text)
    assert territories_of(console_auth, "ana") == ["north", "south"]
    taken = post(admin, page, "/console/admin/users/revoke", name="ana", territory="north")
    assert "Territory north taken away" in notice(follow(admin, taken).text)
    assert territories_of(console_auth, "ana") == ["south"]
    unknown = post(admin, page, "/console/admin/users/grant", name="ana", territory="mars")
    assert unknown.status_code == 404 and "mars" in error(unknown.text)
    role = post(admin, page, "/console/admin/users/role", name="ana", role="manager")
    assert notice(follow(admin, role).text) == "Role changed to manager."
    user = user_row(console_auth, "ana")
    assert user is not None and user.role == "manager"
    own = post(admin, page, "/console/admin/users/role", name=ADMIN, role="rep")
    assert own.status_code == 400 and "your own role" in error(own.text)
    own_disable = post(admin, page, "/console/admin/users/disable", name=ADMIN, confirm="yes")
    assert own_disable.status_code == 400 and "disable yourself" in error(own_disable.text)
    lines = audit_lines(console_auth, ADMIN)
    assert ("user grant", ADMIN, "ana", "territory south") in lines
    assert ("user revoke", ADMIN, "ana", "territory north") in lines
    assert ("user role", ADMIN, "ana", "manager") in lines
    assert admin.http.get("/console/admin/users/detail", params={"name": "nobody"}).status_code == (
        404
    )
    ghost = post(admin, page, "/console/admin/users/grant", name="nobody", territory="south")
    assert ghost.status_code == 404


def test_disabling_a_user_asks_first_then_signs_them_out_and_wipes_their_laptops(
    console_auth: AuthService, admin: ConsoleBrowser, api: httpx.Client
) -> None:
    device, token = laptop_sign_in(api)
    page = "/console/admin/users/detail?name=ana"
    asked = post(admin, page, "/console/admin/users/disable", name="ana")
    assert asked.status_code == 200 and "<h1>Disable ana?</h1>" in asked.text
    assert "1 device(s) not wiped yet erase their copy" in asked.text
    assert me(api, token).status_code == 200  # nothing done yet
    user = user_row(console_auth, "ana")
    assert user is not None and not user.disabled
    # The confirmation page's own form, as the browser sends it.
    main = asked.text.split("<main", 1)[1]
    confirm = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', main, re.S)
    assert confirm is not None and confirm.group(1) == "/console/admin/users/disable"
    fields = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm.group(2))
    )
    assert fields["confirm"] == "yes" and fields["name"] == "ana"
    done = admin.http.post(confirm.group(1), data=fields)
    assert "Disabled ana" in notice(follow(admin, done).text)
    user = user_row(console_auth, "ana")
    assert user is not None and user.disabled
    gone = me(api, token)
    assert gone.status_code == 410 and "your user was disabled" in gone.json()["message"]
    lines = audit_lines(console_auth, ADMIN)
    assert ("device wipe", ADMIN, "ana", f"device {device}: your user was disabled") in lines
    assert ("user disable", ADMIN, "ana", "1 device(s) wiped at their next contact") in lines
    enabled = post(admin, page, "/console/admin/users/enable", name="ana")
    assert notice(follow(admin, enabled).text) == "Enabled ana."
    user = user_row(console_auth, "ana")
    assert user is not None and not user.disabled


def test_disabling_with_the_laptops_kept_wipes_nothing(
    console_auth: AuthService, admin: ConsoleBrowser, api: httpx.Client
) -> None:
    _, token = laptop_sign_in(api)
    page = "/console/admin/users/detail?name=ana"
    asked = post(admin, page, "/console/admin/users/disable", name="ana", keep_devices="yes")
    assert asked.status_code == 200 and "erase their copy" not in asked.text
    done = post(
        admin, page, "/console/admin/users/disable", name="ana", keep_devices="yes", confirm="yes"
    )
    follow(admin, done)
    answer = me(api, token)
    assert answer.status_code == 401  # signed out, not wiped
    assert ("user disable", ADMIN, "ana", "devices kept") in audit_lines(console_auth, ADMIN)
    assert not [line for line in audit_lines(console_auth) if line[0] == "device wipe"]


# -- devices ----------------------------------------------------------------------------------


def test_a_device_is_listed_and_wiped_after_a_confirmation_with_a_reason_for_the_rep(
    console_auth: AuthService, admin: ConsoleBrowser, api: httpx.Client
) -> None:
    device, token = laptop_sign_in(api)
    listed = admin.get("/console/admin/devices")
    assert str(device) in listed.text and "1.4.0" in listed.text
    only_ben = admin.get("/console/admin/devices", user="ben")
    assert str(device) not in only_ben.text and "No devices yet" in only_ben.text
    assert admin.get("/console/admin/devices", user="nobody").status_code == 404
    page = "/console/admin/devices"
    asked = post(admin, page, "/console/admin/devices/wipe", device=str(device))
    assert asked.status_code == 200 and "Wipe this device of ana?" in asked.text
    assert 'name="reason"' in asked.text
    assert me(api, token).status_code == 200
    wiped = post(
        admin,
        page,
        "/console/admin/devices/wipe",
        device=str(device),
        reason="laptop reported stolen",
        confirm="yes",
    )
    assert "1 device(s) erase their copy" in notice(follow(admin, wiped).text)
    answer = me(api, token)
    assert answer.status_code == 410 and "laptop reported stolen" in answer.json()["message"]
    detail = f"device {device}: laptop reported stolen"
    assert ("device wipe", ADMIN, "ana", detail) in audit_lines(console_auth)
    again = post(admin, page, "/console/admin/devices/wipe", device=str(device), confirm="yes")
    assert "Nothing to do" in notice(follow(admin, again).text)
    assert "wipe asked" in admin.get("/console/admin/devices").text
    for bad in ("not-a-device", str(uuid.uuid4())):
        refused = post(admin, page, "/console/admin/devices/wipe", device=bad, confirm="yes")
        assert refused.status_code == 404
    long = post(admin, page, "/console/admin/devices/wipe", device=str(device), reason="x" * 1000)
    assert long.status_code == 400


def test_every_device_of_a_user_is_wiped_from_their_page(
    console_auth: AuthService, admin: ConsoleBrowser, api: httpx.Client
) -> None:
    tokens = [laptop_sign_in(api)[1] for _ in range(2)]
    page = "/console/admin/users/detail?name=ana"
    asked = post(admin, page, "/console/admin/users/wipe", name="ana")
    assert "Each of ana&#39;s 2 device(s)" in asked.text
    assert all(me(api, t).status_code == 200 for t in tokens)
    done = post(admin, page, "/console/admin/users/wipe", name="ana", confirm="yes")
    assert "2 device(s) erase their copy" in notice(follow(admin, done).text)
    assert all(me(api, t).status_code == 410 for t in tokens)


# -- API keys and ingestion -------------------------------------------------------------------


def test_an_api_key_is_shown_once_works_and_is_revoked_after_a_confirmation(
    console_auth: AuthService, admin: ConsoleBrowser, api: httpx.Client
) -> None:
    page = "/console/admin/keys"
    added = post(admin, page, "/console/admin/keys/add", name="hubspot")
    assert added.status_code == 200
    found = re.search(r'id="new-key" class="secret" value="([^"]+)"', added.text)
    assert found is not None
    key = found.group(1)
    events = {
        "events": [
            {
                "event_id": "e1",
                "type": "ticket_opened",
                "domain": "x.example",
                "occurred_at": "2026-11-20T10:00:00Z",
                "details": TICKET,
            }
        ]
    }
    bearer = {"Authorization": f"Bearer {key}"}
    assert api.post("/v1/ingest/events", json=events, headers=bearer).status_code == 200
    listed = admin.get(page)
    assert key not in listed.text and "hubspot" in listed.text
    assert all(key not in " ".join(line) for line in audit_lines(console_auth))
    assert ("apikey add", ADMIN, "hubspot", "") in audit_lines(console_auth)
    twice = post(admin, page, "/console/admin/keys/add", name="hubspot")
    assert twice.status_code == 409 and "revoke it first" in error(twice.text)
    bad = post(admin, page, "/console/admin/keys/add", name="Hub Spot")
    assert bad.status_code == 400 and "source name" in error(bad.text)
    asked = post(admin, page, "/console/admin/keys/revoke", name="hubspot")
    assert asked.status_code == 200 and "Revoke the API key of hubspot?" in asked.text
    assert api.post("/v1/ingest/events", json=events, headers=bearer).status_code == 200
    revoked = post(admin, page, "/console/admin/keys/revoke", name="hubspot", confirm="yes")
    assert "Revoked the API key of hubspot" in notice(follow(admin, revoked).text)
    assert api.post("/v1/ingest/events", json=events, headers=bearer).status_code == 401
    assert ("apikey revoke", ADMIN, "hubspot", "") in audit_lines(console_auth)
    none_left = post(admin, page, "/console/admin/keys/revoke", name="hubspot", confirm="yes")
    assert none_left.status_code == 404


def write(auth: AuthService, entity: str, territory: str, data: dict[str, Any]) -> uuid.UUID:
    record_id = uuid.uuid4()
    with auth.store.session() as session:
        ScopedRecords(session, frozenset({territory}), auth.clock).create(
            entity, record_id, territory, data
        )
    return record_id


def test_ingestion_counts_events_per_day_and_a_rematch_takes_in_the_waiting_ones(
    console_auth: AuthService, admin: ConsoleBrowser, api: httpx.Client, clock: Clock
) -> None:
    write(console_auth, "account", "north", {"name": "Acme", "website": "https://acme.example"})
    added = post(admin, "/console/admin/keys", "/console/admin/keys/add", name="zendesk")
    key = re.search(r'id="new-key" class="secret" value="([^"]+)"', added.text)
    assert key is not None
    occurred = (clock.now - timedelta(hours=1)).isoformat()

    def sent(event_id: str, domain: str) -> dict[str, Any]:
        return {
            "event_id": event_id,
            "type": "ticket_opened",
            "domain": domain,
            "occurred_at": occurred,
            "details": TICKET,
        }

    batch = {"events": [sent("z-1", "acme.example"), sent("z-2", "later.example")]}
    answer = api.post(
        "/v1/ingest/events", json=batch, headers={"Authorization": f"Bearer {key.group(1)}"}
    )
    assert [r["status"] for r in answer.json()["results"]] == ["accepted", "unmatched"]
    page = admin.get("/console/admin/ingestion")
    chart = re.search(r'id="events-per-day">(.*?)</script>', page.text, re.S)
    assert chart is not None
    data = json.loads(chart.group(1))
    assert len(data["labels"]) == 14 and data["stacked"] is True
    assert data["datasets"] == [{"label": "zendesk", "data": [0] * 13 + [2]}]
    assert "Waiting for their account: 1" in page.text and "z-2" in page.text
    assert "no account with the website domain later.example" in page.text
    first = post(admin, "/console/admin/ingestion", "/console/admin/ingestion/rematch")
    assert "Matched 0 event(s) to their account; 1 still unmatched." in notice(
        follow(admin, first).text
    )
    write(console_auth, "account", "north", {"name": "Later", "website": "later.example"})
    second = post(admin, "/console/admin/ingestion", "/console/admin/ingestion/rematch")
    after = follow(admin, second)
    assert notice(after.text) == "Matched 1 event(s) to their account; 0 still unmatched."
    assert "Waiting for their account: 0" in after.text and "No event is waiting" in after.text
    assert ("events rematch", ADMIN, "", "1 matched, 0 left") in audit_lines(console_auth)


# -- policies ---------------------------------------------------------------------------------


def test_policies_are_set_as_the_cli_sets_them_and_retention_asks_first(
    console_auth: AuthService, admin: ConsoleBrowser, clock: Clock
) -> None:
    page = "/console/admin/policies"
    base = "/console/admin/policies/"
    off = post(admin, page, base + "sensitive-answers", value="off-devices")
    assert "kept off laptops" in notice(follow(admin, off).text)
    days = post(admin, page, base + "offline-days", value="30")
    assert "30 day(s)" in notice(follow(admin, days).text)
    for bad in ("0", "3651", "soon", "-1", "1e3"):
        refused = post(admin, page, base + "offline-days", value=bad)
        assert refused.status_code == 400 and "offline days" in error(refused.text)
    wrong = post(admin, page, base + "sensitive-answers", value="maybe")
    assert wrong.status_code == 400
    with console_auth.store.session() as session:
        assert (sensitive_policy(session), offline_days(session)) == ("off_devices", 30)
    old = (clock.now - timedelta(days=365 * 10)).isoformat()
    recent = (clock.now - timedelta(days=30)).isoformat()
    for when in (old, recent):
        write(console_auth, "activity", "north", {"title": "Visit", "occurred_at": when})
    asked = post(admin, page, base + "retention-years", value="5")
    assert asked.status_code == 200
    assert "1 activity record(s) that occurred before" in asked.text
    with console_auth.store.session() as session:
        assert retention_years(session) is None
    kept = post(admin, page, base + "retention-years", value="5", confirm="yes")
    assert "erased 1 older than that" in notice(follow(admin, kept).text)
    with console_auth.store.session() as session:
        assert retention_years(session) == 5
        live = session.scalar(
            select(func.count())
            .select_from(Record)
            .where(Record.entity == "activity", Record.deleted_at.is_(None))
        )
    assert live == 1
    forever = post(admin, page, base + "retention-years", value="off")
    assert "kept for ever" in notice(follow(admin, forever).text)  # no question to turn it off
    bad_years = post(admin, page, base + "retention-years", value="101")
    assert bad_years.status_code == 400
    lines = audit_lines(console_auth, ADMIN)
    assert ("policy sensitive-answers", ADMIN, "", "off-devices") in lines
    assert ("policy offline-days", ADMIN, "", "30") in lines
    assert ("policy retention-years", ADMIN, "", "5 years") in lines
    assert ("policy retention-years", ADMIN, "", "off") in lines
    assert any(line[0] == "retention" and line[3].startswith("erased 1 ") for line in lines)


# -- territories and the audit log -------------------------------------------------------------


def test_territories_are_listed_with_accounts_and_users_and_added(
    console_auth: AuthService, admin: ConsoleBrowser
) -> None:
    write(console_auth, "account", "north", {"name": "Acme"})
    page = admin.get("/console/admin/territories")
    north = re.search(r"<th scope=\"row\">north</th>\s*<td class=\"num\">(\d+)</td>", page.text)
    assert north is not None and north.group(1) == "1"
    assert 'maya</a> <span class="muted">(manager)' in page.text
    added = post(admin, "/console/admin/territories", "/console/admin/territories/add", name="west")
    assert notice(follow(admin, added).text) == "Added territory west."
    for name, status in (("west", 409), ("  ", 400), ("w" * 101, 400)):
        refused = post(
            admin, "/console/admin/territories", "/console/admin/territories/add", name=name
        )
        assert refused.status_code == status, name
    assert ("territory add", ADMIN, "west", "") in audit_lines(console_auth)


def test_the_audit_log_reads_newest_first_with_filters_and_refuses_bad_ones(
    console_auth: AuthService, admin: ConsoleBrowser
) -> None:
    post(admin, "/console/admin/territories", "/console/admin/territories/add", name="west")
    page = admin.get("/console/admin/audit")
    entry = r'<tr><td class="when"><time[^>]*>[^<]*</time></td><td>([^<]*)</td><td>([^<]*)</td>'
    rows = re.findall(entry, page.text)
    assert rows[0] == (ADMIN, "territory add")
    assert (ADMIN, "console sign-in") in rows
    mine = admin.get("/console/admin/audit", user="ana")
    assert "territory add" not in mine.text
    for params in (
        {"since": "yesterday"},
        {"before": "0"},
        {"before": str(2**63)},
        {"before": "987654"},  # no such entry
        {"user": "x" * 101},
    ):
        refused = admin.http.get("/console/admin/audit", params=params)
        assert refused.status_code == 400, params


def test_a_nul_in_any_field_is_refused_and_writes_nothing(
    console_auth: AuthService, admin: ConsoleBrowser, api: httpx.Client
) -> None:
    device, _ = laptop_sign_in(api)
    before = audit_count(console_auth)
    for action, form in (
        ("/console/admin/territories/add", {"name": "we\x00st"}),
        ("/console/admin/users/add", {"name": "z\x00ed", "password": "a long and unusual one"}),
        ("/console/admin/users/grant", {"name": "ana", "territory": "so\x00uth"}),
        (
            "/console/admin/devices/wipe",
            {"device": str(device), "reason": "x\x00", "confirm": "yes"},
        ),
        ("/console/admin/keys/add", {"name": "hub\x00spot"}),
    ):
        refused = post(admin, "/console/admin/users", action, **form)
        assert refused.status_code == 400, action
        assert "NUL" in refused.text
    assert audit_count(console_auth) == before
    assert territories_of(console_auth, "ana") == ["north"]
