#!/usr/bin/env bash
# Regenerate leaderboards/paper/ (see REPORT.md). Run from the repository root in the project's
# environment (`pip install torch==2.13.0 && pip install .`). Every step is resumable/cached:
# re-running skips finished benchmark cells and study units (SQLite store) and trained networks ($IBBENCH_CACHE).
# Compute on the 2-core machine: see RUNS.md (benchmark run) and REPORT.md (network trainings).
set -euo pipefail
OUT=leaderboards/paper
STORE=${STORE:-paper.sqlite}
EPOCHS=${EPOCHS:-1000}     # all four settings at 1000 epochs; step 3b adds the paper's 8000 for the 8-bit nets
mkdir -p "$OUT/plots"

# 1. the benchmark grid: Butakov et al. image sweeps (ideal / autoencoder / PCA / raw) + quantized nets
ibbench run --suite paper --store "$STORE" --jobs 2

# 2. Butakov et al. Figs. 3/4: estimate vs true MI per image family and size, raw pixels, summary table
ibbench plot --kind compression --store "$STORE" --out "$OUT/plots"
mv "$OUT/plots/compression-summary.md" "$OUT/compression-summary.md"

# 3. Lorenzen et al. Figs. 1-2: exact information planes (binning of the dequantized layers beside them),
#    6 repetitions, runs that never trained left out; phase tables; binning of unquantized activations vs exact.
#    `ibbench study` trains the networks and stores the planes in the store (resumable, with progress);
#    `ibbench plot --kind info-plane` only reads them.
B30='{"n_bins": 30}'
ibbench study info-planes --store "$STORE" --epochs $EPOCHS --seeds 6 --min-accuracy 0.6 \
    --estimator binning --estimator-params "$B30" --out "$OUT/qnn-phases-szt.md"
ibbench study info-planes --store "$STORE" --dataset digits --bits 4,8 --epochs 1000 --seeds 6 --min-accuracy 0.3 \
    --estimator binning --estimator-params "$B30" --out "$OUT/qnn-phases-digits.md"
ibbench study binning-vs-exact --store "$STORE" --epochs $EPOCHS --seeds 6 --min-accuracy 0.6 \
    --out "$OUT/qnn-binning-vs-exact-szt.md"
ibbench plot --kind info-plane --store "$STORE" --out "$OUT/plots" --option epochs=$EPOCHS --option seeds=6 \
    --option min_accuracy=0.6 --option estimator=binning --option "estimator_params=$B30"
ibbench plot --kind info-plane --store "$STORE" --out "$OUT/plots" --option dataset=digits --option epochs=1000 \
    --option seeds=6 --option min_accuracy=0.3 --option estimator=binning --option "estimator_params=$B30"

# 3b. the paper's 8000-epoch schedule for the 8-bit nets (6 repetitions each, ~4 min per run and core)
mkdir -p "$OUT/plots-8000-epochs"
ibbench study info-planes --store "$STORE" --bits 8 --epochs 8000 --seeds 6 --min-accuracy 0.6 \
    --estimator binning --estimator-params "$B30" --out "$OUT/qnn-phases-szt-8000-epochs.md"
ibbench study binning-vs-exact --store "$STORE" --bits 8 --epochs 8000 --seeds 6 --min-accuracy 0.6 \
    --out "$OUT/qnn-binning-vs-exact-szt-8000-epochs.md"
ibbench plot --kind info-plane --store "$STORE" --out "$OUT/plots-8000-epochs" --option bits=8 --option epochs=8000 \
    --option seeds=6 --option min_accuracy=0.6 --option estimator=binning --option "estimator_params=$B30"

# 4. the leaderboard (embeds every PNG in plots/) and the compute accounting
ibbench leaderboard --store "$STORE" --format md,csv,html,json --out "$OUT"
python scripts/suite_compute.py --store "$STORE" --suite paper > "$OUT/RUNS.md"
