// WebSocket client for the API tests, written against the npm `ws` package (not our server):
// connects to ws://127.0.0.1:<port>/ws (with an optional access_token), sends each message
// given on the command line (JSON text, or "raw:<text>" sent as is), and prints every message
// it receives as one line "MSG <json>". Also prints "PING" for each server ping (answered by
// `ws` automatically), "OPEN" and "CLOSE <code>". Exits on close or after <seconds>.
// Usage: node ws_client.js <port> <access_token or -> <seconds> <message>...
'use strict';
const path = require('path');
const WebSocket = require(path.join(process.env.VG_NODE_MODULES, 'ws'));

const [port, token, seconds, ...messages] = process.argv.slice(2);
const query = token && token !== '-' ? `?access_token=${encodeURIComponent(token)}` : '';
// VG_WS_PLAY_DEAD=1: never answer pings (a vanished peer).
const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`,
                         { autoPong: process.env.VG_WS_PLAY_DEAD !== '1' });
const out = (line) => process.stdout.write(line + '\n');

ws.on('open', () => {
  out('OPEN');
  for (const m of messages) ws.send(m.startsWith('raw:') ? m.slice(4) : m);
});
ws.on('message', (data) => out('MSG ' + data.toString()));
ws.on('ping', () => out('PING'));
ws.on('unexpected-response', (req, res) => {
  out('HTTP ' + res.statusCode);
  process.exit(3);
});
ws.on('close', (code) => {
  out('CLOSE ' + code);
  process.exit(0);
});
ws.on('error', (err) => out('ERROR ' + err.message));
setTimeout(() => {
  out('TIMEOUT');
  ws.close(1000);
  setTimeout(() => process.exit(0), 200);
}, Number(seconds) * 1000);
