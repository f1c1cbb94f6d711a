"""Quantized-network tasks with exact mutual information (Lorenzen, Igel & Nielsen, ICLR 2022).

Modules: :mod:`.data` (the SZT patterns and the digits images), :mod:`.network` (quantized MLPs in
torch), :mod:`.training` (seeded quantization-aware training, snapshots, on-disk cache),
:mod:`.exact_mi` (exact per-layer MI) and :mod:`.tasks` (the registered ``qnn-*`` tasks). The
analyses that run estimators on these networks (information planes, binning against the exact
values) are studies: :mod:`ibbench.studies`. Importing this package does not import torch.
"""
