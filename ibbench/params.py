"""Declared parameters: validate a parameter dict against ``_parameter_constraints`` and cast it.

Estimators and tasks declare the type and range of each parameter once, in a class attribute
``_parameter_constraints`` written as in scikit-learn (``sklearn.utils._param_validation``)::

    _parameter_constraints = {
        "k": [Interval(Integral, 1, None, closed="left")],
        "algorithm": [Options(Integral, {1, 2})],
        "neighbors": [StrOptions({"auto", "tree", "brute"})],
        "standardize": ["boolean"],
        "random_state": ["random_state"],
    }

A value is valid if one constraint of its list accepts it. Unlike scikit-learn's
``validate_parameter_constraints`` (which only checks), :func:`check_parameters` also **casts** a
valid value to the declared type, so that every spelling of a value gives one benchmark cell with
one label and one key:

* an ``Integral`` interval or options accept ints and integral floats (``3.0`` → ``3``; ``1.9`` and
  ``1e400`` are rejected) but never booleans (``True`` is not ``k = 1``);
* a ``Real`` interval accepts ints and floats, returned as ``float`` (``1`` → ``1.0``), and never
  booleans, NaN or ±inf (whatever the bounds);
* ``"boolean"`` accepts ``bool`` and ``numpy.bool_`` only (not 0/1);
* ``"random_state"`` accepts None, an int >= 0 (integral floats cast), a ``numpy.random.Generator``
  or ``RandomState``;
* :class:`IntSequence` accepts a list or tuple of ints (integral floats cast) within bounds;
* every other constraint of scikit-learn (``None``, a type, ``callable``, ``StrOptions``, ...)
  checks without casting.

Whatever the constraints, a NaN or infinite float anywhere in a parameter (nested lists and dicts
included) is rejected: a cell's identity is canonical JSON, which has no such numbers. Parameters
without a constraint are passed through (plug-ins need not declare any).
"""

from __future__ import annotations

import inspect
import math
from numbers import Integral, Real
from typing import Any

import numpy as np

# scikit-learn's constraint classes have no public module; ibbench re-exports them from here so that
# a change on sklearn's side is fixed in one place.
from sklearn.utils._param_validation import Interval, Options, StrOptions, make_constraint  # noqa: PLC2701

__all__ = ["Interval", "Options", "StrOptions", "IntSequence", "check_parameters", "unknown_parameters"]


class _Reject(Exception):
    """A constraint does not accept a value."""


class IntSequence:
    """Constraint: a list or tuple of ``min_len``…``max_len`` ints, each >= ``min_value``.

    Integral floats are cast to int; the sequence keeps its type (list or tuple).
    """

    def __init__(self, min_len: int = 1, max_len: int | None = None, min_value: int = 1) -> None:
        self.min_len, self.max_len, self.min_value = min_len, max_len, min_value
        self.hidden = False

    def cast(self, value: Any) -> list[int] | tuple[int, ...]:
        if not isinstance(value, (list, tuple)):
            raise _Reject
        if len(value) < self.min_len or (self.max_len is not None and len(value) > self.max_len):
            raise _Reject
        items = [_as_int(v) for v in value]
        if any(v < self.min_value for v in items):
            raise _Reject
        return type(value)(items)

    def is_satisfied_by(self, value: Any) -> bool:
        try:
            self.cast(value)
        except _Reject:
            return False
        return True

    def __str__(self) -> str:
        length = (
            f"{self.min_len}"
            if self.max_len == self.min_len
            else f"{self.min_len} to {self.max_len}"
            if self.max_len is not None
            else f"at least {self.min_len}"
        )
        return f"a list of {length} ints >= {self.min_value}"


def _as_int(value: Any) -> int:
    """``value`` as an int if it is a (non-boolean) integer or an integral finite float."""
    if isinstance(value, (bool, np.bool_)):
        raise _Reject
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real) and math.isfinite(value) and float(value).is_integer():
        return int(math.trunc(value))  # == int(value); numbers.Real only promises __trunc__
    raise _Reject


