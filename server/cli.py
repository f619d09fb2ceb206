"""`fieldbrief-server`: run the central server; administer its users, territories and API keys."""

from __future__ import annotations

import argparse
import copy
import logging
import os
import socket
import ssl
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from server.errors import ServerError
from server.roles import EVERY_TERRITORY, REP, ROLES
from sync.protocol import TOMBSTONE_DAYS

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sqlalchemy.orm import Session

    from server.auth import AuthService
    from server.store import ServerStore

DEFAULT_PORT = 8740
# Each policy and what its value may be (checked after parsing: the choices depend on it).
POLICY_VALUES = {
    "sensitive-answers": "'allowed' or 'off-devices'",
    "retention-years": "a number of years from 1 to 100, or 'off'",
    "offline-days": "a number of days from 1 to 3650, or 'off'",
}
# server.connectors.registry.SOURCES, named here so that parsing loads none of it.
CONNECTORS = ("stripe", "zendesk", "hubspot")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fieldbrief-server",
        description="The Fieldbrief central server: holds every rep's territory and syncs it.",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("."),
        metavar="D",
        help="folder of the embedded SQLite database (default: the current folder)",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="a SQLAlchemy URL instead, e.g. postgresql+psycopg://user@host/fieldbrief",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=default_workers(),
        metavar="N",
        help=f"server processes (default {default_workers()}: one per CPU, at most "
        f"{MAX_DEFAULT_WORKERS}); each syncs devices with its own database connections",
    )
    serve.add_argument(
        "--max-body-mib",
        type=_positive,
        metavar="N",
        help="the largest push or ingest request taken, in MiB (default 32); larger ones "
        "are refused with 413 before they are read",
    )
    serve.add_argument(
        "--tls-cert",
        type=Path,
        metavar="FILE",
        help="serve HTTPS with this certificate (PEM, its chain after it); with --tls-key",
    )
    serve.add_argument(
        "--tls-key", type=Path, metavar="FILE", help="the certificate's private key (PEM)"
    )
    serve.add_argument(
        "--uvicorn-access-log",
        action="store_true",
        help="also print uvicorn's own access log, which names each client's address "
        "(personal data); the server's own line per request names no one",
    )
    for sub in (serve,):
        _shared(sub)

    territory = commands.add_parser("territory", help="manage territories")
    territory_commands = territory.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_territory = territory_commands.add_parser("add", help="add a territory")
    add_territory.add_argument("name", metavar="T")
    _shared(add_territory)

    demo = commands.add_parser(
        "demo",
        help="fill a territory with demo data and add the user 'demo'",
        description="Writes the same deterministic demo territory the app makes into territory "
        "T (created if missing; ids of its own, so demo territories sit side by side) and adds "
        "the user 'demo' (password: demo-password), or grants it T if it exists.",
    )
    demo.add_argument("--accounts", type=int, default=300, metavar="N", help="default 300")
    demo.add_argument("--seed", type=int, default=1, metavar="S", help="default 1")
    demo.add_argument("--territory", default="demo", metavar="T", help="default demo")
    _shared(demo)

    importer = commands.add_parser("import", help="import records from a CSV file")
    import_kinds = importer.add_subparsers(dest="kind", metavar="KIND", required=True)
    accounts = import_kinds.add_parser(
        "accounts",
        help="import accounts (our columns, or a Salesforce or HubSpot export)",
        description="All or nothing: a file with bad rows writes nothing and lists them. "
        "Importing the same file again updates the accounts instead of duplicating them.",
    )
    accounts.add_argument("file", type=Path, metavar="FILE.csv")
    accounts.add_argument("--territory", required=True, metavar="T")
    _shared(accounts)
    events = import_kinds.add_parser(
        "events",
        help="take in marketing, service or billing events (as POST /v1/ingest/events.csv)",
        description="Each row is checked on its own: good rows land even when others are "
        "rejected (listed, with their row numbers). Rows are deduplicated by (source, "
        "event_id), so importing the file again after fixing it adds only what was missing.",
    )
    events.add_argument("file", type=Path, metavar="FILE.csv")
    events.add_argument(
        "--source", required=True, metavar="NAME", help="the system the events come from"
    )
    _shared(events)

    apikey = commands.add_parser("apikey", help="API keys of systems that send events")
    apikey_commands = apikey.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_key = apikey_commands.add_parser(
        "add",
        help="make a key for a system (shown once)",
        description="Prints a new API key for the system NAME once; the server keeps only a "
        "hash. NAME is recorded as the source of the events sent with it.",
    )
    add_key.add_argument("name", metavar="NAME")
    list_keys = apikey_commands.add_parser("list", help="list keys: created, last used, revoked")
    revoke_key = apikey_commands.add_parser("revoke", help="end a system's key at once")
    revoke_key.add_argument("name", metavar="NAME")
    for sub in (add_key, list_keys, revoke_key):
        _shared(sub)

    queue = commands.add_parser("events", help="events whose account is not known (yet)")
    queue_commands = queue.add_subparsers(dest="action", metavar="ACTION", required=True)
    unmatched = queue_commands.add_parser("unmatched", help="list the events waiting")
    rematch = queue_commands.add_parser(
        "rematch", help="try the waiting events again (after importing accounts, say)"
    )
    for sub in (unmatched, rematch):
        _shared(sub)

    connector = commands.add_parser(
        "connector", help="webhooks of Stripe, Zendesk and HubSpot: their secrets and URLs"
    )
    connector_commands = connector.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_connector = connector_commands.add_parser(
        "add",
        help="keep a source's signing secret (standard input) and print its webhook URL",
        description="Keeps the signing secret SOURCE shows for its webhook (the first line of "
        "standard input) encrypted under the connector key: FIELDBRIEF_CONNECTOR_KEY, else "
        "connector.key in the data folder, made now if missing. Prints the URL to paste "
        "into SOURCE.",
    )
    add_connector.add_argument(
        "source", choices=CONNECTORS, metavar="SOURCE", help="stripe, zendesk or hubspot"
    )
    add_connector.add_argument(
        "--secret-stdin",
        action="store_true",
        required=True,
        help="read the signing secret from the first line of standard input",
    )
    add_connector.add_argument(
        "--api-key-stdin",
        action="store_true",
        help="stripe: also read a restricted API key (rk_..., allowed to read charges and "
        "customers) from the second line, to look up a disputed charge no invoice told of",
    )
    add_connector.add_argument(
        "--stripe-api-url", metavar="URL", help="stripe: the API's address (default the real one)"
    )
    add_connector.add_argument(
        "--public-url",
        metavar="URL",
        help="the address the source reaches this server at (https://fieldbrief.example.com): "
        "printed with the webhook's path, and part of what HubSpot signs",
    )
    add_connector.add_argument(
        "--replace", action="store_true", help="give a connector set up before new settings"
    )
    list_connectors = connector_commands.add_parser(
        "list", help="the connectors: their URLs, deliveries received, waiting and failed"
    )
    remove_connector = connector_commands.add_parser(
        "remove", help="forget a connector and its secret (its webhook is refused from then on)"
    )
    remove_connector.add_argument("source", choices=CONNECTORS, metavar="SOURCE")
    for sub in (add_connector, list_connectors, remove_connector):
        _shared(sub)

    user = commands.add_parser("user", help="manage users")
    user_commands = user.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_user = user_commands.add_parser(
        "add",
        help="add a user (password on standard input)",
        description="A rep syncs the territories given to their laptop; a manager sees those "
        "territories' team on the web console (/console); marketing sees lead feedback and "
        "holds of every territory there, an admin everything.",
    )
    add_user.add_argument("name", metavar="NAME")
    add_user.add_argument(
        "--role",
        choices=ROLES,
        default=REP,
        help=f"{', '.join(ROLES)} (default {REP})",
    )
    add_user.add_argument(
        "--territory",
        action="append",
        default=[],
        metavar="T",
        help="a territory the user (a rep or a manager) may see (repeat for more)",
    )
    add_user.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the password from the first line of standard input (at least 12 "
        "characters, not one of the most common passwords)",
    )
    _shared(add_user)
    for action, text in (
        ("disable", "disable a user, end their sessions and wipe their devices"),
        ("enable", "enable a disabled user"),
    ):
        toggled = user_commands.add_parser(action, help=text)
        toggled.add_argument("name", metavar="NAME")
        if action == "disable":
            toggled.add_argument(
                "--keep-devices",
                action="store_true",
                help="leave the copies on their laptops (by default each laptop erases its "
                "copy at its next contact with the server)",
            )
        _shared(toggled)
    for action, text in (
        ("grant", "let a user see a territory (their devices download it at the next sync)"),
        ("revoke", "take a territory away (their devices remove it at the next sync)"),
    ):
        scoped = user_commands.add_parser(action, help=text)
        scoped.add_argument("name", metavar="NAME")
        scoped.add_argument("--territory", required=True, metavar="T")
        _shared(scoped)

    purge = commands.add_parser(
        "purge-tombstones",
        help="forget deletions older than the retention period",
        description="Deleted records are kept as tombstones so every device hears of the "
        f"delete. This forgets those older than N days (at least {TOMBSTONE_DAYS}); a device "
        "that has not synced for longer downloads its territory again, keeping unsent work.",
    )
    purge.add_argument(
        "--older-than-days",
        type=int,
        default=TOMBSTONE_DAYS,
        metavar="N",
        help=f"default and minimum {TOMBSTONE_DAYS}",
    )
    _shared(purge)

    policy = commands.add_parser(
        "policy",
        help="company-wide policies",
        description="Without a value, shows the policy; with one, sets it. "
        "sensitive-answers: 'allowed' keeps sensitive profile answers (health, religion, "
        "politics) on the reps' laptops; 'off-devices' keeps them on the server only, and "
        "laptops erase their copies at the next sync. "
        "retention-years: N (1 to 100) erases activity records older than N years at once, "
        "then at every start of serve and daily while it runs (laptops drop them at their "
        "next sync); 'off' keeps them all. "
        "offline-days: N (1 to 3650) makes a laptop that has not synced for N days erase "
        "its copy, after warnings in the last days; 'off' lets laptops stay offline.",
    )
    policy.add_argument("name", choices=sorted(POLICY_VALUES), metavar="POLICY")
    policy.add_argument("value", nargs="?", metavar="VALUE")
    _shared(policy)

    contact = commands.add_parser(
        "contact",
        help="a person's data protection requests: export or erase all we hold about them",
    )
    contact_actions = contact.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = contact_actions.add_parser(
        "export",
        help="write everything held about the person with this e-mail address, as JSON",
        description="Their contact record(s) in every territory, profile answers with their "
        "history, meetings and visit notes that name them, follow-ups, leads, activities, "
        "marketing holds, and the incoming events that named them.",
    )
    export.add_argument("email", metavar="EMAIL")
    export.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="write to FILE (made readable by you only; an existing file is not overwritten) "
        "instead of standard output",
    )
    erase = contact_actions.add_parser(
        "erase",
        help="erase the person with this e-mail address here and on every laptop",
        description="Erases their contact record(s) and every row about them alone (profile "
        "answers and history, meeting attendances, activities, marketing holds); in visit "
        "notes, follow-ups and leads that name them, their name and e-mail become [erased]. "
        "Laptops erase their copies at their next sync. Asks first unless --yes.",
    )
    erase.add_argument("email", metavar="EMAIL")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    for sub in (export, erase):
        _shared(sub)

    device = commands.add_parser("device", help="the laptops reps sign in from; remote wipe")
    device_commands = device.add_subparsers(dest="action", metavar="ACTION", required=True)
    list_devices = device_commands.add_parser(
        "list", help="every device: user, app version, first and last seen, wipe"
    )
    list_devices.add_argument("--user", metavar="NAME", help="only this user's devices")
    wipe = device_commands.add_parser(
        "wipe",
        help="make a device (or all of a user's) erase its copy at its next contact",
        description="At its next contact with the server the device erases its store, "
        "its unsent changes and its saved sign-in, tells the rep why, and the server "
        "records that the wipe was done (see device list).",
    )
    wipe.add_argument("device_id", nargs="?", metavar="DEVICE_ID", help="as device list shows")
    wipe.add_argument("--user", metavar="NAME", help="every device of this user instead")
    wipe.add_argument("--reason", metavar="TEXT", help="shown to the rep (one line)")
    for sub in (list_devices, wipe):
        _shared(sub)

    audit_log = commands.add_parser(
        "audit",
        help="the audit log: sign-ins, admin commands, exports, erasures, wipes, policies",
        description="Prints the append-only audit log oldest first, one entry per line, "
        "times in UTC.",
    )
    audit_log.add_argument("--since", metavar="YYYY-MM-DD", help="from this day (UTC) on")
    audit_log.add_argument("--user", metavar="NAME", help="only entries by or about NAME")
    _shared(audit_log)

    report = commands.add_parser("report", help="reports for sales managers")
    report_kinds = report.add_subparsers(dest="report", metavar="REPORT", required=True)
    profiles = report_kinds.add_parser(
        "profiles", help="customer-profile completeness per rep (contacts, profiled, average)"
    )
    _shared(profiles)
    leads = report_kinds.add_parser(
        "leads", help="the reps' feedback on marketing's leads, per campaign"
    )
    leads.add_argument("--csv", action="store_true", help="as CSV (a row per campaign)")
    _shared(leads)
    return parser


