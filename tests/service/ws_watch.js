// A WebSocket client for vidgen's service tests (npm `ws`): connects to <url>, subscribes to
// one job id or to all jobs ("all"), and prints every server message as one JSON line, after
// a first line "OPEN". Exits after <timeout_ms> or on SIGTERM.
// Usage: node ws_watch.js ws://127.0.0.1:<port>/ws <jobId|all> <timeout_ms>
'use strict';
const WebSocket = require('ws');

const [url, target, timeoutMs] = process.argv.slice(2);
const socket = new WebSocket(url);
socket.on('open', () => {
  socket.send(JSON.stringify(target === 'all' ? { type: 'subscribe', all: true }
                                              : { type: 'subscribe', jobId: target }));
  console.log('OPEN');
});
socket.on('message', (data) => console.log(data.toString()));
socket.on('error', (err) => console.log(`ERROR ${err.message}`));
socket.on('close', (code) => { console.log(`CLOSE ${code}`); process.exit(0); });
setTimeout(() => process.exit(0), Number(timeoutMs || 30000));
process.on('SIGTERM', () => process.exit(0));
