// A webhook receiver for vidgen's tests: verifies every POST with the `standardwebhooks` npm
// package (the reference implementation) and prints one line per request:
//   VERIFIED <webhook-id> <type> <jobId>   or   REJECTED <reason>
// Usage: node webhook_receiver.js <whsec_secret> [statuses...]
// The first requests answer the given statuses (e.g. 500 500), later ones 200 (a rejected
// signature always answers 400). Listens on 127.0.0.1, port chosen by the OS: prints "PORT <n>".
'use strict';
const http = require('http');
const { Webhook } = require('standardwebhooks');

const secret = process.argv[2];
const statuses = process.argv.slice(3).map(Number);
const webhook = new Webhook(secret);
let count = 0;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let status = 200;
    try {
      const payload = webhook.verify(body, req.headers);
      console.log(`VERIFIED ${req.headers['webhook-id']} ${payload.type} ${payload.data.jobId}`);
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
