"""The task contract: a distribution of (X, Y) pairs with a known mutual information."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from ibbench.numerics.random import SeedLike, as_generator
from ibbench.serial import canonical_json, jsonable


class Task:
    """Base class of benchmark tasks.

    A task is an immutable description of a joint distribution of ``(X, Y)`` whose mutual
    information is known exactly (closed form, construction, or a deterministic numerical integral
    to a stated precision). Subclasses take their parameters as keyword arguments of ``__init__``,
    store each under the same attribute name, set the integer attributes ``dim_x`` and ``dim_y``
    (plain attributes or properties), and implement :meth:`_sample` and :meth:`_true_mi`.

    Class attributes
    ----------------
    name : str
        Registry key.
    family : str
        Task family for the leaderboard (gaussian, transforms, discrete, images, qnn, ...).
    version : str
        Bumped whenever sampling or ground truth changes.
    x_kind, y_kind : {"continuous", "discrete"}
        The kind of data each side holds.
    fixed_population : bool
        True for tasks over a finite population (quantized networks): ``sample(None)`` returns
        all of it and the seed selects the training repetition.
    role : {"benchmark", "reference"}
        ``"benchmark"`` tasks are ranked. ``"reference"`` tasks hand the estimator oracle inputs
        (e.g. the true latents of an image task, ``reference_for`` names that task): they are shown
        beside the task they are the oracle for and never ranked.
    reference_for : str or None
        For a reference task, the registry name of the task it is the oracle of.
    recoverable_by_discretisation : bool
        True when a discretising estimator can recover the true MI exactly (the quantized-network
        tasks: enough bins rebuild the integer codes of the layer, i.e. recompute the ground truth).
        Such tasks are ranked within their family only, never in the overall ranking.
    """

    name: str = "task"
    family: str = "other"
    version: str = "1"
    x_kind: str = "continuous"
    y_kind: str = "continuous"
    fixed_population: bool = False
    role: str = "benchmark"
    reference_for: str | None = None
    recoverable_by_discretisation: bool = False
    #: set by every subclass (plain attributes or properties); declared here for type checkers only
    dim_x: int
    dim_y: int
    #: ``{parameter: [constraint, ...]}`` in scikit-learn's spelling (see :mod:`ibbench.params`).
    _parameter_constraints: dict[str, Any] = {}

    # -- parameters ---------------------------------------------------------------------------
    @classmethod
    def check_params(cls, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` validated against ``_parameter_constraints`` and cast to the declared types.

        ``ValueError`` naming the task and the parameter for an unknown name, a value of the wrong
        type or out of range, or a NaN / infinite float (see :func:`ibbench.params.check_parameters`).
        The registry (:func:`ibbench.registry.get_task`) and the runner call it before building a
        task, so ``mi=1`` and ``mi=1.0`` are one task with one label and one cell key.
        """
        from ibbench.params import check_parameters, unknown_parameters

        owner = f"task {cls.name!r}"
        unknown = unknown_parameters(cls, params)
        if unknown:
            known = ", ".join(p for p in inspect.signature(cls.__init__).parameters if p != "self")
            raise ValueError(f"{owner}: unknown parameter(s) {', '.join(unknown)}; known: {known or 'none'}")
        return check_parameters(cls._parameter_constraints, params, owner)

    # -- identity -----------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any]:
        """The ``__init__`` parameters (JSON-serialisable copy)."""
        sig = inspect.signature(type(self).__init__)
        names = [
            p
            for p in sig.parameters
            if p != "self"
            and sig.parameters[p].kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        ]
        return jsonable({p: getattr(self, p) for p in names})

    def identity(self) -> dict[str, Any]:
        """``{"name", "params", "version"}``: what identifies the task in a benchmark cell."""
        return {"name": self.name, "params": self.params, "version": self.version}

    def identity_depends(self) -> dict[str, Any]:
        """Versions of code outside this class that shape the samples or the truth (part of the cell key).

        Override when a task depends on shared code with its own version (e.g. a training routine).
        """
        return {}

    @property
    def rank_scope(self) -> str:
        """Where the task is ranked: ``"overall"``, ``"family"`` (recoverable by discretisation) or
        ``"none"`` (reference task). Stored with every cell as ``task_role``."""
        return rank_scope(self.role, self.recoverable_by_discretisation)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Task) and self.identity() == other.identity()

    def __hash__(self) -> int:
        return hash(canonical_json(self.identity()))

    # -- contract -----------------------------------------------------------------------------
    @property
    def true_mi(self) -> float:
        """The mutual information I(X;Y) in nats (cached after the first call)."""
        cached = self.__dict__.get("_true_mi_cache")
        if cached is None:
            cached = float(self._true_mi())
            self.__dict__["_true_mi_cache"] = cached
        return cached

    def true_mi_for(self, seed: int) -> float:
        """The true MI (nats) of the benchmark cell with seed ``seed``.

        Equal to :attr:`true_mi` except for fixed-population tasks whose seed selects a training
        repetition with its own exact value (the qnn tasks override this); the runner calls it per cell.
        """
        return self.true_mi

    def _true_mi(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _sample(self, n: int | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError  # pragma: no cover - abstract

    def sample(self, n: int | None, random_state: SeedLike = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` i.i.d. pairs; returns ``(X, Y)`` of shapes ``(n, dim_x)`` and ``(n, dim_y)``.

        Parameters
        ----------
        n : int or None
            Number of samples (>= 1). ``None`` is only valid for fixed-population tasks and returns
            the whole population; fixed-population tasks ignore ``n``.
        random_state : None, int or numpy.random.Generator
            Same seed, same samples.
        """
        if n is None and not self.fixed_population:
            raise ValueError(f"task {self.name} needs a sample size n (only fixed-population tasks accept None)")
        if n is not None and (not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1):
            raise ValueError(f"n must be a positive integer, got {n!r}")
        X, Y = self._sample(None if n is None else int(n), as_generator(random_state))
        X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        Y = np.asarray(Y, dtype=np.float64).reshape(len(Y), -1)
        return X, Y

    @classmethod
    def get_test_params(cls) -> dict[str, Any]:
        """Small, fast parameters for the conformance suite."""
        return {}


ROLES = ("benchmark", "reference")
#: values of a cell's ``task_role`` column
RANK_SCOPES = ("overall", "family", "none")


def rank_scope(role: str, recoverable_by_discretisation: bool = False) -> str:
    """``"none"`` for reference tasks, ``"family"`` for benchmark tasks whose truth a discretising
    estimator recovers exactly, ``"overall"`` otherwise."""
    if role not in ROLES:
        raise ValueError(f"task role must be one of {ROLES}, got {role!r}")
    if role == "reference":
        return "none"
    return "family" if recoverable_by_discretisation else "overall"
