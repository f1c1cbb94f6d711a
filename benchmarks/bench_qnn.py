"""asv benchmarks of the quantized-network tasks: exact MI per snapshot, training speed, binning error.

Budget (issue 6): exact MI of all 6 layers of one SZT snapshot (4096 patterns) ≤ 3 ms; issue 21: ≤ 1 ms
(``snapshot_information``, which does the label work once; older commits loop over ``layer_information``). Training
speed is tracked as epochs per second of the 12-10-7-5-4-3-2 network (batch 256, 3277 patterns).
Training runs here never touch the on-disk cache (``cache=False``).
"""

from __future__ import annotations


def _imports():
    try:
        from ibbench.tasks.qnn.data import load_population
        from ibbench.tasks.qnn.exact_mi import layer_information
        from ibbench.tasks.qnn.training import TrainConfig, train
    except ImportError as exc:  # qnn not in this commit
        raise NotImplementedError(str(exc)) from exc
    return load_population, layer_information, TrainConfig, train


class QNNExactMI:
    """Exact ``(I(X;T), I(T;Y))`` of every layer of one snapshot of an initialised SZT network."""

    params = ([4, 8],)
    param_names = ["bits"]

    def setup(self, bits):
        import numpy as np
        import torch

        load_population, self.layer_information, TrainConfig, _ = _imports()
        from ibbench.tasks.qnn.network import QuantizedMLP
        from ibbench.tasks.qnn.training import network_inputs

        net = QuantizedMLP((12, 10, 7, 5, 4, 3, 2), "tanh", bits, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            _, recorded = net(network_inputs(TrainConfig()), record=True)
        self.codes = [c.numpy().astype(np.uint8) for _, c in recorded]
        self.labels = load_population("szt")[1]
        try:
            from ibbench.tasks.qnn.exact_mi import snapshot_information
        except ImportError:  # older commits: one call per layer
            snapshot_information = None
        self.snapshot_information = snapshot_information

    def time_snapshot_all_layers(self, bits):
        if self.snapshot_information is not None:
            self.snapshot_information(self.codes, self.labels, bits)
        else:
            for c in self.codes:
                self.layer_information(c, self.labels, bits)

    def time_each_layer_separately(self, bits):
        # the same call on every commit (one ``layer_information`` per layer): comparable across the history
        for c in self.codes:
            self.layer_information(c, self.labels, bits)


class QNNTraining:
    """Quantization-aware training of the SZT network (10 epochs, no cache)."""

    params = (["tanh", "relu"],)
    param_names = ["activation"]
    timeout = 600
    number = 1
    repeat = 2

    def setup(self, activation):
        _, _, TrainConfig, self.train = _imports()
        self.config = TrainConfig(activation=activation, bits=8, epochs=10, n_snapshots=5)

    def time_train_10_epochs(self, activation):
        self.train(self.config, 0, cache=False)

    def track_epochs_per_second(self, activation):
        run = self.train(self.config, 0, cache=False)
        return run.config.epochs / run.train_seconds

    track_epochs_per_second.unit = "epochs/s"


class QNNBinningError:
    """Error (bits) of 30-bin binning of unquantized activations vs exact I(X;T), last layer, 10 epochs."""

    timeout = 600

    def setup(self) -> None:
        _, _, TrainConfig, _ = _imports()
        self.config = TrainConfig(activation="tanh", bits=8, epochs=10, n_snapshots=5)
        try:
            from ibbench.studies.binning_vs_exact import run_binning_vs_exact
        except ImportError:  # older commits kept the comparison in ibbench.tasks.qnn.binning_vs_exact
            from ibbench.tasks.qnn import binning_vs_exact as bve

            def rows(config: object) -> list[dict]:
                return bve.binning_vs_exact(config, seeds=[0], n_bins=(30,))
        else:

            def rows(config: object) -> list[dict]:  # computed, not stored (store=None)
                return run_binning_vs_exact(None, config, seeds=[0], n_bins=(30,))[0]

        self.rows = rows

    def track_binning_error_bits_layer6(self) -> float:
        rows = self.rows(self.config)
        return rows[-1]["xt_error"]

    track_binning_error_bits_layer6.unit = "bits"
