"""Runtime-vs-n and runtime-vs-dimension study of every registered estimator.

For each estimator (``ibbench.list_estimators()``, or ``--estimators``) two curves are measured:

* **vs n**: fit time on the estimator's representative task (the same one the asv suite uses,
  ``benchmarks/bench_registry.py``: a 2+2-dimensional Gaussian with 1 nat for continuous
  estimators, a categorical channel for discrete-only ones, 16x16 bump images for the compression
  wrappers) at n = 10^3 … 10^5;
* **vs dim**: fit time at fixed n on ``gaussian-dense`` with d = 1, 2, 5, 10, 20 per side
  (joint dimension 2d; discrete-only estimators have no dimension axis).

Each cell runs in its own process with a hard timeout, so a slow estimator cannot stall the study;
the time is the best of up to ``--repeats`` fits (sampling excluded). A per-cell time **budget**
stops a curve from growing: once a cell takes longer than ``--budget`` seconds, the larger sizes
of that curve are recorded as ``over-budget`` instead of being run. Neural estimators run with the
asv suite's reduced settings (a fixed number of training steps, so their time barely grows with n).

Writes ``scaling.csv`` (long format), ``scaling.md`` (tables, empirical exponents, machine state)
and ``scaling_n.png`` / ``scaling_dim.png`` into ``--out`` (default ``leaderboards/performance``).

Usage::

    python scripts/scaling_study.py                      # everything, ~15 min on 2 cores
    python scripts/scaling_study.py --estimators ksg,kl --n 1000,10000 --budget 5
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N_GRID = (1000, 3000, 10_000, 30_000, 100_000)
DIM_GRID = (1, 2, 5, 10, 20)
DIM_N = 5000
FIELDS = [
    "estimator",
    "axis",
    "task",
    "n",
    "dim_x",
    "dim_y",
    "seconds",
    "fits",
    "peak_rss_mb",
    "estimate",
    "true_mi",
    "status",
    "message",
]


# --------------------------------------------------------------------------------------------------
# worker: one cell in a fresh process
# --------------------------------------------------------------------------------------------------


def _bench_registry():
    sys.path.insert(0, str(ROOT))
    from benchmarks import bench_registry

    return bench_registry


def cell_task(name: str, axis: str, dim: int | None):
    """``(task, swap)`` of a cell: the representative task (axis ``n``) or ``gaussian-dense`` (``dim``)."""
    import ibbench

    br = _bench_registry()
    if axis == "n":
        return br.representative_task(name)
    return ibbench.get_task("gaussian-dense", dim=dim, mi=1.0), False


def cell_params(name: str, axis: str, dim: int | None) -> dict:
    """Estimator params of a cell: the asv suite's (reduced, seeded); compression never above ``dim``."""
    params = _bench_registry().bench_params(name)
    if axis == "dim":
        for key in ("n_components_x", "n_components_y"):
            if key in params:
                params[key] = min(params[key], dim)
    return params


def run_cell(spec: dict) -> dict:
    """Fit ``spec["estimator"]`` on its cell's data up to ``repeats`` times; best time in seconds."""
    import resource

    import ibbench

    name, axis, n, dim = spec["estimator"], spec["axis"], spec["n"], spec.get("dim")
    found = cell_task(name, axis, dim)
    if found is None:
        return {"status": "skipped", "message": "no task matching the estimator's accepted kinds"}
    task, swap = found
    X, Y = task.sample(n, random_state=0)
    if swap:
        X, Y = Y, X
    est = ibbench.get_estimator(name, **cell_params(name, axis, dim))
    best, fits, spent, estimate = math.inf, 0, 0.0, float("nan")
    while fits < spec["repeats"] and (fits == 0 or spent + best < spec["budget"] / 2):
        t0 = time.perf_counter()
        estimate = float(est.fit(X, Y).mutual_info_)
        dt = time.perf_counter() - t0
        best, fits, spent = min(best, dt), fits + 1, spent + dt
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    label = task.name + " " + json.dumps(task.params, sort_keys=True).replace('"', "")
    return {
        "task": label,
        "dim_x": X.shape[1],
        "dim_y": Y.shape[1],
        "seconds": best,
        "fits": fits,
        "peak_rss_mb": round(rss_kb / 1024, 1),
        "estimate": estimate,
        "true_mi": task.true_mi,
        "status": "ok",
        "message": "",
    }


# --------------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------------


