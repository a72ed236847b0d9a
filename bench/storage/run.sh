#!/usr/bin/env bash
# bench/storage: upload throughput of one file (200 MiB by default) to a plain s3rver (not behind
# s3-strict), in the same run: vidgen's S3Store (vg_storage_bench) at the SDK's part size, at
# its own defaults, as one PutObject and at a chosen part size / parallelism; the AWS SDK for
# JavaScript v3 (@aws-sdk/lib-storage Upload, its defaults); and curl -T to a presigned PUT URL
# (made by our SigV4 presigner). Each contender runs REPEAT times, the rounds interleaved. The
# table shows each one's best and median MB/s (MB = 10^6 bytes, timed inside the process: the
# upload only; for curl its time_total), the highest peak RSS of its runs (GNU time, whole
# process), the ratio of its best to the SDK's best, the CPU time of the client and of s3rver,
# and the tail (from the whole body sent to the upload done: s3rver assembling the parts).
# Every upload is checked with HeadObject (the stored size must be the file's) and deleted
# before the next one.
#
#   bash bench/storage/run.sh [path/to/vg_storage_bench]
# Environment: REPEAT (runs per contender, 3), SIZE_MIB (file size, 200), BEST_PART_MIB and
# BEST_PARALLEL (the "ours-chosen" contender: 100 and 2, the multipart shape that cost s3rver
# the least CPU in our sweeps, see README.md), CONTENDERS (the labels to run, space-separated;
# default all six; "ours-<part MiB>x<parallel>" adds any other setting, e.g.
# CONTENDERS="sdk ours-5m ours-32x2 ours-64x4" for a sweep).
# Not a test: run it by hand on a machine as quiet as you can get; the load is printed before
# and after and with every run. See README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bench=${1:-}
if [ -z "$bench" ]; then
  for candidate in "$root/build/release/bench/storage/vg_storage_bench" \
                   "$root"/build/*/bench/storage/vg_storage_bench; do
    if [ -x "$candidate" ]; then bench=$candidate; break; fi
  done
fi
if [ -z "$bench" ] || [ ! -x "$bench" ]; then
  echo "build vg_storage_bench first (cmake --build <build dir> --target vg_storage_bench)"
  exit 2
fi
repeat=${REPEAT:-3}
size_mib=${SIZE_MIB:-200}
best_part_mib=${BEST_PART_MIB:-100}
best_parallel=${BEST_PARALLEL:-2}
contenders=${CONTENDERS:-sdk ours-5m ours-default ours-single ours-chosen curl}
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time, Debian package time) is needed"; exit 2; }
command -v curl >/dev/null || { echo "curl is needed"; exit 2; }

# The Node packages (the SDK and s3rver), pinned by the lock file, installed on first use.
if [ ! -d "$here/node_modules" ]; then
  echo "installing the pinned Node packages in bench/storage"
  (cd "$here" && npm ci --no-audit --no-fund >/dev/null)
fi

work=$(mktemp -d)
started=()  # pids of the processes this script starts (the server)
cleanup() {
  local pid
  for pid in "${started[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
    console.log(s.address().port); s.close(); });'
}

file=$work/upload.bin
head -c "$((size_mib << 20))" /dev/urandom >"$file"
bytes=$(stat -c %s "$file")

# Plain s3rver, bucket "videos", its fixed key pair S3RVER/S3RVER, silent. The legacy OpenSSL
# provider gives it DES for ListObjectsV2 continuation tokens (unused here, as in the tests).
port=$(free_port)
endpoint=http://127.0.0.1:$port
NODE_OPTIONS=--openssl-legacy-provider node "$here/node_modules/s3rver/bin/s3rver.js" \
  -d "$work/s3rver" -a 127.0.0.1 -p "$port" --configure-bucket videos --no-vhost-buckets -s \
  >"$work/s3rver.log" 2>&1 &
server_pid=$!
started+=("$server_pid")
for _ in $(seq 300); do
  curl -s -o /dev/null "$endpoint/" && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
curl -s -o /dev/null "$endpoint/" || { echo "s3rver did not start:"; cat "$work/s3rver.log"; exit 1; }

common=(--endpoint "$endpoint" --bucket videos)
# CPU time (user + system, clock ticks) s3rver has used so far: what each upload costs it.
server_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
shape() {  # part MiB, parallel (the part size is also the multipart threshold)
  if (($1 > size_mib)); then echo "one PUT (file < $1 MiB)"; else echo "$1 MiB x$2"; fi
}
describe() {  # label → part size and parallelism, for the table
  case $1 in
    sdk) echo "5 MiB x4 (SDK default)" ;;
    ours-5m) echo "5 MiB x4" ;;
    ours-default) echo "16 MiB x4 (our default)" ;;
    ours-single) echo "one PUT" ;;
    ours-chosen) shape "$best_part_mib" "$best_parallel" ;;
    curl) echo "one PUT (presigned)" ;;
    ours-*x*) local spec=${1#ours-}; shape "${spec%x*}" "${spec#*x}" ;;
  esac
}

# Runs contender $1 once under GNU time, checks and deletes what it stored, and appends its
# figures (one JSON line) to results.jsonl.
run_one() {
  local label=$1 key="videos/bench-$1.mp4" out=$work/out.json timing=$work/time.txt
  local -a command
  case $label in
    sdk) command=(node "$here/sdk_upload.mjs" "${common[@]}" --key "$key" --file "$file") ;;
    ours-5m) command=("$bench" upload "${common[@]}" --key "$key" --file "$file"
                      --part-mib 5 --threshold-mib 5 --parallel 4) ;;
    ours-default) command=("$bench" upload "${common[@]}" --key "$key" --file "$file") ;;
    ours-single) command=("$bench" upload "${common[@]}" --key "$key" --file "$file"
                          --threshold-mib "$((size_mib + 1))") ;;
    ours-chosen) command=("$bench" upload "${common[@]}" --key "$key" --file "$file"
                          --part-mib "$best_part_mib" --threshold-mib "$best_part_mib"
                          --parallel "$best_parallel") ;;
    ours-*x*)
      local spec=${label#ours-}
      command=("$bench" upload "${common[@]}" --key "$key" --file "$file"
               --part-mib "${spec%x*}" --threshold-mib "${spec%x*}" --parallel "${spec#*x}") ;;
    curl)
      local url
      url=$("$bench" presign-put "${common[@]}" --key "$key")
      # time_total: the transfer only, like the others' in-process timers.
      command=(curl -sS --fail -T "$file" -o /dev/null -w '{"seconds":%{time_total}}\n' "$url") ;;
    *) echo "unknown contender $label" >&2; return 1 ;;
  esac
  local server_before
  server_before=$(server_cpu_ticks)
  if ! /usr/bin/time -f '%M %e %U %S' -o "$timing" "${command[@]}" >"$out" 2>"$work/err.txt"; then
    echo "!!! $label failed:" >&2
    cat "$work/err.txt" >&2
    return 1
  fi
  local server_ticks rss_kib wall_s user_s system_s stored
  server_ticks=$(($(server_cpu_ticks) - server_before))
  read -r rss_kib wall_s user_s system_s <"$timing"
  stored=$("$bench" head "${common[@]}" --key "$key" | node -p 'JSON.parse(require("fs").readFileSync(0)).bytes')
  if [ "$stored" != "$bytes" ]; then
    echo "!!! $label: s3rver holds $stored bytes at $key, the file has $bytes" >&2
    return 1
  fi
  "$bench" delete "${common[@]}" --key "$key"
  node -e '
    const [label, part, bytes, rss, wall, user, system, ticks, hz, text] = process.argv.slice(1);
    const r = JSON.parse(text);
    console.log(JSON.stringify({ label, part, seconds: r.seconds, mb_per_s: Number(bytes) / 1e6 / r.seconds,
                                 after_sent_s: r.sent_seconds ? r.seconds - r.sent_seconds : null,
                                 rss_kib: Number(rss), wall_s: Number(wall),
                                 client_cpu_s: Number(user) + Number(system),
                                 server_cpu_s: Number(ticks) / Number(hz) }));
  ' "$label" "$(describe "$label")" "$bytes" "$rss_kib" "$wall_s" "$user_s" "$system_s" \
    "$server_ticks" "$(getconf CLK_TCK)" "$(tail -1 "$out")" >>"$work/results.jsonl"
  # shellcheck disable=SC2016  # JavaScript template literals, not shell expansions
  tail -1 "$work/results.jsonl" | node -e '
    const r = JSON.parse(require("fs").readFileSync(0));
    console.log(`  ${r.label.padEnd(13)} ${r.mb_per_s.toFixed(1).padStart(7)} MB/s  ${
      (r.rss_kib / 1024).toFixed(1).padStart(6)} MiB RSS  CPU ${r.client_cpu_s.toFixed(2)} s client, ${
      r.server_cpu_s.toFixed(2)} s s3rver${r.after_sent_s === null ? "" : `, ${
      r.after_sent_s.toFixed(2)} s after the last byte`}  (load ${process.argv[1]})`);
  ' "$(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "vidgen $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), node $(node --version), $(curl --version | head -1 | cut -d' ' -f1-2), s3rver 3.7.1 at $endpoint"
echo "file: $size_mib MiB ($bytes bytes) of random data; best of $repeat runs each, rounds interleaved"
echo "load before: $(uptime)"
for ((round = 1; round <= repeat; round++)); do
  echo "round $round"
  for label in $contenders; do run_one "$label"; done
done
echo "load after: $(uptime)"
echo
node - "$work/results.jsonl" "$contenders" <<'EOF'
const fs = require('fs');
const [file, order] = process.argv.slice(2);
const runs = fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
const rows = order.split(/\s+/).filter(Boolean).map((label) => {
  const mine = runs.filter((r) => r.label === label);
  const best = mine.reduce((a, b) => (b.mb_per_s > a.mb_per_s ? b : a));
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return { label, part: mine[0].part, best: best.mb_per_s,
           median: median(mine.map((r) => r.mb_per_s)),
           rss: Math.max(...mine.map((r) => r.rss_kib)) / 1024,
           client_cpu: median(mine.map((r) => r.client_cpu_s)),
           server_cpu: median(mine.map((r) => r.server_cpu_s)),
           tail: mine[0].after_sent_s === null ? null : median(mine.map((r) => r.after_sent_s)) };
});
const sdk = rows.find((r) => r.label === 'sdk');
console.log('contender      part size / parallel       best MB/s  median MB/s  peak RSS MiB  ' +
            'vs SDK  CPU s client  CPU s s3rver  tail s');
for (const r of rows) {
  console.log(`${r.label.padEnd(14)} ${r.part.padEnd(26)} ${r.best.toFixed(1).padStart(9)}  ${
    r.median.toFixed(1).padStart(11)}  ${r.rss.toFixed(1).padStart(12)}  ${
    (sdk ? (r.best / sdk.best).toFixed(2) + 'x' : '-').padStart(6)}  ${
    r.client_cpu.toFixed(2).padStart(12)}  ${r.server_cpu.toFixed(2).padStart(12)}  ${
    (r.tail === null ? '-' : r.tail.toFixed(2)).padStart(6)}`);
}
console.log('(MB = 10^6 bytes; best and median of the runs; peak RSS: the highest of the runs; ' +
            'CPU: medians, user + system; tail: median seconds from the whole body sent to the ' +
            'upload done, mostly s3rver assembling the parts)');
// Issue 6's targets, on the best runs: 5 MiB parts ≥ 1.3× the SDK, our best ≥ 2×, our peak RSS
// ≤ 48 MB (10^6 bytes).
const ours = rows.filter((r) => r.label.startsWith('ours-'));
const five = rows.find((r) => r.label === 'ours-5m');
if (sdk && ours.length) {
  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  console.log('\ntargets:');
  if (five) {
    const ratio = five.best / sdk.best;
    console.log(`  ours-5m / sdk = ${ratio.toFixed(2)}x (>= 1.3x): ${verdict(ratio >= 1.3)}`);
  }
  const top = ours.reduce((a, b) => (b.best > a.best ? b : a));
  const ratio = top.best / sdk.best;
  console.log(`  best of ours (${top.label}) / sdk = ${ratio.toFixed(2)}x (>= 2x): ${verdict(ratio >= 2)}`);
  const rss = Math.max(...ours.map((r) => r.rss));
  console.log(`  peak RSS of ours = ${(rss * 1.048576).toFixed(1)} MB (<= 48 MB): ${
    verdict(rss * 1.048576 <= 48)}`);
}
EOF
