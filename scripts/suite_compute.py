"""Compute accounting of a (composite) suite run: the store's runs and the cost of each part.

Usage::

    python scripts/suite_compute.py --store paper.sqlite --suite paper > leaderboards/paper/RUNS.md

Writes markdown: every invocation recorded in the store's ``runs`` table (command, start, end, wall
clock, cells written, host and versions) and, per part of the suite, how many of its grid's cells are
stored by status, the summed ``fit`` seconds of its cells (over all workers)
and the median seconds per cell. A cell belongs to a part when its key is in that part's grid.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

import pandas as pd

from ibbench.runner import build_grid, suite_segments
from ibbench.store import Store, load_results
from ibbench.suites import get_suite


def runs_table(store: str) -> list[str]:
    runs = Store(store).runs()
    cells = load_results(store, expand_params=False)
    lines = [
        "| run | command | started (UTC) | finished | wall clock | cells written | host | versions |",
        "|---|---|---|---|---|---|---|---|",
    ]
    total = 0.0
    for _, r in runs.iterrows():
        versions = json.loads(r["versions"] or "{}")
        shown = ", ".join(f"{k} {versions[k]}" for k in ("python", "numpy", "torch", "ibbench") if k in versions)
        mine = cells[cells["run_id"] == r["id"]]
        end = r["finished_at"] if isinstance(r["finished_at"], str) else None
        # a killed invocation has no end time: its last stored cell bounds its wall clock from below
        last = end or (max(mine["finished_at"]) if len(mine) else None)
        seconds = (
            (datetime.fromisoformat(last) - datetime.fromisoformat(r["started_at"])).total_seconds() if last else 0
        )
        total += seconds
        status = end[:19] if end else f"killed (last cell {last[:19] if last else '—'})"
        lines.append(
            f"| {r['id']} | `{r['command']}` | {r['started_at'][:19]} | {status} | {seconds / 60:.1f} min | "
            f"{len(mine)} | {versions.get('host', '')} | {shown} |"
        )
    lines.append(f"| **total** | | | | **{total / 60:.1f} min** | **{len(cells)}** | | |")
    return lines


def parts_table(store: str, suite: str) -> list[str]:
    cells = load_results(store, expand_params=False).set_index("key")
    top = get_suite(suite)
    lines = [
        "| part | grid cells | ok | error | timeout | skipped | missing | cell-hours | median s/cell |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    total = 0.0
    for seg in suite_segments(top):
        keys = [c.key for c in build_grid(seg.estimators, seg.tasks, seg.n, seg.seeds)]
        stored = cells.loc[cells.index.intersection(keys)]
        counts = stored["status"].value_counts()
        seconds = pd.to_numeric(stored["seconds"], errors="coerce")
        total += float(seconds.sum())
        name = seg.label.rsplit(" v", 1)[0] if seg.label else top.name
        lines.append(
            f"| {name} | {len(keys)} | "
            + " | ".join(str(int(counts.get(s, 0))) for s in ("ok", "error", "timeout", "skipped"))
            + f" | {len(keys) - len(stored)} | {seconds.sum() / 3600:.2f} | {seconds.median():.2f} |"
        )
    lines.append(f"| **total** | | | | | | | **{total / 3600:.2f}** | |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--suite", default="paper")
    args = parser.parse_args(argv)
    out = [
        f"# Runs of suite `{args.suite}` in `{args.store}`",
        "",
        "## Invocations",
        "",
        *runs_table(args.store),
        "",
        "## Cost per part",
        "",
        "Cell-hours sum every cell's `fit` seconds over both workers, so wall clock ≈ cell-hours / 2 on 2 cores.",
        "",
        *parts_table(args.store, args.suite),
        "",
    ]
    sys.stdout.write("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
