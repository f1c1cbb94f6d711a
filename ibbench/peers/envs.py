"""Where the peers' virtual environments live, what is pinned in them, and how they are installed.

Each peer gets its own virtual environment, created with the Python that runs ibbench
(``sys.executable -m venv``), because the peers pin packages ibbench cannot share (bmi 0.1.3
needs ``numpy<2``, ``pandas<2`` and ``jax==0.4.30``). The environments live in ``$IBBENCH_PEERS``,
by default ``~/.cache/ibbench/peers`` (deliberately not under ``$IBBENCH_CACHE``, which the test
suite points at a temporary directory: an installation is not a cache entry), one folder per peer.

A folder counts as installed only once its manifest ``ibbench-peer.json`` exists; it is written
after every ``pip install`` succeeded and records the installed versions of the peer's key
packages, which are part of every adapter cell's key (:meth:`ibbench.peers.adapters.PeerEstimator.identity_parts`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Name of the manifest written into a peer environment after a successful install.
MANIFEST = "ibbench-peer.json"


@dataclass(frozen=True)
class PeerSpec:
    """What one peer environment contains.

    Parameters
    ----------
    name : str
        Peer name (``ibbench peers install NAME``).
    summary : str
        One line: the package and its paper.
    first : tuple of str
        Requirements installed before ``requirements`` (the local CPU torch wheel, so pip never
        resolves a CUDA build).
    requirements : tuple of str
        Pinned requirements of the peer.
    recorded : tuple of str
        Distributions whose installed versions are recorded in the manifest (and cell keys).
    """

    name: str
    summary: str
    first: tuple[str, ...]
    requirements: tuple[str, ...]
    recorded: tuple[str, ...]


#: The torch pin of the project README (the local CPU wheel).
TORCH_PIN = "torch==2.13.0"

PEERS: dict[str, PeerSpec] = {
    "bmi": PeerSpec(
        name="bmi",
        summary="benchmark-mi (Czyż et al., NeurIPS 2023): KSG, CCA, histogram and neural estimators in JAX",
        first=(),
        requirements=("benchmark-mi==0.1.3", "jax==0.4.30", "jaxlib==0.4.30", "numpy<2", "pandas<2"),
        recorded=("benchmark-mi", "jax", "jaxlib", "numpy", "scipy", "scikit-learn"),
    ),
    "latentmi": PeerSpec(
        name="latentmi",
        summary="latentmi (Gowri et al., 2024): KSG on jointly learned low-dimensional latents (LMI)",
        first=(TORCH_PIN,),
        requirements=("latentmi==0.1.3", "numpy<2"),
        recorded=("latentmi", "torch", "numpy", "scipy", "scikit-learn"),
    ),
    "torch-mist": PeerSpec(
        name="torch-mist",
        summary="torch-mist (Federici et al.): variational MI bounds in torch",
        first=(TORCH_PIN,),
        # torch-mist 0.2.17 imports pandas without declaring it (ModuleNotFoundError otherwise)
        requirements=("torch-mist==0.2.17", "numpy<2", "pandas"),
        recorded=("torch-mist", "torch", "numpy", "pandas"),
    ),
}


def peer_spec(name: str) -> PeerSpec:
    """The :class:`PeerSpec` of peer ``name``; ``ValueError`` naming the known peers otherwise."""
    if name not in PEERS:
        raise ValueError(f"unknown peer {name!r}; known peers: {', '.join(sorted(PEERS))}")
    return PEERS[name]


def peers_root() -> Path:
    """``$IBBENCH_PEERS``, else ``~/.cache/ibbench/peers``."""
    root = os.environ.get("IBBENCH_PEERS")
    return Path(root) if root else Path.home() / ".cache" / "ibbench" / "peers"


def env_dir(name: str) -> Path:
    """The folder of peer ``name``'s virtual environment (whether it exists or not)."""
    return peers_root() / peer_spec(name).name


def env_python(name: str) -> Path:
    """The Python interpreter of peer ``name``'s environment."""
    scripts = "Scripts" if os.name == "nt" else "bin"
    return env_dir(name) / scripts / ("python.exe" if os.name == "nt" else "python")


def manifest(name: str) -> dict[str, Any] | None:
    """The manifest of peer ``name``'s environment, or None when it is not (completely) installed."""
    path = env_dir(name) / MANIFEST
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not env_python(name).exists():
        return None
    return data


def is_installed(name: str) -> bool:
    """Whether peer ``name``'s environment exists and its install finished."""
    return manifest(name) is not None


def installed_versions(name: str) -> dict[str, str]:
    """``{distribution: version}`` recorded at install time (empty when not installed)."""
    data = manifest(name) or {}
    versions = data.get("versions", {})
    return {str(k): str(v) for k, v in versions.items()} if isinstance(versions, dict) else {}


def _pip(python: Path, requirements: tuple[str, ...], log: Any) -> None:
    if not requirements:
        return
    command = [str(python), "-m", "pip", "install", *requirements]
    log.write(f"$ {' '.join(command)}\n")
    log.flush()
    done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pip install {' '.join(requirements)} failed (exit {done.returncode})")


_VERSIONS_SNIPPET = (
    "import json, sys\n"
    "from importlib.metadata import version, PackageNotFoundError\n"
    "out = {}\n"
    "for d in sys.argv[1:]:\n"
    "    try:\n"
    "        out[d] = version(d)\n"
    "    except PackageNotFoundError:\n"
    "        pass\n"
    "print(json.dumps(out))\n"
)


def install(name: str, *, force: bool = False) -> dict[str, Any]:
    """Create peer ``name``'s virtual environment and install its pinned requirements.

    The environment is made with ``sys.executable -m venv --clear`` (an unfinished earlier attempt is
    replaced); pip's output goes to ``install.log`` inside it. Returns the manifest (also written to
    ``ibbench-peer.json``): peer, requirements, recorded versions, python version, install seconds.

    Parameters
    ----------
    name : str
        A key of :data:`PEERS`.
    force : bool, default False
        Reinstall even if the environment is already installed.

    Raises
    ------
    ValueError
        Unknown peer.
    RuntimeError
        ``venv`` or ``pip`` failed; the message has the tail of ``install.log``.
    """
    spec = peer_spec(name)
    if is_installed(name) and not force:
        return manifest(name) or {}
    target = env_dir(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.rmtree(target)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(target)], check=True)
    python = env_python(name)
    log_path = target / "install.log"
    try:
        with log_path.open("w") as log:
            _pip(python, spec.first, log)
            _pip(python, spec.requirements, log)
        probe = subprocess.run(
            [str(python), "-c", _VERSIONS_SNIPPET, *spec.recorded], capture_output=True, text=True, check=True
        )
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:]) if log_path.exists() else ""
        raise RuntimeError(f"installing peer {name!r} into {target} failed: {exc}\n{tail}") from exc
    data = {
        "peer": name,
        "requirements": [*spec.first, *spec.requirements],
        "versions": json.loads(probe.stdout),
        "python": sys.version.split()[0],
        "install_seconds": round(time.perf_counter() - start, 1),
    }
    (target / MANIFEST).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return data
