"""Critical-difference diagrams (Demšar 2006, Fig. 1) of a ranking, drawn with scikit-posthocs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ibbench.scoring import Ranking


def cd_file_name(scope: str) -> str:
    """``cd-overall.png`` / ``cd-family-<family>.png``."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", scope)
    return "cd-overall.png" if scope == "overall" else f"cd-family-{safe}.png"


def draw_cd_diagram(ranking: Ranking, path: str | Path) -> Path | None:
    """Draw the critical-difference diagram of ``ranking`` (:class:`ibbench.scoring.Ranking`) to ``path``.

    Mean ranks on the axis (lower = better, on the left); estimators joined by a bar are not
    significantly different by the post-hoc test at α = 0.05. Returns None when there is nothing to
    test (fewer than two ranked estimators or configurations).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import scikit_posthocs as sp

    from ibbench.scoring import ALPHA

    if not ranking.test or len(ranking.table) < 2:
        return None
    ranks = ranking.table.set_index("estimator_label")["mean_rank"]
    labels = {label: (label if len(label) <= 48 else label[:45] + "…") for label in ranks.index}
    ranks = ranks.rename(index=labels)
    pvalues = ranking.pvalues.rename(index=labels, columns=labels).loc[ranks.index, ranks.index]
    height = 1.2 + 0.28 * len(ranks)
    fig, ax = plt.subplots(figsize=(9, height))
    sp.critical_difference_diagram(ranks, pvalues, ax=ax, alpha=ALPHA)
    t = ranking.test
    title = (
        f"{ranking.scope}: mean rank of MAE over {t['N']} configurations; {t['name']} p = {t['p_value']:.2g}; "
        f"bars join estimators not different by {t['posthoc']} (α = {ALPHA:g})"
    )
    if t.get("cd") is not None:
        title += f", CD = {t['cd']:.2f}"
    ax.set_title(title, fontsize=8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
