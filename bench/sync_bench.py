"""Sync over loopback against a real server process: first downloads, incremental sync,
catch-up after days offline, and many clients at once; figures for `make bench`.

Run alone with `python -m bench.sync_bench [--quick]`. The server's demo data is generated
once into bench/.cache/ (the 50k-account territory takes a quarter of an hour) and copied
to a temporary folder for every run, so runs start from the same rows.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import io
import itertools
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.keyed import open_store
from bench.report import Row, percentile, print_table, verdict
from db.edits import LocalEditor
from db.store.local_store import Store
from db.store.models import SYNCED_MODELS, Account, Activity
from db.store.replica import LocalReplica
from server.store import SERVER_DB_FILENAME as SERVER_DB
from sync.engine import PUSH_BATCH, AccessToken, SyncEngine, http_client, tls_context
from sync.outcome import SyncOutcome
from sync.protocol import PREFIX, LoginRequest, Mutation, PushRequest, PushResponse, TokenPair

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
SEED = 1
# What `fieldbrief-server demo` writes: the territory and its rep.
TERRITORY, USER, PASSWORD = "demo", "demo", "demo-password"
# Added next to it: a back-office user who changes the territory while the rep is away,
# and small territories with one rep each for the many-clients run.
OFFICE, OFFICE_PASSWORD = "office", "office-password"
REP_PASSWORD = "rep-password"

FAILED_SYNC = "sync failed: "

# What a device keeps to sign in: its refresh token and its access token.
SignIn = tuple[str | None, AccessToken | None]

# An account as a device holds it: id, server version, phone, website.
AccountState = tuple[uuid.UUID, int | None, str | None, str | None]


@dataclass(frozen=True)
class Plan:
    """How big each benchmark is."""

    initial: tuple[int, ...]  # accounts of each territory downloaded from scratch
    incremental: tuple[int, int]  # local edits, server changes
    incremental_runs: int
    catch_up: tuple[int, int]  # local edits, server changes
    catch_up_runs: int
    clients: int
    client_edits: int  # local edits each client pushes (and pulls back)
    client_waves: int
    rep_accounts: int  # accounts in each client's territory


# What the issue asks for ("incremental sync of 100 changes": 50 made on the device, 50 on
# the server); the first territory also hosts the other benchmarks.
FULL = Plan((10_000, 50_000), (50, 50), 10, (500, 5_000), 5, 50, 5, 3, 50)
QUICK = Plan((1_000, 5_000), (50, 50), 5, (50, 500), 3, 10, 5, 2, 20)


# --- Server data, generated once ----------------------------------------------------------


# Bump when _add_people changes who is on the server or what they see.
PEOPLE_VERSION = 2


def _generator() -> str:
    """Version of the demo data: a changed generator means new server data."""
    digest = hashlib.sha1(f"people {PEOPLE_VERSION}".encode())
    for path in ("sync/demo/territory.py", "sync/demo/profiles.py", "sync/seed.py"):
        digest.update((ROOT / path).read_bytes())
    return digest.hexdigest()[:8]


def _cache_name(accounts: int, plan: Plan, hosts_reps: bool) -> str:
    reps = f"-r{plan.clients}x{plan.rep_accounts}" if hosts_reps else ""
    return f"server-{accounts}{reps}-s{SEED}"


def server_data(plan: Plan) -> dict[int, Path]:
    """Cached server data folders, one per initial-sync size (made when missing, in
    parallel: each generator is a single-threaded process)."""
    generator = _generator()
    folders: dict[int, Path] = {}
    making: list[tuple[Path, bool, subprocess.Popen[bytes], float]] = []
    for index, accounts in enumerate(plan.initial):
        hosts_reps = index == 0
        name = _cache_name(accounts, plan, hosts_reps)
        folder = CACHE / f"{name}-{generator}"
        folders[accounts] = folder
        if (folder / "complete").exists():
            continue
        for stale in CACHE.glob(f"{name}-*"):
            shutil.rmtree(stale)
        folder.mkdir(parents=True)
        print(f"Generating server data ({accounts:,} accounts) once into {folder} …", flush=True)
        command = [*_server_command(folder), "demo", "--accounts", str(accounts)]
        command += ["--seed", str(SEED), "--territory", TERRITORY]
        log = (folder / "generate.log").open("wb")
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        making.append((folder, hosts_reps, child, time.perf_counter()))
    for folder, hosts_reps, child, started in making:
        if child.wait() != 0:
            raise SystemExit(f"bench: generating {folder} failed; see {folder}/generate.log")
        if hosts_reps:
            _add_people(folder, plan)
        (folder / "complete").write_text(f"{time.perf_counter() - started:.1f}s\n")
    return folders


def _add_people(folder: Path, plan: Plan) -> None:
    """The back-office user, and `plan.clients` reps with a small demo territory each."""
    from server.auth import AuthService
    from server.cli import main as server_cli
    from server.store import ServerStore, database_url_for

    for rep in range(1, plan.clients + 1):
        args = ["--data-dir", str(folder), "demo", "--accounts", str(plan.rep_accounts)]
        args += ["--seed", str(SEED + rep), "--territory", _rep(rep)]
        with contextlib.redirect_stdout(io.StringIO()):
            if server_cli(args) != 0:
                raise SystemExit(f"bench: could not add territory {_rep(rep)} to {folder}")
    store = ServerStore.open(database_url_for(folder))
    try:
        auth = AuthService(store)
        auth.add_user(OFFICE, OFFICE_PASSWORD, [TERRITORY])
        for rep in range(1, plan.clients + 1):
            auth.add_user(_rep(rep), REP_PASSWORD, [_rep(rep)])
            # `demo` in another territory also grants it to the user demo: the measured
            # device sees its own territory only.
            auth.revoke(USER, _rep(rep))
    finally:
        store.close()


def _rep(number: int) -> str:
    return f"rep{number:02}"


def _server_command(folder: Path) -> list[str]:
    script = Path(sys.executable).with_name("fieldbrief-server")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "server.cli"]
    return [*command, "--data-dir", str(folder)]


# --- A running server -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(cached: Path, work: Path) -> Iterator[str]:
    """A server process on a fresh copy of `cached`, until the block ends; yields its URL."""
    folder = work / "server"
    folder.mkdir()
    for name in (SERVER_DB, f"{SERVER_DB}-wal"):
        if (cached / name).exists():
            shutil.copyfile(cached / name, folder / name)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = work / "server.log"
    command = [*_server_command(folder), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300  # opening runs any new server migrations
        while True:
            if child.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise SystemExit(f"bench: the sync server did not start:\n{tail}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}{PREFIX}/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        yield url
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# --- Clients ------------------------------------------------------------------------------


class CountingTransport(httpx.HTTPTransport):
    """Counts the HTTP requests made (retries too) and the ones that failed."""

    def __init__(self) -> None:
        super().__init__(verify=tls_context())
        self.requests = 0
        self.failures: list[str] = []
        self.waited = 0.0  # seconds from sending each request to having its whole answer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        where = f"{request.method} {request.url.path}"
        sent = time.perf_counter()
        try:
            response = super().handle_request(request)
            response.read()
        except httpx.TransportError as exc:
            self.failures.append(f"{where}: {type(exc).__name__}")
            raise
        finally:
            self.waited += time.perf_counter() - sent
        if response.status_code >= 400:
            self.failures.append(f"{where}: {response.status_code} {response.text[:200]}")
        return response


@dataclass(frozen=True)
class Timed:
    """One sync: its outcome, seconds from start to outcome, and what went over the wire."""

    outcome: SyncOutcome
    seconds: float
    requests: int
    failures: list[str]  # requests that failed (the engine retries some of them)
    waited: float  # of `seconds`, waiting for the server's answers


@dataclass
class Device:
    """One installation of the app as the app syncs it: a fresh HTTP client per sync, the
    password the first time, the refresh token it kept after that (and, as the app does,
    the access token in memory while it lasts)."""

    folder: Path
    url: str
    user: str
    password: str
    token: str | None = None
    access: AccessToken | None = None
    store: Store = field(init=False)

    def __post_init__(self) -> None:
        self.store = open_store(self.folder)

    def sync(self) -> Timed:
        transport = CountingTransport()
        started = time.perf_counter()
        with http_client(self.url, timeout=300, transport=transport) as http:
            engine = SyncEngine(
                LocalReplica(self.store),
                http,
                self.user,
                password=self.password if self.token is None else None,
                refresh_token=self.token,
                on_refresh_token=self._keep,
                access=self.access,
                on_access=self._keep_access,
            )
            outcome = engine.run()
        seconds = time.perf_counter() - started
        return Timed(outcome, seconds, transport.requests, transport.failures, transport.waited)

    @property
    def sign_in(self) -> SignIn:
        return self.token, self.access

    def _keep(self, token: str) -> None:
        self.token = token

    def _keep_access(self, access: AccessToken) -> None:
        self.access = access

    def accounts(self) -> list[AccountState]:
        """Every account, by id."""
        with self.store.reading() as session:
            stmt = select(Account.id, Account.server_version, Account.phone, Account.website)
            return [(a, v, p, w) for a, v, p, w in session.execute(stmt.order_by(Account.id))]

    def edit_offline(self, accounts: list[uuid.UUID], tag: str) -> None:
        """A rep's edits (row + outbox entry each), waiting for the next sync."""
        editor = LocalEditor(self.store)
        for number, account_id in enumerate(accounts):
            editor.set_fields("account", account_id, phone=f"+49 {tag} {number:05}")

    def counts(self) -> tuple[int, int, int]:
        """Accounts, activities, and rows of every synced table in the store."""
        with self.store.reading() as session:
            tally = {
                model: int(session.execute(select(func.count()).select_from(model)).scalar_one())
                for model in SYNCED_MODELS
            }
        return tally[Account], tally[Activity], sum(tally.values())

    def close(self) -> None:
        self.store.close()


