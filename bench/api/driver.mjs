// bench/api's load driver (run.sh calls it; it starts no servers).
//
//   node driver.mjs check  <base-url> generate <body.json> | status <jobId>
//       One request of the route, its answer checked (generate: 202 with a jobId and a Location;
//       status: 200 with jobId and status "queued"). Prints the jobId. Exit 1 on a wrong answer.
//   node driver.mjs run    <base-url> <route> <server-name> <pids> [body.json] [jobId]
//       Warm-up, then the measured run with autocannon (CONNECTIONS, DURATION, WARMUP from the
//       environment). Latencies are taken from every answer with microsecond resolution (not
//       autocannon's whole-millisecond histogram). CPU seconds of the comma-separated <pids>
//       (server, redis-server) and of this driver are read over the measured run. Prints one
//       JSON line.
//   node driver.mjs report <results.jsonl>
//       The table: route, server, req/s, p50, p99, errors/non-2xx, CPU, ratios.
//
// route is "generate" (POST /api/video/generate with the body) or "status" (GET
// /api/video/status/<jobId>).
import autocannon from 'autocannon';
import fs from 'node:fs';
import os from 'node:os';

const connections = Number(process.env.CONNECTIONS || 50);
const durationS = Number(process.env.DURATION || 10);
const warmupS = Number(process.env.WARMUP || 2);

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

async function run(base, route, server, pids, bodyFile, jobId) {
  const body = bodyFile ? fs.readFileSync(bodyFile, 'utf8') : undefined;
  const request = requestOf(route, body, jobId);
  const warm = warmupS > 0 ? await load(base, request, warmupS, null) : null;
  const pidList = pids.split(',').filter(Boolean).map(Number);
  const latencies = [];
  const cpu0 = pidList.map(cpuSecondsOf);
  const self0 = process.cpuUsage();
  const load0 = os.loadavg()[0];
  const t0 = process.hrtime.bigint();
  const result = await load(base, request, durationS, latencies);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu1 = pidList.map(cpuSecondsOf);
  const self1 = process.cpuUsage(self0);
  latencies.sort((a, b) => a - b);
  const n2xx = result['2xx'];
  const out = {
    route,
    server,
    connections,
    seconds: result.duration,
    requests: result.requests.total,
    rps: n2xx / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.length ? latencies[latencies.length - 1] : NaN,
    ok2xx: n2xx,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    warmup2xx: warm ? warm['2xx'] : 0,
    warmupBad: warm ? warm.non2xx + warm.errors + warm.timeouts : 0,
    serverCpu: (cpu1[0] - cpu0[0]) / wall,
    redisCpu: pidList.length > 1 ? (cpu1[1] - cpu0[1]) / wall : NaN,
    driverCpu: (self1.user + self1.system) / 1e6 / wall,
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
