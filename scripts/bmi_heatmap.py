"""Heat map of estimate / true MI on the ``bmi`` suite, in the format of bmi's main results figure.

Reads a store holding a run of the ``bmi`` suite and writes ``heatmap.png``, ``heatmap.csv`` and
``heatmap.md`` (one row per bmi task id, one column per estimator: the mean over seeds of
estimate / true MI; 1 is perfect, blank where the estimator declined the task or every cell
failed). Regenerate ``leaderboards/bmi/`` with::

    ibbench run --suite bmi --seeds 3 --jobs 2 --store bmi.sqlite \\
        --estimators binning,binning-adaptive,gaussian,gcmi,ksg,ksg-lnc,kl,wkl,kde-ml,mixed-ksg
    ibbench peers install bmi && ibbench run --suite bmi --seeds 3 --jobs 2 --store bmi.sqlite \\
        --estimators bmi-ksg,bmi-cca
    ibbench leaderboard --store bmi.sqlite --out leaderboards/bmi
    python scripts/bmi_heatmap.py --store bmi.sqlite --out leaderboards/bmi
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import ibbench
from ibbench.bmi_tasks import BMI_V1_TASKS, bmi_id_of


def ratio_table(cells: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds of estimate / true MI per (bmi task id, estimator label), rows in bmi's order."""
    ok = cells[cells["status"] == "ok"].copy()
    ok["bmi_id"] = [bmi_id_of(t, json.loads(p)) for t, p in zip(ok["task"], ok["task_params"])]
    ok = ok[ok["bmi_id"].notna()]
    ok["ratio"] = ok["estimate"] / ok["true_mi"]
    table = ok.pivot_table(index="bmi_id", columns="estimator_label", values="ratio", aggfunc="mean")
    return table.reindex([i for i in BMI_V1_TASKS if i in table.index])


def draw(table: pd.DataFrame, path: Path) -> None:
    values = table.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(1.0 + 0.75 * table.shape[1], 1.2 + 0.28 * table.shape[0]))
    image = ax.imshow(np.clip(values, 0.0, 2.0), cmap="RdBu_r", vmin=0.0, vmax=2.0, aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6)
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(table.shape[0]), table.index, fontsize=6)
    ax.set_title("estimate / true MI on the bmi suite (mean over seeds; 1 = exact)", fontsize=8)
    fig.colorbar(image, ax=ax, shrink=0.5, label="estimate / true MI (clipped to [0, 2])")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--out", default="leaderboards/bmi")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cells = ibbench.load_results(args.store, expand_params=False)
    table = ratio_table(cells)
    table.to_csv(out / "heatmap.csv", float_format="%.4f")
    draw(table, out / "heatmap.png")
    n_seeds = cells.loc[cells["status"] == "ok", "seed"].nunique()
    lines = [
        "# ibbench estimators on bmi's benchmark v1 (estimate / true MI)",
        "",
        f"Our run: {len(cells)} cells of the `bmi` suite (n = 5000, {n_seeds} seeds, columns standardised as in "
        "bmi's workflow), each entry the mean over seeds of estimate / true MI (1 = exact; blank: declined by the "
        "estimator's tags or failed). Task ids are bmi's (mapping: docs/bmi.md). Regenerate with the commands in "
        "`scripts/bmi_heatmap.py`; rankings with critical-difference diagrams are in `leaderboard.md`.",
        "",
        "![heat map](heatmap.png)",
        "",
        "| bmi task | " + " | ".join(table.columns) + " |",
        "|---|" + "---|" * table.shape[1],
    ]
    for task_id, row in table.iterrows():
        cells_text = ["" if not np.isfinite(v) else f"{v:.2f}" for v in row.to_numpy(dtype=float)]
        lines.append(f"| {task_id} | " + " | ".join(cells_text) + " |")
    (out / "heatmap.md").write_text("\n".join(lines) + "\n")
    print(
        f"wrote {out / 'heatmap.md'}, heatmap.csv, heatmap.png ({table.shape[0]} tasks × {table.shape[1]} estimators)"
    )


if __name__ == "__main__":
    main()