def _spawn(spec: dict, timeout: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    env = dict(os.environ, MPLBACKEND="Agg")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "message": f"killed after {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"status": "error", "message": tail[:200]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def study(estimators, n_grid, dim_grid, dim_n, budget, timeout, repeats, log=print) -> list[dict]:
    """All cells of the study; each curve stops growing once a cell exceeds ``budget`` seconds."""
    import ibbench

    br = _bench_registry()
    rows = []
    for name in estimators:
        cls = ibbench.registry.get_estimator_class(name)
        tags = cls.get_tags()
        continuous = br._accepts(tags.get("accepts_x", "any"), "continuous") and br._accepts(
            tags.get("accepts_y", "any"), "continuous"
        )
        curves = [("n", [(n, None) for n in n_grid])]
        if continuous:
            max_dim = tags.get("max_dim")
            dims = [d for d in dim_grid if max_dim is None or 2 * d <= max_dim]
            curves.append(("dim", [(dim_n, d) for d in dims]))
        for axis, cells in curves:
            stop, done = None, []  # done: (size, seconds) of the ok cells of this curve
            for n, dim in cells:
                row = {"estimator": name, "axis": axis, "n": n, "dim_x": dim or "", "dim_y": dim or ""}
                size = n if axis == "n" else dim
                if stop is None and len(done) >= 2:
                    predicted = _predict(done, size)
                    if predicted > timeout:
                        stop = f"predicted {predicted:.0f} s > timeout {timeout:g} s"
                if stop is not None:
                    row.update(status="over-budget", message=stop)
                else:
                    spec = {"estimator": name, "axis": axis, "n": n, "dim": dim, "repeats": repeats, "budget": budget}
                    row.update(_spawn(spec, timeout))
                    secs = row.get("seconds")
                    if row["status"] == "ok":
                        done.append((size, float(secs)))
                    if row["status"] == "timeout":
                        stop = "previous cell timed out"
                    elif secs is not None and secs > budget:
                        stop = f"previous cell took > {budget:g} s"
                log(
                    f"{name:18s} {axis:4s} n={n:<7d} dim={dim or '-':<3} "
                    f"{row.get('seconds', float('nan')):9.3f} s  {row['status']} {row.get('message', '')}"
                )
                rows.append(row)
    return rows


def _predict(done: list[tuple[float, float]], size: float) -> float:
    """Extrapolate the time at ``size`` from the last two ok cells (power law, exponent in [1, 3])."""
    (x1, t1), (x2, t2) = done[-2], done[-1]
    if t1 <= 0 or t2 <= 0 or x2 == x1:
        return t2
    exponent = min(3.0, max(1.0, math.log(t2 / t1) / math.log(x2 / x1)))
    return t2 * (size / x2) ** exponent


def _fmt_seconds(row) -> str:
    if row is None:
        return ""
    if row["status"] == "ok":
        s = float(row["seconds"])
        return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"
    return {"over-budget": "—", "timeout": "timeout", "skipped": "n/a"}.get(row["status"], row["status"])


def _exponent(points: list[tuple[float, float]]) -> str:
    """Least-squares slope of log t vs log x over the cells that took at least 10 ms."""
    pts = [(math.log(x), math.log(t)) for x, t in points if t >= 0.01]
    if len(pts) < 2:
        return ""
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return f"{sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx:.2f}" if sxx > 0 else ""


def write_outputs(rows, out: Path, meta: dict) -> list[Path]:
    """scaling.csv, scaling.md and the two PNG plots."""
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / "scaling.csv"
    with open(csv_path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in FIELDS})

    names = list(dict.fromkeys(r["estimator"] for r in rows))
    lines = [
        "# Runtime scaling of the registered estimators",
        "",
        f"Generated by `{meta['command']}` on {meta['date']} ({meta['machine']}).",
        f"Load average (1/5/15 min) at start {meta['load_start']}, at end {meta['load_end']}: {meta['load_note']}",
        "",
        f"Best of up to {meta['repeats']} fits per cell (sampling excluded), each cell in its own process; "
        f"a curve stops growing once a cell takes more than {meta['budget']:g} s, or once the power law "
        f"through its last two cells predicts more than the {meta['timeout']:g} s timeout (`—` = not run). "
        "Neural estimators use the asv suite's reduced settings (fixed training steps), so their time "
        "barely depends on n. *exp.* = least-squares slope of log time vs log n (or vs log d) over cells "
        "of at least 10 ms: 1 is linear, 2 quadratic.",
        "",
    ]
    for axis, keys, _symbol in (
        ("n", sorted({r["n"] for r in rows if r["axis"] == "n"}), "n"),
        ("dim", sorted({r["dim_x"] for r in rows if r["axis"] == "dim"}), "d"),
    ):
        sub = [r for r in rows if r["axis"] == axis]
        if not sub:
            continue
        if axis == "n":
            lines += ["## Fit time vs n (representative task of each estimator)", ""]
            header = ["estimator", "task"] + [f"n={k:,}" for k in keys] + ["exp."]
        else:
            lines += [f"## Fit time vs dimension (gaussian-dense, d per side, n = {meta['dim_n']:,})", ""]
            header = ["estimator"] + [f"d={k} (joint {2 * k})" for k in keys] + ["exp."]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for name in names:
            cells = {(r["n"] if axis == "n" else r["dim_x"]): r for r in sub if r["estimator"] == name}
            if not cells:
                continue
            pts = [(k, float(c["seconds"])) for k, c in cells.items() if c["status"] == "ok"]
            row = [f"`{name}`"]
            if axis == "n":
                first = next((c for c in cells.values() if c.get("task")), None)
                row.append(f"{first['task'].split()[0]} ({first['dim_x']}+{first['dim_y']})" if first else "")
            row += [_fmt_seconds(cells.get(k)) for k in keys] + [_exponent(pts)]
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    lines += [
        "An empty cell: not applicable (the estimator's `max_dim` tag excludes that joint dimension, "
        "or a discrete-only estimator has no dimension curve). Raw cells (with peak memory and the "
        "estimates): `scaling.csv`. Plots: `scaling_n.png`, `scaling_dim.png`.",
        "",
    ]
    md_path = out / "scaling.md"
    md_path.write_text("\n".join(lines))
    return [csv_path, md_path] + plot(rows, out, meta)


