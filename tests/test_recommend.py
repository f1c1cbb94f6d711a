"""The recommendation table (scripts/recommendations.py) and its reader (ibbench.recommend)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from _scripts import load_script

from ibbench.recommend import KINDS, candidates, load_table, recommend
from ibbench.registry import get_estimator, get_estimator_class, get_task, parse_value

ROOT = Path(__file__).resolve().parents[1]


def _script():
    return load_script("recommendations", "recommendations_script")


@pytest.fixture(scope="module")
def script():
    return _script()


@pytest.fixture(scope="module")
def table():
    return load_table()


def test_committed_files_match_a_fresh_build(script):
    """Regenerate from the committed leaderboards and compare with every committed output."""
    stale = [path for path, content in script.outputs().items() if (ROOT / path).read_text(encoding="utf-8") != content]
    assert not stale, f"out of date: {stale}; run python scripts/recommendations.py"


def test_the_csv_the_json_and_the_package_copy_hold_the_same_rows(table):
    assert table == load_table(ROOT / "leaderboards" / "recommendations.json")
    assert table == load_table(ROOT / "leaderboards" / "recommendations.csv")
    assert (ROOT / "ibbench" / "recommendations.json").read_bytes() == (
        ROOT / "leaderboards" / "recommendations.json"
    ).read_bytes()


def test_the_table_parses_into_complete_regimes(table):
    assert table
    regimes: dict[str, list[int]] = {}
    for row in table:
        assert row["kind"] in KINDS
        assert 1 <= row["dim_min"] <= row["dim_max"] and 2 <= row["n_min"] <= row["n_max"]
        assert 0 <= row["mi_min"] < row["mi_max"]
        assert row["median_seconds"] >= 0 and row["score"] != ""
        assert row["evidence"] and row["reason"].startswith(row["label"])
        regimes.setdefault(row["regime"], []).append(row["rank"])
    for name, ranks in regimes.items():
        assert ranks == list(range(1, len(ranks) + 1)), name
    # every kind of data has at least one regime with evidence, for the MI known and unknown
    for kind in KINDS:
        assert any(r["kind"] == kind and r["mi_range"] == "any" for r in table)
        assert any(r["kind"] == kind and r["mi_range"] != "any" for r in table)


def test_every_recommended_estimator_is_registered_and_builds(table):
    for spec, params in {(r["estimator"], json.dumps(r["params"], sort_keys=True)) for r in table}:
        cls = get_estimator_class(spec)
        assert cls.get_tags()["bound"] != "upper", f"{spec} is an upper bound, never a recommendation"
        get_estimator(spec, **cls.check_params(json.loads(params)))


def _csv_line(path: Path, line: int) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return rows[line - 2]  # line 1 is the header


def test_evidence_pointers_name_rows_of_the_recommended_estimator_inside_the_regime(table):
    """Each pointer is a line of a committed CSV; a leaderboard row names the estimator and lies in the regime."""
    for row in table:
        for pointer in row["evidence"]:
            path, _, lines = pointer.partition("#")
            assert (ROOT / path).is_file(), pointer
            for line in (int(part.removeprefix("L")) for part in lines.split(",")):
                record = _csv_line(ROOT / path, line)
                if not path.endswith("groups.csv"):
                    assert row["estimator"] in json.dumps(record), pointer
                    continue
                assert record["estimator"] == row["estimator"], pointer
                assert row["n_min"] <= int(record["n"]) <= row["n_max"], pointer
                assert row["mi_min"] <= float(record["true_mi"]) < row["mi_max"], pointer
                name, _, rest = record["task_label"].partition("(")
                params = dict(item.split("=", 1) for item in rest.rstrip(")").split(", ")) if rest else {}
                values = {k: parse_value(v) for k, v in params.items()}  # "none" reads as None: the default
                task = get_task(name, **{k: v for k, v in values.items() if v is not None})
                assert row["dim_min"] <= max(task.dim_x, task.dim_y) <= row["dim_max"], pointer


#: columns of each committed source that identify one configuration (the same samples / cells);
#: the estimator's own columns (name, error, time) are left out
CONFIG_COLUMNS = {
    "groups.csv": ("task_label", "n"),
    "nonparametric/table.csv": ("section", "task", "n", "seeds"),
    "neural-bounds/table.csv": ("true_mi",),
    "discrete-bias/table.csv": ("n_x", "n_y", "concentration", "n", "seeds"),
    "generative/table.csv": ("task", "mi", "n"),
}


def _configurations(evidence: tuple[str, ...]) -> set[tuple[str, ...]]:
    """The configurations a candidate's evidence pointers name, read from the committed CSVs."""
    configs = set()
    for pointer in evidence:
        path, _, lines = pointer.partition("#")
        columns = next(cols for suffix, cols in CONFIG_COLUMNS.items() if path.endswith(suffix))
        for line in (int(part.removeprefix("L")) for part in lines.split(",")):
            record = _csv_line(ROOT / path, line)
            configs.add((path, *(record[c] for c in columns)))
    return configs


def test_every_pair_of_ranked_candidates_shares_a_configuration(table):
    """Never rank things measured on different work: within every regime, each pair of ranked
    candidates was run on at least one shared configuration (same source, task configuration, n, seeds)."""
    regimes: dict[str, list[dict]] = {}
    for row in table:
        regimes.setdefault(row["regime"], []).append(row)
    for name, rows in regimes.items():
        configs = {row["spec"]: _configurations(row["evidence"]) for row in rows}
        for a in rows:
            for b in rows:
                assert configs[a["spec"]] & configs[b["spec"]], (
                    f"{name}: {a['label']} and {b['label']} share no evidence"
                )