class Office:
    """Another client changing the territory on the server: the push API, as a device."""

    def __init__(self, url: str) -> None:
        self.client_id = uuid.uuid4()
        self.http = http_client(url, timeout=300)
        login = LoginRequest(username=OFFICE, password=OFFICE_PASSWORD, client_id=self.client_id)
        response = self.http.post(f"{PREFIX}/auth/login", json=login.model_dump(mode="json"))
        response.raise_for_status()
        tokens = TokenPair.model_validate(response.json())
        self.http.headers["Authorization"] = f"Bearer {tokens.access_token}"
        self._ids = itertools.count(1)

    def change_websites(self, accounts: list[AccountState], tag: str) -> float:
        """Sets each account's website (from the value the device holds, so no conflict);
        returns the seconds the server took."""
        mutations = [
            Mutation(
                mutation_id=next(self._ids),
                entity="account",
                op="set_fields",
                id=account_id,
                base_version=version,
                fields={"website": f"https://{tag}-{number}.example"},
                base={"website": website},
            )
            for number, (account_id, version, _phone, website) in enumerate(accounts)
        ]
        started = time.perf_counter()
        for start in range(0, len(mutations), PUSH_BATCH):
            batch = mutations[start : start + PUSH_BATCH]
            body = PushRequest(client_id=self.client_id, mutations=batch)
            response = self.http.post(f"{PREFIX}/sync/push", json=body.model_dump(mode="json"))
            response.raise_for_status()
            results = PushResponse.model_validate(response.json()).results
            refused = [r for r in results if r.status != "applied"]
            if refused:
                raise SystemExit(f"bench: the server refused an office change: {refused[0]}")
        return time.perf_counter() - started

    def close(self) -> None:
        self.http.close()


