#!/usr/bin/env bash
# Train the reader as committed in assistant/reader/model (issue 19): two seeded runs on the CPU
# (torch 2.13.0, 2 cores: about 60 + 20 minutes on an idle machine), then calibration with ONNX
# Runtime. Development only: CI loads the committed model and never trains.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-$(mktemp -d)}
# 1. e5's first 6 layers + a head, 2 epochs over the 2,021 training groups (hard negatives from retrieval)
.venv/bin/python -m assistant.reader.train --out "$work/r1" --epochs 2 --seed 19
# 2. one more epoch over 1,400 of them with 5 negatives from the answering passage itself
.venv/bin/python -m assistant.reader.train --init "$work/r1" --out assistant/reader/model --epochs 1 \
    --inside 5 --max-groups 1400 --lr 3e-5 --seed 19
# 3. abstention threshold and probe pairs, as served (ONNX Runtime), on the development split
.venv/bin/python -m assistant.reader.calibrate
# the weight of the reader's probability in the composer (manifest "weight") was chosen with
# python -m assistant.reader.evaluate on the development split over an index of all training documents
