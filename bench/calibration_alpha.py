"""The agreement page's cost: Krippendorff's α with its 1,000-draw bootstrap interval (what
`calibration.results.agreement_table` computes per criterion and per month), on synthetic
calibration data of a few sizes. Pure math, no database.

    python -m bench.calibration_alpha --sessions 12 50 200 --raters 6 --calls 3

Prints, per size, the seconds one criterion's α and interval take (ordinal and interval
levels), the best of `--repeat` runs; the page computes one per criterion plus one per
month.
"""

from __future__ import annotations

import argparse
import json
import random
import time

from qa_app.calibration.agreement import Level, alpha_interval, krippendorff_alpha


def units(sessions: int, calls: int, raters: int, seed: int = 1) -> list[list[float | None]]:
    """One row per call: a 1–5 scale's r per rater around a true value, 5 % missing."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not a secret
    rows = []
    for _ in range(sessions * calls):
        truth = rng.randint(1, 5)
        row: list[float | None] = []
        for _rater in range(raters):
            value = min(5, max(1, truth + rng.choice((-1, 0, 0, 0, 1))))
            row.append(None if rng.random() < 0.05 else (value - 1) / 4)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, nargs="+", default=[12, 50, 200])
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument("--raters", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures = []
    for sessions in args.sessions:
        data = units(sessions, args.calls, args.raters)
        for level in (Level.ORDINAL, Level.INTERVAL):
            best = float("inf")
            for _ in range(args.repeat):
                started = time.perf_counter()
                krippendorff_alpha(data, level)
                alpha_interval(data, level)
                best = min(best, time.perf_counter() - started)
            figures.append(
                {"sessions": sessions, "units": len(data), "level": str(level), "seconds": best}
            )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
