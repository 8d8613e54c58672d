#!/usr/bin/env bash
# Our credits ledger vs a naive row-locked baseline, side by side in one run (see bench/README.md).
# Arguments go to `atelier bench credits`, e.g. `bench/credits.sh --json`.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/../atelier" bench credits "$@"
