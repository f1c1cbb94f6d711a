"""Peer implementations (bmi, latentmi, ...) run from ibbench, each in its own virtual environment.

``ibbench peers install NAME`` creates the environment (:mod:`ibbench.peers.envs`); the adapter
estimators of :data:`PEER_ESTIMATORS` (:mod:`ibbench.peers.adapters`) then join the registry:
:func:`installed_peer_estimators` is merged into the estimator lookup only for installed peers, so
``ibbench.list_estimators()`` (and the conformance suite iterating it) never lists an adapter that
cannot run. ``ibbench list estimators`` shows the others as "not installed". See docs/peers.md.
"""

from __future__ import annotations

from ibbench.peers.envs import PEERS, is_installed

#: Adapter name -> (peer, "module:Class"). Not part of ``BUILTIN_ESTIMATORS``: the golden outputs and
#: the default tests never need a peer.
PEER_ESTIMATORS: dict[str, tuple[str, str]] = {
    "bmi-cca": ("bmi", "ibbench.peers.adapters:BmiCCA"),
    "bmi-dv": ("bmi", "ibbench.peers.adapters:BmiDV"),
    "bmi-histogram": ("bmi", "ibbench.peers.adapters:BmiHistogram"),
    "bmi-infonce": ("bmi", "ibbench.peers.adapters:BmiInfoNCE"),
    "bmi-ksg": ("bmi", "ibbench.peers.adapters:BmiKSG"),
    "bmi-mine": ("bmi", "ibbench.peers.adapters:BmiMINE"),
    "bmi-nwj": ("bmi", "ibbench.peers.adapters:BmiNWJ"),
    "latentmi": ("latentmi", "ibbench.peers.adapters:LatentMI"),
}


def installed_peer_estimators() -> dict[str, str]:
    """``{name: "module:Class"}`` of the adapters whose peer environment is installed."""
    ready = {peer for peer in PEERS if is_installed(peer)}
    return {name: ref for name, (peer, ref) in PEER_ESTIMATORS.items() if peer in ready}


def not_installed_hint(name: str) -> str | None:
    """For an adapter whose peer is not installed: "not installed (ibbench peers install PEER)"; else None."""
    if name not in PEER_ESTIMATORS:
        return None
    peer = PEER_ESTIMATORS[name][0]
    return None if is_installed(peer) else f"not installed (ibbench peers install {peer})"


__all__ = ["PEERS", "PEER_ESTIMATORS", "installed_peer_estimators", "not_installed_hint"]