# --- The benchmarks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Initial:
    """A first download: what the store holds after it, and how it went."""

    accounts: int
    activities: int
    rows: int
    timed: Timed

    @property
    def rate(self) -> float:
        return self.timed.outcome.pulled / self.timed.seconds


def initial_sync(url: str, folder: Path) -> tuple[Device, Initial]:
    """The rep's first download, from an empty store to synced, timed end to end."""
    device = Device(folder, url, USER, PASSWORD)
    timed = device.sync()
    if not timed.outcome.snapshot:
        raise SystemExit("bench: the first sync did not download a snapshot")
    return device, Initial(*device.counts(), timed)


@dataclass
class Rounds:
    """Timed syncs of a device that changed things while the server changed others."""

    local: int
    remote: int
    syncs: list[Timed] = field(default_factory=list)
    push_seconds: float = 0.0  # the office's pushes, all rounds

    @property
    def seconds(self) -> list[float]:
        return [t.seconds for t in self.syncs]

    @property
    def round_trips(self) -> str:
        low, high = min(t.requests for t in self.syncs), max(t.requests for t in self.syncs)
        return f"{low}" if low == high else f"{low}-{high}"


def edit_and_sync(
    device: Device, local: int, remote: int, runs: int, tags: Iterator[int]
) -> Rounds:
    """`runs` times: the device edits `local` accounts offline while the office changes
    `remote` others on the server; then one sync of the device, timed."""
    rounds = Rounds(local, remote)
    accounts = device.accounts()
    if local + remote > len(accounts):
        raise SystemExit(
            f"bench: {local + remote:,} edits need more accounts than {len(accounts):,}"
        )
    for _ in range(runs):
        tag = f"{next(tags):02}"
        accounts = device.accounts()  # as the device holds them after its last sync
        device.edit_offline([a[0] for a in accounts[:local]], tag)
        office = Office(device.url)
        try:
            theirs = accounts[len(accounts) - remote :]
            rounds.push_seconds += office.change_websites(theirs, f"r{tag}")
        finally:
            office.close()
        timed = device.sync()
        expected = (local, local + remote)
        if (timed.outcome.pushed, timed.outcome.pulled) != expected:
            got = (timed.outcome.pushed, timed.outcome.pulled)
            print(f"  note: pushed/pulled {got}, expected {expected}", flush=True)
        for failure in timed.failures:
            print(f"  failed request (retried): {failure}", flush=True)
        rounds.syncs.append(timed)
    return rounds