MAX_DEFAULT_WORKERS = 4


def default_workers() -> int:
    """One server process per CPU (a process runs Python on one CPU at a time), at most
    MAX_DEFAULT_WORKERS: writers take turns anyway, and each process holds its own pool."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(usable or 1, MAX_DEFAULT_WORKERS))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _shared(sub: argparse.ArgumentParser) -> None:
    # Accept the store options after the subcommand too, without overriding earlier ones.
    sub.add_argument("--data-dir", type=Path, metavar="D", default=argparse.SUPPRESS)
    sub.add_argument("--database-url", metavar="URL", default=argparse.SUPPRESS)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    policy_value = args.value if args.command == "policy" else None
    if policy_value is not None and not _policy_value_ok(args.name, policy_value):
        parser.error(f"{args.name} takes {POLICY_VALUES[args.name]}, not {policy_value!r}")
    from server.auth import AuthService
    from server.store import ServerStore, database_url_for

    tls: tuple[Path, Path] | None = None
    if args.command == "serve":
        problem = tls_problem(args.tls_cert, args.tls_key)
        if problem is not None:
            return _fail(problem)
        if args.tls_cert is not None:
            tls = (args.tls_cert, args.tls_key)
    try:
        url = args.database_url or database_url_for(_data_dir(args.data_dir))
        store = ServerStore.open(url)
    except ServerError as exc:
        return _fail(exc.message)
    except Exception as exc:  # a bad URL or unreachable database: one line, no traceback
        return _fail(f"cannot open the database: {_first_line(exc)}")
    auth = AuthService(store)
    try:
        if args.command == "serve":
            if args.max_body_mib is not None:
                from server.door import MAX_BODY_VARIABLE

                os.environ[MAX_BODY_VARIABLE] = str(args.max_body_mib)  # for every worker
            _connector_key_for_workers(args.data_dir)
            _retention_at_start(store, auth)
            return _serve(
                auth, url, args.host, args.port, args.workers, args.uvicorn_access_log, tls
            )
        if args.command == "demo":
            return _demo(auth, store, args.accounts, args.seed, args.territory)
        if args.command == "import" and args.kind == "events":
            return _import_events(auth, store, args.file, args.source)
        if args.command == "import":
            return _import(auth, store, args.file, args.territory)
        if args.command in ("apikey", "events"):
            return _ingestion(auth, store, args.command, args.action, getattr(args, "name", ""))
        if args.command == "connector":
            return _connector(auth, store, args)
        if args.command == "territory":
            auth.add_territory(args.name)
            _audited(store, auth, "territory add", args.name)
            print(f"Added territory {args.name}.")
        elif args.command == "user" and args.action == "add":
            password = sys.stdin.readline().rstrip("\r\n")
            auth.add_user(args.name, password, args.territory, args.role)
            detail = _territories(args.territory)
            if args.role in EVERY_TERRITORY:
                detail = f"{args.role}; sees every territory"
            elif args.role != REP:
                detail = f"{args.role}; {detail}"
            _audited(store, auth, "user add", args.name, detail)
            print(f"Added user {args.name}" + (f" ({args.role})." if args.role != REP else "."))
        elif args.command == "user" and args.action == "grant":
            auth.grant(args.name, args.territory)
            _audited(store, auth, "user grant", args.name, f"territory {args.territory}")
            print(f"{args.name} may now see territory {args.territory}.")
        elif args.command == "user" and args.action == "revoke":
            auth.revoke(args.name, args.territory)
            _audited(store, auth, "user revoke", args.name, f"territory {args.territory}")
            print(f"{args.name} no longer sees territory {args.territory}.")
        elif args.command == "user":
            return _toggle_user(auth, store, args.name, args.action, args)
        elif args.command == "device":
            return _device(auth, store, args)
        elif args.command == "audit":
            return _audit_log(store, args.since, args.user)
        elif args.command == "policy" and args.name == "offline-days":
            return _offline_policy(auth, store, args.value)
        elif args.command == "purge-tombstones":
            return _purge(auth, store, args.older_than_days)
        elif args.command == "policy" and args.name == "retention-years":
            return _retention_policy(auth, store, args.value)
        elif args.command == "policy":
            return _policy(store, args.value)
        elif args.command == "contact" and args.action == "export":
            return _export_contact(store, args.email, args.out)
        elif args.command == "contact":
            return _erase_contact(auth, store, args.email, args.yes)
        elif args.command == "report" and args.report == "leads":
            from server.marketing import feedback_csv, format_feedback, lead_feedback

            with store.session() as session:
                print(
                    feedback_csv(session) if args.csv else format_feedback(lead_feedback(session))
                )
        elif args.command == "report":
            from server.profile_report import completeness_by_rep, format_report

            with store.session() as session:
                print(format_report(completeness_by_rep(session)))
        return 0
    except ServerError as exc:
        return _fail(exc.message)
    finally:
        store.close()


def _policy(store: ServerStore, value: str | None) -> int:
    from server.settings import sensitive_policy, set_sensitive_policy

    with store.session() as session:
        if value is not None:
            set_sensitive_policy(session, value.replace("-", "_"))
            _audit_in(session, "policy sensitive-answers", None, value)
        current = sensitive_policy(session)
    where = {"allowed": "kept on laptops", "off_devices": "kept off laptops (server only)"}
    print(f"Sensitive profile answers are {where[current]}.")
    return 0


def _offline_days_of(value: str) -> int | None | bool:
    """The days `policy offline-days VALUE` sets (None: 'off'); False when it is neither."""
    from sync.protocol import MAX_OFFLINE_DAYS

    if value == "off":
        return None
    if value.isdigit() and 1 <= int(value) <= MAX_OFFLINE_DAYS:
        return int(value)
    return False


def _offline_policy(auth: AuthService, store: ServerStore, value: str | None) -> int:
    from server.devices import offline_days, set_offline_days

    with store.session() as session:
        if value is not None:
            days = _offline_days_of(value)
            assert days is not False  # checked with the arguments
            set_offline_days(session, days if isinstance(days, int) else None)
            _audit_in(session, "policy offline-days", None, value, auth.clock)
        current = offline_days(session)
    if current is None:
        print("Laptops may stay offline as long as they like (offline-days is off).")
    else:
        print(
            f"A laptop that has not synced for {current} day(s) erases its copy "
            "(warned in the last days before)."
        )
    return 0


def _toggle_user(
    auth: AuthService, store: ServerStore, name: str, action: str, args: argparse.Namespace
) -> int:
    """user disable / enable: disabling wipes the user's devices unless --keep-devices."""
    disabling = action == "disable"
    keep = disabling and args.keep_devices
    waiting = auth.set_disabled(name, disabling, wipe_devices=disabling and not keep)
    if not disabling:
        detail = None
    elif keep:
        detail = "devices kept"
    else:
        detail = f"{waiting} device(s) wiped at their next contact"
    _audited(store, auth, f"user {action}", name, detail)
    print(f"User {name} is {action}d.")
    if disabling and not keep:
        print(f"{waiting} device(s) of {name} erase their copy at their next contact.")
    elif waiting:
        print(f"Note: {waiting} device(s) of {name} still erase their copy at their next contact.")
    return 0


