// The Node side of the queue interop tests: the real bullmq (and @bull-board/api) acting on
// the same redis-server as our C++ queue. One subcommand per role; output is JSON lines on
// stdout so the C++ test can parse it. Redis comes from REDIS_PORT (127.0.0.1 only).
'use strict';
const { Queue, Worker, QueueEvents, UnrecoverableError } = require('bullmq');

const connection = { host: '127.0.0.1', port: Number(process.env.REDIS_PORT), maxRetriesPerRequest: null };
const [, , command, queueName, ...rest] = process.argv;

function out(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }

async function withQueue(fn) {
  const queue = new Queue(queueName, { connection });
  try { return await fn(queue); } finally { await queue.close(); }
}

async function jobView(job) {
  if (!job) return null;
  const j = job.toJSON();
  return { id: j.id, name: j.name, data: j.data, opts: j.opts, progress: j.progress,
           attemptsMade: j.attemptsMade, attemptsStarted: job.attemptsStarted,
           returnvalue: j.returnvalue, failedReason: j.failedReason, stacktrace: j.stacktrace,
           timestamp: j.timestamp, processedOn: j.processedOn, finishedOn: j.finishedOn,
           delay: j.delay, priority: j.priority, processedBy: job.processedBy,
           state: await job.getState() };
}

