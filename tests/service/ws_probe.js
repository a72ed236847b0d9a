// A WebSocket client for vidgen's service tests (npm `ws`) that times the server's answers:
// connects to <url>, prints "OPEN", sends {type:"subscribe", jobId}, and prints every server
// message as "MSG <ms since the subscribe was sent> <JSON>". Exits after <timeout_ms> or on
// SIGTERM.
// Usage: node ws_probe.js ws://127.0.0.1:<port>/ws <jobId> <timeout_ms>
'use strict';
const WebSocket = require('ws');

const [url, jobId, timeoutMs] = process.argv.slice(2);
const socket = new WebSocket(url);
let sentAt = process.hrtime.bigint();
socket.on('open', () => {
  console.log('OPEN');
  sentAt = process.hrtime.bigint();
  socket.send(JSON.stringify({ type: 'subscribe', jobId }));
});
socket.on('message', (data) => {
  const ms = Number(process.hrtime.bigint() - sentAt) / 1e6;
  console.log(`MSG ${ms.toFixed(1)} ${data.toString()}`);
});
socket.on('error', (err) => console.log(`ERROR ${err.message}`));
socket.on('close', (code) => { console.log(`CLOSE ${code}`); process.exit(0); });
setTimeout(() => process.exit(0), Number(timeoutMs || 30000));
process.on('SIGTERM', () => process.exit(0));