def _device(auth: AuthService, store: ServerStore, args: argparse.Namespace) -> int:
    from server.devices import Devices, format_devices

    devices = Devices(store, auth.clock)
    if args.action == "list":
        print(format_devices(devices.listed(args.user)))
        return 0
    marked = devices.wipe(args.device_id, args.user, args.reason)
    if not marked and args.user is not None and not devices.listed(args.user):
        print(f"{args.user} has signed in from no device yet: nothing to wipe.")
        return 0
    if not marked:
        print("Nothing to do: wiped already, or asked to be (see device list).")
        return 0
    print(f"{len(marked)} device(s) erase their copy at their next contact with the server:")
    for client_id in marked:
        print(f"  {client_id}")
    return 0


def _audit_log(store: ServerStore, since: str | None, user: str | None) -> int:
    from server.audit import entries, parse_since

    day = parse_since(since) if since is not None else None
    with store.session() as session:
        lines = entries(session, day, user)
    for line in lines:
        print(line.text())
    if not lines:
        print("No audit entries" + (" match." if since or user else " yet."))
    return 0


def _territories(names: list[str]) -> str:
    return "sees " + (", ".join(sorted(set(names))) or "no territory")


def _audited(
    store: ServerStore,
    auth: AuthService | None,
    action: str,
    subject: str | None = None,
    detail: str | None = None,
) -> None:
    """Adds an admin command that has done its work to the audit log."""
    with store.session() as session:
        _audit_in(session, action, subject, detail, auth.clock if auth else None)


