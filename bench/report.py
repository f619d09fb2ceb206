"""The figures table `make bench` prints, and the percentile its rows are made of."""

from __future__ import annotations

# figure, value, target, verdict
Row = tuple[str, str, str, str]


def percentile(samples: list[float], pct: float) -> float:
    """The nearest-rank percentile (with few samples, p95 is the slowest)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_table(rows: list[Row]) -> None:
    header = ("figure", "value", "target", "")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
