"""Quantized MLPs in torch: fake quantization with straight-through gradients (Lorenzen et al. 2022).

Every layer's output ``T`` is fake-quantized to ``2**bits`` evenly spaced levels that include both
end points of the layer's range: tanh ``[−1, 1]``; ReLU ``[0, m]`` with ``m`` the running maximum
of the layer's activations seen in training (frozen when a snapshot is taken); the softmax output
``[0, 1]``. Weights are fake-quantized symmetrically over ``[−max|W|, max|W|]`` per layer (biases
stay in float). Gradients pass straight through the rounding (Bengio et al. 2013). The network's
forward pass in float64 on CPU is deterministic, so snapshots are reproducible bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ibbench.tasks.qnn.training import ACTIVATIONS


def quantize_codes(a: torch.Tensor, lo, hi, bits: int) -> torch.Tensor:
    """Integer codes ``0 … 2**bits − 1`` of ``a`` on the evenly spaced grid over ``[lo, hi]`` (clipped)."""
    levels = 2**bits - 1
    with torch.no_grad():
        return ((a - lo) * (levels / (hi - lo))).round_().clamp_(0, levels)


def dequantize(codes, lo, hi, bits: int):
    """Values ``lo + code · (hi − lo) / (2**bits − 1)`` of integer codes (numpy or torch)."""
    return lo + codes * ((hi - lo) / (2**bits - 1))


class _StraightThrough(torch.autograd.Function):
    """Forward: the given quantized values; backward: the gradient w.r.t. the unquantized input."""

    @staticmethod
    def forward(ctx, a, values):
        return values

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def fake_quantize(a: torch.Tensor, lo, hi, bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Quantize-dequantize ``a`` with a straight-through gradient; returns ``(values, codes)``.

    The forward value is the nearest of the ``2**bits`` levels over ``[lo, hi]``; the backward pass
    treats the operation as the identity (straight-through estimator).

    References
    ----------
    Y. Bengio, N. Léonard, A. Courville, "Estimating or propagating gradients through stochastic
    neurons for conditional computation", 2013 (straight-through estimator). B. Jacob et al.,
    "Quantization and training of neural networks for efficient integer-arithmetic-only inference",
    CVPR 2018, eq. (12) (fake quantization).
    """
    codes = quantize_codes(a, lo, hi, bits)
    with torch.no_grad():
        values = dequantize(codes, lo, hi, bits)
    return (_StraightThrough.apply(a, values) if a.requires_grad else values), codes


class QuantizedMLP(nn.Module):
    """A fully connected network whose layer outputs (and weights) are fake-quantized.

    Parameters
    ----------
    widths : sequence of int
        Layer widths from the input to the softmax output, e.g. ``(12, 10, 7, 5, 4, 3, 2)``.
    activation : {"tanh", "relu"}
        Activation of the hidden layers.
    bits : int
        Bits per quantized value (``2 ≤ bits ≤ 16``).
    quantize_weights : bool, default True
        Fake-quantize each weight matrix symmetrically over ``[−max|W|, max|W|]``.
    init_fan : {"in", "out"}, default "in"
        ``d_T`` of the initialisation: weights of layer ``T`` are drawn from a normal with mean 0 and
        standard deviation ``1/sqrt(d_T)`` truncated at ±2 standard deviations, ``d_T`` the layer's
        fan-in (our reading of the paper) or fan-out. Biases start at 0.
    generator : torch.Generator, optional
        Source of the initial weights.

    Attributes
    ----------
    relu_max : torch.Tensor of shape (n_hidden,)
        Running maxima ``m`` of the ReLU layers (buffer; unused for tanh).

    References
    ----------
    S. S. Lorenzen, C. Igel, M. Nielsen, "Information Bottleneck: Exact Analysis of (Quantized)
    Neural Networks", ICLR 2022, Sec. 3–4 (quantization-aware training; the network of Fig. 1a).
    """

    def __init__(self, widths, activation="tanh", bits=8, quantize_weights=True, init_fan="in", generator=None):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if not 2 <= int(bits) <= 16:
            raise ValueError(f"bits must be an integer in [2, 16], got {bits!r}")
        if init_fan not in ("in", "out"):
            raise ValueError(f"init_fan must be 'in' or 'out', got {init_fan!r}")
        self.widths = tuple(int(w) for w in widths)
        self.activation = activation
        self.bits = int(bits)
        self.quantize_weights = bool(quantize_weights)
        self.layers = nn.ModuleList(nn.Linear(a, b, dtype=torch.float64) for a, b in zip(self.widths, self.widths[1:]))
        with torch.no_grad():
            for lin in self.layers:
                std = 1.0 / math.sqrt(lin.in_features if init_fan == "in" else lin.out_features)
                nn.init.trunc_normal_(lin.weight, 0.0, std, -2.0 * std, 2.0 * std, generator=generator)
                lin.bias.zero_()
        self.register_buffer("relu_max", torch.zeros(len(self.layers) - 1, dtype=torch.float64))

    @property
    def n_layers(self) -> int:
        """Number of layers with an output ``T`` (hidden layers and the softmax output)."""
        return len(self.layers)

    def _weight(self, lin: nn.Linear) -> torch.Tensor:
        if not self.quantize_weights:
            return lin.weight
        w_max = lin.weight.detach().abs().max().clamp_min(1e-12)
        return fake_quantize(lin.weight, -w_max, w_max, self.bits)[0]

    def layer_range(self, index: int) -> tuple[float, float]:
        """The quantization range ``(lo, hi)`` of layer ``index`` (0-based) with the current ``m``."""
        if index == self.n_layers - 1:
            return 0.0, 1.0
        if self.activation == "tanh":
            return -1.0, 1.0
        m = float(self.relu_max[index])
        return 0.0, (m if m > 0 else 1.0)  # a dead ReLU layer (m = 0) gets the unit range

    def forward(self, x: torch.Tensor, track_range: bool = False, record: bool = False):
        """Logits of the last layer, and (with ``record``) every layer's float output and codes.

        Parameters
        ----------
        x : tensor of shape (n, widths[0])
        track_range : bool
            Update the ReLU running maxima with this batch (training).
        record : bool
            Also return ``[(pre_quantization_values, codes), ...]`` for every layer, the last being
            the softmax probabilities.
        """
        recorded = []
        h = x
        for i, lin in enumerate(self.layers):
            z = nn.functional.linear(h, self._weight(lin), lin.bias)
            if i == self.n_layers - 1:
                logits = z
                a = torch.softmax(z, dim=1)
            else:
                a = torch.tanh(z) if self.activation == "tanh" else torch.relu(z)
                if track_range and self.activation == "relu":
                    with torch.no_grad():
                        self.relu_max[i] = torch.maximum(self.relu_max[i], a.detach().max())
            lo, hi = self.layer_range(i)
            h, codes = fake_quantize(a, lo, hi, self.bits)
            if record:
                recorded.append((a.detach(), codes))
        return (logits, recorded) if record else logits

    def ranges(self) -> np.ndarray:
        """Current ``(lo, hi)`` of every layer, shape ``(n_layers, 2)``."""
        return np.array([self.layer_range(i) for i in range(self.n_layers)], dtype=np.float64)