def _audit_in(
    session: Session,
    action: str,
    subject: str | None,
    detail: str | None,
    clock: Callable[[], datetime] | None = None,
) -> None:
    from server import audit

    at = clock() if clock is not None else None
    audit.record(session, action=action, actor=audit.ADMIN, subject=subject, detail=detail, at=at)


def _policy_value_ok(name: str, value: str) -> bool:
    if name == "sensitive-answers":
        return value in ("allowed", "off-devices")
    if name == "offline-days":
        return _offline_days_of(value) is not False
    from server.settings import parse_retention_years

    try:
        parse_retention_years(value)
    except ServerError:
        return False
    return True


def _retention_policy(auth: AuthService, store: ServerStore, value: str | None) -> int:
    from server import audit
    from server.retention import apply_retention
    from server.settings import parse_retention_years, retention_years, set_retention_years

    if value is not None:
        years = parse_retention_years(value)
        with store.session() as session:
            set_retention_years(session, years)
            detail = "off" if years is None else f"{years} years"
            _audit_in(session, "policy retention-years", None, detail, auth.clock)
    with store.session() as session:
        years = retention_years(session)
    if years is None:
        print("Activity records are kept for ever (retention-years is off).")
        return 0
    print(f"Activity records are kept {years} year(s), then erased (here and on laptops).")
    if value is not None:
        run = apply_retention(store, auth.clock, actor=audit.ADMIN)
        erased = run.erased if run is not None else 0
        print(f"Erased {erased:,} activity record(s) older than that.")
    return 0


