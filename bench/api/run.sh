#!/usr/bin/env bash
# bench/api: requests/s and latency of GET /api/video/status/:jobId and POST
# /api/video/generate (validate + enqueue) on `vidgen api` and, in the same run, on the Express 5
# + bullmq peer (bench/peers/api), both against one private redis-server, loaded by the same
# load tool (wrk from Debian's packages, or autocannon) with the same body. Prints a table (req/s, p50, p99, errors and non-2xx, CPU
# of server / redis / driver, load) and the ratios vidgen / Express. See README.md.
#
#   bash bench/api/run.sh [path/to/vidgen]
# Environment: DURATION (s, default 10), CONNECTIONS (50), WARMUP (s, 2), REPEAT (rounds, 1;
# the ratio uses each side's best round by req/s), ROUTES ("status generate"),
# VIDGEN_LOG_LEVEL (info, vidgen's default: one key=value line per request), LOAD_TOOL (wrk when
# it is installed, else autocannon).
# Not a test: run it by hand on a machine as quiet as you can get (the load is printed with
# every figure; the load driver itself needs most of a core).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
peer=$root/bench/peers/api
vidgen=${1:-}
if [ -z "$vidgen" ]; then
  for candidate in "$root/build/release/src/app/vidgen" "$root/build/bapi/src/app/vidgen"; do
    if [ -x "$candidate" ]; then vidgen=$candidate; break; fi
  done
fi
[ -n "$vidgen" ] && [ -x "$vidgen" ] ||
  { echo "build vidgen first (cmake --preset release && cmake --build --preset release)"; exit 2; }
vidgen=$(cd "$(dirname "$vidgen")" && pwd)/$(basename "$vidgen")
export DURATION=${DURATION:-10} CONNECTIONS=${CONNECTIONS:-50} WARMUP=${WARMUP:-2}
repeat=${REPEAT:-1}
if [ -z "${LOAD_TOOL:-}" ]; then
  if command -v wrk >/dev/null; then LOAD_TOOL=wrk; else LOAD_TOOL=autocannon; fi
fi
[ "$LOAD_TOOL" != wrk ] || command -v wrk >/dev/null ||
  { echo "LOAD_TOOL=wrk needs wrk (apt-get install wrk)"; exit 2; }
export LOAD_TOOL
routes=${ROUTES:-status generate}
command -v redis-server >/dev/null || { echo "redis-server is not installed"; exit 2; }

# The Node packages, pinned by the lock files (installed on first use).
for dir in "$here" "$peer"; do
  if [ ! -d "$dir/node_modules" ]; then
    echo "installing the pinned Node packages in ${dir#"$root"/}"
    (cd "$dir" && npm ci --no-audit --no-fund >/dev/null)
  fi
done

work=$(mktemp -d)
started=()  # pids of every process this script starts
driver_pid=""  # the load driver while it runs
cleanup() {
  local pid
  if [ -n "$driver_pid" ]; then kill -TERM "$driver_pid" 2>/dev/null || true; fi
  for pid in "${started[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
    console.log(s.address().port); s.close(); });'
}
# Waits until `file` has a line matching `pattern` (a process's "listening on" line) and prints
# the first URL on it; fails if the process `pid` dies or 60 s pass.
wait_for_url() {
  local file=$1 pattern=$2 pid=$3 name=$4
  for _ in $(seq 600); do
    if grep -q "$pattern" "$file" 2>/dev/null; then
      grep "$pattern" "$file" | head -1 | grep -o 'http://[^ ]*'
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not start:" >&2
  tail -20 "$file" "${file%.out}.log" >&2 2>/dev/null || true
  return 1
}

redis_port=$(free_port)
redis-server --port "$redis_port" --save '' --appendonly no --bind 127.0.0.1 \
  >"$work/redis.log" 2>&1 &
