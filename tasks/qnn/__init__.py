"""Quantized-network tasks with exact mutual information (Lorenzen, Igel & Nielsen, ICLR 2022).

Modules: :mod:`.data` (the SZT patterns and the digits images), :mod:`.network` (quantized MLPs in
torch), :mod:`.training` (seeded quantization-aware training, snapshots, on-disk cache),
:mod:`.exact_mi` (exact per-layer MI), :mod:`.tasks` (the registered ``qnn-*`` tasks) and
:mod:`.binning_vs_exact` (the binning baselines against the exact values). Importing this package
does not import torch.
"""
