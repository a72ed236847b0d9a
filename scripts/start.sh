#!/usr/bin/env bash
# The start command (README.md): installs what is missing, builds, and ends with `vidgen serve`
# running: the REST + WebSocket API and a render worker in one process, with a private
# redis-server (data in ./data, AOF on) when no Redis is configured. It prints the URL;
# Ctrl-C stops it cleanly (queued jobs are kept for the next start).
# Settings come from the environment or ./.env (PORT, HOST, DATA_DIR, API_KEYS, ...).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target vidgen
# The README's walk-through posts examples/promo.json, whose images and music are local paths:
# let them resolve inside examples/ unless the environment or .env says otherwise.
if [[ -z "${ASSET_DIR:-}" ]] && ! grep -qsE '^[[:space:]]*(export[[:space:]]+)?ASSET_DIR=' .env; then
  export ASSET_DIR="$PWD/examples"
fi
echo "start: built build/release/src/app/vidgen; starting vidgen serve (Ctrl-C stops it)"
exec ./build/release/src/app/vidgen serve