redis_pid=$!
started+=("$redis_pid")
rcli() { redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }
for _ in $(seq 100); do [ "$(rcli ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
[ "$(rcli ping 2>/dev/null)" = PONG ] || { echo "redis-server did not start"; exit 1; }

# Both servers get a clean environment (nothing from the caller's shell, no .env). The peer's
# queue has its own key prefix: vidgen api tails its queue's events stream (for WebSocket
# clients), and must not spend CPU on the peer's events while the peer is measured.
mkdir -p "$work/vidgen" "$work/files"
(cd "$work/vidgen" && exec env -i PATH="$PATH" HOME="$HOME" \
  REDIS_URL="redis://127.0.0.1:$redis_port" HOST=127.0.0.1 PORT=0 \
  URL_SIGNING_SECRET=bench-api-url-signing-secret LOCAL_STORAGE_DIR="$work/files" \
  API_RATE_LIMIT_PER_MIN=0 LOG_LEVEL="${VIDGEN_LOG_LEVEL:-info}" \
  "$vidgen" api >"$work/vidgen.out" 2>"$work/vidgen.log") &
vidgen_pid=$!
started+=("$vidgen_pid")
(cd "$peer" && exec env -i PATH="$PATH" HOME="$HOME" NODE_ENV=production \
  REDIS_URL="redis://127.0.0.1:$redis_port" HOST=127.0.0.1 PORT=0 QUEUE_PREFIX=peer \
  node server.mjs >"$work/express.out" 2>"$work/express.log") &
express_pid=$!
started+=("$express_pid")
vidgen_url=$(wait_for_url "$work/vidgen.out" "listening on" "$vidgen_pid" "vidgen api")
express_url=$(wait_for_url "$work/express.out" "listening on" "$express_pid" "the Express peer")

# The body: a 1 s 320×240 text clip over a colour background, with an input and metadata.
body=$work/body.json
cat >"$body" <<'EOF'
{"template":{"version":1,"name":"bench","output":{"width":320,"height":240,"fps":30,"format":"mp4","quality":"draft"},"duration":1,"background":"#101820","inputs":{"name":{"type":"string","default":"friend","maxLength":80}},"tracks":[{"type":"background","clips":[{"color":"#203040"}]},{"type":"text","clips":[{"text":"Hello {{name}}","start":0,"duration":1,"style":{"fontSize":32,"color":"#ffffff","align":"center"},"transition":{"in":{"type":"fade","duration":0.3}}}]}]},"input":{"name":"Ada"},"metadata":{"orderId":"A-17"}}
EOF

driver() { node "$here/driver.mjs" "$@"; }
# A measured phase: driver.mjs in the background, waited for in this shell (not in a command
# substitution), so a signal to this script is handled, and everything cleaned up, at once
# rather than when the phase ends. Its JSON line lands in $work/phase.json.
run_phase() {
  node "$here/driver.mjs" run "$@" >"$work/phase.json" &
  driver_pid=$!
  wait "$driver_pid"
  driver_pid=""
}
results=$work/results.jsonl
problems=0
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "vidgen $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?') ($vidgen), node $(node --version), redis $(redis-server --version | grep -o 'v=[^ ]*')"
echo "load tool $LOAD_TOOL, $CONNECTIONS connections, warm-up ${WARMUP} s, measured ${DURATION} s per phase, $repeat round(s)"
echo "load before: $(uptime)"
for ((round = 1; round <= repeat; round++)); do
  for route in $routes; do
    for server in vidgen express; do
      if [ "$server" = vidgen ]; then url=$vidgen_url; pid=$vidgen_pid; else url=$express_url; pid=$express_pid; fi
      rcli flushall >/dev/null
      # One checked answer first; the status phase reads the job it creates.
      job_id=$(driver check "$url" generate "$body")
      if [ "$route" = status ]; then driver check "$url" status "$job_id" >/dev/null; fi
      if [ "$server" = express ]; then wait_key=peer:video:wait; else wait_key=bull:video:wait; fi
      queued_before=$(rcli llen "$wait_key")
      echo "round $round: $route on $server (load $(cut -d' ' -f1-3 /proc/loadavg))"
      run_phase "$url" "$route" "$server" "$pid,$redis_pid" "$body" "$job_id"
      line=$(cat "$work/phase.json")
      echo "$line" >>"$results"
      if [ "$route" = generate ]; then
        # Every 202 must have queued one job. The load tool stops with up to one request per
        # connection in flight (at the end of the warm-up and of the run): the server may queue
        # those without the answer being counted.
        queued=$(($(rcli llen "$wait_key") - queued_before))
        answered=$(node -p 'const r = JSON.parse(process.argv[1]); r.ok2xx + r.warmup2xx' "$line")
        if ((queued < answered || queued > answered + 2 * CONNECTIONS)); then
          echo "!!! $server answered 202 to $answered generate requests but queued $queued jobs"
          problems=1
        fi
      fi
    done
  done
done
echo "load after: $(uptime)"
echo
driver report "$results" || problems=1
if ! kill -0 "$vidgen_pid" 2>/dev/null || ! kill -0 "$express_pid" 2>/dev/null; then
  echo "!!! a server died during the run"
  problems=1
fi
if [ "$problems" != 0 ]; then
  echo "!!! SOME ANSWERS WERE WRONG: see above"
  exit 1
fi
