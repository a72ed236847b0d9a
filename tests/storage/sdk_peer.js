'use strict';
// The AWS SDK for JavaScript v3 reading what vidgen's S3 store wrote, as an independent client.
// Usage: node sdk_peer.js get <key>...   (env S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY,
// S3_SECRET_KEY, S3_REGION). Prints one JSON line per key:
//   {"key":..., "size":..., "sha256":..., "contentType":..., "contentDisposition":...}
//   {"key":..., "absent":true}
// and exits 0; any other failure prints {"key":..., "error":...} and exits 1.
const crypto = require('crypto');
const { S3Client, GetObjectCommand } = require('@aws-sdk/client-s3');

const client = new S3Client({
  endpoint: process.env.S3_ENDPOINT,
  region: process.env.S3_REGION || 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: process.env.S3_ACCESS_KEY, secretAccessKey: process.env.S3_SECRET_KEY },
  // s3rver does not decode aws-chunked bodies and sends no checksums.
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

async function get(key) {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: process.env.S3_BUCKET, Key: key }));
    const hash = crypto.createHash('sha256');
    let size = 0;
    for await (const chunk of out.Body) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { key, size, sha256: hash.digest('hex'), contentType: out.ContentType,
             contentDisposition: out.ContentDisposition, contentLength: out.ContentLength };
  } catch (e) {
    if (e.name === 'NoSuchKey' || (e.$metadata && e.$metadata.httpStatusCode === 404)) {
      return { key, absent: true };
    }
    return { key, error: `${e.name}: ${e.message}` };
  }
}

async function main() {
  const [command, ...keys] = process.argv.slice(2);
  if (command !== 'get' || !keys.length) {
    console.error('usage: node sdk_peer.js get <key>...');
    process.exit(2);
  }
  let failed = false;
  for (const key of keys) {
    const result = await get(key);
    if (result.error) failed = true;
    console.log(JSON.stringify(result));
  }
  process.exit(failed ? 1 : 0);
}
main();
