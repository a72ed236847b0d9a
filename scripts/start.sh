#!/usr/bin/env bash
# The start command (README.md): installs what is missing, builds, and runs an example render
# to MP4. (When the service lands, this ends with `vidgen serve` running.)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target vidgen
mkdir -p out
./build/release/src/app/vidgen render examples/promo.json -i examples/promo.input.json -o out/promo.mp4
echo "start: wrote out/promo.mp4"
