"""Console sign-in state: server-side sessions behind a cookie, who is signed in, CSRF tokens."""
# No `from __future__ import annotations` here: FastAPI reads the dependencies' annotations
# at runtime.

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from fastapi import Request, Response
from sqlalchemy import delete, or_, select, update
from starlette.exceptions import HTTPException as StarletteHTTPException

from server import audit
from server.access_log import note_caller
from server.auth import AuthService, Clock
from server.models import ConsoleSession, Territory, User, user_territory
from server.roles import CONSOLE_ROLES, EVERY_TERRITORY
from server.store import ServerStore

COOKIE = "fieldbrief_console"
# Before there is a session, the sign-in form's CSRF token comes from this cookie instead.
FORM_COOKIE = "fieldbrief_console_form"
COOKIE_PATH = "/console"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
# last_seen_at is written at most this often: every page would be a write otherwise.
SEEN_EVERY = timedelta(minutes=1)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"  # htmx and scripts send the token in a header instead
LOGIN_PATH = "/console/login"
_CSRF_MESSAGE = b"fieldbrief console form"


@dataclass(frozen=True)
class ConsoleUser:
    """Who is signed in to the console: their name, role (server.roles.CONSOLE_ROLES) and
    the territories they may see (None: every territory)."""

    name: str
    role: str
    territories: tuple[str, ...] | None


class SignInFirst(StarletteHTTPException):
    """No valid session: answered with a redirect (303) to the sign-in page, which brings
    the browser back to `next` afterwards. A plain HTTPException, so even a route outside
    the console's route class answers a redirect, not a 500."""

    def __init__(self, next_path: str, expired: bool = False) -> None:
        location = f"{LOGIN_PATH}?next={quote(next_path, safe='/')}"
        if expired:
            location += "&expired=1"
        super().__init__(303, "sign in first", headers={"Location": location})


class NotAllowed(StarletteHTTPException):
    """Signed in, but this page is not for the user's role (403)."""

    def __init__(self, user: ConsoleUser) -> None:
        super().__init__(403, f"this page is not open to the {user.role} role")
        self.user = user


class FormRefused(StarletteHTTPException):
    """A form without the right CSRF token (403): it is out of date or came from another
    site, and nothing was changed."""

    def __init__(self) -> None:
        super().__init__(
            403,
            "this form was out of date or did not come from this console, so nothing was "
            "changed; reload the page and try again",
        )