@dataclass
class Crowd:
    """Syncs of many clients at the same moment."""

    clients: int
    edits: int
    waves: int
    seconds: list[float] = field(default_factory=list)
    waited: list[float] = field(default_factory=list)  # of each sync, waiting on the server
    requests: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # failed requests and syncs

    @property
    def failed_syncs(self) -> int:
        return sum(1 for f in self.failures if f.startswith(FAILED_SYNC))


def many_clients(url: str, work: Path, plan: Plan) -> Crowd:
    """`plan.clients` reps, each on their own device and territory, sync at the same
    moment (one process each, released by a barrier); `plan.client_waves` times.

    The clients' own work (SQLite, JSON) runs on the same cores as the server here. The
    figure held to the target is each sync's time waiting on the server, with the clients
    at idle priority (see _client); the end-to-end time, clients' work included, is shown
    under it.
    """
    crowd = Crowd(plan.clients, plan.client_edits, plan.client_waves)
    tokens: dict[int, SignIn] = {}
    for rep in range(1, plan.clients + 1):  # first downloads, one after another
        device = Device(work / _rep(rep), url, _rep(rep), REP_PASSWORD)
        try:
            device.sync()
            tokens[rep] = device.sign_in
        finally:
            device.close()
    context = multiprocessing.get_context("fork")
    for wave in range(plan.client_waves):
        for rep in range(1, plan.clients + 1):
            device = Device(work / _rep(rep), url, _rep(rep), REP_PASSWORD, *tokens[rep])
            try:
                mine = [a[0] for a in device.accounts()[: plan.client_edits]]
                device.edit_offline(mine, f"w{wave}")
            finally:
                device.close()
        barrier = context.Barrier(plan.clients)
        results: multiprocessing.Queue[tuple[int, Timed | None, list[str], SignIn | None]]
        results = context.Queue()
        children = [
            context.Process(
                target=_client, args=(work / _rep(rep), url, rep, tokens[rep], barrier, results)
            )
            for rep in tokens
        ]
        for child in children:
            child.start()
        for _ in children:
            rep, timed, failures, token = results.get(timeout=600)
            tokens[rep] = token or tokens[rep]
            crowd.failures += failures
            if timed is not None:
                crowd.seconds.append(timed.seconds)
                crowd.waited.append(timed.waited)
                crowd.requests.append(timed.requests)
        for child in children:
            child.join()
    return crowd


def _client(
    folder: Path,
    url: str,
    rep: int,
    token: SignIn,
    barrier: Any,
    results: Any,
) -> None:
    """One client process: opens its store, waits for the others, syncs once, and always
    reports (a failed sync is a figure, not a crash of the bench).

    It runs at idle priority: the server's processes get the cores whenever they have
    work, as a server on its own machine would, and the 50 devices' own work (SQLite,
    JSON) fills the gaps, as it would on 50 laptops.
    """
    _idle_priority()
    device: Device | None = None
    try:
        device = Device(folder, url, _rep(rep), REP_PASSWORD, *token)
        barrier.wait(timeout=120)
        timed = device.sync()
        results.put((rep, timed, timed.failures, device.sign_in))
    except Exception as exc:
        kept = device.sign_in if device is not None else None
        results.put((rep, None, [f"{FAILED_SYNC}{type(exc).__name__}: {exc}"], kept))
    finally:
        if device is not None:
            device.close()


def _idle_priority() -> None:
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        os.nice(19)


# --- The table ------------------------------------------------------------------------------


