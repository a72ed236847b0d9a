// The bullmq side of bench/queue: addBulk N no-op jobs, then drain them with one Worker of the
// given concurrency, on the redis-server the C++ bench started. Prints one JSON line with the
// wall times and Redis CPU (INFO cpu deltas, µs) of each phase.
'use strict';
const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');

const [, , port, queueName, jobsText, concurrencyText] = process.argv;
const jobs = Number(jobsText);
const concurrency = Number(concurrencyText);
const connection = { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null };

async function redisCpuUs(redis) {
  const info = await redis.info('cpu');
  const user = Number(/used_cpu_user:([\d.]+)/.exec(info)[1]);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)[1]);
  return (user + sys) * 1e6;
}

(async () => {
  const redis = new IORedis(connection);
  const queue = new Queue(queueName, { connection });
  await queue.waitUntilReady();
  const batch = [];
  for (let i = 0; i < jobs; i++) batch.push({ name: 'noop', data: { i } });
  let cpu0 = await redisCpuUs(redis);
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < batch.length; i += 1000) await queue.addBulk(batch.slice(i, i + 1000));
  const addMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const addCpu = (await redisCpuUs(redis)) - cpu0;

  let done = 0;
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  const worker = new Worker(queueName, async () => null,
                            { connection, concurrency, autorun: false });
  worker.on('completed', () => { if (++done === jobs) finish(); });
  await worker.waitUntilReady();
  cpu0 = await redisCpuUs(redis);
  t0 = process.hrtime.bigint();
  worker.run();
  await finished;
  const drainMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const drainCpu = (await redisCpuUs(redis)) - cpu0;
  await worker.close();
  await queue.close();
  await redis.quit();
  process.stdout.write(JSON.stringify({ addMs, addCpuUs: addCpu, drainMs, drainCpuUs: drainCpu }) + '\n');
  process.exit(0);
})().catch((err) => { console.error(err); process.exit(1); });
