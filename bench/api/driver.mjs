// bench/api's load driver (run.sh calls it; it starts no servers).
//
//   node driver.mjs check  <base-url> generate <body.json> | status <jobId>
//       One request of the route, its answer checked (generate: 202 with a jobId and a Location;
//       status: 200 with jobId and status "queued"). Prints the jobId. Exit 1 on a wrong answer.
//   node driver.mjs run    <base-url> <route> <server-name> <pids> [body.json] [jobId]
//       Warm-up, then the measured run (CONNECTIONS, DURATION, WARMUP from the environment) with
//       the load tool LOAD_TOOL: "wrk" (Debian's wrk, one thread, a Lua script for the request
//       and the figures; its latency histogram has microsecond resolution) or "autocannon" (in
//       this process; latencies taken from every answer with microsecond resolution, not
//       autocannon's whole-millisecond histogram). CPU seconds of the comma-separated <pids>
//       (server, redis-server) and of the load tool are read over the measured run. Prints one
//       JSON line.
//   node driver.mjs report <results.jsonl>
//       The table: route, server, req/s, p50, p99, errors/non-2xx, CPU, ratios.
//
// route is "generate" (POST /api/video/generate with the body) or "status" (GET
// /api/video/status/<jobId>).
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const connections = Number(process.env.CONNECTIONS || 50);
const durationS = Number(process.env.DURATION || 10);
const warmupS = Number(process.env.WARMUP || 2);
const loadTool = process.env.LOAD_TOOL || 'autocannon';

function requestOf(route, body, jobId) {
  if (route === 'generate') {
    return {
      method: 'POST',
      path: '/api/video/generate',
      headers: { 'content-type': 'application/json' },
      body,
    };
  }
  if (route === 'status') {
    return { method: 'GET', path: `/api/video/status/${encodeURIComponent(jobId)}` };
  }
  throw new Error(`unknown route ${route}`);
}

// CPU seconds (user + system) of a process from /proc/<pid>/stat.
function cpuSecondsOf(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command: state is [0], utime [11], stime [12] (man 5 proc, 14 and 15).
  return (Number(fields[11]) + Number(fields[12])) / 100;  // USER_HZ is 100 on Linux
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

async function check(base, route, bodyFile, jobId) {
  const r = requestOf(route, bodyFile ? fs.readFileSync(bodyFile, 'utf8') : undefined, jobId);
  const res = await fetch(base + r.path, { method: r.method, headers: r.headers, body: r.body });
  const text = await res.text();
  let doc = null;
  try {
    doc = JSON.parse(text);
  } catch {
    // reported below
  }
  const ok =
    route === 'generate'
      ? res.status === 202 && doc && typeof doc.jobId === 'string' && doc.jobId.length > 0 &&
        doc.status === 'queued' && res.headers.get('location') === `/api/video/status/${doc.jobId}`
      : res.status === 200 && doc && doc.jobId === jobId && doc.status === 'queued';
  if (!ok) {
    console.error(`wrong answer from ${base}${r.path}: ${res.status} ${text.slice(0, 500)}`);
    process.exit(1);
  }
  return doc.jobId;
}

function load(base, request, seconds, latencies) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: base, connections, duration: seconds, requests: [request] },
      (err, result) => (err ? reject(err) : resolve(result)));
    if (latencies) {
      // Every answer's latency in ms as a float (2xx and others alike).
      instance.on('response', (client, statusCode, bytes, ms) => latencies.push(ms));
    }
  });
}

