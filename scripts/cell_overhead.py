#!/usr/bin/env python3
"""Measure the per-cell cost of the local backend's process isolation (best of several repeats).

Usage: ``python scripts/cell_overhead.py [n_cells] [repeats]``. Runs ``n_cells`` trivial cells
(gaussian estimator on 50 samples, ~1 ms of work each) inline, with a fresh process per cell, and
with reused cell processes, and prints milliseconds per cell (the forkserver start-up is excluded
by a warm-up run). Timings on a shared machine are noisy: report the best of the repeats.
"""

from __future__ import annotations

import sys
import time


def main() -> None:
    from ibbench.cell_process import cell_context, run_local
    from ibbench.execution import run_inline
    from ibbench.runner import build_grid

    n_cells = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    cells = [
        c.as_dict()
        for c in build_grid([("gaussian", {})], [("gaussian-dense", {"dim": 1, "mi": 1.0})], [50], list(range(n_cells)))
    ]
    t0 = time.perf_counter()
    cell_context()
    run_local(cells[:1], jobs=1, timeout=60, on_result=lambda row: None)
    print(f"forkserver start-up + first cell: {time.perf_counter() - t0:.2f} s")
    modes = {
        "inline (no isolation)": lambda rows: run_inline(cells, on_result=rows.append),
        "process per cell, jobs=1": lambda rows: run_local(
            cells, jobs=1, timeout=60, on_result=rows.append, max_cells_per_process=1
        ),
        "reused processes, jobs=1": lambda rows: run_local(cells, jobs=1, timeout=60, on_result=rows.append),
        "process per cell, jobs=2": lambda rows: run_local(
            cells, jobs=2, timeout=60, on_result=rows.append, max_cells_per_process=1
        ),
        "reused processes, jobs=2": lambda rows: run_local(cells, jobs=2, timeout=60, on_result=rows.append),
    }
    for label, fn in modes.items():
        best = float("inf")
        for _ in range(repeats):
            rows: list = []
            t0 = time.perf_counter()
            fn(rows)
            best = min(best, time.perf_counter() - t0)
            assert len(rows) == n_cells and all(r["status"] == "ok" for r in rows), rows[:1]
        print(f"{label:28s} {1000 * best / n_cells:7.1f} ms/cell (best of {repeats}, {n_cells} cells)")


if __name__ == "__main__":
    main()
