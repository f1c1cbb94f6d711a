"""Scheduling of a run's cells (runner.estimator_major): order only, never which cells."""

from ibbench.runner import build_grid, estimator_major


def test_cells_are_grouped_by_estimator_in_grid_order_within():
    tasks = [("gaussian-dense", {"dim": 1, "mi": 0.5}), ("gaussian-dense", {"dim": 2, "mi": 1.0})]
    grid = build_grid([("ksg", {}), ("kl", {}), ("ksg", {"k": 5})], tasks, [100, 200], [0, 1])
    ordered = estimator_major(grid)
    assert sorted(c.key for c in ordered) == sorted(c.key for c in grid)  # the same cells
    labels = [c.estimator_label for c in ordered]
    groups = [label for i, label in enumerate(labels) if i == 0 or labels[i - 1] != label]
    assert groups == ["ksg", "kl", "ksg(k=5)"]  # contiguous, in order of first appearance
    for label in groups:  # grid order (task, n, seed) kept inside each group
        assert [c for c in ordered if c.estimator_label == label] == [c for c in grid if c.estimator_label == label]
