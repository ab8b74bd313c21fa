#!/usr/bin/env bash
# Install everything and start Samenwerkwijzer on the embedded default (no API key, no network).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
exec .venv/bin/assistant serve "$@"
