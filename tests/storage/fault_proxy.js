'use strict';
// A loopback proxy in front of an S3 server that answers the first N requests of one method
// with 500 InternalError (as S3 does under load) and passes everything else through unchanged
// (Host included, so SigV4 signatures made for the proxy's address still verify upstream).
// Usage: node fault_proxy.js <upstream-port> <failures> <METHOD>
// Prints "PORT <port>" once listening, then "FAIL <method> <path>" / "PASS <method> <path>
// <status>" per request.
const http = require('http');

const [upstreamPort, failuresText, method] = process.argv.slice(2);
let failuresLeft = Number(failuresText);

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (req.method === method && failuresLeft > 0) {
    failuresLeft -= 1;
    console.log(`FAIL ${req.method} ${path}`);
    req.resume();
    req.on('end', () => {
      const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>' +
        '<Message>We encountered an internal error. Please try again.</Message></Error>';
      res.writeHead(500, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
    return;
  }
  const headers = { ...req.headers };
  delete headers.expect;  // this proxy already answered 100 Continue; Expect is never signed
  const upstream = http.request(
    { host: '127.0.0.1', port: Number(upstreamPort), method: req.method, path: req.url, headers },
    (answer) => {
      console.log(`PASS ${req.method} ${path} ${answer.statusCode}`);
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
  upstream.on('error', (e) => {
    console.log(`ERROR ${req.method} ${path} ${e.message}`);
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
});
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
