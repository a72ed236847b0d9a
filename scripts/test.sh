#!/usr/bin/env bash
# The test command (README.md): installs what is missing (Debian packages, the npm test tools),
# builds with warnings as errors, and runs every test through ctest: unit tests, golden frames,
# CLI end-to-end, and the tests that start redis-server and the Node interop peers.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
if [ -f tests/node/package.json ]; then
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
fi

preset=${VG_PRESET:-ci}
cmake --preset "$preset"
cmake --build --preset "$preset"
jobs=${VG_TEST_JOBS:-2}
ctest --preset "$preset" -j "$jobs" "$@"
