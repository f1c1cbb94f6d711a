"""``ibbench plot --kind tasks``: PNG pictures of what the benchmark tasks look like.

For every selected task one PNG with samples (image pairs for image tasks, images with their
labels for digits-like tasks, a joint histogram for discrete pairs, class-conditional histograms for
mixed tasks, a scatter of the first coordinates otherwise) and one overview grid of all tasks.
Needs no results store.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ibbench.task import Task


def _square_side(dim: int) -> int | None:
    side = int(round(math.sqrt(dim)))
    return side if side * side == dim and side >= 4 else None


#: Gallery settings of the image family, each passed only to tasks that take it (the image tasks take
#: both; their latent reference tasks have no image size and take ``mi`` only).
_IMAGE_GALLERY = {"size": 16, "mi": 2.0}


def _accepted(cls: type, params: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``params`` that ``cls.__init__`` takes as keywords."""
    import inspect

    signature = inspect.signature(cls).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.values()):
        return dict(params)
    return {k: v for k, v in params.items() if k in signature}


def _default_selection() -> list[tuple[str, dict[str, Any]]]:
    """Every registered task with its default parameters (image tasks at 16 px, 2 nats; their latent
    references at 2 nats), skipping fixed-population tasks, whose first sample trains networks (ask
    for those explicitly)."""
    from ibbench.registry import get_task_class, list_tasks

    chosen = []
    for name in list_tasks():
        try:
            cls = get_task_class(name)
        except Exception:  # noqa: BLE001 - a broken plug-in must not stop the gallery
            continue
        if getattr(cls, "fixed_population", False):
            continue
        params = _accepted(cls, _IMAGE_GALLERY) if getattr(cls, "family", "") == "images" else {}
        chosen.append((name, params))
    return chosen


def _resolve(
    tasks: str | Iterable[str | tuple[str, dict[str, Any]]] | None, suite: str | None
) -> list[tuple[str, dict[str, Any]]]:
    from ibbench.registry import parse_spec

    if suite:
        from ibbench.suites import get_suite

        return list(get_suite(str(suite)).tasks)
    if tasks is None:
        return _default_selection()
    if isinstance(tasks, str):
        # "a:k=v&k=v+b": the CLI's --option parser already splits on "," and ";", hence "+" and "&"
        tasks = [t.replace("&", ";") for t in tasks.split("+") if t.strip()]
    out = []
    for item in tasks:
        out.append(parse_spec(item) if isinstance(item, str) else (item[0], dict(item[1])))
    return out


def _montage(images: np.ndarray, side: int, columns: int) -> np.ndarray:
    # Tile (k, side*side) images into one array with 1-pixel separators of NaN.
    k = len(images)
    rows = math.ceil(k / columns)
    canvas = np.full((rows * (side + 1) - 1, columns * (side + 1) - 1), np.nan)
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        canvas[r * (side + 1) : r * (side + 1) + side, c * (side + 1) : c * (side + 1) + side] = img.reshape(side, side)
    return canvas


def _label(task: Task) -> str:
    params = ", ".join(f"{k}={v}" for k, v in task.params.items() if v is not None)
    return f"{task.name}\n{params}\nI = {task.true_mi:.3g} nats"


