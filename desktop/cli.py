"""`fieldbrief`: opens the app, renders a screenshot, or writes a demo territory."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from db.errors import StoreError, StoreUserError

if TYPE_CHECKING:  # the sync engine imports httpx, which opening the window never needs
    from collections.abc import Sequence

    from db.briefing.account_names import NamedAccount
    from db.store.cipher import StoreKey
    from sync.engine import Progress
    from sync.outcome import DeviceWiped

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_DISPLAY = 0, 1, 2, 3
EXIT_ERASED = 3  # `sync`: this laptop's copy was erased (an admin's wipe, offline too long)
MAX_DEMO_ACCOUNTS = 1_000_000
MAX_ACCOUNT_NAME = 200  # the account table's name column
FIRST_YEAR, LAST_YEAR = 1900, 2199  # the dates the synced rows may hold (sync.row_schema)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see --help)\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_DEMO_ACCOUNTS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_DEMO_ACCOUNTS:,}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fieldbrief",
        description="Fieldbrief: your territory, offline, and a briefing before every visit.",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="D",
        help="folder of the local store (default: your user data folder, "
        "e.g. ~/.local/share/Fieldbrief)",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE.png",
        help="render the main window once the first accounts are shown, save it, and exit",
    )
    # For bench/: grab as soon as the window is shown, once the first accounts and detail
    # are (ready, the default), or once sync is loaded too and its status shown (settled).
    parser.add_argument(
        "--screenshot-when",
        choices=("ready", "shown", "settled"),
        default="ready",
        help=argparse.SUPPRESS,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    demo = commands.add_parser(
        "demo",
        help="write a deterministic demo territory into the store",
        description="Writes a believable demo territory (accounts, contacts, meetings this "
        "week, years of marketing, service and billing activity) into an empty store.",
    )
    demo.add_argument("--accounts", type=_positive, default=300, metavar="N", help="default 300")
    demo.add_argument("--seed", type=int, default=1, metavar="S", help="default 1")
    demo.add_argument("--data-dir", type=Path, metavar="D", default=argparse.SUPPRESS)
    demo.add_argument(
        "--replace", action="store_true", help="delete the store in D first if it holds data"
    )
    sync = commands.add_parser(
        "sync",
        help="sync the store with the server once, without a window",
        description="Pushes local changes, then pulls the server's. The password comes from "
        "the OS keyring, else FIELDBRIEF_PASSWORD, else a prompt.",
    )
    sync.add_argument(
        "--server",
        required=True,
        metavar="URL",
        help="e.g. https://fieldbrief.example.com (plain http only for this computer's own)",
    )
    sync.add_argument(
        "--ca-file",
        type=Path,
        metavar="FILE",
        help="your company's CA certificate (PEM), trusted besides the system's CAs",
    )
    sync.add_argument("--user", required=True, metavar="NAME")
    sync.add_argument(
        "--retries",
        type=_attempts,
        default=5,
        metavar="N",
        help="tries per request when the network or server fails, with a growing pause "
        "between them (default 5; 1 gives up at the first failure)",
    )
    sync.add_argument("--data-dir", type=Path, metavar="D", default=argparse.SUPPRESS)
    briefings = commands.add_parser(
        "briefings",
        help="the day's briefings (or one account's) as a PDF or text, without a window",
        description="The briefing of each meeting of a day, in time order after a cover "
        "page listing the day, as one PDF or as plain text; or one account's briefing.",
    )
    which = briefings.add_mutually_exclusive_group()
    which.add_argument(
        "--date",
        type=_iso_day,
        metavar="YYYY-MM-DD",
        help="the day whose meetings to brief (default: today)",
    )
    which.add_argument(
        "--account", type=_account_name, metavar="NAME", help="one account, by its exact name"
    )
    paper = briefings.add_mutually_exclusive_group(required=True)
    paper.add_argument("--pdf", type=Path, metavar="FILE", help="write an A4 PDF to FILE")
    paper.add_argument("--text", action="store_true", help="print plain text on stdout")
    briefings.add_argument("--data-dir", type=Path, metavar="D", default=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.data_dir is None:
        from desktop.paths import default_data_dir  # platformdirs: only when needed

        args.data_dir = default_data_dir()
    data_dir: Path = args.data_dir
    try:
        if args.command == "sync":
            return _run_sync(data_dir, args.server, args.user, args.retries, args.ca_file)
        if args.command == "demo":
            return _run_demo(data_dir, args.accounts, args.seed, replace=args.replace)
        if args.command == "briefings":
            return _run_briefings(data_dir, args.date, args.account, args.pdf)
        return _run_window(data_dir, args.screenshot, args.screenshot_when)
    except StoreUserError as exc:
        return _fail(str(exc))
    except StoreError as exc:
        return _fail(f"the store failed: {exc}")
    except KeyboardInterrupt:
        return _fail("interrupted")
    except Exception as exc:  # a bug: still one line, never a traceback in the rep's face
        logging.getLogger(__name__).error("the command failed", exc_info=True)
        return _fail(f"unexpected error ({exc.__class__.__name__}: {exc}); please report it")


def store_key_for_cli(data_dir: Path) -> StoreKey:
    """The store's key for a command: the keyring, FIELDBRIEF_STORE_PASSPHRASE, or a
    passphrase asked on the terminal (twice for a new one); one line of error otherwise."""
    from desktop.store_key import MIN_PASSPHRASE, PassphraseNeeded, store_key

    try:
        return store_key(data_dir)
    except PassphraseNeeded as exc:
        if not sys.stdin.isatty():
            raise
        passphrase = getpass.getpass("Passphrase of the store: ")
        if exc.new:
            if len(passphrase) < MIN_PASSPHRASE:
                raise PassphraseNeeded(
                    f"a new passphrase needs at least {MIN_PASSPHRASE} characters", new=True
                ) from None
            if getpass.getpass("The same passphrase again: ") != passphrase:
                raise PassphraseNeeded("the two passphrases differ", new=True) from None
        return store_key(data_dir, passphrase)


def _attempts(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= 20:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 20, not {text!r}")
    return number


def _iso_day(text: str) -> date:
    """A day as YYYY-MM-DD, within the years every date of the store may have."""
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(text)
        value = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day as YYYY-MM-DD") from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"must be a day from {FIRST_YEAR} to {LAST_YEAR}")
    return value


def _account_name(text: str) -> str:
    name = text.strip()
    if not name:
        raise argparse.ArgumentTypeError("an account name is needed")
    if len(name) > MAX_ACCOUNT_NAME or "\x00" in name:
        raise argparse.ArgumentTypeError(
            f"an account name has at most {MAX_ACCOUNT_NAME} characters and no NUL"
        )
    return name


def _fail(message: str) -> int:
    print(f"fieldbrief: {message}", file=sys.stderr)
    return EXIT_FAILED


def _run_demo(data_dir: Path, accounts: int, seed: int, *, replace: bool) -> int:
    from db.demo.territory import generate_demo
    from db.store.local_store import STORE_FILENAME, Store

    key = store_key_for_cli(data_dir)
    if replace:
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"{STORE_FILENAME}{suffix}").unlink(missing_ok=True)
    store = Store.open(data_dir, key)
    try:
        summary = generate_demo(
            store, accounts, seed, today=date.today(), progress=_progress_printer()
        )
    finally:
        store.close()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(
        f"Wrote a demo territory to {data_dir}: {summary.accounts:,} accounts, "
        f"{summary.contacts:,} contacts, {summary.activities:,} activities, "
        f"{summary.meetings:,} meetings, {summary.open_disputes:,} open disputes."
    )
    return EXIT_OK


def _run_briefings(data_dir: Path, on: date | None, account: str | None, pdf: Path | None) -> int:
    """`briefings`: the day's briefings (or one account's) as a PDF or on stdout."""
    from db.store.probe import STORE_FILENAME

    if pdf is not None:
        if pdf.is_dir():
            return _fail(f"cannot save the PDF: {pdf} is a folder")
        if not pdf.parent.is_dir():
            return _fail(f"cannot save the PDF: folder {pdf.parent} does not exist")
    if not (data_dir / STORE_FILENAME).is_file():
        return _fail(f"no store in {data_dir}; open the app once, or write one with `demo`")

    from db.briefing.account_names import accounts_named
    from db.briefing.day import BriefingDay, DayBriefings, briefing_text, day_text
    from db.briefing.dto import Briefing
    from db.briefing.service import BriefingService
    from db.field.meetings import MeetingCalendar
    from db.profiles.book import USERNAME
    from db.store.local_store import Store
    from db.store.replica import LocalReplica
    from desktop.logs import log_to

    log_to(data_dir)  # a failure's traceback goes to the log, never the terminal
    store = Store.open(data_dir, store_key_for_cli(data_dir))
    found: BriefingDay | Briefing | None
    try:
        if account is not None:
            match = accounts_named(store, account)
            if len(match.exact) != 1:
                return _fail(_not_one_account(account, match.exact, match.candidates))
            found = BriefingService(store).briefing(match.exact[0].id)
            if found is None:  # deleted since it was found
                return _fail(f"no account named {_one_line(account)!r}")
        else:
            days = DayBriefings(MeetingCalendar(store), BriefingService(store))
            found = days.day(on or date.today(), LocalReplica(store).state(USERNAME))
    finally:
        store.close()
    if pdf is None:
        text = day_text(found) if isinstance(found, BriefingDay) else briefing_text(found)
        sys.stdout.write(text)
        return EXIT_OK

    if _display_problem(data_dir):  # a PDF needs Qt's fonts and painter, not a screen
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtGui import QGuiApplication

    from ui.print_day import briefing_document, day_document, write_parts_pdf

    app = QGuiApplication.instance() or QGuiApplication(["fieldbrief"])
    paper = day_document(found) if isinstance(found, BriefingDay) else briefing_document(found)
    try:
        pages = write_parts_pdf(paper, pdf)
    except OSError as exc:
        logging.getLogger(__name__).error("writing the PDF failed", exc_info=True)
        return _fail(f"cannot write {pdf}: {exc.strerror or exc}")
    del app  # lived while the pages were painted
    what = f"{paper.briefings} briefing{'s' * (paper.briefings != 1)}"
    print(f"Wrote {pdf}: {what}, {pages} page{'s' * (pages != 1)}.")
    return EXIT_OK


def _not_one_account(name: str, exact: Sequence[NamedAccount], near: Sequence[NamedAccount]) -> str:
    """Why `--account NAME` names no one account, with at most five names to choose from."""
    from db.briefing.account_names import CANDIDATES

    def listed(found: Sequence[NamedAccount]) -> str:
        names = [
            _one_line(f"{a.name} ({a.city})" if a.city else a.name) for a in found[:CANDIDATES]
        ]
        more = ", …" if len(found) > CANDIDATES else ""
        return ", ".join(names) + more

    if exact:
        return f"several accounts are named {_one_line(name)!r}: {listed(exact)}"
    if near:
        return f"no account named {_one_line(name)!r}; did you mean: {listed(near)}"
    return f"no account named {_one_line(name)!r}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _run_sync(
    data_dir: Path, server: str, user: str, attempts: int = 5, ca_file: Path | None = None
) -> int:
    from desktop.credentials import NoPassword, password_for
    from sync.engine import SyncError, server_problem

    problem = server_problem(server)  # before a password is asked for, let alone sent
    if problem is not None:
        return _fail(problem)
    if ca_file is not None and not ca_file.is_file():
        return _fail(f"{ca_file}: no such file")
    try:
        password = password_for(server, user)
    except NoPassword as exc:
        return _fail(str(exc))
    from db.attention import AttentionDesk
    from db.store.local_store import Store
    from db.store.replica import LocalReplica
    from desktop.logs import log_to
    from sync.engine import DeviceWiped, RetryPolicy, sync_once
    from sync.expiry import stored_expiry
    from sync.outcome import describe_outcome

    store = Store.open(data_dir, store_key_for_cli(data_dir))
    log_to(data_dir)  # as the app logs: each sync's line, any failure's traceback
    # Before the server is asked anything: a copy past the company's offline limit is
    # erased whether or not the network is there.
    expiry = stored_expiry(LocalReplica(store), datetime.now(UTC))
    if expiry.verdict == "expired":
        store.close()
        return _erased(data_dir, server, user, expiry.message())
    printer = None
    try:
        printer = _sync_printer()
        retry = RetryPolicy(attempts=attempts)
        outcome = sync_once(
            LocalReplica(store),
            server,
            user,
            password,
            printer,
            retry,
            ca_file=str(ca_file) if ca_file else None,
        )
        conflicts = AttentionDesk(store).conflicts()
    except DeviceWiped as wiped:
        store.close()  # its files go next
        return _wiped(data_dir, server, user, wiped, ca_file)
    except SyncError as exc:
        late = f" ({expiry.message()})" if expiry.verdict == "warn" else ""
        return _fail(f"sync failed: {exc}{late}")
    finally:
        store.close()
        if printer is not None:
            print(file=sys.stderr)  # end the progress line
    parts = describe_outcome(outcome)
    print(f"Synced with {server}: " + "; ".join(parts) + ".")
    for conflict in conflicts:
        print(
            f"  conflict: {conflict.entity.replace('_', ' ')} {conflict.field}: "
            f"yours {conflict.mine!r}, kept on the server {conflict.theirs!r}"
        )
    return EXIT_OK


def _erased(data_dir: Path, server: str, user: str, why: str) -> int:
    """Erases this laptop's copy (the store closed first) and says why in one line."""
    from desktop.wipe import erase_local_copy

    erased = erase_local_copy(data_dir, server=server, username=user)
    if not erased.complete:
        why += f" (but {', '.join(erased.problems)} could not be removed)"
    print(f"fieldbrief: {why}", file=sys.stderr)
    return EXIT_ERASED


