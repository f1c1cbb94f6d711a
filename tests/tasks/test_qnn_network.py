"""Fake quantization, straight-through gradients and the quantized MLP."""

import numpy as np
import pytest
import torch

from ibbench.tasks.qnn.network import QuantizedMLP, dequantize, fake_quantize


def test_fake_quantize_levels_include_the_end_points():
    a = torch.linspace(-1, 1, 1001, dtype=torch.float64)
    values, codes = fake_quantize(a, -1.0, 1.0, 4)
    assert codes.min() == 0 and codes.max() == 15 and len(torch.unique(codes)) == 16
    assert values[0] == -1.0 and values[-1] == 1.0
    # nearest level: the error is at most half a step
    assert (values - a).abs().max() <= (2.0 / 15) / 2 + 1e-12
    assert torch.equal(values, dequantize(codes, -1.0, 1.0, 4))


def test_straight_through_gradient_is_the_identity():
    a = torch.linspace(-0.9, 0.9, 11, dtype=torch.float64, requires_grad=True)
    w = torch.arange(11, dtype=torch.float64)
    values, _ = fake_quantize(torch.tanh(a), -1.0, 1.0, 2)
    (values * w).sum().backward()
    expected = (1 - torch.tanh(a.detach()) ** 2) * w
    assert torch.allclose(a.grad, expected)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_layers_output_at_most_2_to_the_bits_levels(activation):
    net = QuantizedMLP((12, 10, 7, 5, 4, 3, 2), activation, bits=4, generator=torch.Generator().manual_seed(0))
    x = torch.from_numpy(np.random.default_rng(0).integers(0, 2, (500, 12)).astype(np.float64))
    net(x, track_range=True)
    _, recorded = net(x, record=True)
    assert len(recorded) == 6
    for i, (a, codes) in enumerate(recorded):
        assert codes.min() >= 0 and codes.max() <= 15
        lo, hi = net.layer_range(i)
        # the codes are the nearest levels of the unquantized activations
        step = (hi - lo) / 15
        assert (dequantize(codes, lo, hi, 4) - a.clamp(lo, hi)).abs().max() <= step / 2 + 1e-12
    if activation == "relu":
        assert (net.relu_max > 0).all()
    w = net._weight(net.layers[0])
    assert len(torch.unique(w)) <= 16


def test_initialisation_is_truncated_normal_with_fan_in_scale():
    net = QuantizedMLP((400, 300, 2), "tanh", 8, generator=torch.Generator().manual_seed(1))
    w = net.layers[0].weight.detach().numpy()
    std = 1 / np.sqrt(400)
    assert np.abs(w).max() <= 2 * std
    # a N(0, s^2) truncated at ±2s has standard deviation 0.8796 s; 120000 draws: SE ≈ 0.3 %
    assert abs(w.std() / std - 0.8796) < 0.01
    assert (net.layers[0].bias == 0).all()


def test_bad_parameters():
    with pytest.raises(ValueError, match="activation"):
        QuantizedMLP((3, 2), "sigmoid")
    with pytest.raises(ValueError, match="bits"):
        QuantizedMLP((3, 2), "tanh", bits=1)