def test_estimators_measured_on_other_work_are_listed_not_ranked(script):
    def record(spec: str, config: str, rel_error: float) -> dict:
        return {"spec": spec, "label": spec, "estimator": spec, "params": "{}", "config": config,
                "rel_error": rel_error, "seconds": 1.0, "pointer": f"{config}#L2"}  # fmt: skip

    records = [
        record("a", "file1 | task", 0.3),
        record("b", "file1 | task", 0.1),
        record("a", "file1 | other", 0.2),
        record("b", "file1 | other", 0.5),
        record("a", "file1 | third", 0.2),
        record("c", "file2 | task", 0.0),  # perfect, but never run with a or b
    ]
    ranked = script.candidates(records)
    assert [c["spec"] for c in ranked] == ["a", "b"]
    assert [c["pairwise"] for c in ranked] == [1, -1]  # on the two shared configurations: 0.25 < 0.3
    assert all(c["not_compared"] == "c" for c in ranked)
    assert "not compared" in script._reason(ranked[0])


def test_small_discrete_samples_get_a_bias_corrected_estimator():
    """Plug-in MI is biased upwards when n is small against the alphabet (Miller 1955; Paninski 2003)."""
    choice = recommend(dim=1, n=100, kind="discrete")
    assert choice.in_regime
    plug_in = choice.estimator in {"binning", "binning-adaptive"} or (
        choice.estimator == "exact" and not choice.params.get("miller_madow")
    )
    assert not plug_in, choice


def test_high_dimensional_gaussians_do_not_get_a_nearest_neighbour_estimator():
    """k-NN estimators lose most of the MI at 25–50 dimensions per side (bmi's benchmark, Czyż et al. 2023)."""
    choice = recommend(dim=30, n=5000)
    assert choice.in_regime
    assert choice.estimator not in {"ksg", "ksg-lnc", "mixed-ksg", "kl", "wkl", "kde-ml", "kde-lse"}


def test_the_time_budget_is_respected_and_said():
    unlimited = candidates(dim=2, n=5000, mi=5.0)
    slowest_first = max(c.median_seconds for c in unlimited)
    budget = min(c.median_seconds for c in unlimited) * 1.01
    choice = recommend(dim=2, n=5000, mi=5.0, time_budget=budget)
    assert choice.median_seconds <= budget
    if unlimited[0].median_seconds > budget:
        assert choice.rank > 1 and "time budget" in choice.reason
    assert recommend(dim=2, n=5000, mi=5.0, time_budget=slowest_first) == unlimited[0]
    with pytest.raises(ValueError, match="time budget"):
        recommend(dim=2, n=5000, mi=5.0, time_budget=1e-12)


def test_the_mi_range_selects_its_regime():
    assert "MI any" in recommend(dim=2, n=5000).regime
    assert "MI ≥ 2 nats" in recommend(dim=2, n=5000, mi=5.0).regime
    assert "MI < 2 nats" in recommend(dim=2, n=5000, mi=0.5).regime


def test_a_query_outside_every_regime_gets_the_nearest_and_says_so():
    choice = recommend(dim=20, n=1000)  # 6–50 dimensions were run at n = 5,000 only
    assert not choice.in_regime
    assert "nearest regime" in choice.reason and "dim 6–50" in choice.regime
    inside = recommend(dim=20, n=5000)
    assert inside.in_regime and inside.regime == choice.regime


@pytest.mark.parametrize(
    "query, message",
    [
        ({"dim": 0, "n": 100}, "dim"),
        ({"dim": 2.5, "n": 100}, "dim"),
        ({"dim": True, "n": 100}, "dim"),
        ({"dim": 2, "n": 1}, "n must"),
        ({"dim": 2, "n": 100, "mi": -0.1}, "mi"),
        ({"dim": 2, "n": 100, "mi": math.nan}, "mi"),
        ({"dim": 2, "n": 100, "mi": math.inf}, "mi"),
        ({"dim": 2, "n": 100, "time_budget": 0}, "time_budget"),
        ({"dim": 2, "n": 100, "time_budget": -1.0}, "time_budget"),
        ({"dim": 2, "n": 100, "kind": "mixedd"}, "kind"),
    ],
)
def test_bad_queries_are_value_errors_naming_the_argument(query, message):
    with pytest.raises(ValueError, match=message):
        recommend(**query)


def test_a_table_of_another_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\.csv or \.json"):
        load_table(tmp_path / "table.txt")
    bad = tmp_path / "table.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a recommendation table"):
        load_table(bad)


def test_labels_parse_into_name_and_params(script):
    assert script.parse_label("ksg") == ("ksg", {})
    assert script.parse_label("flow(hidden=[32, 32], n_steps=60, transforms=1)") == (
        "flow",
        {"hidden": [32, 32], "n_steps": 60, "transforms": 1},
    )
    assert script.parse_table_task("gaussian-dense dim=1, mi=4.0") == ("gaussian-dense", {"dim": 1, "mi": 4.0})
    with pytest.raises(ValueError, match="key=value"):
        script.parse_label("ksg(k)")