def _retention_at_start(store: ServerStore, auth: AuthService) -> None:
    """`serve` applies the retention policy as it starts (then daily: server.retention)."""
    from server.retention import apply_retention

    run = apply_retention(store, auth.clock)
    if run is not None and run.erased:
        print(
            f"Retention: erased {run.erased:,} activity record(s) older than {run.years} years.",
            flush=True,
        )


def _export_contact(store: ServerStore, email: str, out: Path | None) -> int:
    import json

    from server.gdpr import export_contact

    exists = f"{out} exists already; name a new file (it is never overwritten)"
    if out is not None and (out.exists() or out.is_symlink()):
        return _fail(exists)
    # Written inside the transaction that audits it: a file that could not be written
    # leaves no audit line saying it was.
    with store.session() as session:
        text = json.dumps(export_contact(session, email), ensure_ascii=False, indent=2) + "\n"
        if out is None:
            sys.stdout.write(text)
            return 0
        try:
            # Made 0600 and new (O_EXCL): personal data, and never over another file.
            handle = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise ServerError(exists) from None
        except OSError as exc:
            raise ServerError(f"cannot write {out}: {exc.strerror}") from None
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
        except OSError as exc:
            out.unlink(missing_ok=True)
            raise ServerError(f"cannot write {out}: {exc.strerror}") from None
    print(f"Wrote what is held about that person to {out}.", file=sys.stderr)
    return 0


