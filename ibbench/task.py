"""The task contract: a distribution of (X, Y) pairs with a known mutual information."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from ibbench._math.random import as_generator
from ibbench._serial import canonical_json, jsonable


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
    """

    name: str = "task"
    family: str = "other"
    version: str = "1"
    x_kind: str = "continuous"
    y_kind: str = "continuous"
    fixed_population: bool = False

    # -- identity -----------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any]:
        """The ``__init__`` parameters (JSON-serialisable copy)."""
        sig = inspect.signature(type(self).__init__)
        names = [p for p in sig.parameters if p != "self"
                 and sig.parameters[p].kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
        return jsonable({p: getattr(self, p) for p in names})

    def identity(self) -> dict[str, Any]:
        """``{"name", "params", "version"}``: what identifies the task in a benchmark cell."""
        return {"name": self.name, "params": self.params, "version": self.version}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other) -> bool:
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

    def sample(self, n: int | None, random_state=None) -> tuple[np.ndarray, np.ndarray]:
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
