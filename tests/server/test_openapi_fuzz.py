"""Schemathesis over the server's own OpenAPI document, on loopback: no request makes a 5xx,
for a rep's token, a marketing system's API key and no credentials alike."""

from __future__ import annotations

import itertools
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from server.app import create_app
from server.auth import AuthService
from server.ingest import ApiKeys
from server.store import ServerStore, create_server_engine
from sync.protocol import CLIENT_ENTITIES
from sync.row_schema import INT64_MAX
from tests.helpers.live_server import REP_PASSWORD, rep_server

pytestmark = pytest.mark.slow

MODES = ("rep_token", "api_key", "no_credentials")
LOGOUT = "POST /v1/auth/logout"
PUSH = "POST /v1/sync/push"
KINDS = sorted(CLIENT_ENTITIES)
SEEDED = 4  # mutations that wrote the territory's records

# Per operation and mode. The module takes about two minutes on two cores, nearly all of it
# the two fuzzing tests; the coverage phase's boundary
# and negative cases come on top of max_examples.
FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,  # the same requests on every run, so CI failures reproduce
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# What must hold today. Left out as not sensible for this API: positive_data_acceptance
# (cursors are opaque strings only the server makes, and text with NUL is refused at the
# front door: schema-valid but refused, 400, by design), negative_data_rejection and
# missing_required_header (a too-old client gets 426 before anything else is looked at;
# unknown query parameters are ignored).
MUST_HOLD = [
    not_a_server_error,
    response_schema_conformance,
    response_headers_conformance,
    ignored_auth,
]
# What the document says of every answer: its status, its content type, a 405 with Allow.
DOCUMENTED = [status_code_conformance, content_type_conformance, unsupported_method]


def _served_document() -> dict[str, Any]:
    """The document create_app serves. The app is only built here, never called, so its
    store needs no database."""
    store = ServerStore(create_server_engine("sqlite://"))
    document: dict[str, Any] = create_app(store, AuthService(store)).openapi()
    return document


schema = schemathesis.openapi.from_dict(_served_document())