def _erase_contact(auth: AuthService, store: ServerStore, email: str, yes: bool) -> int:
    from server.gdpr import contacts_with, erase_contact, scrub_database_file

    with store.session() as session:
        found = contacts_with(session, email)  # an unknown address: said before asking
    if not yes:
        if not sys.stdin.isatty():
            return _fail("erasing cannot be undone: add --yes to confirm (no terminal to ask)")
        people = "1 contact" if found == 1 else f"{found:,} contacts"
        answer = input(
            f"Erase {people} with the e-mail {email.strip()}, here and on every laptop? "
            "This cannot be undone. [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was erased.")
            return 1
    with store.session() as session:
        erasure = erase_contact(session, email, auth.clock)
    print(erasure.text())
    scrubbed = scrub_database_file(store)
    if scrubbed is False:
        print(
            "The database file was rewritten, but its write-ahead log was in use: its old "
            "pages go at the server's next checkpoint."
        )
    elif scrubbed is None:
        print(
            "PostgreSQL keeps old row versions in its files until VACUUM reuses their space, "
            "and in WAL archives and backups for as long as those are kept."
        )
    return 0


def _purge(auth: AuthService, store: ServerStore, days: int) -> int:
    from datetime import timedelta

    from server.records import ScopedRecords

    if days < TOMBSTONE_DAYS:
        return _fail(f"--older-than-days must be at least {TOMBSTONE_DAYS}")
    with store.session() as session:
        purged = ScopedRecords(session, frozenset(), auth.clock).purge_tombstones(
            auth.clock() - timedelta(days=days)
        )
        _audit_in(session, "purge-tombstones", None, f"{purged} older than {days} days")
    print(f"Forgot {purged:,} deletion(s) older than {days} days.")
    return 0


