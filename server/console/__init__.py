"""The web console for managers, marketing and admins: server-rendered pages under /console."""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

from fastapi import APIRouter, Request, Response
from fastapi.staticfiles import StaticFiles

from server.auth import AuthService
from server.console.admin import add_admin_pages
from server.console.marketing import add_marketing_pages
from server.console.routing import ConsoleRoute
from server.console.sessions import COOKIE, ConsoleSessions
from server.console.signin import add_sign_in_routes
from server.console.team import add_team_pages
from server.console.templates import STATIC, STATIC_URL, problem_page
from server.store import ServerStore


def add_console_routes(router: APIRouter, store: ServerStore, auth: AuthService) -> None:
    """Adds the console's pages and its static files to `router` (the app's own)."""
    # The pages are built on a router of their own, whose route class answers refusals
    # as pages, then moved onto the app's router one by one (not included: an included
    # router is one opaque node of app.routes, see server.app). None is in the OpenAPI
    # document: pages, not API.
    console = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
    sessions = ConsoleSessions(store, auth.clock)
    add_sign_in_routes(console, store, auth)
    add_marketing_pages(console, store, auth)
    add_team_pages(console, store, auth)
    add_admin_pages(console, store, auth)

    @console.api_route("/console/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
    def no_such_page(request: Request, rest: str) -> Response:
        """Any other console address: a page saying so (last, after every other route),
        with the menu when someone is signed in."""
        user = sessions.user_or_none(request.cookies.get(COOKIE))
        message = "There is no console page here."
        return problem_page(request, 404, "No such page", message, user)

    router.mount(STATIC_URL, StaticFiles(directory=str(STATIC)), name="console-static")
    router.routes.extend(console.routes)
