"""Studies: analyses that run estimators (or train networks) outside a benchmark grid, and store their results.

A study is a unit of work, not a plot. It computes what is missing, stores every finished unit in
the results store (the ``study_rows`` table of the same SQLite file, keyed by the sha256 of the
unit's identity, which names every version that can change the result: the study's, the qnn
training / exact-MI / data code's, and the estimator's), and reports progress. Re-running a study
skips finished units. Plots read the stored results and never compute: a plot whose study has not
been run raises a ``ValueError`` naming the ``ibbench study ...`` command that computes it.

Estimators are seeded as the runner seeds them (:func:`ibbench.execution.execute_cell`): a
stochastic estimator whose ``random_state`` is None gets ``derive_seed(seed, 1)``, with ``seed`` the
training repetition (the cell seed of the ``qnn-*`` tasks).

Studies:

* :mod:`.info_planes` — exact information planes of quantized networks per training repetition,
  optionally with the plane an estimator finds on the dequantized activations
  (``ibbench study info-planes``; drawn by ``ibbench plot --kind info-plane``);
* :mod:`.binning_vs_exact` — binning of the unquantized activations against the exact MI of the
  quantized layer (``ibbench study binning-vs-exact``).
"""

from __future__ import annotations

STUDIES: tuple[str, ...] = ("info-planes", "binning-vs-exact")
