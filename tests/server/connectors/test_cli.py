"""`fieldbrief-server connector add|list|remove` as a real process, the secret kept only
sealed (the key file 0600), and `serve` (with worker processes) verifying with it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from server.cli import CONNECTORS
from server.connectors.registry import SOURCES
from server.connectors.secrets import KEY_FILE_VARIABLE, KEY_VARIABLE
from tests.helpers.live_server import server_process
from tests.server.connectors.conftest import (
    STRIPE_KEY,
    STRIPE_SECRET,
    ZENDESK_SECRET,
    body_of,
    payload,
    zendesk_signed,
)

pytestmark = pytest.mark.slow


def admin(
    data: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(data), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env if env is not None else _without_key(),
        timeout=120,
    )


def _without_key() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in (KEY_VARIABLE, KEY_FILE_VARIABLE)}


def test_the_cli_names_the_connectors_the_server_has() -> None:
    assert tuple(SOURCES) == CONNECTORS


def test_add_keeps_the_secret_sealed_and_prints_the_url_to_paste(tmp_path: Path) -> None:
    data = tmp_path / "server"
    added = admin(data, "connector", "add", "stripe", "--secret-stdin", stdin=STRIPE_SECRET + "\n")
    assert added.returncode == 0, added.stderr
    assert "Added the stripe connector; its secret is kept encrypted" in added.stdout
    assert "Made that key now, readable by you only" in added.stdout
    assert "  https://<this server>/v1/hooks/stripe\n" in added.stdout
    assert "charge.dispute.created" in added.stdout
    assert "customer.subscription.deleted" in added.stdout
    key = data / "connector.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    # Nowhere in the database's files in clear; and never in the audit log.
    for file in data.iterdir():
        if file != key:
            assert STRIPE_SECRET.encode() not in file.read_bytes(), file.name
    audit = admin(data, "audit")
    assert "admin  connector add stripe" in audit.stdout and STRIPE_SECRET not in audit.stdout

    again = admin(data, "connector", "add", "stripe", "--secret-stdin", stdin="whsec_x12345678\n")
    assert (again.returncode, again.stdout) == (1, "")
    assert again.stderr == (
        "fieldbrief-server: the stripe connector is set up already; add --replace to give it a "
        "new secret (a rolled one, say)\n"
    )
    rolled = admin(
        data,
        "connector",
        "add",
        "stripe",
        "--secret-stdin",
        "--api-key-stdin",
        "--replace",
        stdin=f"whsec_rolled_secret_2\n{STRIPE_KEY}\n",
    )
    assert rolled.returncode == 0, rolled.stderr
    assert "Replaced the stripe connector" in rolled.stdout
    assert "Made that key" not in rolled.stdout

    zendesk = admin(
        data,
        "connector",
        "add",
        "zendesk",
        "--secret-stdin",
        "--public-url",
        "https://fieldbrief.example.com/",
        stdin=ZENDESK_SECRET + "\n",
    )
    assert "  https://fieldbrief.example.com/v1/hooks/zendesk\n" in zendesk.stdout
    listed = admin(data, "connector", "list").stdout.splitlines()
    assert listed[0].split() == [
        "name", "added", "(UTC)", "last", "delivery", "(UTC)", "received", "waiting", "failed",
        "URL",
    ]  # fmt: skip
    assert listed[2].startswith("stripe ") and "(with a Stripe API key)" in listed[2]
    assert listed[3].startswith("zendesk ")
    assert listed[3].endswith("https://fieldbrief.example.com/v1/hooks/zendesk")


@pytest.mark.parametrize(
    ("args", "stdin", "said"),
    [
        (["stripe"], "sk_live_51Qd0000000\n", "a Stripe signing secret starts with whsec_"),
        (["zendesk"], "short\n", "the signing secret must be 8 to 200 printable characters"),
        (["hubspot"], "\n", "no signing secret on the first line of standard input"),
        (
            ["stripe", "--api-key-stdin"],
            f"{STRIPE_SECRET}\nsk_live_51QdAllPowerful\n",
            "that is a secret key, which may do anything in your Stripe account",
        ),
        (
            ["zendesk", "--api-key-stdin"],
            f"{ZENDESK_SECRET}\n{STRIPE_KEY}\n",
            "an API key and its address are for the Stripe connector only",
        ),
        (["hubspot", "--public-url", "http://fieldbrief.example.com"], "a1b2c3d4e5f6\n", "https"),
    ],
)
def test_a_bad_secret_key_or_address_is_one_line_and_exit_1(
    tmp_path: Path, args: list[str], stdin: str, said: str
) -> None:
    refused = admin(tmp_path, "connector", "add", *args, "--secret-stdin", stdin=stdin)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"fieldbrief-server: {said}") or said in refused.stderr
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert admin(tmp_path, "connector", "list").stdout.startswith("No connector is set up")


def test_an_unknown_source_is_a_usage_error(tmp_path: Path) -> None:
    refused = admin(tmp_path, "connector", "add", "salesforce", "--secret-stdin")
    assert refused.returncode == 2 and "invalid choice: 'salesforce'" in refused.stderr


def test_serve_verifies_with_the_key_the_cli_made_and_remove_closes_the_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "server"
    assert admin(data, "territory", "add", "north").returncode == 0
    added = admin(data, "connector", "add", "zendesk", "--secret-stdin", stdin=ZENDESK_SECRET)
    assert added.returncode == 0, added.stderr
    document = payload("zendesk_ticket")
    body = body_of(document)
    # `serve` with its default worker processes (2 on two cores), each finding the key file.
    monkeypatch.delenv(KEY_VARIABLE)
    log = tmp_path / "serve.log"
    with server_process(["--data-dir", str(data), "serve"], log) as url:
        now = datetime.now(UTC)
        with httpx.Client(base_url=url, timeout=30) as http:
            headers = zendesk_signed(body, now)
            for _ in range(4):  # reaching both worker processes, most likely
                answer = http.post("/v1/hooks/zendesk", content=body, headers=headers)
                assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "duplicate"
            assert admin(data, "connector", "remove", "zendesk").returncode == 0
            gone = http.post("/v1/hooks/zendesk", content=body, headers=zendesk_signed(body, now))
            assert gone.status_code == 404
    listed = admin(data, "connector", "list")
    assert listed.stdout.startswith("No connector is set up")
    assert "Traceback" not in log.read_text()
    assert "zendesk webhook" in log.read_text()  # the access line names the caller so


def test_a_server_with_another_key_refuses_with_503_and_says_why_in_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "server"
    admin(data, "connector", "add", "zendesk", "--secret-stdin", stdin=ZENDESK_SECRET)
    body = body_of(payload("zendesk_ticket"))
    monkeypatch.setenv(KEY_VARIABLE, Fernet.generate_key().decode())  # not the one it used
    log = tmp_path / "serve.log"
    with server_process(["--data-dir", str(data), "serve", "--workers", "1"], log) as url:
        answer = httpx.post(
            f"{url}/v1/hooks/zendesk",
            content=body,
            headers=zendesk_signed(body, datetime.now(UTC)),
            timeout=30,
        )
    assert (answer.status_code, answer.json()["error"]) == (503, "connector_key")
    text = log.read_text()
    assert "does not open the stored secrets" in text and "Traceback" not in text
    assert ZENDESK_SECRET not in text
