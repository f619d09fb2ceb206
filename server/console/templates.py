"""The console's pages: Jinja2 templates (autoescaped), the navigation per role, the CSP."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from server.console.sessions import CSRF_FIELD, ConsoleUser, csrf_token
from server.roles import ADMIN, MANAGER, MARKETING

TEMPLATES = files("server.console") / "templates"
STATIC = files("server.console") / "static"
STATIC_URL = "/console/static"
# Console pages load scripts and styles from the server only: no inline script or style
# runs (charts read their data from a JSON block), and forms post only here.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    roles: tuple[str, ...]


NAV = (
    NavLink("Team", "/console/team", (MANAGER, ADMIN)),
    NavLink("Leads", "/console/leads", (MARKETING, ADMIN)),
    NavLink("Holds", "/console/holds", (MARKETING, ADMIN)),
    NavLink("Users", "/console/admin/users", (ADMIN,)),
    NavLink("Territories", "/console/admin/territories", (ADMIN,)),
    NavLink("Devices", "/console/admin/devices", (ADMIN,)),
    NavLink("API keys", "/console/admin/keys", (ADMIN,)),
    NavLink("Ingestion", "/console/admin/ingestion", (ADMIN,)),
    NavLink("Policies", "/console/admin/policies", (ADMIN,)),
    NavLink("Audit", "/console/admin/audit", (ADMIN,)),
)


def nav_for(user: ConsoleUser | None) -> list[NavLink]:
    """The links a role sees, in order; none before sign-in."""
    return [] if user is None else [link for link in NAV if user.role in link.roles]


def home_of(user: ConsoleUser) -> str:
    """The role's first page: where /console/ and a sign-in without `next` lead."""
    links = nav_for(user)
    return links[0].href if links else "/console/login"


def _chart_data(value: Any) -> Markup:
    """`value` as JSON to put inside <script type="application/json">: "<", ">" and "&"
    escaped, so no text in it can close the block (a campaign named "</script>")."""
    text = json.dumps(value, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _sentence(text: str) -> str:
    """A message in the house's words ("no territory 'x'") as a sentence on a page."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _number(value: int | float | None) -> str:
    return "" if value is None else f"{value:,}"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


environment = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,  # a misspelt name fails the test that renders it
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["chart_data"] = _chart_data
environment.filters["number"] = _number
environment.filters["sentence"] = _sentence
environment.filters["percent"] = _percent
environment.globals["static"] = lambda name: f"{STATIC_URL}/{name}"
environment.globals["csrf_field"] = CSRF_FIELD


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    user: ConsoleUser | None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The template `name` as a page for `user` (None before sign-in): every page gets
    `request`, `user`, `csrf_token`, `nav` and `current` (the path), then `context`."""
    page = environment.get_template(name).render(
        {
            "request": request,
            "user": user,
            "csrf_token": csrf_token(request),
            "nav": nav_for(user),
            "current": request.url.path,
            **context,
        }
    )
    response = HTMLResponse(page, status_code=status_code, headers=dict(headers or {}))
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def problem_page(
    request: Request,
    status_code: int,
    title: str,
    message: str,
    user: ConsoleUser | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A page that says what went wrong in one sentence, with the console's navigation
    when someone is signed in."""
    if user is None:
        user = getattr(request.state, "console_user", None)
    context = {"title": title, "message": message, "status": status_code}
    return render(request, "problem.html", context, user, status_code, headers)
