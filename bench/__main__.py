"""`make bench`: a 100k territory's starts, search, saves, pages and dialogs, then sync."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import briefing_bench, sync_bench
from bench.keyed import open_store
from bench.report import Row, percentile, print_table, verdict
from bench.starts import START_RUNS
from bench.starts import measured as starts_measured
from db.accounts import AccountDirectory
from db.dto import AccountQuery
from db.store.local_store import STORE_FILENAME
from ui.models.accounts import PAGE_SIZE

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "100000"))
SEED = 1
# Where `fieldbrief demo` writes its territory from (the rows, and how they are stored).
GENERATOR = ("sync/demo", "db/demo")


def territory() -> Path:
    """The cached demo territory, made once (it takes a few minutes)."""
    # Keyed by the generator's source too: a changed generator means a new territory.
    digest = hashlib.sha1()
    for folder in GENERATOR:
        for source in sorted((HERE.parent / folder).glob("*.py")):
            digest.update(source.read_bytes())
    generator = digest.hexdigest()[:8]
    data = CACHE / f"territory-{ACCOUNTS}-s{SEED}-{generator}"
    if (data / STORE_FILENAME).exists() and (data / "complete").exists():
        return data
    print(f"Generating {ACCOUNTS:,} accounts once into {data} …", flush=True)
    for stale in CACHE.glob(f"territory-{ACCOUNTS}-s{SEED}-*"):
        shutil.rmtree(stale)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop",
            "demo",
            "--accounts",
            str(ACCOUNTS),
            "--seed",
            str(SEED),
            "--data-dir",
            str(data),
        ],
        check=True,
    )
    (data / "complete").write_text(f"{time.perf_counter() - started:.1f}s\n")
    return data


# What a rep types: a company, a contact's surname, a city, a word from visit notes and a
# name with a letter they may not type; each as its prefixes of 2, 3 and 4 letters, and whole.
TYPED_WORDS = ("Nordwind", "Rossi", "Hamburg", "pilot", "Østergaard")


def search_queries() -> list[str]:
    """20 queries as a rep types them."""
    return [word[:n] for word in TYPED_WORDS for n in (2, 3, 4, len(word))]


def search_timings(data: Path) -> dict[str, list[float]]:
    store = open_store(data)
    try:
        directory = AccountDirectory(store)
        queries = search_queries()
        directory.page(AccountQuery(text=queries[0]), 0, PAGE_SIZE)  # warm the cache
        page_ms, count_ms, detail_ms = [], [], []
        for query in queries:
            started = time.perf_counter()
            rows = directory.page(AccountQuery(text=query), 0, PAGE_SIZE)
            page_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            directory.count(AccountQuery(text=query))
            count_ms.append((time.perf_counter() - started) * 1000)
            if rows:
                started = time.perf_counter()
                directory.detail(rows[0].id)
                detail_ms.append((time.perf_counter() - started) * 1000)
        return {"page": page_ms, "count": count_ms, "detail": detail_ms, "queries": queries}
    finally:
        store.close()


def local_save_timings(data: Path, saves: int = 50) -> list[float]:
    """A rep's edit (row + outbox entry, one transaction, synchronous=FULL), timed; then
    undone, so the cached store stays as generated."""
    from sqlalchemy import delete

    from db.edits import LocalEditor
    from db.store.models import OutboxEntry

    store = open_store(data)
    try:
        editor = LocalEditor(store)
        rows = AccountDirectory(store).page(AccountQuery(), 0, saves)
        timings = []
        for row in rows:
            started = time.perf_counter()
            editor.set_fields("account", row.id, city=f"{row.city or ''} (bench)")
            timings.append((time.perf_counter() - started) * 1000)
        for row in rows:
            editor.set_fields("account", row.id, city=row.city)
        with store.session() as session:
            session.execute(delete(OutboxEntry))
        return timings
    finally:
        store.close()


def page_opens(data: Path, opens: int | None = None) -> list[Row]:
    """bench/pages.py's rows (`opens` of each, else its default), run in a process of its
    own: the window's memory is then the app's alone, not this process's (which has read
    the store already), and Qt never loads here."""
    more = ["--opens", str(opens)] if opens is not None else []
    result = subprocess.run(
        [sys.executable, "-m", "bench.pages", str(data), "--json", *more],
        cwd=HERE.parent,
        env=dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen")),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"bench: opening the pages failed: {result.stderr.strip()}")
    return [(a, b, c, d) for a, b, c, d in json.loads(result.stdout.splitlines()[-1])]


def main() -> int:
    data = territory()
    starts = starts_measured(data)  # from a process of its own: see bench.starts
    with open_store(data).engine.connect() as conn:
        from sqlalchemy import text

        accounts = conn.execute(text("SELECT count(*) FROM account")).scalar_one()
        activities = conn.execute(text("SELECT count(*) FROM activity")).scalar_one()
    search = search_timings(data)
    saves = local_save_timings(data)
    save_p95 = percentile(saves, 95)
    opened = page_opens(data)
    bare_s, bare_rss = starts["bare"]
    app_s, _ = starts["shown"]
    ready_s, ready_rss = starts["ready"]
    settled_s, app_rss = starts["settled"]
    floor_s, floor_rss = starts["floor"]
    # What a rep waits for: the first accounts and the first account's detail on screen
    # (the --screenshot default), against a bare window shown.
    ratio = ready_s / bare_s
    # The memory a start takes: to the whole start, as sync loads after the first screen.
    memory_ratio = app_rss / bare_rss
    search_p95 = percentile(search["page"], 95)
    rows: list[Row] = [
        ("store", f"{accounts:,} accounts / {activities:,} activities", "", ""),
        (
            "cold start, bare PySide6 window",
            f"{bare_s * 1000:.0f} ms (median of {START_RUNS}, alternating)",
            "",
            "",
        ),
        ("cold start, app window shown", f"{app_s * 1000:.0f} ms", "", ""),
        ("cold start, app to first accounts + detail shown", f"{ready_s * 1000:.0f} ms", "", ""),
        (
            "cold start, app settled (sync loaded, its status shown)",
            f"{settled_s * 1000:.0f} ms",
            "",
            "",
        ),
        # What no app on this stack can go below (bench/floor_window.py): the key, Qt,
        # SQLAlchemy and the mapped models, 50 accounts read from the encrypted store.
        (
            "cold start, stack floor (key, SQLAlchemy, 50 accounts)",
            f"{floor_s * 1000:.0f} ms ({floor_s / bare_s:.2f}x bare)",
            "",
            "",
        ),
        ("start ratio first accounts + detail / floor", f"{ready_s / floor_s:.2f}x", "", ""),
        (
            "start ratio first accounts + detail / bare",
            f"{ratio:.2f}x",
            "<= 1.5x",
            verdict(ratio <= 1.5),
        ),
        ("search as you type p50 (first page)", f"{percentile(search['page'], 50):.1f} ms", "", ""),
        (
            "search as you type p95 (first page)",
            f"{search_p95:.1f} ms",
            "< 50 ms",
            verdict(search_p95 < 50),
        ),
        (
            "match count p95 (status bar, async)",
            f"{percentile(search['count'], 95):.1f} ms",
            "",
            "",
        ),
        (
            "local save (row + outbox) p95",
            f"{save_p95:.1f} ms",
            "<= 10 ms",
            verdict(save_p95 <= 10),
        ),
        ("account detail p95", f"{percentile(search['detail'], 95):.1f} ms", "", ""),
        ("peak memory, bare window", f"{bare_rss / 1024:.0f} MiB", "", ""),
        ("peak memory, app to first accounts + detail", f"{ready_rss / 1024:.0f} MiB", "", ""),
        ("peak memory, app settled (sync loaded)", f"{app_rss / 1024:.0f} MiB", "", ""),
        (
            "peak memory, stack floor",
            f"{floor_rss / 1024:.0f} MiB ({floor_rss / bare_rss:.2f}x bare)",
            "",
            "",
        ),
        (
            "peak memory ratio app settled / bare",
            f"{memory_ratio:.2f}x",
            "<= 2x",
            verdict(memory_ratio <= 2),
        ),
        *opened,
    ]
    rows += briefing_bench.run()
    plan = sync_bench.QUICK if sync_bench.quick_requested(sys.argv[1:]) else sync_bench.FULL
    rows += sync_bench.run(plan)
    print()
    print_table(rows)
    print(f"\nqueries: {', '.join(search['queries'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
