// BullMQ's own view of a queue's workers for vidgen's service tests: the real bullmq package's
// Queue.getWorkers() (CLIENT LIST, as Bull Board uses it), printed every 200 ms as one line
// "WORKERS <count> <JSON array of raw connection names>". With "node-worker" it also runs a Node
// Worker on the queue (named "node-peer") that completes every job it takes.
// Usage: node bull_workers.js <redis port> <queue name> [node-worker]
'use strict';
const { Queue, Worker } = require('bullmq');

const [port, name, withWorker] = process.argv.slice(2);
const connection = { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null };
const queue = new Queue(name, { connection });
let worker = null;
if (withWorker === 'node-worker') {
  worker = new Worker(name, async () => 'ok', { connection, name: 'node-peer', autorun: true });
}

async function poll() {
  try {
    const workers = await queue.getWorkers();
    console.log(`WORKERS ${workers.length} ${JSON.stringify(workers.map((w) => w.rawname))}`);
  } catch (err) {
    console.log(`ERROR ${err.message}`);
  }
  setTimeout(poll, 200);
}
poll();

async function stop() {
  if (worker) await worker.close();
  await queue.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
