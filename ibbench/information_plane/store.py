"""Information-plane analyses in the results store, as analysis rows of the ``study_rows`` table.

An analysis of a user's model is not a benchmark cell (there is no true MI to score), so it is
stored with :func:`ibbench.store.write_study_row` under the study name :data:`STUDY`, its identity
marked ``"kind": "analysis"``: one row per (layer, epoch) holding both sides, and one row with the
choices and warnings. The identity carries the analysis id (sha256 of the model's class and initial
parameters, the data, every option and the activations captured at every epoch), so rerunning the
same analysis replaces its rows and a run with other training adds its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Study name of the analysis rows.
STUDY = "infoplane"


def point_identity(analysis_id: str, version: str, layer: str, epoch: int) -> dict[str, Any]:
    """Identity of the row of ``layer`` at ``epoch`` of analysis ``analysis_id``."""
    return {
        "study": STUDY,
        "kind": "analysis",
        "version": version,
        "analysis": analysis_id,
        "layer": layer,
        "epoch": int(epoch),
    }


def summary_identity(analysis_id: str, version: str) -> dict[str, Any]:
    """Identity of the row with the choices and warnings of analysis ``analysis_id``."""
    return {"study": STUDY, "kind": "analysis", "version": version, "analysis": analysis_id, "part": "summary"}


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    import math

    out = {}
    for key, value in record.items():
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        out[key] = value
    return out


def write_result(store: str | Path, result: Any, options: dict[str, Any]) -> list[str]:
    """Write ``result`` (an :class:`~ibbench.information_plane.InfoPlaneResult`) to ``store``; returns its row keys."""
    from ibbench.identity import identity_key
    from ibbench.information_plane.api import VERSION
    from ibbench.store import write_study_row

    keys = []
    for (layer, epoch), rows in result.frame.groupby(["layer", "epoch"], sort=False):
        identity = point_identity(result.analysis_id, VERSION, str(layer), int(epoch))
        key = identity_key(identity)
        write_study_row(store, key, STUDY, identity, [_jsonable(r) for r in rows.to_dict("records")])
        keys.append(key)
    identity = summary_identity(result.analysis_id, VERSION)
    key = identity_key(identity)
    value = {
        "options": options,
        "layers": result.layers,
        "epochs": [int(e) for e in result.epochs],
        "choices": [c.as_dict() for c in result.choices],
        "warnings": result.warnings,
        "seconds": result.seconds,
        "point_keys": keys,
    }
    write_study_row(store, key, STUDY, identity, value)
    return [*keys, key]


def read_result(store: str | Path, analysis_id: str) -> tuple[dict[str, Any], Any]:
    """``(summary, frame)`` of a stored analysis: the choices/warnings row and the tidy DataFrame.

    Raises
    ------
    ValueError
        ``store`` holds no analysis ``analysis_id``.
    """
    import pandas as pd

    from ibbench.identity import identity_key
    from ibbench.information_plane.api import VERSION
    from ibbench.store import read_study_rows

    key = identity_key(summary_identity(analysis_id, VERSION))
    summary = read_study_rows(store, [key]).get(key)
    if summary is None:
        raise ValueError(f"no information-plane analysis {analysis_id[:12]}… in {store}")
    points = read_study_rows(store, summary["point_keys"])
    records = [r for k in summary["point_keys"] if k in points for r in points[k]]
    return summary, pd.DataFrame(records)