const commands = {
  // add <queue> <json [{name, data, opts}]>: prints the ids.
  async add() {
    const specs = JSON.parse(rest[0]);
    await withQueue(async (queue) => {
      const ids = [];
      for (const s of specs) ids.push((await queue.add(s.name, s.data, s.opts || {})).id);
      out({ ids });
    });
  },
  async counts() { await withQueue(async (q) => out(await q.getJobCounts())); },
  async getjob() {
    await withQueue(async (q) => out(await jobView(await q.getJob(rest[0]))));
  },
  // worker <queue> <count> [failUntilAttempt]: processes `count` jobs, prints what it saw.
  async worker() {
    const count = Number(rest[0]);
    const failUntil = Number(rest[1] || 0);
    let done = 0;
    await new Promise((resolve) => {
      const worker = new Worker(queueName, async (job) => {
        out({ event: 'process', id: job.id, name: job.name, data: job.data, opts: job.opts,
              timestamp: job.timestamp, delay: job.delay, priority: job.priority,
              attemptsMade: job.attemptsMade, at: Date.now() });
        if (job.attemptsMade + 1 < failUntil) throw new Error('node failure ' + job.attemptsMade);
        return { by: 'node', id: job.id };
      }, { connection, name: 'node-worker', stalledInterval: 1000, lockDuration: 2000 });
      const finish = async () => { if (++done === count) { await worker.close(); resolve(); } };
      worker.on('completed', finish);
      worker.on('failed', (job) => { if (job.attemptsMade >= (job.opts.attempts || 1)) finish(); });
    });
  },
  // hang <queue> <lockMs>: a Worker that takes one job and never finishes it (to be killed).
  async hang() {
    const worker = new Worker(queueName, async (job) => {
      out({ event: 'process', id: job.id });
      await new Promise(() => {});
    }, { connection, name: 'node-hang', lockDuration: Number(rest[0] || 1000), stalledInterval: 1000 });
    await new Promise(() => {});
  },
  // action <queue> <retry|promote|remove|pause|resume> [jobId]: a Bull Board style action.
  async action() {
    const [op, id] = rest;
    await withQueue(async (q) => {
      if (op === 'pause') await q.pause();
      else if (op === 'resume') await q.resume();
      else {
        const job = await q.getJob(id);
        if (op === 'retry') await job.retry();
        else if (op === 'promote') await job.promote();
        else if (op === 'remove') await job.remove();
        else throw new Error('unknown action ' + op);
      }
      out({ ok: true });
    });
  },
  // soak <queue> <total> <concurrency>: a Worker in a mixed fleet. Jobs whose id is a multiple
  // of 20 fail their first attempt. Prints each job it completes; stops once the queue has
  // `total` completed jobs.
  async soak() {
    const total = Number(rest[0]);
    const worker = new Worker(queueName, async (job) => {
      if (Number(job.id) % 20 === 0 && job.attemptsMade === 0) throw new Error('soak failure');
      out({ event: 'ok', id: job.id });
      return { by: 'node' };
    }, { connection, name: 'node-soak', concurrency: Number(rest[1] || 4),
         stalledInterval: 1000, lockDuration: 5000 });
    await worker.waitUntilReady();
    out({ event: 'ready' });
    await withQueue(async (q) => {
      for (;;) {
        const counts = await q.getJobCounts('completed');
        if (counts.completed >= total) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    await worker.close();
  },
  // events <queue> <completedOrFailedCount>: QueueEvents until that many jobs finished.
  async events() {
    const target = Number(rest[0]);
    // From the stream's start: the queue is fresh, and no event can slip past before XREAD.
    const events = new QueueEvents(queueName, { connection, lastEventId: '0-0' });
    let finished = 0;
    let errors = 0;
    await events.waitUntilReady();
    out({ event: 'ready' });
    await new Promise((resolve) => {
      const names = ['added', 'waiting', 'active', 'progress', 'completed', 'failed', 'delayed',
                     'stalled', 'removed', 'retries-exhausted', 'drained'];
      for (const name of names) {
        events.on(name, (args, id) => {
          out({ event: name, args, id });
          if (name === 'completed' || name === 'failed') {
            if (++finished === target) resolve();
          }
        });
      }
      events.on('error', (err) => { errors++; out({ event: 'error', message: String(err) }); });
    });
    out({ event: 'done', errors });
    await events.close();
  },
  // waitfinished <queue> <id>: job.waitUntilFinished resolves (completed) or rejects (failed).
  async waitfinished() {
    const events = new QueueEvents(queueName, { connection });
    await events.waitUntilReady();
    await withQueue(async (q) => {
      const job = await q.getJob(rest[0]);
      try { out({ result: await job.waitUntilFinished(events, 10000) }); }
      catch (err) { out({ rejected: String(err.message) }); }
    });
    await events.close();
  },
  // board <queue> <status> [jobId]: Bull Board's /api/queues (and /api/queues/:q/:id) bodies.
  async board() {
    const { createBullBoard } = require('@bull-board/api');
    const { BullMQAdapter } = require('@bull-board/api/bullMQAdapter');
    const routes = {};
    const adapter = {};
    let boardQueues;
    for (const m of ['setViewsPath', 'setStaticPath', 'setUIConfig', 'setEntryRoute',
                     'setErrorHandler']) {
      adapter[m] = () => adapter;
    }
    adapter.setQueues = (q) => { boardQueues = q; return adapter; };
    adapter.setApiRoutes = (rs) => {
      for (const r of rs) {
        const method = Array.isArray(r.method) ? r.method[0] : r.method;
        routes[method + ' ' + (Array.isArray(r.route) ? r.route[0] : r.route)] = r.handler;
      }
      return adapter;
    };
    const queue = new Queue(queueName, { connection });
    createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter: adapter });
    const list = await routes['get /api/queues']({
      queues: boardQueues, uiConfig: {}, params: {}, headers: {},
      query: { activeQueue: queueName, status: rest[0], page: '1', jobsPerPage: '50' } });
    if (!list.body || !list.body.queues) throw new Error('board: ' + JSON.stringify(list));
    out({ queues: list.body.queues });
    if (rest[1]) {
      const detail = await routes['get /api/queues/:queueName/:jobId']({
        queues: boardQueues, uiConfig: {}, query: {}, headers: {},
        params: { queueName, jobId: rest[1] } });
      out({ detail: detail.body });
      const logs = await routes['get /api/queues/:queueName/:jobId/logs']({
        queues: boardQueues, uiConfig: {}, query: {}, headers: {},
        params: { queueName, jobId: rest[1] } });
      out({ logs: logs.body });
    }
    await queue.close();
  },
};

const fn = commands[command];
if (!fn) { console.error('unknown command ' + command); process.exit(2); }
fn().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