def _draw(ax: Axes, task: Task, X: np.ndarray, Y: np.ndarray, *, n_images: int = 4) -> None:
    """Draw a one-axes summary of a sample of ``task`` into ``ax``."""
    sx, sy = _square_side(task.dim_x), _square_side(task.dim_y)
    if sx and sy:  # image pairs: top row X, bottom row Y
        k = min(n_images, len(X))
        both = np.vstack([X[:k], Y[:k]]) if sx == sy else X[:k]
        ax.imshow(_montage(both, sx, k), cmap="gray", vmin=0, vmax=max(1.0, float(np.nanmax(both))))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel("Y          X", fontsize=7)
    elif sx:  # images with a label-like Y
        k = min(n_images, len(X))
        ax.imshow(_montage(X[:k], sx, k), cmap="gray_r")
        ys = Y[:k].argmax(1) if task.dim_y > 1 else Y[:k, 0]
        ax.set_xticks([(sx + 1) * i + sx / 2 - 0.5 for i in range(k)])
        ax.set_xticklabels([f"y={v:g}" for v in ys], fontsize=7)
        ax.set_yticks([])
    elif task.x_kind == "discrete" and task.y_kind == "discrete":
        x, y = X[:, 0].astype(int), Y[:, 0].astype(int)
        counts = np.zeros((x.max() + 1, y.max() + 1))
        np.add.at(counts, (x, y), 1)
        ax.imshow(counts.T, origin="lower", cmap="viridis", aspect="auto", interpolation="nearest")
        ax.set_xlabel("x", fontsize=7)
        ax.set_ylabel("y", fontsize=7)
    elif task.x_kind == "discrete":  # mixed: class-conditional histograms of Y[:, 0]
        bins = np.linspace(Y[:, 0].min(), Y[:, 0].max(), 40).tolist()  # a list: matplotlib's stubs take no arrays
        for c in np.unique(X[:, 0])[:10]:
            ax.hist(Y[X[:, 0] == c, 0], bins=bins, histtype="step", label=f"x={c:g}")
        ax.set_xlabel("y[0]", fontsize=7)
        ax.legend(fontsize=5)
    else:
        ax.scatter(X[:, 0], Y[:, 0], s=2, alpha=0.4, lw=0)
        ax.set_xlabel("x[0]", fontsize=7)
        ax.set_ylabel("y[0]", fontsize=7)
    ax.tick_params(labelsize=6)
    ax.set_title(_label(task), fontsize=7)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_-")[:120]


def plot_tasks(
    *,
    store: str | None = None,
    out: Path,
    tasks: str | Iterable | None = None,
    suite: str | None = None,
    n: int = 1000,
    seed: int = 0,
    columns: int = 4,
    n_images: int = 8,
    **unknown: Any,
) -> list[Path]:
    """Write sample pictures of tasks as PNGs: one per task plus ``tasks-overview.png``.

    Parameters
    ----------
    store : str or None
        Unused (task pictures need no results); accepted for the plot-kind signature.
    out : Path
        Output directory (created if missing).
    tasks : str, list or None
        Task specs joined by ``+``, parameters joined by ``&`` (``"images-bumps:size=32&mi=4+student-t"``,
        so that ``ibbench plot --kind tasks --option tasks=...`` works), or a list of specs
        or ``(name, params)`` pairs. Default: every registered task with default parameters (image
        tasks at 16 px and 2 nats, their latent references at 2 nats; fixed-population tasks, the
        ``qnn-*`` ones, only when asked for, since their first sample trains networks).
    suite : str or None
        Take the tasks of this suite instead.
    n : int, default 1000
        Samples per task for scatter plots and histograms.
    seed : int, default 0
        Sampling seed.
    columns : int, default 4
        Panels per row of the overview.
    n_images : int, default 8
        Images per side in the per-task pictures (the overview shows 4).

    Returns
    -------
    list of Path
        The written files.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ibbench.registry import get_task

    if unknown:
        raise ValueError(
            f"unknown --option {', '.join(sorted(unknown))} for --kind tasks; "
            "valid: columns, n, n_images, seed, suite, tasks"
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    selection = _resolve(tasks, suite)
    if not selection:
        raise ValueError("no tasks selected")
    written: list[Path] = []
    samples = []
    for i, (name, params) in enumerate(selection):
        task = get_task(name, **params)
        X, Y = task.sample(None if task.fixed_population else int(n), random_state=int(seed))
        samples.append((task, X, Y))
        fig, ax = plt.subplots(figsize=(max(4.0, 0.75 * n_images), 2.6) if _square_side(task.dim_x) else (4, 3.6))
        _draw(ax, task, X, Y, n_images=n_images)
        fig.tight_layout()
        path = out / f"tasks-{i:03d}-{_slug(name + '-' + '-'.join(f'{k}={v}' for k, v in params.items()))}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    cols = max(1, min(int(columns), len(samples)))
    rows = math.ceil(len(samples) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 3.0 * rows), squeeze=False)
    for ax, (task, X, Y) in zip(axes.ravel(), samples):
        _draw(ax, task, X, Y, n_images=4)
    for ax in axes.ravel()[len(samples) :]:
        ax.axis("off")
    fig.tight_layout()
    overview = out / "tasks-overview.png"
    fig.savefig(overview, dpi=100)
    plt.close(fig)
    written.append(overview)
    return written
