// A webhook receiver for vidgen's service tests: verifies every POST with the `standardwebhooks`
// npm package and prints one line per request, "VERIFIED <webhook-id> <body>" or
// "REJECTED <reason>". The first requests answer the given statuses (e.g. 500), later ones 200.
// Listens on 127.0.0.1 on a port chosen by the OS and prints "PORT <n>" first.
// Usage: node webhook_sink.js <whsec_secret> [statuses...]
'use strict';
const http = require('http');
const { Webhook } = require('standardwebhooks');

const webhook = new Webhook(process.argv[2]);
const statuses = process.argv.slice(3).map(Number);
let count = 0;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let status = 200;
    try {
      webhook.verify(body, req.headers);
      console.log(`VERIFIED ${req.headers['webhook-id']} ${body}`);
      status = count < statuses.length ? statuses[count] : 200;
    } catch (err) {
      console.log(`REJECTED ${err.message}`);
      status = 400;
    }
    count++;
    res.writeHead(status, { 'Content-Type': 'text/plain' });
    res.end('ok');
  });
});
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
