"""The admins' pages of the console: users, territories, devices, keys, ingestion, policies, audit.

Every action calls the service the CLI calls (server.auth, server.devices, server.ingest,
server.settings, server.retention) and is written to the same audit log under the admin's
user name. Destructive ones (a wipe, revoking a key, disabling a user, a retention that
erases) answer their first POST with a confirmation page; only the POST that page sends,
with confirm=yes, acts.
"""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from server import audit
from server.auth import DISABLED_REASON, AuthService
from server.console import admin_data
from server.console.moments import ago, iso, utc_minute
from server.console.sessions import ConsoleUser, check_csrf, signed_in
from server.console.templates import render
from server.devices import REASON_CHARS, Devices, offline_days, set_offline_days
from server.errors import BadRequest, NotFound, ServerError
from server.ingest import ApiKeys, rematch
from server.models import User
from server.retention import apply_retention, cutoff, expired_activities
from server.roles import ADMIN, EVERY_TERRITORY, REP, ROLES
from server.settings import (
    parse_retention_years,
    retention_years,
    set_retention_years,
    set_sensitive_policy,
)
from server.store import ServerStore
from sync.protocol import MAX_OFFLINE_DAYS

NAME_CHARS = 100  # user, territory and key names (the columns' size)
PASSWORD_CHARS = 1000
TEXT_CHARS = 200  # other one-line fields: a reason, a policy value, a date
CONFIRM = "yes"

# What a page says after an action, by the code its redirect carries: the words are ours,
# only the subject (escaped like every value) comes from the address.
NOTICES = {
    "user-added": "Added user {subject}.",
    "role-set": "Role changed to {subject}.",
    "granted": "Territory {subject} granted: their devices download it at the next sync.",
    "revoked": "Territory {subject} taken away: their devices remove it at the next sync.",
    "disabled": "Disabled {subject}: their sessions ended.",
    "disabled-wiped": "Disabled {subject}: their sessions ended, and their devices erase "
    "their copy at their next contact.",
    "enabled": "Enabled {subject}.",
    "wiped": "{subject} device(s) erase their copy at their next contact with the server.",
    "nothing-to-wipe": "Nothing to do: wiped already, or asked to be.",
    "territory-added": "Added territory {subject}.",
    "key-revoked": "Revoked the API key of {subject}: it is refused from now on.",
    "rematched": "{subject}",
    "policy-set": "{subject}",
}


def _notice(done: str | None, subject: str | None) -> str | None:
    template = NOTICES.get(done or "")
    return None if template is None else template.format(subject=subject or "")


def _done(path: str, code: str, subject: str = "", **query: str) -> RedirectResponse:
    """The redirect after a POST that did its work (so a reload sends nothing again)."""
    params = {**query, "done": code, "subject": subject}
    return RedirectResponse(f"{path}?{urlencode(params)}", status_code=303)


def _named(text: str, what: str) -> str:
    name = text.strip()
    if not name:
        raise BadRequest(f"name a {what}")
    if len(name) > NAME_CHARS:
        raise BadRequest(f"a {what} name has at most {NAME_CHARS} characters")
    return name


def _confirmed(value: str) -> bool:
    return value == CONFIRM


async def _no_nul(request: Request) -> None:
    """Refuses a form with a NUL in any field (400, nothing done): the front door finds raw
    NULs in bodies, but a form sends one as %00, and PostgreSQL cannot hold it in text."""
    form = await request.form()
    if any(isinstance(value, str) and "\x00" in value for value in form.values()):
        raise BadRequest("text may not hold NUL characters")


Field = Annotated[str, Form(max_length=TEXT_CHARS)]
NameField = Annotated[str, Form(max_length=NAME_CHARS)]
NameQuery = Annotated[str, Query(max_length=NAME_CHARS)]
DoneQuery = Annotated[str | None, Query(max_length=40)]
SubjectQuery = Annotated[str | None, Query(max_length=TEXT_CHARS)]


