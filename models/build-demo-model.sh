#!/usr/bin/env bash
# Regenerate the bundled demo model (models/machine_temperature.onnx + .json) from data in the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
node bin/run-ts.mjs models/build-demo-model.ts
