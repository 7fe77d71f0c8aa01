"""Did coaching work?: the time of the statistics behind one comparison, and of a page of
them (pure functions, no database).

    python -m bench.follow_up --repeat 50

Times qa_app.stats.evidence's seeded bootstrap of a mean difference (3 to 9 values a side,
the sizes a single plan usually has), Welch's interval (10 or more), and the KPI ratio
bootstrap over 60 days a side, then a page's worth: 500 small comparisons in a row.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from bench.common import summary_ms, write_figures


def _timed(repeat: int, work: Callable[[], object]) -> dict[str, object]:
    """Wall-clock figures, and the CPU time per run (what a shared machine does not skew)."""
    durations = []
    cpu = time.process_time()
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        durations.append(time.perf_counter() - start)
    cpu_ms = round((time.process_time() - cpu) / repeat * 1000, 2)
    return {**summary_ms(durations), "cpu_mean_ms": cpu_ms}


def main() -> None:
    """Print and store the figures."""
    from qa_app.stats.evidence import mean_difference, ratio_difference

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(1)

    def values(n: int) -> list[float]:
        return [float(rng.choice(range(0, 101, 25))) for _ in range(n)]

    def days(n: int) -> list[tuple[float, float]]:
        return [(rng.uniform(3000, 6000), float(rng.randint(5, 15))) for _ in range(n)]

    small = (values(8), values(7))
    large = (values(40), values(40))
    kpi = (days(60), days(60))
    page = [(values(rng.randint(3, 9)), values(rng.randint(3, 9))) for _ in range(500)]
    figures = {
        "bootstrap_8_vs_7": _timed(args.repeat, lambda: mean_difference(*small)),
        "welch_40_vs_40": _timed(args.repeat, lambda: mean_difference(*large)),
        "kpi_ratio_bootstrap_60_vs_60_days": _timed(args.repeat, lambda: ratio_difference(*kpi)),
        "page_of_500_small_comparisons": _timed(
            max(1, args.repeat // 10), lambda: [mean_difference(b, a) for b, a in page]
        ),
    }
    write_figures("follow_up", "sqlite://", figures)


if __name__ == "__main__":
    main()