def add_admin_pages(router: APIRouter, store: ServerStore, auth: AuthService) -> None:
    """Adds /console/admin/* to the console's router (admins only: others get 403)."""
    admins = signed_in(store, auth, ADMIN)
    Admin = Annotated[ConsoleUser, Depends(admins)]
    devices = Devices(store, auth.clock)
    keys = ApiKeys(store, auth.clock)
    csrf = [Depends(check_csrf), Depends(_no_nul)]

    def audited(me: ConsoleUser, action: str, subject: str | None, detail: str | None) -> None:
        """An action done, in the audit log under the admin's name (the CLI's are 'admin')."""
        with store.session() as session:
            audit.record(
                session,
                action=action,
                actor=me.name,
                subject=subject,
                detail=detail,
                at=auth.clock(),
            )

    def confirm_page(
        request: Request, me: ConsoleUser, action: str, context: Mapping[str, Any]
    ) -> Response:
        page = {"action": action, "confirm": CONFIRM, "reason": None, "fields": {}, **context}
        return render(request, "admin/confirm.html", page, me)

    # -- users ----------------------------------------------------------------------

    def users_page(
        request: Request,
        me: ConsoleUser,
        notice: str | None = None,
        error: str | None = None,
        status: int = 200,
        form: Mapping[str, Any] | None = None,
    ) -> Response:
        now = auth.clock()
        with store.session() as session:
            rows = admin_data.users(session)
            names = [t.name for t in admin_data.territories(session)]
        listed = [
            {
                "name": r.name,
                "role": r.role,
                "territories": "every territory"
                if r.every_territory
                else (", ".join(r.territories) or "none"),
                "disabled": r.disabled,
                "devices": r.devices,
                "last_seen": ago(now, r.last_seen, "never"),
                "last_seen_at": utc_minute(r.last_seen, ""),
                "last_seen_iso": iso(r.last_seen),
                "href": "/console/admin/users/detail?" + urlencode({"name": r.name}),
            }
            for r in rows
        ]
        context = {
            "users": listed,
            "roles": ROLES,
            "territory_names": names,
            "notice": notice,
            "error": error,
            "form": {"name": "", "role": REP, "territories": [], **(form or {})},
        }
        return render(request, "admin/users.html", context, me, status_code=status)

    @router.get("/console/admin/users")
    def list_users(
        request: Request, me: Admin, done: DoneQuery = None, subject: SubjectQuery = None
    ) -> Response:
        return users_page(request, me, notice=_notice(done, subject))

    @router.post("/console/admin/users/add", dependencies=csrf)
    def add_user(
        request: Request,
        me: Admin,
        name: NameField = "",
        role: Annotated[str, Form(max_length=20)] = REP,
        password: Annotated[str, Form(max_length=PASSWORD_CHARS)] = "",
        password_again: Annotated[str, Form(max_length=PASSWORD_CHARS)] = "",
        territory: Annotated[list[str], Form(max_length=1000)] = [],  # noqa: B006
    ) -> Response:
        """Adds a user as `fieldbrief-server user add` does (the same checks of the name,
        the role and the password)."""
        form = {"name": name, "role": role, "territories": territory}
        try:
            if password != password_again:
                raise BadRequest("the two passwords differ; type the same one twice")
            chosen = sorted({_named(t, "territory") for t in territory})
            if role in EVERY_TERRITORY:
                chosen = []  # they see every territory; the boxes ticked mean nothing
            auth.add_user(_named(name, "user"), password, chosen, role)
        except ServerError as refused:
            return users_page(request, me, error=refused.message, status=refused.status, form=form)
        name = name.strip()
        detail = ", ".join(chosen) or "no territory"
        if role in EVERY_TERRITORY:
            detail = f"{role}; sees every territory"
        elif role == REP:
            detail = f"sees {detail}"
        else:
            detail = f"{role}; sees {detail}"
        audited(me, "user add", name, detail)
        return _done("/console/admin/users/detail", "user-added", name, name=name)

    def user_page(
        request: Request,
        me: ConsoleUser,
        name: str,
        notice: str | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        now = auth.clock()
        with store.session() as session:
            rows = {r.name: r for r in admin_data.users(session)}
            every = [t.name for t in admin_data.territories(session)]
        found = rows.get(name)
        if found is None:
            raise NotFound(f"there is no user {name!r}")
        mine = [
            _device_row(d, now)
            for d in devices.listed(name)  # the service the CLI's `device list` uses
        ]
        context = {
            "subject": found,
            "roles": ROLES,
            "grantable": [t for t in every if t not in found.territories],
            "devices": mine,
            "wipeable": any(not d["wipe_requested"] for d in mine),
            "is_me": found.name == me.name,
            "notice": notice,
            "error": error,
            "created": utc_minute(found.created_at),
        }
        return render(request, "admin/user.html", context, me, status_code=status)

    @router.get("/console/admin/users/detail")
    def show_user(
        request: Request,
        me: Admin,
        name: NameQuery,
        done: DoneQuery = None,
        subject: SubjectQuery = None,
    ) -> Response:
        return user_page(request, me, name, notice=_notice(done, subject))

    def user_action(
        request: Request, me: ConsoleUser, name: str, act: Callable[[], RedirectResponse]
    ) -> Response:
        """Runs `act` for an existing user (else 404); a refusal (an unknown territory, a
        role that is none) is the user's page with it."""
        _user_exists(store, name)
        try:
            return act()
        except ServerError as refused:
            return user_page(request, me, name, error=refused.message, status=refused.status)

    def detail(name: str, code: str, subject: str) -> RedirectResponse:
        return _done("/console/admin/users/detail", code, subject, name=name)

    @router.post("/console/admin/users/role", dependencies=csrf)
    def set_role(
        request: Request, me: Admin, name: NameField, role: Annotated[str, Form(max_length=20)]
    ) -> Response:
        def act() -> RedirectResponse:
            if name == me.name:
                raise BadRequest("you cannot change your own role; another admin can")
            auth.set_role(name, role)
            audited(me, "user role", name, role)
            return detail(name, "role-set", role)

        return user_action(request, me, name, act)

    @router.post("/console/admin/users/grant", dependencies=csrf)
    def grant(request: Request, me: Admin, name: NameField, territory: NameField) -> Response:
        def act() -> RedirectResponse:
            auth.grant(name, territory)
            audited(me, "user grant", name, f"territory {territory}")
            return detail(name, "granted", territory)

        return user_action(request, me, name, act)

    @router.post("/console/admin/users/revoke", dependencies=csrf)
    def revoke(request: Request, me: Admin, name: NameField, territory: NameField) -> Response:
        def act() -> RedirectResponse:
            auth.revoke(name, territory)
            audited(me, "user revoke", name, f"territory {territory}")
            return detail(name, "revoked", territory)

        return user_action(request, me, name, act)

    @router.post("/console/admin/users/disable", dependencies=csrf)
    def disable(
        request: Request,
        me: Admin,
        name: NameField,
        keep_devices: Field = "",
        confirm: Field = "",
    ) -> Response:
        """As `user disable NAME [--keep-devices]`: ends their sessions and, unless their
        devices are kept, has each erase its copy at its next contact."""
        _user_exists(store, name)
        if name == me.name:
            return user_page(
                request,
                me,
                name,
                error="you cannot disable yourself; another admin can",
                status=400,
            )
        keep = keep_devices == "yes"
        if not _confirmed(confirm):
            count = sum(1 for d in devices.listed(name) if d.wipe_requested_at is None)
            return confirm_page(
                request,
                me,
                "/console/admin/users/disable",
                {
                    "title": f"Disable {name}?",
                    "question": f"{name} is signed out everywhere and cannot sign in again "
                    "until an admin enables them.",
                    "consequence": None
                    if keep
                    else f"Their {count} device(s) not wiped yet erase their copy of the "
                    "territory, and any work not synced, at their next contact.",
                    "fields": {"name": name, "keep_devices": "yes" if keep else ""},
                    "button": f"Disable {name}",
                    "back": "/console/admin/users/detail?" + urlencode({"name": name}),
                },
            )
        auth.set_disabled(name, True)
        wiped = [] if keep else devices.wipe(user=name, reason=DISABLED_REASON, actor=me.name)
        waiting = sum(1 for d in devices.listed(name) if d.wipe_requested_at and d.wiped_at is None)
        if keep:
            audited(me, "user disable", name, "devices kept")
        else:
            audited(me, "user disable", name, f"{waiting} device(s) wiped at their next contact")
        return detail(name, "disabled" if keep or not wiped else "disabled-wiped", name)

    @router.post("/console/admin/users/enable", dependencies=csrf)
    def enable(request: Request, me: Admin, name: NameField) -> Response:
        def act() -> RedirectResponse:
            auth.set_disabled(name, False)
            audited(me, "user enable", name, None)
            return detail(name, "enabled", name)

        return user_action(request, me, name, act)

    @router.post("/console/admin/users/wipe", dependencies=csrf)
    def wipe_user(
        request: Request,
        me: Admin,
        name: NameField,
        reason: Annotated[str, Form(max_length=REASON_CHARS * 2)] = "",
        confirm: Field = "",
    ) -> Response:
        """As `device wipe --user NAME [--reason TEXT]`."""
        _user_exists(store, name)
        if not _confirmed(confirm):
            count = sum(1 for d in devices.listed(name) if d.wipe_requested_at is None)
            return confirm_page(
                request,
                me,
                "/console/admin/users/wipe",
                {
                    "title": f"Wipe every device of {name}?",
                    "question": f"Each of {name}'s {count} device(s) erases its copy of the "
                    "territory, its unsent changes and its saved sign-in at its next contact "
                    "with the server. This cannot be undone.",
                    "consequence": None,
                    "reason": reason,
                    "fields": {"name": name},
                    "button": "Wipe their devices",
                    "back": "/console/admin/users/detail?" + urlencode({"name": name}),
                },
            )
        marked = devices.wipe(user=name, reason=reason, actor=me.name)
        if not marked:
            return detail(name, "nothing-to-wipe", "")
        return detail(name, "wiped", str(len(marked)))

    # -- territories ----------------------------------------------------------------

    def territories_page(
        request: Request,
        me: ConsoleUser,
        notice: str | None = None,
        error: str | None = None,
        status: int = 200,
        typed: str = "",
    ) -> Response:
        with store.session() as session:
            rows = admin_data.territories(session)
        listed = [
            {
                "name": t.name,
                "accounts": t.accounts,
                "users": [
                    {
                        "name": name,
                        "role": role,
                        "href": "/console/admin/users/detail?" + urlencode({"name": name}),
                    }
                    for name, role in t.users
                ],
                "created": utc_minute(t.created_at),
            }
            for t in rows
        ]
        context = {"territories": listed, "notice": notice, "error": error, "typed": typed}
        return render(request, "admin/territories.html", context, me, status_code=status)

    @router.get("/console/admin/territories")
    def list_territories(
        request: Request, me: Admin, done: DoneQuery = None, subject: SubjectQuery = None
    ) -> Response:
        return territories_page(request, me, notice=_notice(done, subject))

    @router.post("/console/admin/territories/add", dependencies=csrf)
    def add_territory(request: Request, me: Admin, name: NameField = "") -> Response:
        try:
            auth.add_territory(name)
        except ServerError as refused:
            return territories_page(
                request, me, error=refused.message, status=refused.status, typed=name
            )
        audited(me, "territory add", name.strip(), None)
        return _done("/console/admin/territories", "territory-added", name.strip())

    # -- devices --------------------------------------------------------------------

    @router.get("/console/admin/devices")
    def list_devices(
        request: Request,
        me: Admin,
        user: Annotated[str | None, Query(max_length=NAME_CHARS)] = None,
        done: DoneQuery = None,
        subject: SubjectQuery = None,
    ) -> Response:
        """Every device (or one user's), as `device list` shows them."""
        now = auth.clock()
        only = user.strip() if user and user.strip() else None
        with store.session() as session:
            names = [r.name for r in admin_data.users(session)]
        if only is not None and only not in names:
            raise NotFound(f"there is no user {only!r}")
        rows = [_device_row(d, now) for d in devices.listed(only)]
        context = {
            "devices": rows,
            "user_names": names,
            "only": only or "",
            "notice": _notice(done, subject),
        }
        return render(request, "admin/devices.html", context, me)

    @router.post("/console/admin/devices/wipe", dependencies=csrf)
    def wipe_device(
        request: Request,
        me: Admin,
        device: Annotated[str, Form(max_length=64)],
        reason: Annotated[str, Form(max_length=REASON_CHARS * 2)] = "",
        confirm: Field = "",
    ) -> Response:
        """As `device wipe DEVICE_ID [--reason TEXT]`."""
        found = next((d for d in devices.listed() if str(d.client_id) == device.strip()), None)
        if found is None:
            raise NotFound("there is no such device; see the device list")
        if not _confirmed(confirm):
            return confirm_page(
                request,
                me,
                "/console/admin/devices/wipe",
                {
                    "title": f"Wipe this device of {found.user}?",
                    "question": f"Device {found.client_id} (app {found.app_version or '?'}, "
                    f"last seen {utc_minute(found.last_seen)}) erases its copy of the "
                    "territory, its unsent changes and its saved sign-in at its next contact "
                    "with the server. This cannot be undone.",
                    "consequence": None,
                    "reason": reason,
                    "fields": {"device": str(found.client_id)},
                    "button": "Wipe this device",
                    "back": "/console/admin/devices",
                },
            )
        marked = devices.wipe(device=str(found.client_id), reason=reason, actor=me.name)
        if not marked:
            return _done("/console/admin/devices", "nothing-to-wipe")
        return _done("/console/admin/devices", "wiped", "1")

    # -- API keys -------------------------------------------------------------------

    def keys_page(
        request: Request,
        me: ConsoleUser,
        notice: str | None = None,
        error: str | None = None,
        status: int = 200,
        typed: str = "",
    ) -> Response:
        now = auth.clock()
        rows = [
            {
                "name": k.name,
                "created": utc_minute(k.created_at),
                "last_used": ago(now, k.last_used_at, "never"),
                "last_used_at": utc_minute(k.last_used_at, ""),
                "last_used_iso": iso(k.last_used_at),
                "revoked": utc_minute(k.revoked_at, ""),
                "live": k.revoked_at is None,
            }
            for k in keys.listed()
        ]
        context = {"keys": rows, "notice": notice, "error": error, "typed": typed}
        return render(request, "admin/keys.html", context, me, status_code=status)

    @router.get("/console/admin/keys")
    def list_keys(
        request: Request, me: Admin, done: DoneQuery = None, subject: SubjectQuery = None
    ) -> Response:
        return keys_page(request, me, notice=_notice(done, subject))

    @router.post("/console/admin/keys/add", dependencies=csrf)
    def add_key(request: Request, me: Admin, name: NameField = "") -> Response:
        """As `apikey add NAME`: the key is on this page once (never in an address, a log or
        the audit log), and only its hash is kept."""
        try:
            key = keys.add(name.strip())
        except ServerError as refused:
            return keys_page(request, me, error=refused.message, status=refused.status, typed=name)
        audited(me, "apikey add", name.strip(), None)
        return render(request, "admin/key_added.html", {"name": name.strip(), "key": key}, me)

    @router.post("/console/admin/keys/revoke", dependencies=csrf)
    def revoke_key(request: Request, me: Admin, name: NameField, confirm: Field = "") -> Response:
        """As `apikey revoke NAME`."""
        if not any(k.name == name and k.revoked_at is None for k in keys.listed()):
            raise NotFound(f"{name!r} has no API key to revoke")
        if not _confirmed(confirm):
            return confirm_page(
                request,
                me,
                "/console/admin/keys/revoke",
                {
                    "title": f"Revoke the API key of {name}?",
                    "question": f"{name} can send no more events with its key from now on; "
                    "the events it sent stay. A new key (Add) has to be put into that "
                    "system's settings.",
                    "consequence": None,
                    "fields": {"name": name},
                    "button": "Revoke the key",
                    "back": "/console/admin/keys",
                },
            )
        keys.revoke(name)
        audited(me, "apikey revoke", name, None)
        return _done("/console/admin/keys", "key-revoked", name)

    # -- ingestion ------------------------------------------------------------------

    @router.get("/console/admin/ingestion")
    def ingestion(
        request: Request, me: Admin, done: DoneQuery = None, subject: SubjectQuery = None
    ) -> Response:
        """Events per source per day, each source's last event, the unmatched queue."""
        now = auth.clock()
        health = admin_data.ingestion_health(store, now)
        labels = [d.strftime("%b %d") for d in health.days]
        chart = {
            "labels": labels,
            "stacked": True,
            "datasets": [{"label": s.source, "data": list(s.per_day)} for s in health.sources],
        }
        sources = [
            {
                "name": s.source,
                "key": s.key,
                "total": s.total,
                "per_day": s.per_day,
                "unmatched": s.unmatched,
                "last_event": ago(now, s.last_event, "never"),
                "last_event_at": utc_minute(s.last_event, ""),
                "last_event_iso": iso(s.last_event),
                "quiet": s.key == "live" and (s.last_event is None or s.per_day[-1] == 0),
            }
            for s in health.sources
        ]
        queue = [
            {
                "source": e.source,
                "event_id": e.event_id,
                "type": e.type,
                "reference": e.reference,
                "reason": e.reason,
                "received": utc_minute(e.received_at),
            }
            for e in health.queue
        ]
        context = {
            "chart": chart,
            "days": [d.isoformat() for d in health.days],
            "day_labels": labels,
            "sources": sources,
            "queue": queue,
            "waiting": health.waiting,
            "notice": _notice(done, subject),
        }
        return render(request, "admin/ingestion.html", context, me)

    @router.post("/console/admin/ingestion/rematch", dependencies=csrf)
    def rematch_events(request: Request, me: Admin) -> Response:
        """As `events rematch`."""
        result = rematch(store, auth.clock)
        said = (
            f"Matched {result.matched:,} event(s) to their account; "
            f"{result.unmatched:,} still unmatched."
        )
        audited(me, "events rematch", None, f"{result.matched} matched, {result.unmatched} left")
        return _done("/console/admin/ingestion", "rematched", said)

    # -- policies -------------------------------------------------------------------

    def policies_page(
        request: Request,
        me: ConsoleUser,
        notice: str | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        with store.session() as session:
            now = admin_data.policies(session)
        context = {
            "policies": now,
            "max_offline_days": MAX_OFFLINE_DAYS,
            "notice": notice,
            "error": error,
        }
        return render(request, "admin/policies.html", context, me, status_code=status)

    @router.get("/console/admin/policies")
    def list_policies(
        request: Request, me: Admin, done: DoneQuery = None, subject: SubjectQuery = None
    ) -> Response:
        return policies_page(request, me, notice=_notice(done, subject))

    def policy_set(said: str) -> RedirectResponse:
        return _done("/console/admin/policies", "policy-set", said)

    @router.post("/console/admin/policies/sensitive-answers", dependencies=csrf)
    def sensitive_answers(request: Request, me: Admin, value: Field) -> Response:
        """As `policy sensitive-answers allowed|off-devices`."""
        if value not in ("allowed", "off-devices"):
            return policies_page(
                request, me, error="sensitive answers are 'allowed' or 'off-devices'", status=400
            )
        with store.session() as session:
            set_sensitive_policy(session, value.replace("-", "_"))
            audit.record(
                session,
                action="policy sensitive-answers",
                actor=me.name,
                detail=value,
                at=auth.clock(),
            )
        where = "kept on laptops" if value == "allowed" else "kept off laptops (server only)"
        return policy_set(f"Sensitive profile answers are {where}.")

    @router.post("/console/admin/policies/offline-days", dependencies=csrf)
    def offline(request: Request, me: Admin, value: Field) -> Response:
        """As `policy offline-days N|off`."""
        text = value.strip().lower()
        days: int | None
        if text == "off":
            days = None
        elif text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_OFFLINE_DAYS:
            days = int(text)
        else:
            return policies_page(
                request,
                me,
                error=f"offline days are a number from 1 to {MAX_OFFLINE_DAYS}, or off",
                status=400,
            )
        with store.session() as session:
            set_offline_days(session, days)
            audit.record(
                session,
                action="policy offline-days",
                actor=me.name,
                detail=text,
                at=auth.clock(),
            )
            days = offline_days(session)
        if days is None:
            return policy_set("Laptops may stay offline as long as they like.")
        return policy_set(f"A laptop that has not synced for {days} day(s) erases its copy.")

    @router.post("/console/admin/policies/retention-years", dependencies=csrf)
    def retention(request: Request, me: Admin, value: Field, confirm: Field = "") -> Response:
        """As `policy retention-years N|off`: a number erases, at once, the activity records
        older than that, so it asks first and says how many."""
        try:
            years = parse_retention_years(value)
        except BadRequest as refused:
            return policies_page(request, me, error=refused.message, status=400)
        if years is not None and not _confirmed(confirm):
            before = cutoff(auth.clock(), years)
            with store.session() as session:
                count = len(expired_activities(session, before))
            return confirm_page(
                request,
                me,
                "/console/admin/policies/retention-years",
                {
                    "title": f"Keep activity records {years} year(s)?",
                    "question": f"{count:,} activity record(s) that occurred before "
                    f"{before:%Y-%m-%d} are erased now, here and on every laptop at its next "
                    "sync, and older ones every day from now on. This cannot be undone.",
                    "consequence": None,
                    "fields": {"value": str(years)},
                    "button": f"Keep {years} year(s) and erase",
                    "back": "/console/admin/policies",
                },
            )
        with store.session() as session:
            set_retention_years(session, years)
            detail_text = "off" if years is None else f"{years} years"
            audit.record(
                session,
                action="policy retention-years",
                actor=me.name,
                detail=detail_text,
                at=auth.clock(),
            )
        if years is None:
            return policy_set("Activity records are kept for ever.")
        run = apply_retention(store, auth.clock, actor=me.name)
        erased = run.erased if run is not None else 0
        with store.session() as session:
            kept = retention_years(session)
        return policy_set(
            f"Activity records are kept {kept} year(s); erased {erased:,} older than that."
        )

    # -- audit ----------------------------------------------------------------------

    @router.get("/console/admin/audit")
    def audit_log(
        request: Request,
        me: Admin,
        since: Annotated[str | None, Query(max_length=TEXT_CHARS)] = None,
        user: Annotated[str | None, Query(max_length=NAME_CHARS)] = None,
        before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    ) -> Response:
        """The audit log newest first, a page at a time, by day and by user."""
        day: date | None = None
        if since and since.strip():
            try:
                day = date.fromisoformat(since.strip())
            except ValueError:
                problem = f"'since' takes a date such as 2026-12-01, not {since!r}"
                raise BadRequest(problem) from None
        who = user.strip() if user and user.strip() else None
        with store.session() as session:
            page = admin_data.audit_page(session, day, who, before)
        rows = [
            {
                "at": utc_minute(r.at),
                "iso": iso(r.at),
                "action": r.action,
                "actor": r.actor,
                "subject": r.subject or "",
                "detail": r.detail or "",
            }
            for r in page.rows
        ]
        filters = {k: v for k, v in (("since", since or ""), ("user", who or "")) if v}
        older = None
        if page.older is not None:
            older = "/console/admin/audit?" + urlencode({**filters, "before": page.older})
        context = {
            "rows": rows,
            "since": day.isoformat() if day else "",
            "who": who or "",
            "older": older,
            "paged": before is not None,
            "newest": f"/console/admin/audit?{urlencode(filters)}".rstrip("?"),
        }
        return render(request, "admin/audit.html", context, me)


def _user_exists(store: ServerStore, name: str) -> None:
    from sqlalchemy import select

    with store.session() as session:
        if session.scalar(select(User.id).where(User.name == name)) is None:
            raise NotFound(f"there is no user {name!r}")


def _device_row(device: Any, now: Any) -> dict[str, Any]:
    """A device as the pages list it (a server.devices.DeviceLine)."""
    if device.wiped_at is not None:
        wipe = f"wiped {utc_minute(device.wiped_at)}"
    elif device.wipe_requested_at is not None:
        wipe = f"wipe asked {utc_minute(device.wipe_requested_at)}"
    else:
        wipe = ""
    return {
        "id": str(device.client_id),
        "short": str(device.client_id)[:8],
        "user": device.user,
        "user_href": "/console/admin/users/detail?" + urlencode({"name": device.user}),
        "version": device.app_version or "?",
        "first_seen": utc_minute(device.first_seen),
        "last_seen": ago(now, device.last_seen),
        "last_seen_at": utc_minute(device.last_seen),
        "last_seen_iso": iso(device.last_seen),
        "wipe": wipe,
        "wipe_requested": device.wipe_requested_at is not None,
    }
