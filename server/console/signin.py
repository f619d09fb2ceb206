"""Console sign-in and sign-out pages, and /console/ leading each role to its first page."""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from server.auth import AuthService
from server.console.sessions import (
    COOKIE,
    FORM_COOKIE,
    ConsoleSessions,
    check_csrf,
    forget_cookie,
    set_cookie,
)
from server.console.templates import home_of, render
from server.errors import Forbidden, TooManyAttempts, Unauthorized
from server.models import User
from server.roles import CONSOLE_ROLES
from server.store import ServerStore

log = logging.getLogger(__name__)

NAME_CHARS = 100
PASSWORD_CHARS = 1000
NEXT_CHARS = 500
# Form fields are read up to this and then checked here, so a long one is a page saying
# so rather than a bare validation error.
_FIELD_CAP = 4000


def safe_next(value: str | None) -> str | None:
    """Where to go after sign-in: a console path on this server only (never another site,
    "//host", a backslash or control characters); None otherwise."""
    if not value or len(value) > NEXT_CHARS:
        return None
    if not value.startswith("/console/") or value.startswith("/console/login"):
        return None
    if "\\" in value or any(not c.isprintable() for c in value) or "//" in value:
        return None
    return value


def add_sign_in_routes(router: APIRouter, store: ServerStore, auth: AuthService) -> None:
    """Adds /console/, /console/login and /console/logout to `router`."""
    sessions = ConsoleSessions(store, auth.clock)

    @router.get("/console", include_in_schema=False)
    @router.get("/console/", include_in_schema=False)
    def console_home(request: Request) -> Response:
        """Each role's first page; the sign-in without a session."""
        user = sessions.user_or_none(request.cookies.get(COOKIE))
        return RedirectResponse(home_of(user) if user else "/console/login", status_code=303)

    @router.get("/console/login", include_in_schema=False)
    def login_page(
        request: Request,
        next: Annotated[str | None, Query(max_length=_FIELD_CAP)] = None,
        expired: Annotated[str | None, Query(max_length=10)] = None,
        signed_out: Annotated[str | None, Query(max_length=10)] = None,
    ) -> Response:
        user = sessions.user_or_none(request.cookies.get(COOKIE))
        if user is not None:  # signed in already
            return RedirectResponse(safe_next(next) or home_of(user), status_code=303)
        notice = None
        if expired:
            notice = "Your session has ended; sign in again."
        elif signed_out:
            notice = "You have signed out."
        return _login_form(request, safe_next(next), notice=notice)

    @router.post("/console/login", include_in_schema=False, dependencies=[Depends(check_csrf)])
    def login(
        request: Request,
        username: Annotated[str, Form(max_length=_FIELD_CAP)] = "",
        password: Annotated[str, Form(max_length=_FIELD_CAP)] = "",
        next: Annotated[str, Form(max_length=_FIELD_CAP)] = "",
    ) -> Response:
        """Signs in with the same throttle, Argon2id and audit as the API. A rep's right
        password is told the console is not for reps, and no session starts."""
        target = safe_next(next)
        name = username.strip()
        if not name or not password:
            return _login_form(
                request, target, error="Enter your user name and password.", name=name, status=400
            )
        if len(name) > NAME_CHARS or len(password) > PASSWORD_CHARS:
            return _login_form(request, target, error="Wrong user name or password.", status=400)
        address = request.client.host if request.client else None
        try:
            user_id = auth.check_sign_in(name, password, address, via="console")
        except TooManyAttempts as wait:
            return _login_form(
                request,
                target,
                error=f"Too many failed sign-ins: {wait.message.split('; ', 1)[-1]}.",
                name=name,
                status=429,
                headers={"Retry-After": str(wait.retry_after)},
            )
        except Unauthorized:
            return _login_form(
                request, target, error="Wrong user name or password.", name=name, status=401
            )
        except Forbidden:
            return _login_form(
                request,
                target,
                error="This user is disabled; ask your sales operations admin.",
                name=name,
                status=403,
            )
        with store.session() as session:
            account = session.get(User, user_id)
            assert account is not None
            role = account.role
        if role not in CONSOLE_ROLES:
            _refuse_rep(auth, store, name, address)
            return render(request, "not_for_reps.html", {"name": name}, None, status_code=403)
        token = sessions.start(user_id, address)
        response = RedirectResponse(target or home_of(sessions.find(token).user), status_code=303)
        set_cookie(request, response, COOKIE, token)
        return response

    @router.post("/console/logout", include_in_schema=False, dependencies=[Depends(check_csrf)])
    def logout(request: Request) -> Response:
        token = request.cookies.get(COOKIE)
        if token:
            sessions.end(token)
        response = RedirectResponse("/console/login?signed_out=1", status_code=303)
        forget_cookie(request, response, COOKIE)
        return response


def _login_form(
    request: Request,
    next_path: str | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    name: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The sign-in form; gives the browser a form cookie (the CSRF token's key before
    sign-in) when it has no console cookie yet."""
    new_key = None
    if not request.cookies.get(COOKIE) and not request.cookies.get(FORM_COOKIE):
        new_key = secrets.token_urlsafe(32)
        request.state.form_key = new_key
    context = {"next": next_path or "", "error": error, "notice": notice, "name": name}
    response = render(request, "login.html", context, None, status_code=status, headers=headers)
    if new_key is not None:
        set_cookie(request, response, FORM_COOKIE, new_key)
    return response


def _refuse_rep(auth: AuthService, store: ServerStore, name: str, address: str | None) -> None:
    from server import audit

    with store.session() as session:
        where = f"from {address}" if address else "from an unknown address"
        audit.record(
            session,
            action="console sign-in refused",
            actor=name,
            detail=f"the console is not for reps; {where}",
            at=auth.clock(),
        )
