// The peer of bench/storage: the AWS SDK for JavaScript v3 uploading one file with
// @aws-sdk/lib-storage's Upload, as a Node service would (a read stream as the body, the
// defaults: 5 MiB parts, 4 in flight), and printing one JSON line like vg_storage_bench's
// (seconds of the upload and when its parts were all up, MB/s with MB = 10^6 bytes, this process's peak RSS).
//
//   node sdk_upload.mjs --endpoint URL --key K --file F [--bucket videos] [--part-mib N]
//                       [--queue N] [--access-key S3RVER --secret-key S3RVER --region us-east-1]
// --part-mib / --queue left out: the SDK's own defaults.
import fs from 'node:fs';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

function parseArgs(argv) {
  const options = { bucket: 'videos', accessKey: 'S3RVER', secretKey: 'S3RVER', region: 'us-east-1' };
  const names = { '--endpoint': 'endpoint', '--key': 'key', '--file': 'file', '--bucket': 'bucket',
                  '--part-mib': 'partMib', '--queue': 'queue', '--access-key': 'accessKey',
                  '--secret-key': 'secretKey', '--region': 'region' };
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]];
    if (!name || i + 1 >= argv.length) throw new Error(`unknown or incomplete option ${argv[i]}`);
    options[name] = argv[i + 1];
  }
  for (const required of ['endpoint', 'key', 'file']) {
    if (!options[required]) throw new Error(`--${required} is required`);
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const client = new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: true,
    credentials: { accessKeyId: options.accessKey, secretAccessKey: options.secretKey },
    // s3rver stores aws-chunked framing (CRC32 trailers) verbatim: send plain bodies.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const params = { Bucket: options.bucket, Key: options.key, Body: fs.createReadStream(options.file),
                   ContentType: 'video/mp4' };
  const settings = { client, params };
  if (options.partMib) settings.partSize = Number(options.partMib) * 1024 * 1024;
  if (options.queue) settings.queueSize = Number(options.queue);
  const bytes = fs.statSync(options.file).size;
  const upload = new Upload(settings);
  const started = process.hrtime.bigint();
  const since = () => Number(process.hrtime.bigint() - started) / 1e9;
  // When every part had been answered (lib-storage reports progress per finished part): the
  // rest is CompleteMultipartUpload.
  let sentSeconds = 0;
  upload.on('httpUploadProgress', (progress) => {
    if (progress.loaded >= bytes && !sentSeconds) sentSeconds = since();
  });
  await upload.done();
  const seconds = since();
  console.log(JSON.stringify({
    mode: 'sdk-upload', key: options.key, bytes, seconds, sent_seconds: sentSeconds, mb_per_s: bytes / 1e6 / seconds,
    peak_rss_mib: process.resourceUsage().maxRSS / 1024,  // KiB
    part_mib: upload.partSize / (1024 * 1024), queue: upload.queueSize,
  }));
}

main().catch((error) => {
  console.error(`sdk_upload: ${error.name}: ${error.message}`);
  process.exit(1);
});