def _as_float(value: Any) -> float:
    """``value`` as a finite float if it is a (non-boolean) real number."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise _Reject
    value = float(value)
    if not math.isfinite(value):
        raise _Reject
    return value


def _cast(value: Any, constraint: Any) -> Any:
    """``value`` cast to what ``constraint`` declares; ``_Reject`` when it does not accept it."""
    if isinstance(constraint, str) and constraint == "random_state":
        if value is None or isinstance(value, (np.random.Generator, np.random.RandomState)):
            return value
        value = _as_int(value)
        if value < 0:
            raise _Reject
        return value
    if isinstance(constraint, str) and constraint == "boolean":
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        raise _Reject
    if hasattr(constraint, "cast"):
        return constraint.cast(value)
    if isinstance(constraint, Interval):
        value = _as_int(value) if constraint.type is Integral else _as_float(value)
        if value not in constraint:
            raise _Reject
        return value
    if isinstance(constraint, Options) and constraint.type is Integral:
        value = _as_int(value)
        if value not in constraint.options:
            raise _Reject
        return value
    if isinstance(constraint, Options) and constraint.type is Real:
        value = _as_float(value)
        if value not in constraint.options:
            raise _Reject
        return value
    if not make_constraint(constraint).is_satisfied_by(value):
        raise _Reject
    return value


def _describe(constraints: list[Any]) -> str:
    shown = []
    for c in constraints:
        if isinstance(c, str) and c == "random_state":
            shown.append("None, an int >= 0 or a numpy Generator")
        elif isinstance(c, str) and c == "boolean":
            shown.append("true or false")
        elif hasattr(c, "cast"):
            shown.append(str(c))
        elif isinstance(c, Options):  # sorted: scikit-learn prints the set in hash order
            shown.append("one of " + ", ".join(repr(o) for o in sorted(c.options, key=str)))
        else:
            made = make_constraint(c)
            if not made.hidden:
                shown.append(str(made))
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _first_non_finite(value: Any, path: str) -> str | None:
    """The path of the first NaN or infinite float in ``value`` (nested lists, tuples, dicts), else None."""
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return path
    if isinstance(value, dict):
        items = ((f"{path}.{k}", v) for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for sub, v in items:
        found = _first_non_finite(v, sub)
        if found:
            return found
    return None


def check_parameters(constraints: dict[str, Any], params: dict[str, Any], owner: str) -> dict[str, Any]:
    """``params`` validated against ``constraints`` and cast to the declared types (see the module notes).

    Parameters
    ----------
    constraints : dict
        ``{name: [constraint, ...]}`` (scikit-learn spelling) or ``{name: "no_validation"}``;
        parameters without an entry are not checked (except for NaN / inf).
    params : dict
        The parameters to check.
    owner : str
        Who the parameters belong to, for the message (``"estimator 'ksg'"``).

    Returns
    -------
    dict
        A new dict: the same keys, each value cast to its declared type.

    Raises
    ------
    ValueError
        Naming ``owner``, the parameter, what was expected and the offending value.
    """
    out = {}
    for name, value in params.items():
        declared = constraints.get(name, "no_validation")
        if declared != "no_validation":
            for constraint in declared:
                try:
                    value = _cast(value, constraint)
                    break
                except _Reject:
                    continue
            else:
                raise ValueError(f"{owner}: parameter {name} must be {_describe(declared)}, got {value!r}")
        bad = _first_non_finite(value, name)
        if bad:
            raise ValueError(f"{owner}: parameter {bad} must be a finite number, got {value!r}")
        out[name] = value
    return out


def unknown_parameters(cls: type[Any], params: dict[str, Any]) -> list[str]:
    """The names in ``params`` that ``cls.__init__`` does not take (none if it takes ``**kwargs``)."""
    sig = inspect.signature(cls.__init__)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
        return []
    return sorted(set(params) - set(sig.parameters) - {"self"})