@dataclass(frozen=True)
class FuzzServer:
    """The server under fuzzing, and the credentials it gave out before the fuzzing."""

    url: str
    auth: AuthService
    device: uuid.UUID  # the device the rep's token belongs to
    access_token: str
    api_key: str


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzServer]:
    """Territory 'north' with a few records, its rep 'ana' signed in, and a marketing key."""
    with rep_server(tmp_path_factory.mktemp("fuzz")) as server:
        api_key = ApiKeys(server.store).add("marketing")
        device = uuid.uuid4()
        with httpx.Client(base_url=server.url, timeout=10) as http:
            # Signed in before any fuzzing: fuzzed sign-ins soon throttle this address
            # (429), and the access token outlives this module (15 minutes).
            signed_in = http.post(
                "/v1/auth/login",
                json={"username": "ana", "password": REP_PASSWORD, "client_id": str(device)},
            )
            assert signed_in.status_code == 200, signed_in.text
            token = signed_in.json()["access_token"]
            pushed = http.post(
                "/v1/sync/push",
                json={"client_id": str(device), "mutations": _territory_records()},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert pushed.status_code == 200, pushed.text
            results = pushed.json()["results"]
            assert [r["status"] for r in results] == ["applied"] * SEEDED
        yield FuzzServer(server.url, server.auth, device, token, api_key)


def _territory_records() -> list[dict[str, Any]]:
    mutations: list[dict[str, Any]] = []
    for number, (name, city) in enumerate([("Acme", "Bonn"), ("Nordwerk", "Kiel")]):
        account_id = str(uuid.uuid4())
        account = {"name": name, "territory": "north", "city": city}
        contact = {"account_id": account_id, "first_name": "Ilse", "last_name": f"Nord{number}"}
        mutations += [
            {"entity": "account", "op": "create", "id": account_id, "fields": account},
            {"entity": "contact", "op": "create", "id": str(uuid.uuid4()), "fields": contact},
        ]
    return [{"mutation_id": n, **m} for n, m in enumerate(mutations, start=1)]


class Credentials:
    """What one mode sends as Authorization, whatever the generated case holds."""

    def __init__(self, mode: str, server: FuzzServer) -> None:
        self.mode = mode
        self.server = server
        self._logout_token: str | None = None
        self._mutation_ids = itertools.count(SEEDED + 1)

    def headers_for(self, case: Case[Any]) -> dict[str, str] | None:
        if self.mode == "no_credentials":
            if case.headers:
                case.headers.pop("Authorization", None)  # schemathesis makes one up
            return None
        if self.mode == "api_key":
            return {"Authorization": f"Bearer {self.server.api_key}"}
        if case.operation.label == LOGOUT:
            # A logout ends its device's tokens: it gets a device of its own, signed in
            # again in-process (this address is throttled by now) after each one that worked.
            if self._logout_token is None:
                pair = self.server.auth.login("ana", REP_PASSWORD, uuid.uuid4())
                self._logout_token = pair.access_token
            return {"Authorization": f"Bearer {self._logout_token}"}
        _aim_push_at_the_rep(case, self.server.device, self._mutation_ids)
        return {"Authorization": f"Bearer {self.server.access_token}"}

    def answered(self, case: Case[Any], status: int) -> None:
        if case.operation.label == LOGOUT and status == 204:
            self._logout_token = None


def _aim_push_at_the_rep(case: Case[Any], device: uuid.UUID, mutation_ids: Iterator[int]) -> None:
    """A generated push names a random device, made-up kinds of record and the same few
    mutation ids: the server refuses it (403), or each mutation as unknown or as a
    duplicate. With the rep's device, real kinds and new ids it reaches the row checks.
    Only valid values are replaced, so a negative case stays one."""
    if case.operation.label != PUSH or not isinstance(case.body, dict):
        return
    if _is_uuid(case.body.get("client_id")):
        case.body["client_id"] = str(device)
    mutations = case.body.get("mutations")
    for mutation in mutations if isinstance(mutations, list) else []:
        if not isinstance(mutation, dict):
            continue
        entity, number = mutation.get("entity"), mutation.get("mutation_id")
        if isinstance(entity, str) and 1 <= len(entity) <= 40:
            mutation["entity"] = KINDS[zlib.crc32(entity.encode("utf-8", "replace")) % len(KINDS)]
        if type(number) is int and 1 <= number <= INT64_MAX:
            mutation["mutation_id"] = next(mutation_ids)


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module", params=MODES)
def credentials(request: pytest.FixtureRequest, fuzz_server: FuzzServer) -> Credentials:
    return Credentials(request.param, fuzz_server)


def _call_and_check(
    case: Case[Any], server: FuzzServer, credentials: Credentials, checks: list[Any]
) -> None:
    headers = credentials.headers_for(case)
    response = case.call(base_url=server.url, headers=headers, timeout=10)
    credentials.answered(case, response.status_code)
    case.validate_response(response, checks=checks, headers=headers)


def test_the_live_server_serves_the_fuzzed_document(fuzz_server: FuzzServer) -> None:
    served = httpx.get(f"{fuzz_server.url}/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == _served_document()


@schema.parametrize()
@FUZZ
def test_no_request_fails_the_server(
    case: Case[Any], fuzz_server: FuzzServer, credentials: Credentials
) -> None:
    """No 5xx, and each answer with a documented status has the documented body and
    headers; an operation that needs credentials refuses none or wrong ones."""
    _call_and_check(case, fuzz_server, credentials, MUST_HOLD)


@schema.parametrize()
@FUZZ
def test_every_answer_is_documented(
    case: Case[Any], fuzz_server: FuzzServer, credentials: Credentials
) -> None:
    """Each status and content type is one the document lists for the operation, and an
    undeclared method gets 405 with Allow."""
    _call_and_check(case, fuzz_server, credentials, DOCUMENTED)
