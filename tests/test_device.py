"""The ``device`` parameter of the torch estimators: resolution, errors, cell keys and stored rows."""

import pytest
import torch

import ibbench
from ibbench.estimators.torch_utils import device_identity, resolve_device
from ibbench.identity import cell_identity, estimator_identity, identity_key, task_identity
from ibbench.registry import get_estimator_class
from ibbench.tasks.gaussian import DenseGaussian

TORCH_ESTIMATORS = ["mine", "nwj", "infonce", "dv", "smile", "js", "compressed-ae"]
no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")


def _key(name, **params):
    task = ibbench.get_task("gaussian-dense", dim=1, mi=0.5)
    ident = estimator_identity(name, ibbench.get_estimator(name, **params))
    return identity_key(cell_identity(ident, task_identity(task), 1000, 0))


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device must be one of"):
        resolve_device("tpu")


@no_gpu
def test_cuda_without_a_gpu_is_a_value_error_naming_the_problem():
    with pytest.raises(ValueError, match="no usable CUDA GPU"):
        resolve_device("cuda")
    X, Y = DenseGaussian(dim=1, mi=0.5).sample(200, random_state=0)
    for name in TORCH_ESTIMATORS:
        est = ibbench.get_estimator(name, device="cuda", **get_estimator_class(name).get_test_params())
        with pytest.raises(ValueError, match="CUDA"):
            est.fit(X, Y)


@pytest.mark.parametrize("name", TORCH_ESTIMATORS)
def test_bad_device_is_rejected_by_the_constraints(name):
    X, Y = DenseGaussian(dim=1, mi=0.5).sample(200, random_state=0)
    with pytest.raises(ValueError, match="device"):
        ibbench.get_estimator(name, device="gpu").fit(X, Y)


@no_gpu
@pytest.mark.parametrize("name", TORCH_ESTIMATORS)
def test_auto_on_a_cpu_machine_is_the_cpu_cell_and_cuda_is_another(name):
    assert _key(name, device="auto") == _key(name) == _key(name, device="cpu")
    assert _key(name, device="cuda") != _key(name)
    assert device_identity("auto") == {} and device_identity("cuda") == {"device": "cuda"}


@pytest.mark.parametrize(
    ("name", "params", "legacy_params"),
    [
        ("mine", {}, {}),
        ("mine", {"n_steps": 200}, {"n_steps": 200}),
        ("nwj", {"n_steps": 200.0, "device": "cpu"}, {"n_steps": 200.0}),
        ("infonce", {"batch_size": 64, "early_stopping": False}, {"batch_size": 64}),
        ("ksg", {"k": 5}, {"k": 5}),
    ],
)
def test_existing_cell_keys_are_unchanged(name, params, legacy_params):
    """The identity of a CPU cell, spelled out by hand as the key scheme had it before ``device`` and
    ``early_stopping`` existed: name, version and the non-default params, no parts."""
    version = get_estimator_class(name).version
    legacy = {"name": name, "version": version, "params": legacy_params}
    task = task_identity(ibbench.get_task("gaussian-dense", dim=1, mi=0.5))
    assert _key(name, **params) == identity_key(cell_identity(legacy, task, 1000, 0))


def test_compressed_ae_cpu_parts_are_unchanged():
    parts = ibbench.get_estimator("compressed-ae", device="auto" if not torch.cuda.is_available() else "cpu")
    assert set(parts.identity_parts()) == {"estimator", "cache_format"}


def test_the_resolved_device_is_recorded_in_the_row():
    from ibbench.execution import _fitted_extras

    X, Y = DenseGaussian(dim=1, mi=0.5).sample(300, random_state=0)
    est = ibbench.get_estimator("dv", n_steps=5, device="auto", random_state=0).fit(X, Y)
    assert est.device_ == str(resolve_device("auto"))
    assert _fitted_extras(est)["device"] == est.device_
    ae = ibbench.get_estimator("compressed-ae", device="auto", **get_estimator_class("compressed-ae").get_test_params())
    assert _fitted_extras(ae.fit(X, Y))["device"] == str(resolve_device("auto"))
    assert "device" not in _fitted_extras(ibbench.get_estimator("ksg").fit(X, Y))
