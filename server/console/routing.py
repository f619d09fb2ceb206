"""The console's route class: refusals and mistakes answered as HTML pages, not JSON."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.console.sessions import NotAllowed, SignInFirst
from server.console.templates import problem_page
from server.errors import ServerError, TooManyAttempts

log = logging.getLogger(__name__)

_TITLES = {
    400: "That request could not be taken",
    401: "Sign in first",
    403: "Not for you",
    404: "No such page",
    405: "Not like that",
    409: "That exists already",
    410: "Gone",
    422: "That request could not be taken",
    429: "Too many tries",
}


def _validation_message(exc: RequestValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "form"))
    message = str(first.get("msg", "not valid"))
    return f"{where}: {message}" if where else message


class ConsoleRoute(APIRoute):
    """An APIRoute whose refusals are pages: a missing session redirects to the sign-in;
    a role refused, a bad form or field, or a ServerError (a 4xx in plain words) is a
    page with the navigation and one sentence. A bug is still a 500, logged as ever."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInFirst as redirect:
                location = (redirect.headers or {}).get("Location", "/console/login")
                return RedirectResponse(location, status_code=303)
            except NotAllowed as refused:
                return problem_page(
                    request,
                    403,
                    "Not for your role",
                    f"This page is not open to the {refused.user.role} role. "
                    "The menu shows the pages that are.",
                    refused.user,
                )
            except RequestValidationError as invalid:
                return problem_page(request, 400, _TITLES[400], _validation_message(invalid))
            except TooManyAttempts as wait:
                return problem_page(
                    request,
                    429,
                    _TITLES[429],
                    wait.message,
                    headers={"Retry-After": str(wait.retry_after)},
                )
            except ServerError as error:
                if error.status >= 500:
                    raise
                return problem_page(
                    request, error.status, _TITLES.get(error.status, "Refused"), error.message
                )
            except StarletteHTTPException as refused:
                if refused.status_code >= 500:
                    raise
                title = _TITLES.get(refused.status_code, "Refused")
                return problem_page(
                    request,
                    refused.status_code,
                    title,
                    str(refused.detail),
                    headers=refused.headers,
                )

        return console_handler
