"""Turn the figures in bench/out/*.json into the tables of bench/RESULTS.md.

    python -m bench.report            # rewrites the part between the figures markers

Only the block between `<!-- figures:start -->` and `<!-- figures:end -->` is replaced;
the analysis around it is written by hand.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from bench.common import BENCH_DIR, OUT_DIR

RESULTS = BENCH_DIR / "RESULTS.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"
DATABASES = ("sqlite", "postgresql")


def _load(name: str) -> dict[str, Any] | None:
    path = OUT_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _mark(met: bool) -> str:
    return "met" if met else "**missed**"


def _machine(records: list[dict[str, Any]]) -> list[str]:
    if not records:
        return []
    machine = records[0]["machine"]
    loads = sorted({tuple(r["machine"]["load_average"]) for r in records})
    postgres = sorted({r["postgres"] for r in records if r.get("postgres")})
    return [
        f"- Machine: {machine['cpus']} × {machine['cpu']}, {machine['memory']}, "
        f"{machine['platform']}; Python {machine['python']}, SQLite {machine['sqlite']}, "
        f"PostgreSQL {', '.join(postgres) or '-'}.",
        f"- Taken {min(r['taken_at'] for r in records)} to {max(r['taken_at'] for r in records)}"
        f" (UTC). Load average (1/5/15 min) at the end of each run: "
        + "; ".join("/".join(str(v) for v in load) for load in loads)
        + ".",
    ]


def generation() -> list[str]:
    """Generator throughput."""
    lines = ["| database | evaluations | rows | seconds | rows/s |", "|---|---|---|---|---|"]
    for path in sorted(OUT_DIR.glob("generate-*.json")):
        record = json.loads(path.read_text())
        rows = sum(record["rows"].values())
        lines.append(
            f"| {record['database']} | {record['evaluations']:,} | {rows:,} | "
            f"{record['seconds']} | {record['rows_per_second']:,} |"
        )
    return lines


def export() -> list[str]:
    """Export throughput and memory."""
    lines = [
        "| database | evaluations | cells | export s | bare writer s | ratio (≥ 0.85) | "
        "CPU ratio | peak RSS by size (MB) | largest / smallest (≤ 1.3) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for database in DATABASES:
        record = _load(f"export-{database}")
        if record is None:
            continue
        t = record["throughput"]
        memory = ", ".join(
            f"{m['evaluations']:,}: {m['peak_rss_mb']} (before export {m['rss_before_mb']})"
            for m in record.get("memory", [])
        )
        ratio = record.get("memory_ratio")
        lines.append(
            f"| {database} | {t['rows']['Evaluations']:,} | {t['cells']:,} | "
            f"{min(t['export_seconds'])} | {min(t['bare_seconds'])} | {t['ratio']} "
            f"{_mark(t['ratio'] >= 0.85)} | {_cpu(t)} | {memory} | "
            + (f"{ratio} {_mark(ratio <= 1.3)} |" if ratio else "- |")
        )
    return lines


def _cpu(t: dict[str, Any]) -> str:
    if "cpu_ratio" not in t:
        return "-"
    return f"{min(t['export_cpu_seconds'])} / {min(t['bare_cpu_seconds'])} = {t['cpu_ratio']}"


def export_pairs() -> list[str]:
    """The export of the same database by the old and the new code, alternately."""
    lines = [
        "| run | code | export s | bare writer s | ratio | CPU: export s / bare s = ratio |",
        "|---|---|---|---|---|---|",
    ]
    for path in sorted(OUT_DIR.glob("export-pair-*.json")):
        record = json.loads(path.read_text())
        t = record["throughput"]
        _, _, code, run = path.stem.split("-")
        lines.append(
            f"| {run} | {code} | {min(t['export_seconds'])} | {min(t['bare_seconds'])} | "
            f"{t['ratio']} | {_cpu(t)} |"
        )
    return lines if len(lines) > 2 else []


def pages(suffix: str = "") -> list[str]:
    """Page latency and queries at the smallest and largest size."""
    lines = [
        "| database | page | small: p50 / p95 ms, queries | large: p50 / p95 ms, queries | "
        "p95 ratio (≤ 1.5) | queries ≤ 15 |",
        "|---|---|---|---|---|---|",
    ]
    for database in DATABASES:
        record = _load(f"pages-{database}{suffix}")
        if record is None:
            continue
        small, large = record["runs"][0], record["runs"][-1]
        for name, first in small["pages"].items():
            last = large["pages"][name]
            ratio = record.get("p95_ratio", {}).get(name)
            queries = max(first["queries"], last["queries"])
            lines.append(
                f"| {database} | {name} | {small['evaluations']:,}: {first['p50_ms']} / "
                f"{first['p95_ms']}, {first['queries']} | {large['evaluations']:,}: "
                f"{last['p50_ms']} / {last['p95_ms']}, {last['queries']} | "
                f"{ratio} {_mark(ratio is not None and ratio <= 1.5)} | "
                f"{_mark(queries <= 15 and last['queries'] <= first['queries'])} |"
            )
    return lines


def stats_import() -> list[str]:
    """Import against the floor."""
    lines = [
        "| database | rows | import s | floor s | ratio (≥ 0.5) | peak RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    for database in DATABASES:
        r = _load(f"stats_import-{database}")
        if r is None:
            continue
        lines.append(
            f"| {database} | {r['rows']:,} | {r['import_seconds']} | {r['floor_seconds']} | "
            f"{r['ratio']} {_mark(r['ratio'] >= 0.5)} | {r['peak_rss_mb_after_import']} |"
        )
    return lines


def load() -> list[str]:
    """gunicorn under the mix."""
    lines = [
        "| database | users | requests | req/s | p50 ms | p95 ms | errors (0) | p95 by kind (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for database in DATABASES:
        r = _load(f"load-{database}")
        if r is None:
            continue
        kinds = "; ".join(f"{k} {v['p95_ms']}" for k, v in r["by_kind"].items())
        lines.append(
            f"| {database} | {r['users']} | {r['requests']} | {r['requests_per_second']} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['errors']} {_mark(r['errors'] == 0)} | "
            f"{kinds} |"
        )
    return lines


def commands() -> list[str]:
    """The exact command of every record."""
    lines = []
    for path in sorted(OUT_DIR.glob("*.json")):
        record = json.loads(path.read_text())
        lines.append(f"    {record['command']}    # → {path.name}")
    return lines


def render() -> str:
    """The figures block."""
    records = [json.loads(p.read_text()) for p in sorted(OUT_DIR.glob("*.json"))]
    blocks = [
        *_machine(records),
        "",
        "### Generator",
        "",
        *generation(),
        "",
        "### Export",
        "",
        *export(),
        "",
        *(
            ["The style cache, before and after, on the 10k SQLite database:", "", *pairs, ""]
            if (pairs := export_pairs())
            else []
        ),
        "### Pages (after the fixes)",
        "",
        *pages(),
        "",
    ]
    if any(OUT_DIR.glob("pages-*-before.json")):
        blocks += ["### Pages before the fixes", "", *pages("-before"), ""]
    blocks += [
        "### Statistics import",
        "",
        *stats_import(),
        "",
        "### Load",
        "",
        *load(),
        "",
        "### Commands of these figures",
        "",
        *commands(),
    ]
    return "\n".join(blocks)


def main() -> None:
    """Rewrite the figures block of RESULTS.md (or print it when there is no file)."""
    block = render()
    if (BENCH_DIR / "out").resolve() != OUT_DIR:
        # Figures of another run (`make bench`): beside them, not in RESULTS.md.
        (OUT_DIR / "RESULTS.md").write_text(block + "\n")
        print(f"wrote {OUT_DIR / 'RESULTS.md'}")
        return
    if not RESULTS.exists() or START not in RESULTS.read_text():
        print(block)
        return
    text = RESULTS.read_text()
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    RESULTS.write_text(f"{head}{START}\n{block}\n{END}{tail}")
    print(f"updated {RESULTS}")


if __name__ == "__main__":
    main() if len(sys.argv) == 1 else sys.exit("usage: python -m bench.report")