def plot(rows, out: Path, meta: dict) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for axis, xlabel, fname in (
        ("n", "sample size n", "scaling_n.png"),
        ("dim", f"dimension per side d (n = {meta['dim_n']:,})", "scaling_dim.png"),
    ):
        sub = [r for r in rows if r["axis"] == axis and r["status"] == "ok"]
        if not sub:
            continue
        fig, ax = plt.subplots(figsize=(8, 5.5))
        names = list(dict.fromkeys(r["estimator"] for r in sub))
        cmap = plt.get_cmap("tab20")
        for i, name in enumerate(names):
            pts = sorted(
                (r["n"] if axis == "n" else r["dim_x"], float(r["seconds"])) for r in sub if r["estimator"] == name
            )
            ax.plot(
                [p[0] for p in pts],
                [p[1] for p in pts],
                marker="o",
                ms=4,
                color=cmap(i % 20),
                linestyle="-" if i < 10 else "--",
                label=name,
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("fit time [s] (best of repeats)")
        ax.set_title(f"ibbench fit time vs {'n' if axis == 'n' else 'dimension'} — {meta['machine_short']}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, ncol=2)
        fig.tight_layout()
        path = out / fname
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def machine_info() -> tuple[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy
    import scipy

    try:
        import torch

        torch_v = torch.__version__
    except ImportError:  # pragma: no cover
        torch_v = "-"
    short = f"{os.cpu_count()} cores, {cpu}"
    return (
        f"{short}; Python {platform.python_version()}, numpy {numpy.__version__}, "
        f"scipy {scipy.__version__}, torch {torch_v}",
        short,
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--estimators", default="all", help="comma-separated names, or all (default)")
    ap.add_argument("--n", default=",".join(map(str, N_GRID)), help="sample sizes of the n curve")
    ap.add_argument("--dims", default=",".join(map(str, DIM_GRID)), help="dimensions per side of the dim curve")
    ap.add_argument("--dim-n", type=int, default=DIM_N, help="sample size of the dim curve")
    ap.add_argument("--budget", type=float, default=30.0, help="per-cell seconds after which a curve stops growing")
    ap.add_argument("--timeout", type=float, default=240.0, help="hard per-cell timeout (process killed)")
    ap.add_argument("--repeats", type=int, default=3, help="fits per cell (best-of); fewer when slow")
    ap.add_argument("--out", default=str(ROOT / "leaderboards" / "performance"))
    ap.add_argument("--note", default="", help="free text about the machine's state, written into scaling.md")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(run_cell(json.loads(args.worker))))
        return 0

    import ibbench
    from ibbench.registry import available_estimators

    names = (
        available_estimators()
        if args.estimators == "all"
        else [n.strip() for n in args.estimators.split(",") if n.strip()]
    )
    unknown = sorted(set(names) - set(ibbench.list_estimators()))
    if unknown:
        ap.error(f"unknown estimators: {', '.join(unknown)}")
    load_start = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    t0 = time.time()
    rows = study(
        names,
        [int(x) for x in args.n.split(",")],
        [int(x) for x in args.dims.split(",")],
        args.dim_n,
        args.budget,
        args.timeout,
        args.repeats,
    )
    machine, short = machine_info()
    meta = {
        "command": shlex.join(["python", "scripts/scaling_study.py", *(sys.argv[1:] if argv is None else argv)]),
        "date": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": machine,
        "machine_short": short,
        "load_start": load_start,
        "load_end": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "load_note": args.note or "timings on a shared machine are noisy; compare ratios, not absolutes.",
        "repeats": args.repeats,
        "budget": args.budget,
        "timeout": args.timeout,
        "dim_n": args.dim_n,
    }
    for path in write_outputs(rows, Path(args.out), meta):
        print("wrote", path)
    print(f"study took {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
