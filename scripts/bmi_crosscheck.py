"""Compare the ``bmi`` suite's tasks with bmi's own benchmark v1 tasks (docs/bmi.md).

bmi runs in its own interpreter (``--bmi-python``, default: the ``ibbench peers install bmi``
environment), which dumps each task's ``mutual_information`` and a sample; this script compares
the ids (same order), the true MI and the samples (two-sample Kolmogorov–Smirnov tests on up to three
marginals per side and on ‖X‖, difference of Spearman correlations between the first coordinates).
Samples come from different generators (JAX vs NumPy), so only distributions can agree.

    python scripts/bmi_crosscheck.py [--bmi-python PATH] [--n 10000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy import stats

from ibbench.bmi_tasks import BMI_V1_TASKS
from ibbench.registry import get_task

_DUMP = """
import json, sys
import numpy as np
from bmi.benchmark import BENCHMARK_TASKS
n, out, seed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
arrays, truths = {}, {}
for i, (tid, task) in enumerate(BENCHMARK_TASKS.items()):
    truths[tid] = float(task.mutual_information)
    x, y = task.sample(n, seed)
    arrays[f"x{i}"], arrays[f"y{i}"] = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
np.savez(out + ".npz", **arrays)
json.dump(truths, open(out + ".json", "w"))
"""


def _default_python() -> str:
    from ibbench.peers.envs import env_dir

    return str(env_dir("bmi") / "bin" / "python")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bmi-python", default=None, help="interpreter with benchmark-mi installed")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0, help="seed of both samplers (different generators)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "bmi")
        subprocess.run(
            [args.bmi_python or _default_python(), "-c", _DUMP, str(args.n), out, str(args.seed)], check=True
        )
        truths = json.loads(Path(out + ".json").read_text())
        arrays = dict(np.load(out + ".npz"))
    if list(truths) != list(BMI_V1_TASKS):
        sys.exit(f"bmi's ids differ: {sorted(set(truths) ^ set(BMI_V1_TASKS))}")
    print("| bmi id | bmi MI | ours | min KS p (marginals) | KS p (‖X‖) | max Δ Spearman |")
    print("|---|---|---|---|---|---|")
    for i, (bmi_id, (name, params)) in enumerate(BMI_V1_TASKS.items()):
        task = get_task(name, **params)
        X, Y = task.sample(args.n, random_state=args.seed)
        Xb, Yb = arrays[f"x{i}"], arrays[f"y{i}"]
        ks = [stats.ks_2samp(A[:, j], B[:, j]).pvalue for A, B in ((X, Xb), (Y, Yb)) for j in range(min(3, A.shape[1]))]
        ks_norm = stats.ks_2samp(np.linalg.norm(X, axis=1), np.linalg.norm(Xb, axis=1)).pvalue
        spearman = [
            abs(stats.spearmanr(X[:, j], Y[:, k])[0] - stats.spearmanr(Xb[:, j], Yb[:, k])[0])
            for j in range(min(2, X.shape[1]))
            for k in range(min(3, Y.shape[1]))
        ]
        print(
            f"| `{bmi_id}` | {truths[bmi_id]:.6f} | {task.true_mi:.6f} | {min(ks):.3f} | {ks_norm:.3f} | "
            f"{max(spearman):.3f} |"
        )


if __name__ == "__main__":
    main()