// The wrk script: the request (method, body and headers from the environment) and, when the run
// ends, one JSON line with the counts and the latency percentiles (µs) on stdout.
const wrkScript = `
local body_file = os.getenv("BENCH_BODY_FILE")
wrk.method = os.getenv("BENCH_METHOD")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nBENCH {"duration_us":%d,"requests":%d,"status_errors":%d,"socket_errors":%d,' ..
    '"timeouts":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.duration, summary.requests, e.status, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;

// One wrk run of `seconds` with one thread: the figures of its done() line, and its CPU seconds
// (a shell runs it and prints its reaped child's CPU, cutime + cstime, from /proc/self/stat).
function loadWithWrk(base, request, bodyFile, seconds) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-api-'));
  const script = path.join(dir, 'request.lua');
  fs.writeFileSync(script, wrkScript);
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script,
    base + request.path];
  const shell = 'wrk "$@" && echo "CPU $(cut -d")" -f2- /proc/$$/stat)"';
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', shell, 'sh', ...args], {
      env: { ...process.env, BENCH_METHOD: request.method, BENCH_BODY_FILE: bodyFile || '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      fs.rmSync(dir, { recursive: true, force: true });
      const figures = out.match(/^BENCH (.*)$/m);
      const cpu = out.match(/^CPU (.*)$/m);
      if (code !== 0 || !figures || !cpu) return reject(new Error(`wrk failed (${code}): ${out}`));
      const r = JSON.parse(figures[1]);
      // /proc/<pid>/stat after the command: state [0] ... cutime [13], cstime [14] (man 5 proc).
      const f = cpu[1].trim().split(' ');
      const bad = r.status_errors;
      resolve({
        duration: r.duration_us / 1e6,
        total: r.requests,
        ok2xx: r.requests - bad,
        non2xx: bad,
        errors: r.socket_errors,
        timeouts: r.timeouts,
        p50: r.p50_us / 1e3,
        p99: r.p99_us / 1e3,
        max: r.max_us / 1e3,
        cpuSeconds: (Number(f[13]) + Number(f[14])) / 100,
      });
    });
  });
}

// One autocannon run in this process, in the same shape as loadWithWrk's.
async function loadWithAutocannon(base, request, seconds) {
  const latencies = [];
  const self0 = process.cpuUsage();
  const result = await load(base, request, seconds, latencies);
  const self1 = process.cpuUsage(self0);
  latencies.sort((a, b) => a - b);
  return {
    duration: result.duration,
    total: result.requests.total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.length ? latencies[latencies.length - 1] : NaN,
    cpuSeconds: (self1.user + self1.system) / 1e6,
  };
}

async function run(base, route, server, pids, bodyFile, jobId) {
  const body = bodyFile ? fs.readFileSync(bodyFile, 'utf8') : undefined;
  const request = requestOf(route, body, jobId);
  let measure;
  if (loadTool === 'wrk') measure = (seconds) => loadWithWrk(base, request, bodyFile, seconds);
  else if (loadTool === 'autocannon') measure = (seconds) => loadWithAutocannon(base, request, seconds);
  else throw new Error(`unknown LOAD_TOOL ${loadTool} (wrk or autocannon)`);
  const warm = warmupS > 0 ? await measure(warmupS) : null;
  const pidList = pids.split(',').filter(Boolean).map(Number);
  const cpu0 = pidList.map(cpuSecondsOf);
  const load0 = os.loadavg()[0];
  const t0 = process.hrtime.bigint();
  const result = await measure(durationS);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu1 = pidList.map(cpuSecondsOf);
  const out = {
    route,
    server,
    tool: loadTool,
    connections,
    seconds: result.duration,
    requests: result.total,
    rps: result.ok2xx / result.duration,
    p50: result.p50,
    p99: result.p99,
    max: result.max,
    ok2xx: result.ok2xx,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    warmup2xx: warm ? warm.ok2xx : 0,
    warmupBad: warm ? warm.non2xx + warm.errors + warm.timeouts : 0,
    serverCpu: (cpu1[0] - cpu0[0]) / wall,
    redisCpu: pidList.length > 1 ? (cpu1[1] - cpu0[1]) / wall : NaN,
    driverCpu: result.cpuSeconds / wall,
    load1: load0,
  };
  console.log(JSON.stringify(out));
}

function report(file) {
  const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const f1 = (v) => (Number.isFinite(v) ? v.toFixed(2) : '-');
  const line = (cells, widths) =>
    cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join(' ');
  const widths = [9, 8, 8, 8, 8, 8, 13, 8, 6, 6, 7, 9, 6];
  console.log(line(['route', 'server', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors/non2xx',
    'srv CPU', 'redis', 'driver', 'srv us', 'redis us', 'load'], widths));
  for (const r of rows) {
    // CPU time per answered request (µs): what a request costs whatever the machine's load.
    const perRequest = (cores) => Math.round((cores * 1e6) / r.rps);
    console.log(line([r.route, r.server, Math.round(r.rps), f1(r.p50), f1(r.p99), f1(r.max),
      `${r.errors + r.timeouts}/${r.non2xx}`, f1(r.serverCpu), f1(r.redisCpu), f1(r.driverCpu),
      perRequest(r.serverCpu), perRequest(r.redisCpu), f1(r.load1)], widths));
  }
  console.log('');
  let bad = false;
  for (const route of [...new Set(rows.map((r) => r.route))]) {
    // With several rounds, each side's best round by req/s (load only makes a run slower).
    const best = (server) => rows.filter((r) => r.route === route && r.server === server)
      .reduce((a, r) => (!a || r.rps > a.rps ? r : a), null);
    const ours = best('vidgen');
    const peer = best('express');
    if (!ours || !peer) continue;
    const rpsRatio = ours.rps / peer.rps;
    const p99Ratio = ours.p99 / peer.p99;
    const valid = (r) => r.errors + r.timeouts + r.non2xx + r.warmupBad === 0;
    const met = rpsRatio >= 5 && p99Ratio <= 0.2;
    const verdict = !valid(ours) || !valid(peer) ? 'INVALID (wrong answers)'
      : met ? 'target met' : 'TARGET NOT MET';
    console.log(`${route.padEnd(9)} vidgen/express: req/s x${rpsRatio.toFixed(2)} (target >= 5), ` +
      `p99 x${p99Ratio.toFixed(3)} (target <= 0.2): ${verdict}`);
  }
  for (const r of rows) {
    if (r.errors + r.timeouts + r.non2xx + r.warmupBad > 0) {
      bad = true;
      console.log(`!!! ${r.route} on ${r.server}: ${r.errors} errors, ${r.timeouts} timeouts, ` +
        `${r.non2xx} non-2xx answers (warm-up: ${r.warmupBad} bad); its figures are not valid`);
    }
  }
  console.log('srv CPU, redis, driver: cores busy during the measured run (server process, ' +
    'redis-server, this load driver); srv us, redis us: CPU microseconds per answered request; ' +
    'load: 1-minute load average at the start of the run.');
  if (bad) process.exitCode = 1;
}

const [command, ...args] = process.argv.slice(2);
if (command === 'check') {
  const [base, route, bodyOrJob] = args;
  const jobId = await check(base, route, route === 'generate' ? bodyOrJob : undefined,
    route === 'status' ? bodyOrJob : undefined);
  console.log(jobId);
} else if (command === 'run') {
  const [base, route, server, pids, bodyFile, jobId] = args;
  await run(base, route, server, pids, bodyFile, jobId);
} else if (command === 'report') {
  report(args[0]);
} else {
  console.error('usage: driver.mjs check|run|report …');
  process.exit(2);
}