def _import(auth: AuthService, store: ServerStore, path: Path, territory: str) -> int:
    from server.importer import ImportFailed, import_accounts

    def show(done: int, total: int) -> None:
        if sys.stderr.isatty():
            filled = done * 30 // max(total, 1)
            bar = "#" * filled + "." * (30 - filled)
            print(f"\rImporting [{bar}] {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    try:
        result = import_accounts(store, path, territory, auth.clock, show)
    except ImportFailed as exc:
        print(f"fieldbrief-server: {path}: nothing was imported:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    _audited(
        store,
        auth,
        "import accounts",
        territory,
        f"{path.name}: {result.created} new, {result.updated} updated",
    )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(
        f"Imported {path.name} ({result.source} export) into {territory}: "
        f"{result.created:,} new, {result.updated:,} updated, {result.unchanged:,} unchanged."
    )
    return 0


def _import_events(auth: AuthService, store: ServerStore, path: Path, source: str) -> int:
    from server.ingest import import_events_file

    result = import_events_file(store, path, source, auth.clock)
    _audited(
        store,
        auth,
        "import events",
        source,
        f"{path.name}: {result.accepted} accepted, {result.unmatched} unmatched, "
        f"{result.rejected} rejected",
    )
    for event in result.results:
        if event.status in ("rejected", "unmatched"):
            print(f"  {event.status}: {event.error}", file=sys.stderr)  # "row 3: ..."
    print(
        f"Took in {path.name} from {source}: {result.accepted:,} accepted, "
        f"{result.duplicate:,} duplicate, {result.unmatched:,} unmatched, "
        f"{result.rejected:,} rejected."
    )
    if result.unmatched:
        print("Unmatched events wait for their account: see 'events unmatched'.")
    if result.rejected:
        return _fail("fix the rejected rows and import the file again (the rest are kept)")
    return 0


def _ingestion(auth: AuthService, store: ServerStore, command: str, action: str, name: str) -> int:
    from server.ingest import ApiKeys, format_keys, format_unmatched, rematch, unmatched_events

    keys = ApiKeys(store, auth.clock)
    if (command, action) == ("apikey", "add"):
        key = keys.add(name)
        _audited(store, auth, "apikey add", name)  # never the key
        print(f"API key for {name} (shown only this once; the server keeps just a hash):")
        print(key)
    elif (command, action) == ("apikey", "list"):
        print(format_keys(keys.listed()))
    elif (command, action) == ("apikey", "revoke"):
        keys.revoke(name)
        _audited(store, auth, "apikey revoke", name)
        print(f"Revoked the API key of {name}.")
    elif action == "unmatched":
        print(format_unmatched(unmatched_events(store)))
    else:
        result = rematch(store, auth.clock)
        print(
            f"Matched {result.matched:,} event(s) to their account; "
            f"{result.unmatched:,} still unmatched."
        )
    return 0


# Where each source takes the URL, and what to choose there (the README says more).
CONNECTOR_STEPS = {
    "stripe": "In Stripe: Developers > Webhooks > Add endpoint, with the events "
    "charge.dispute.created, charge.dispute.updated, charge.dispute.closed, "
    "invoice.payment_failed, invoice.marked_uncollectible, invoice.overdue, invoice.paid "
    "and customer.subscription.deleted.",
    "zendesk": "In Zendesk: Admin Center > Webhooks > Create webhook (trigger or automation, "
    "POST, JSON), then a trigger for each of: ticket created, priority urgent, ticket solved, "
    "with the JSON body of the README's Connectors section.",
    "hubspot": "In HubSpot: a workflow action 'Send a webhook' (POST, with the request "
    "signature), with the JSON body of the README's Connectors section.",
}


def _connector(auth: AuthService, store: ServerStore, args: argparse.Namespace) -> int:
    from server.connectors.registry import Connectors, format_connectors, hook_path
    from server.connectors.secrets import KeySource

    keys = KeySource.of(args.data_dir)
    connectors = Connectors(store, auth.clock, keys)
    if args.action == "list":
        print(format_connectors(connectors.listed()))
        return 0
    if args.action == "remove":
        connectors.remove(args.source)
        _audited(store, auth, "connector remove", args.source)
        print(f"Removed the {args.source} connector: its webhook is refused from now on.")
        return 0
    secret = sys.stdin.readline().strip()
    api_key = sys.stdin.readline().strip() if args.api_key_stdin else None
    if not secret:
        return _fail("no signing secret on the first line of standard input")
    if args.api_key_stdin and not api_key:
        return _fail("no API key on the second line of standard input")
    key_is_new = keys.file is not None and not keys.file.exists()
    replaced = connectors.add(
        args.source,
        secret,
        replace=args.replace,
        api_key=api_key,
        api_url=args.stripe_api_url,
        public_url=args.public_url,
    )
    done = "replaced its secret" if replaced else ("with an API key" if api_key else None)
    _audited(store, auth, "connector add", args.source, done)  # never a secret
    title = {"stripe": "Stripe", "zendesk": "Zendesk", "hubspot": "HubSpot"}[args.source]
    print(
        f"{'Replaced' if replaced else 'Added'} the {args.source} connector; its secret is "
        f"kept encrypted with the connector key ({keys.describe()})."
    )
    if key_is_new:
        print(
            "Made that key now, readable by you only: keep it (and back it up) apart from "
            "the database; every server on this database needs the same key."
        )
    base = args.public_url.strip().rstrip("/") if args.public_url else "https://<this server>"
    print(f"Webhook URL to paste into {title}:\n  {base}{hook_path(args.source)}")
    if not args.public_url:
        print("  (--public-url https://your.server prints it whole)")
    print(CONNECTOR_STEPS[args.source])
    return 0


def _connector_key_for_workers(data_dir: Path) -> None:
    """Every worker process of `serve` finds the connector key where the CLI keeps it."""
    from server.connectors.secrets import KEY_FILE_VARIABLE, KEY_FILENAME, KEY_VARIABLE

    if not os.environ.get(KEY_VARIABLE):
        os.environ.setdefault(KEY_FILE_VARIABLE, str(data_dir.resolve() / KEY_FILENAME))


DEMO_USER, DEMO_PASSWORD = "demo", "demo-password"


def _demo(auth: AuthService, store: ServerStore, accounts: int, seed: int, territory: str) -> int:
    from datetime import date

    from sqlalchemy import func, select

    from server.models import Record, Territory
    from server.records import ScopedRecords
    from sync.seed import demo_records

    if accounts < 1:
        return _fail("--accounts must be at least 1")
    territory = territory.strip()  # as add_territory stores it
    with store.session() as session:
        known = session.scalar(select(Territory).where(Territory.name == territory)) is not None
        held = session.scalar(
            select(func.count()).select_from(Record).where(Record.territory == territory)
        )
        demo_owned = session.scalar(
            select(Record.id)
            .where(
                Record.territory == territory,
                Record.entity == "account",
                Record.data["owner_rep"].as_string() == DEMO_USER,
            )
            .limit(1)
        )
    if held and demo_owned is not None:
        return _fail(f"territory {territory!r} already has demo data; pick another --territory")
    if held:
        return _fail(
            f"territory {territory!r} already holds {held:,} record(s); "
            "demo data goes only into an empty territory"
        )
    if not known:
        auth.add_territory(territory)
    with store.session() as session:
        records = ScopedRecords(session, frozenset({territory}), auth.clock)
        for entity, record_id, fields in demo_records(
            accounts, seed, today=date.today(), territory=territory, owner_rep=DEMO_USER
        ):
            records.create(entity, record_id, territory, fields)
    print(f"Wrote {accounts:,} demo accounts into territory {territory}.")
    print(_demo_sign_in(auth, store, territory))
    return 0


def _demo_sign_in(auth: AuthService, store: ServerStore, territory: str) -> str:
    """Makes the user 'demo' (or grants it `territory`); says who may sign in to see it."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError
    from sqlalchemy import select

    from server.models import Territory, User

    with store.session() as session:
        made = session.scalar(select(User.id).where(User.name == DEMO_USER)) is None
    if made:
        auth.add_user(DEMO_USER, DEMO_PASSWORD, [territory])
    else:
        auth.grant(DEMO_USER, territory)
    with store.session() as session:
        demo = session.scalars(select(User).where(User.name == DEMO_USER)).one()
        sees = ", ".join(sorted(t.name for t in demo.territories))
        ours: bool
        try:
            ours = made or PasswordHasher().verify(demo.password_hash, DEMO_PASSWORD)
        except (VerificationError, InvalidHashError):
            ours = False  # an admin gave it another password, which is not ours to print
        disabled = demo.disabled
        others = session.scalars(
            select(User.name)
            .join(User.territories)
            .where(Territory.name == territory, User.name != DEMO_USER)
            .order_by(User.name)
        ).all()
    password = f" / {DEMO_PASSWORD}" if ours else " (with the password an admin set)"
    lines = [f"Sign in as {DEMO_USER}{password}; {DEMO_USER} sees territories: {sees}."]
    if disabled:
        lines.append(f"User {DEMO_USER} is disabled: 'user enable {DEMO_USER}' lets it in.")
    if others:
        lines.append(f"Also granted {territory}: {', '.join(others)}.")
    return "\n".join(lines)


def _data_dir(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise ServerError(f"{path} is a file, not a data folder")
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the server's own loggers (the line per request, failed
    sign-ins) printed by uvicorn's handler too: without it they would not be shown."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["server"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def tls_problem(cert: Path | None, key: Path | None) -> str | None:
    """Why --tls-cert and --tls-key cannot serve HTTPS (None: they can, or neither is
    given): one without the other, a file missing, or a key that is not the certificate's."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        return "give --tls-cert and --tls-key together (the certificate and its private key)"
    for path in (cert, key):
        if not path.is_file():
            return f"{path}: no such file"
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        return f"the TLS certificate and key do not load together ({_first_line(exc)})"
    return None


def _serve(
    auth: object,
    url: str,
    host: str,
    port: int,
    workers: int,
    uvicorn_access_log: bool = False,
    tls: tuple[Path, Path] | None = None,
) -> int:
    import uvicorn

    from server.app import DATABASE_URL_VARIABLE, create_app
    from server.auth import AuthService

    assert isinstance(auth, AuthService)
    # uvicorn's access log is off unless asked for: it prints client addresses, and our
    # own line per request (server.access_log) says the rest without them.
    logging_options: dict[str, Any] = {
        "log_level": "info",
        "log_config": log_config(),
        "access_log": uvicorn_access_log,
    }
    if tls is not None:
        logging_options |= {"ssl_certfile": str(tls[0]), "ssl_keyfile": str(tls[1])}
    if workers == 1:
        uvicorn.run(create_app(auth.store, auth), host=host, port=port, **logging_options)
        return 0
    from uvicorn.supervisors import Multiprocess

    # The database is migrated (ServerStore.open, above); each worker process opens it.
    os.environ[DATABASE_URL_VARIABLE] = url
    config = uvicorn.Config(
        "server.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **logging_options,
    )
    # What uvicorn.run does for workers, but with a listener of our own: uvicorn's leaves
    # the socket's protocol unset, so asyncio never turns Nagle's algorithm off on the
    # connections it accepts, and each keep-alive request then waits ~40 ms for a delayed
    # ACK (uvicorn issue #3149).
    listener = _listener(host, port)
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on %s://%s:%d with %d worker processes (Press CTRL+C to quit)",
        "https" if tls else "http",
        host,
        listener.getsockname()[1],
        workers,
    )
    Multiprocess(config, sockets=[listener]).run()
    return 0


def _listener(host: str, port: int) -> socket.socket:
    """A TCP listening socket on (host, port) for the worker processes to share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise ServerError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    listener.set_inheritable(True)
    return listener


def _first_line(exc: Exception) -> str:
    # SQLAlchemy wraps the driver's error and adds lines of its own (a link, the SQL): the
    # driver's first line is the one that says what is wrong.
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def _fail(message: str) -> int:
    print(f"fieldbrief-server: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
