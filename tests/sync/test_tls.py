"""TLS on the wire, with a private CA made in the test (trustme): `fieldbrief-server serve
--tls-cert --tls-key` serves HTTPS with HSTS and the security headers; the app verifies
the certificate (the system's CAs, or a company CA file) and says in one line when it
cannot; plain http is refused for any host but this computer, before a password is sent."""

from __future__ import annotations

import re
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from db.store.local_store import Store
from db.store.replica import LocalReplica
from server.auth import AuthService
from server.cli import main as server_main
from server.cli import tls_problem
from server.store import ServerStore, database_url_for
from sync.engine import SyncError, server_problem, sync_once
from tests.helpers.live_server import REP_PASSWORD
from tests.sync.test_sync_cli import sync

LISTENING = re.compile(r"running on (https://[0-9.]+:[0-9]+)")


def trusting(ca_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_files(tmp_path: Path, ca: trustme.CA) -> tuple[Path, Path, Path]:
    """The server's certificate and key, and the CA's certificate, as files."""
    cert = ca.issue_cert("127.0.0.1", "localhost")
    files = (tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem")
    cert.cert_chain_pems[0].write_to_path(str(files[0]))
    for extra in cert.cert_chain_pems[1:]:
        with files[0].open("ab") as chain:
            chain.write(extra.bytes())
    cert.private_key_pem.write_to_path(str(files[1]))
    ca.cert_pem.write_to_path(str(files[2]))
    return files


@pytest.fixture
def https_server(tmp_path: Path, tls_files: tuple[Path, Path, Path]) -> Iterator[str]:
    """`fieldbrief-server serve` over HTTPS as a real process; yields its URL."""
    folder = tmp_path / "server"
    store = ServerStore.open(database_url_for(folder))
    auth = AuthService(store)
    auth.add_territory("north")
    auth.add_user("ana", REP_PASSWORD, ["north"])
    store.close()
    log = tmp_path / "server.log"
    cert, key, ca_file = tls_files
    args = ["--data-dir", str(folder), "serve", "--workers", "1", "--port", "0"]
    args += ["--tls-cert", str(cert), "--tls-key", str(key)]
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", *args], stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while not (found := LISTENING.search(log.read_text())):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        url = found.group(1)
        while True:
            try:
                httpx.get(
                    f"{url}/v1/health", verify=trusting(ca_file), timeout=2
                ).raise_for_status()
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_server_speaks_https_with_hsts_and_the_security_headers(
    https_server: str, tls_files: tuple[Path, Path, Path]
) -> None:
    answer = httpx.get(f"{https_server}/v1/health", verify=trusting(tls_files[2]))
    assert answer.status_code == 200
    assert answer.headers["strict-transport-security"].startswith("max-age=")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"


def test_a_sync_over_https_trusts_the_company_ca_and_refuses_without_it(
    tmp_path: Path, https_server: str, tls_files: tuple[Path, Path, Path]
) -> None:
    store = Store.open(tmp_path / "laptop")
    try:
        with pytest.raises(SyncError) as refused:
            sync_once(LocalReplica(store), https_server, "ana", REP_PASSWORD)
        said = str(refused.value)
        assert said.startswith("the server's certificate is not trusted (")
        assert "\n" not in said and "SSLCertVerificationError" not in said
        outcome = sync_once(
            LocalReplica(store), https_server, "ana", REP_PASSWORD, ca_file=str(tls_files[2])
        )
        assert outcome.snapshot
    finally:
        store.close()


def test_fieldbrief_sync_takes_a_ca_file_and_says_what_is_wrong_in_one_line(
    tmp_path: Path, https_server: str, tls_files: tuple[Path, Path, Path]
) -> None:
    data_dir = tmp_path / "laptop"
    refused = sync(https_server, data_dir, FIELDBRIEF_PASSWORD=REP_PASSWORD)
    assert refused.returncode == 1
    error = refused.stderr.strip()
    assert "certificate is not trusted" in error and len(error.splitlines()) == 1
    synced = sync(
        https_server, data_dir, "--ca-file", str(tls_files[2]), FIELDBRIEF_PASSWORD=REP_PASSWORD
    )
    assert synced.returncode == 0, synced.stderr
    assert "Synced with" in synced.stdout


def test_plain_http_is_only_for_this_computer(tmp_path: Path) -> None:
    assert server_problem("http://127.0.0.1:8740") is None
    assert server_problem("http://localhost:8740") is None
    assert server_problem("http://[::1]:8740") is None
    assert server_problem("https://fieldbrief.example.com") is None
    said = server_problem("http://fieldbrief.example.com")
    assert said is not None and "use https://fieldbrief.example.com" in said
    assert server_problem("ftp://fieldbrief.example.com") is not None
    assert server_problem("fieldbrief.example.com") is not None
    # Refused before a password is asked for (none is given: a prompt would wait forever).
    refused = sync("http://10.0.0.5:8740", tmp_path / "laptop")
    assert refused.returncode == 1 and "plain http" in refused.stderr


def test_serve_refuses_tls_files_that_cannot_serve(
    tmp_path: Path, tls_files: tuple[Path, Path, Path], ca: trustme.CA
) -> None:
    cert, key, _ = tls_files
    assert tls_problem(None, None) is None
    assert tls_problem(cert, key) is None
    assert "together" in (tls_problem(cert, None) or "")
    assert "no such file" in (tls_problem(tmp_path / "nope.pem", key) or "")
    other = tmp_path / "other-key.pem"
    ca.issue_cert("elsewhere.example").private_key_pem.write_to_path(str(other))
    assert "do not load together" in (tls_problem(cert, other) or "")
    args = ["--data-dir", str(tmp_path / "server"), "serve", "--tls-cert", str(cert)]
    assert server_main(args) == 1