def _wiped(data_dir: Path, server: str, user: str, wiped: DeviceWiped, ca_file: Path | None) -> int:
    """An admin wiped this device: erase its copy, tell the server, say so in one line."""
    from desktop.wipe import erase_wiped_device

    line = erase_wiped_device(
        data_dir, wiped, server=server, username=user, ca_file=str(ca_file) if ca_file else None
    )
    print(f"fieldbrief: {line}", file=sys.stderr)
    return EXIT_ERASED


def _sync_printer() -> Progress | None:
    """Progress of a sync on a terminal: a bar while the size is known, else a count."""
    if not sys.stderr.isatty():
        return None

    def show(stage: str, count: int, total: int | None) -> None:
        if total:
            done = min(count * 30 // total, 30)
            line = f"Downloading [{'#' * done}{'.' * (30 - done)}] {count:,}/{total:,}"
        else:
            line = f"{stage.capitalize()}: {count:,}"
        print(f"\r{line:<60}", end="", file=sys.stderr, flush=True)

    return show


def _progress_printer() -> Callable[[float], None] | None:
    """Progress of writing a demo territory on a terminal: a bar with the share done."""
    if not sys.stderr.isatty():
        return None

    def show(fraction: float) -> None:
        done = int(fraction * 30)
        print(
            f"\rWriting demo territory [{'#' * done}{'.' * (30 - done)}] {fraction:4.0%}",
            end="",
            file=sys.stderr,
            flush=True,
        )

    return show


def _display_problem(data_dir: Path) -> str | None:
    """Why Qt could not open a window here, before Qt aborts the process trying."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display found (DISPLAY is not set); to see the window without one, render it "
        f"to a file: fieldbrief --data-dir {data_dir} --screenshot shot.png"
    )


def _run_window(data_dir: Path, screenshot: Path | None, screenshot_when: str) -> int:
    if screenshot is None:
        problem = _display_problem(data_dir)
        if problem:
            _fail(problem)
            return EXIT_NO_DISPLAY
    elif _display_problem(data_dir):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if screenshot is not None and not screenshot.parent.is_dir():
        return _fail(f"cannot save the screenshot: folder {screenshot.parent} does not exist")

    from db.store.cipher import is_encrypted_file
    from db.store.probe import STORE_FILENAME, probe_store_file

    # Refuse a bad store in plain words before Qt starts; the real open runs off the GUI thread.
    if data_dir.exists() and not data_dir.is_dir():
        return _fail(f"{data_dir} is a file, not a data folder")
    if not is_encrypted_file(data_dir / STORE_FILENAME):  # an encrypted one needs its key
        probe_store_file(data_dir / STORE_FILENAME)

    from desktop.app import run_app

    return run_app(data_dir, screenshot, screenshot_when)


if __name__ == "__main__":
    sys.exit(main())