class NoSession(Exception):
    """The cookie names no session in force; `expired` when it named one that ran out."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "no session")
        self.expired = expired


@dataclass(frozen=True)
class SessionUser:
    """A session's row id (a pseudonym for the log) and its user."""

    session_id: int
    user_id: int
    user: ConsoleUser


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ConsoleSessions:
    """Console sessions over the server store, on the auth service's clock."""

    def __init__(self, store: ServerStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def start(self, user_id: int, address: str | None) -> str:
        """A new session for the user (audited); returns the token for the cookie. Sessions
        that ran out, anyone's, go at the same time."""
        now = self._clock()
        token = secrets.token_urlsafe(32)
        with self._store.session() as session:
            # Skipping rows another sign-in is deleting: this never waits, so never deadlocks.
            ran_out = (
                select(ConsoleSession.id)
                .where(
                    or_(ConsoleSession.expires_at <= now, ConsoleSession.last_seen_at <= now - IDLE)
                )
                .with_for_update(skip_locked=True)
            )
            session.execute(delete(ConsoleSession).where(ConsoleSession.id.in_(ran_out)))
            user = session.get(User, user_id)
            assert user is not None
            session.add(
                ConsoleSession(
                    token_hash=_hash(token),
                    user_id=user_id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + ABSOLUTE,
                )
            )
            where = f"from {address}" if address else "from an unknown address"
            audit.record(session, action="console sign-in", actor=user.name, detail=where, at=now)
        return token

    def find(self, token: str) -> SessionUser:
        """The session in force this token names, and its user; NoSession otherwise (its
        user disabled or now a rep counts as none). Notes the use (at most every
        SEEN_EVERY), which keeps it from idling out."""
        now = self._clock()
        with self._store.session() as session:
            row = session.execute(
                select(ConsoleSession, User)
                .join(User, User.id == ConsoleSession.user_id)
                .where(ConsoleSession.token_hash == _hash(token))
            ).one_or_none()
            if row is None:
                raise NoSession(expired=False)
            found, user = row[0], row[1]
            if found.expires_at <= now or found.last_seen_at + IDLE <= now:
                raise NoSession(expired=True)
            if user.disabled or user.role not in CONSOLE_ROLES:
                raise NoSession(expired=False)
            if now - found.last_seen_at >= SEEN_EVERY:
                session.execute(
                    update(ConsoleSession)
                    .where(ConsoleSession.id == found.id)
                    .values(last_seen_at=now)
                )
            territories: tuple[str, ...] | None = None
            if user.role not in EVERY_TERRITORY:
                territories = tuple(
                    session.scalars(
                        select(Territory.name)
                        .join(user_territory, user_territory.c.territory_id == Territory.id)
                        .where(user_territory.c.user_id == user.id)
                        .order_by(Territory.name)
                    )
                )
            return SessionUser(found.id, user.id, ConsoleUser(user.name, user.role, territories))

    def user_or_none(self, token: str | None) -> ConsoleUser | None:
        """The user of the session in force this token names; None without one."""
        if not token:
            return None
        try:
            return self.find(token).user
        except NoSession:
            return None

    def end(self, token: str) -> None:
        """Ends the session this token names (audited), if there is one."""
        with self._store.session() as session:
            row = session.execute(
                select(ConsoleSession.id, User.name)
                .join(User, User.id == ConsoleSession.user_id)
                .where(ConsoleSession.token_hash == _hash(token))
            ).one_or_none()
            if row is None:
                return
            session.execute(delete(ConsoleSession).where(ConsoleSession.id == row.id))
            audit.record(session, action="console sign-out", actor=row.name, at=self._clock())


def signed_in(
    store: ServerStore, auth: AuthService, *roles: str
) -> Callable[[Request], ConsoleUser]:
    """The dependency of a console page open to `roles` (every console role when none are
    named): the signed-in ConsoleUser. Without a session in force, a redirect (303) to
    the sign-in page, which comes back here after; a role not named, 403 with a page."""
    sessions = ConsoleSessions(store, auth.clock)
    allowed = roles or CONSOLE_ROLES
    unknown = set(allowed) - set(CONSOLE_ROLES)
    if unknown:
        raise ValueError(f"not console roles: {sorted(unknown)}")

    def console_user(request: Request) -> ConsoleUser:
        token = request.cookies.get(COOKIE)
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            path = request.url.path  # a form sent again after sign-in would need its token
        if not token:
            raise SignInFirst(path)
        try:
            found = sessions.find(token)
        except NoSession as no:
            raise SignInFirst(path, expired=no.expired) from None
        note_caller(request, f"console session {found.session_id}")  # never a user name
        request.state.console_user = found.user
        if found.user.role not in allowed:
            raise NotAllowed(found.user)
        return found.user

    return console_user


def csrf_token(request: Request) -> str:
    """The CSRF token the forms of this page carry: bound to the session's cookie (or,
    before sign-in, to the form cookie), so another site can neither read nor forge it.
    Empty when the browser holds neither cookie (no form of it can be accepted)."""
    key = (
        request.cookies.get(COOKIE)
        or request.cookies.get(FORM_COOKIE)
        or getattr(request.state, "form_key", None)
    )
    if not key:
        return ""
    return hmac.new(key.encode(), _CSRF_MESSAGE, hashlib.sha256).hexdigest()


async def check_csrf(request: Request) -> None:
    """The dependency of every console POST: FormRefused (403, nothing done) unless the
    form's `csrf_token` field (or the X-CSRF-Token header) is this browser's token."""
    expected = csrf_token(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise FormRefused()


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """A console cookie: HttpOnly, SameSite=Strict, for /console only, Secure under TLS;
    gone when the browser closes (the server ends the session well before anyway)."""
    response.set_cookie(
        name,
        value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
