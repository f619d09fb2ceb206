"""A loopback stand-in for the two Stripe API endpoints the connector reads: a charge (its
customer expanded) and a customer. It can keep callers waiting, or fail, on demand."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.helpers.live_server import serving


@dataclass
class FakeStripe:
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[int] = field(default_factory=list)  # statuses to answer first, in turn
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # path, query, auth
    asked: threading.Event = field(default_factory=threading.Event)
    go_on: threading.Event = field(default_factory=threading.Event)  # cleared: callers wait
    url: str = ""

    def __post_init__(self) -> None:
        self.go_on.set()

    def app(self) -> FastAPI:
        app = FastAPI()

        def answer(request: Request, found: dict[str, Any] | None) -> JSONResponse:
            self.requests.append(
                (
                    request.url.path,
                    request.url.query,
                    request.headers.get("authorization", ""),
                )
            )
            self.asked.set()
            assert self.go_on.wait(60), "the test never let the fake Stripe answer"
            if self.failures:
                status = self.failures.pop(0)
                return JSONResponse({"error": {"message": "try later"}}, status_code=status)
            if found is None:
                return JSONResponse(
                    {"error": {"type": "invalid_request_error", "code": "resource_missing"}},
                    status_code=404,
                )
            return JSONResponse(found)

        @app.get("/v1/charges/{charge_id}")
        def charge(charge_id: str, request: Request) -> JSONResponse:
            return answer(request, self.charges.get(charge_id))

        @app.get("/v1/customers/{customer_id}")
        def customer(customer_id: str, request: Request) -> JSONResponse:
            return answer(request, self.customers.get(customer_id))

        return app


@contextmanager
def fake_stripe_api() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    with serving(fake.app()) as url:
        fake.url = url
        try:
            yield fake
        finally:
            fake.go_on.set()  # never leave a caller waiting past the test