def run(plan: Plan) -> list[Row]:
    """Every sync benchmark of `plan`; the rows of the figures table."""
    folders = server_data(plan)
    firsts: list[Row] = []
    hosted: list[Row] = []
    for index, accounts in enumerate(plan.initial):
        with (
            tempfile.TemporaryDirectory(prefix="fieldbrief-sync-bench-") as tmp,
            serving(folders[accounts], Path(tmp)) as url,
        ):
            print(f"sync: first download of {accounts:,} accounts …", flush=True)
            os.sync()  # the benchmarks before wrote a lot: their writes are not this one's
            device, first = initial_sync(url, Path(tmp) / "device")
            try:
                firsts.append(_initial_row(first))
                if index == 0:
                    hosted = _on_synced_server(url, Path(tmp), device, plan)
            finally:
                device.close()
    return firsts + hosted


def _on_synced_server(url: str, work: Path, device: Device, plan: Plan) -> list[Row]:
    """Incremental syncs and catch-ups of `device`, then many clients at once."""
    tags = itertools.count(1)
    print("sync: incremental syncs …", flush=True)
    small = edit_and_sync(device, *plan.incremental, plan.incremental_runs, tags)
    print("sync: catch-up after days offline …", flush=True)
    away = edit_and_sync(device, *plan.catch_up, plan.catch_up_runs, tags)
    print(f"sync: {plan.clients} clients at once …", flush=True)
    crowd = many_clients(url, work, plan)
    for failure, count in collections.Counter(crowd.failures).most_common(5):
        print(f"  {count} x {failure}", flush=True)
    return [_small_row(small), _away_row(away), *_crowd_rows(crowd), _push_row(small, away)]


def _initial_row(first: Initial) -> Row:
    timed = first.timed
    return (
        f"initial sync, {first.accounts:,} accounts / {first.activities:,} activities "
        f"({first.rows:,} rows)",
        f"{first.rate:,.0f} rows/s ({timed.seconds:.1f} s, {timed.requests} requests)",
        ">= 20,000 rows/s",
        verdict(first.rate >= 20_000),
    )


def _small_row(small: Rounds) -> Row:
    p95 = percentile(small.seconds, 95)
    return (
        f"incremental sync, {small.local} local + {small.remote} server changes "
        f"(p95 of {len(small.syncs)})",
        f"{p95 * 1000:.0f} ms (median {statistics.median(small.seconds) * 1000:.0f} ms, "
        f"{small.round_trips} requests)",
        "< 300 ms",
        verdict(p95 < 0.3),
    )


def _away_row(away: Rounds) -> Row:
    p95 = percentile(away.seconds, 95)
    return (
        f"catch-up after 5 days offline, {away.local} local edits + {away.remote:,} server "
        f"changes (p95 of {len(away.syncs)})",
        f"{p95:.2f} s (median {statistics.median(away.seconds):.2f} s, "
        f"{away.round_trips} round trips)",
        "p95 < 5 s",
        verdict(p95 < 5),
    )


def _crowd_rows(crowd: Crowd) -> list[Row]:
    if not crowd.seconds:
        return [(f"{crowd.clients} clients syncing at once", "every sync failed", "", "MISSED")]
    p95 = percentile(crowd.waited, 95)
    errors = f"{len(crowd.failures)} errors ({crowd.failed_syncs} failed syncs)"
    server = (
        f"{crowd.clients} clients syncing at once, {crowd.edits} edits each: waiting on the "
        f"server per sync (p95 of {len(crowd.waited)})",
        f"{p95 * 1000:.0f} ms (median {statistics.median(crowd.waited) * 1000:.0f} ms), {errors}",
        "< 500 ms, 0 errors",
        verdict(p95 < 0.5 and not crowd.failures),
    )
    whole = percentile(crowd.seconds, 95)
    end_to_end = (
        "  the same syncs end to end, with all the clients' own work on this machine's cores",
        f"{whole * 1000:.0f} ms (median {statistics.median(crowd.seconds) * 1000:.0f} ms)",
        "",
        "",
    )
    return [server, end_to_end]


def _push_row(small: Rounds, away: Rounds) -> Row:
    pushed = (small.remote * len(small.syncs)) + (away.remote * len(away.syncs))
    seconds = small.push_seconds + away.push_seconds
    rate = f"{pushed / seconds:,.0f} mutations/s"
    return ("push from another client (setup of the two above)", rate, "", "")


def quick_requested(argv: list[str]) -> bool:
    return "--quick" in argv or os.environ.get("BENCH_QUICK", "") not in ("", "0")


def main() -> int:
    plan = QUICK if quick_requested(sys.argv[1:]) else FULL
    started = time.perf_counter()
    rows = run(plan)
    print()
    print_table(rows)
    print(f"\nsync benchmarks took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
