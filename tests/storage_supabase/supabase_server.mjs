// A stand-in for Supabase Storage (the API gateway in front of the supabase/storage server) for
// vidgen's tests: plain node:http, no npm packages. It implements the endpoints vidgen's
// SupabaseStore calls, with the answers the real service gives:
//   POST|PUT /storage/v1/object/{bucket}/{path}         standard upload (raw body, x-upsert)
//   POST     /storage/v1/upload/resumable                TUS 1.0.0 creation (Upload-Metadata)
//   PATCH    /storage/v1/upload/resumable/{id}           TUS chunk: exactly 6 MiB unless last
//   HEAD     /storage/v1/upload/resumable/{id}           TUS offset
//   POST     /storage/v1/object/sign/{bucket}/{path}     {"expiresIn"} → {"signedURL"}
//   GET      /storage/v1/object/sign/{bucket}/{path}?token=   signed download (no apikey)
//   GET      /storage/v1/object/info/[authenticated/]{bucket}/{path}   object info JSON
//   GET      /storage/v1/object/authenticated/{bucket}/{path}          authenticated download
//   POST     /storage/v1/object/list/{bucket}            folder listing (prefix, limit, offset)
//   DELETE   /storage/v1/object/{bucket}                 {"prefixes":[...]} → deleted objects
//   GET      /storage/v1/bucket/{bucket}                 bucket details
// Auth as Supabase does it: the gateway wants `apikey` (a project JWT or the `sb_secret_…` key;
// anything else is HTTP 401 "Invalid API key"); storage then verifies `Authorization: Bearer
// <JWT>` (HS256, project secret) when one is sent, and requires it when the apikey is a JWT.
// Storage errors are HTTP 400 (500 for internal ones) with {"statusCode":"<string>","code",
// "error","message"}, so clients must read the body. Signed URLs carry an HS256 token with
// {url, iat, exp}.
//
// Usage: node supabase_server.mjs [options]; prints one line "READY {json}" with the port and
// the project's keys, then serves 127.0.0.1 until killed.
//   --root DIR             objects and uploads live here (required; the test's temp dir)
//   --bucket NAME          a bucket that exists (repeatable; default "videos")
//   --secret-key KEY       the project's sb_secret_ key (default sb_secret_vidgen_test_key)
//   --jwt-secret S         the project's JWT secret (default a fixed test value)
//   --no-gateway           no apikey check (self-hosted storage reached directly)
//   --fail-patch-once [N]  the N-th TUS PATCH (default 2) keeps half of its bytes, then the
//                          connection is cut (tests resuming through HEAD)
//   --fail-first N         the first N standard uploads answer 500 InternalError
//   --tus-chunk-bytes N    the chunk rule (default 6 MiB)
// Test-only endpoints (no auth): GET /__test/stats, POST /__test/clock {"advanceSeconds"},
// POST /__test/touch {"bucket","name","updatedAt","createdAt"} (ISO strings).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

// ---------------------------------------------------------------------------------------------
// Options

const options = {
  root: '',
  buckets: [],
  secretKey: 'sb_secret_vidgen_test_key',
  jwtSecret: 'vidgen-test-jwt-secret-with-at-least-32-characters',
  gateway: true,
  failPatchAt: 0,
  failFirstUploads: 0,
  tusChunkBytes: 6 * 1024 * 1024,
};
{
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const next = () => {
      if (i + 1 >= args.length) throw new Error(`${arg} needs a value`);
      return args[++i];
    };
    if (arg === '--root') options.root = next();
    else if (arg === '--bucket') options.buckets.push(next());
    else if (arg === '--secret-key') options.secretKey = next();
    else if (arg === '--jwt-secret') options.jwtSecret = next();
    else if (arg === '--no-gateway') options.gateway = false;
    else if (arg === '--fail-patch-once') {
      options.failPatchAt = 2;
      if (i + 1 < args.length && /^\d+$/.test(args[i + 1])) options.failPatchAt = Number(args[++i]);
    } else if (arg === '--fail-first') options.failFirstUploads = Number(next());
    else if (arg === '--tus-chunk-bytes') options.tusChunkBytes = Number(next());
    else throw new Error(`unknown option ${arg}`);
  }
  if (!options.root) throw new Error('--root is required');
  if (options.buckets.length === 0) options.buckets.push('videos');
}

const objectsDir = path.join(options.root, 'objects');
const uploadsDir = path.join(options.root, 'uploads');
fs.mkdirSync(objectsDir, { recursive: true });
fs.mkdirSync(uploadsDir, { recursive: true });

// ---------------------------------------------------------------------------------------------
// State

let clockOffsetMs = 0;
const nowMs = () => Date.now() + clockOffsetMs;
const nowSeconds = () => Math.floor(nowMs() / 1000);

const stats = {
  requests: 0,
  standardUploads: 0,
  tusCreates: 0,
  tusPatches: 0,
  tusPatchFailures: 0,
  tusHeads: 0,
  tusCompleted: 0,
  rejectedAuth: 0,
  patchSizes: [],
  lastUserAgent: '',
};
let failedUploadsLeft = options.failFirstUploads;

const bucketCreatedAt = new Date(nowMs()).toISOString();
// bucket → Map(name → {id, size, contentType, cacheControl, etag, createdAt, updatedAt, file})
const buckets = new Map(options.buckets.map((name) => [name, new Map()]));
// upload id → {bucket, name, length, offset, contentType, cacheControl, upsert, file}
const uploads = new Map();

// ---------------------------------------------------------------------------------------------
// JWT (HS256), with jsonwebtoken's error messages

const b64url = (data) => Buffer.from(data).toString('base64url');

function signJwt(payload) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(payload));
  const signature = crypto
    .createHmac('sha256', options.jwtSecret)
    .update(`${head}.${body}`)
    .digest();
  return `${head}.${body}.${b64url(signature)}`;
}

function verifyJwt(token) {
  if (!token) throw new Error('jwt must be provided');
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('jwt malformed');
  let header;
  let payload;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw new Error('jwt malformed');
  }
  if (header.alg !== 'HS256') throw new Error('invalid algorithm');
  const expected = crypto
    .createHmac('sha256', options.jwtSecret)
    .update(`${parts[0]}.${parts[1]}`)
    .digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    throw new Error('invalid signature');
  }
  if (typeof payload.exp === 'number' && nowSeconds() >= payload.exp) {
    throw new Error('jwt expired');
  }
  return payload;
}

const issuedAt = nowSeconds();
const serviceRoleKey = signJwt({
  iss: 'supabase',
  ref: 'vidgentest',
  role: 'service_role',
  iat: issuedAt,
  exp: issuedAt + 10 * 365 * 24 * 3600,
});

// ---------------------------------------------------------------------------------------------
// Answers

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

// A storage error as supabase/storage renders it: HTTP 400 unless the status is 500.
function storageError(res, statusCode, code, message, error = code) {
  sendJson(res, statusCode === 500 ? 500 : 400, {
    statusCode: String(statusCode),
    code,
    error,
    message,
  });
}

const errors = {
  noSuchBucket: (res) =>
    storageError(res, 404, 'NoSuchBucket', 'Bucket not found', 'Bucket not found'),
  noSuchKey: (res) => storageError(res, 404, 'NoSuchKey', 'Object not found', 'not_found'),
  accessDenied: (res, message) => storageError(res, 403, 'AccessDenied', message, 'Unauthorized'),
  duplicate: (res) =>
    storageError(res, 409, 'KeyAlreadyExists', 'The resource already exists', 'Duplicate'),
  invalidJwt: (res, message) => storageError(res, 400, 'InvalidJWT', message),
  invalidRequest: (res, message) => storageError(res, 400, 'InvalidRequest', message),
  internal: (res) => storageError(res, 500, 'InternalError', 'Internal server error'),
};

// A TUS protocol error as @tus/server sends it: the real status, a plain-text body.
function tusError(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Tus-Resumable': '1.0.0' });
  res.end(`${text}\n`);
}

// ---------------------------------------------------------------------------------------------
// Auth: the gateway's apikey check, then storage's JWT check. Returns true when allowed.

const looksLikeJwt = (text) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text);

function authorize(req, res) {
  const apikey = req.headers.apikey;
  const authorization = req.headers.authorization;
  const bearer = authorization ? authorization.replace(/^Bearer\s+/i, '') : undefined;
  const refuse = (status, body) => {
    stats.rejectedAuth++;
    sendJson(res, status, body);
    return false;
  };
  if (options.gateway) {
    if (typeof apikey !== 'string' || apikey === '') {
      return refuse(401, {
        message: 'No API key found in request',
        hint: 'No `apikey` request header or url param was found.',
      });
    }
    let known = false;
    if (apikey.startsWith('sb_')) {
      known = apikey === options.secretKey;
    } else if (looksLikeJwt(apikey)) {
      try {
        verifyJwt(apikey);
        known = true;
      } catch {
        known = false;
      }
    }
    if (!known) {
      return refuse(401, {
        message: 'Invalid API key',
        hint: 'Double check your Supabase `anon` or `service_role` API key.',
      });
    }
    // A secret key is not a JWT: the gateway stands in for it with a service_role token when no
    // Authorization is sent. A JWT apikey needs its bearer token like any storage client.
    if (apikey.startsWith('sb_') && bearer === undefined) return true;
  }
  try {
    const payload = verifyJwt(bearer);
    if (payload.role !== 'service_role') {
      stats.rejectedAuth++;
      errors.accessDenied(res, 'new row violates row-level security policy');
      return false;
    }
    return true;
  } catch (error) {
    stats.rejectedAuth++;
    errors.accessDenied(res, error.message);
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Objects on disk

const objectFile = (bucket, name) =>
  path.join(objectsDir, `${encodeURIComponent(bucket)}__${encodeURIComponent(name)}`);

function storeObject(bucket, name, tempFile, contentType, cacheControl) {
  const objects = buckets.get(bucket);
  const file = objectFile(bucket, name);
  fs.renameSync(tempFile, file);
  const size = fs.statSync(file).size;
  const now = new Date(nowMs()).toISOString();
  const existing = objects.get(name);
  const object = {
    id: existing ? existing.id : crypto.randomUUID(),
    size,
    contentType: contentType || 'text/plain;charset=UTF-8',
    cacheControl: cacheControl || 'no-cache',
    etag: `"${crypto.createHash('md5').update(fs.readFileSync(file)).digest('hex')}"`,
    createdAt: existing ? existing.createdAt : now,
    updatedAt: now,
    file,
  };
  objects.set(name, object);
  return object;
}

function objectMetadata(object) {
  return {
    eTag: object.etag,
    size: object.size,
    mimetype: object.contentType,
    cacheControl: object.cacheControl,
    lastModified: object.updatedAt,
    contentLength: object.size,
    httpStatusCode: 200,
  };
}

function sendObject(req, res, object) {
  res.writeHead(200, {
    'Content-Type': object.contentType,
    'Content-Length': object.size,
    'Cache-Control': object.cacheControl,
    ETag: object.etag,
    'Last-Modified': new Date(object.updatedAt).toUTCString(),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  fs.createReadStream(object.file).pipe(res);
}

// Reads a request body into `file`; resolves with {received, cut}. With cutAfter ≥ 0 only that
// many bytes are written and the rest of the body is ignored (the caller then cuts the line).
function receiveToFile(req, file, { flags = 'w', cutAfter = -1 } = {}) {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(file, { flags });
    let received = 0;
    let cut = false;
    req.on('data', (chunk) => {
      if (cut) return;
      if (cutAfter >= 0 && received + chunk.length >= cutAfter) {
        const keep = chunk.subarray(0, cutAfter - received);
        received += keep.length;
        cut = true;
        out.end(keep, () => resolve({ received, cut: true }));
        return;
      }
      received += chunk.length;
      out.write(chunk);
    });
    req.on('end', () => {
      if (!cut) out.end(() => resolve({ received, cut: false }));
    });
    req.on('error', (error) => {
      if (!cut) out.end(() => reject(error));
    });
  });
}

function readJson(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'));
      } catch {
        resolve(undefined);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Routes

const storagePrefix = '/storage/v1';

// "/a/b%20c" → ["a", "b c"]; the first segment is the bucket, the rest the object name.
function splitBucketPath(rest) {
  const segments = rest.split('/').map((s) => decodeURIComponent(s));
  return { bucket: segments[0], name: segments.slice(1).join('/') };
}

async function handleStandardUpload(req, res, bucket, name) {
  if (!authorize(req, res)) return;
  if (!buckets.has(bucket)) return errors.noSuchBucket(res);
  if (!name) return errors.invalidRequest(res, 'Invalid key: empty');
  if (req.headers['content-length'] === undefined) {
    return storageError(res, 400, 'MissingContentLength',
                        'You must provide the Content-Length HTTP header.');
  }
  stats.standardUploads++;
  if (failedUploadsLeft > 0) {
    failedUploadsLeft--;
    req.resume();
    req.on('end', () => errors.internal(res));
    return;
  }
  const upsert = req.method === 'PUT' || req.headers['x-upsert'] === 'true';
  const temp = path.join(uploadsDir, `std-${crypto.randomUUID()}`);
  await receiveToFile(req, temp);
  if (!upsert && buckets.get(bucket).has(name)) {
    fs.rmSync(temp, { force: true });
    return errors.duplicate(res);
  }
  const object = storeObject(bucket, name, temp, req.headers['content-type'],
                             req.headers['cache-control']);
  sendJson(res, 200, { Id: object.id, Key: `${bucket}/${name}` });
}

function parseUploadMetadata(header) {
  const metadata = {};
  for (const pair of (header || '').split(',')) {
    const [key, value] = pair.trim().split(' ');
    if (!key) continue;
    metadata[key] = value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8');
  }
  return metadata;
}

function handleTusCreate(req, res) {
  req.resume();
  if (!authorize(req, res)) return;
  if (req.headers['tus-resumable'] !== '1.0.0') {
    return tusError(res, 412, 'Unsupported version');
  }
  const length = Number(req.headers['upload-length']);
  if (!Number.isInteger(length) || length < 0) return tusError(res, 400, 'Invalid Upload-Length');
  const metadata = parseUploadMetadata(req.headers['upload-metadata']);
  if (!metadata.bucketName || !metadata.objectName) {
    return errors.invalidRequest(res, 'Metadata header is required');
  }
  if (!buckets.has(metadata.bucketName)) return errors.noSuchBucket(res);
  const upsert = req.headers['x-upsert'] === 'true';
  if (!upsert && buckets.get(metadata.bucketName).has(metadata.objectName)) {
    return errors.duplicate(res);
  }
  const id = b64url(`${metadata.bucketName}/${metadata.objectName}/${crypto.randomUUID()}`);
  const file = path.join(uploadsDir, `tus-${crypto.randomUUID()}`);
  fs.writeFileSync(file, '');
  uploads.set(id, {
    bucket: metadata.bucketName,
    name: metadata.objectName,
    length,
    offset: 0,
    contentType: metadata.contentType,
    cacheControl: metadata.cacheControl,
    upsert,
    file,
  });
  stats.tusCreates++;
  const host = req.headers.host;
  res.writeHead(201, {
    Location: `http://${host}${storagePrefix}/upload/resumable/${id}`,
    'Tus-Resumable': '1.0.0',
    'Content-Length': 0,
  });
  res.end();
}

function handleTusHead(req, res, id) {
  if (!authorize(req, res)) return;
  stats.tusHeads++;
  const upload = uploads.get(id);
  if (!upload) {
    res.writeHead(404, { 'Tus-Resumable': '1.0.0' });
    res.end();
    return;
  }
  res.writeHead(200, {
    'Upload-Offset': upload.offset,
    'Upload-Length': upload.length,
    'Tus-Resumable': '1.0.0',
    'Cache-Control': 'no-store',
  });
  res.end();
}

async function handleTusPatch(req, res, id) {
  if (!authorize(req, res)) {
    req.resume();
    return;
  }
  const upload = uploads.get(id);
  if (!upload) {
    req.resume();
    return tusError(res, 404, 'The file for this url was not found');
  }
  if (req.headers['tus-resumable'] !== '1.0.0') {
    req.resume();
    return tusError(res, 412, 'Unsupported version');
  }
  if (req.headers['content-type'] !== 'application/offset+octet-stream') {
    req.resume();
    return tusError(res, 415, 'Invalid Content-Type');
  }
  const offset = Number(req.headers['upload-offset']);
  if (!Number.isInteger(offset) || offset !== upload.offset) {
    req.resume();
    return tusError(res, 409, 'Upload-Offset conflict');
  }
  const bytes = Number(req.headers['content-length']);
  if (!Number.isInteger(bytes)) {
    req.resume();
    return tusError(res, 400, 'Content-Length required');
  }
  if (offset + bytes > upload.length) {
    req.resume();
    return tusError(res, 413, 'Maximum size exceeded');
  }
  const isLast = offset + bytes === upload.length;
  if (bytes !== options.tusChunkBytes && !isLast) {
    req.resume();
    return tusError(res, 400,
                    `Chunks must be exactly ${options.tusChunkBytes} bytes except the last`);
  }
  stats.tusPatches++;
  stats.patchSizes.push(bytes);
  if (options.failPatchAt > 0 && stats.tusPatches === options.failPatchAt) {
    // Keep what arrived up to half the chunk, as @tus/server keeps a broken request's bytes,
    // then cut the connection.
    stats.tusPatchFailures++;
    const { received } = await receiveToFile(req, upload.file, {
      flags: 'a',
      cutAfter: Math.floor(bytes / 2),
    });
    upload.offset += received;
    req.socket.destroy();
    return;
  }
  const { received } = await receiveToFile(req, upload.file, { flags: 'a' });
  upload.offset += received;
  if (upload.offset === upload.length) {
    const objects = buckets.get(upload.bucket);
    if (!upload.upsert && objects.has(upload.name)) return errors.duplicate(res);
    storeObject(upload.bucket, upload.name, upload.file, upload.contentType, upload.cacheControl);
    // The upload stays known (HEAD answers its full offset), as @tus/server keeps its info.
    stats.tusCompleted++;
  }
  res.writeHead(204, { 'Upload-Offset': upload.offset, 'Tus-Resumable': '1.0.0' });
  res.end();
}

async function handleSign(req, res, bucket, name) {
  const body = await readJson(req);
  if (!authorize(req, res)) return;
  if (!buckets.has(bucket)) return errors.noSuchBucket(res);
  if (!buckets.get(bucket).has(name)) return errors.noSuchKey(res);
  const expiresIn = body && body.expiresIn;
  if (!Number.isInteger(expiresIn) || expiresIn < 1) {
    return storageError(res, 400, 'InvalidRequest', 'body/expiresIn must be >= 1', 'Bad Request');
  }
  const iat = nowSeconds();
  const token = signJwt({ url: `${bucket}/${name}`, iat, exp: iat + expiresIn });
  // As supabase/storage does: the object path unencoded, relative to /storage/v1.
  sendJson(res, 200, { signedURL: `/object/sign/${bucket}/${name}?token=${token}` });
}

function handleSignedGet(req, res, bucket, name, query) {
  let payload;
  try {
    payload = verifyJwt(query.get('token') || '');
  } catch (error) {
    return errors.invalidJwt(res, error.message);
  }
  if (payload.url !== `${bucket}/${name}`) {
    return storageError(res, 400, 'InvalidSignature', 'The url do not match the signature');
  }
  const object = buckets.has(bucket) ? buckets.get(bucket).get(name) : undefined;
  if (!object) return errors.noSuchKey(res);
  sendObject(req, res, object);
}

function handleInfo(req, res, bucket, name) {
  if (!authorize(req, res)) return;
  if (!buckets.has(bucket)) return errors.noSuchBucket(res);
  const object = buckets.get(bucket).get(name);
  if (!object) return errors.noSuchKey(res);
  sendJson(res, 200, {
    id: object.id,
    name,
    version: object.id,
    bucket_id: bucket,
    size: object.size,
    content_type: object.contentType,
    cache_control: object.cacheControl,
    etag: object.etag,
    metadata: null,
    last_modified: object.updatedAt,
    created_at: object.createdAt,
  });
}

async function handleList(req, res, bucket) {
  const body = await readJson(req);
  if (!authorize(req, res)) return;
  if (!buckets.has(bucket)) return errors.noSuchBucket(res);
  if (!body || typeof body.prefix !== 'string') {
    return storageError(res, 400, 'InvalidRequest', "body must have required property 'prefix'",
                        'Bad Request');
  }
  let prefix = body.prefix;
  if (prefix.length > 0 && !prefix.endsWith('/')) prefix = `${prefix}/`;
  const limit = body.limit === undefined ? 100 : body.limit;
  const offset = body.offset === undefined ? 0 : body.offset;
  const column = (body.sortBy && body.sortBy.column) || 'name';
  const order = (body.sortBy && body.sortBy.order) || 'asc';
  // storage.search: one entry per direct child of the prefix "folder"; sub-folders are
  // entries with null id and metadata.
  const entries = new Map();
  for (const [name, object] of buckets.get(bucket)) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash >= 0) {
      const folder = rest.slice(0, slash);
      if (!entries.has(folder)) {
        entries.set(folder, {
          name: folder, id: null, updated_at: null, created_at: null, last_accessed_at: null,
          metadata: null,
        });
      }
      continue;
    }
    entries.set(rest, {
      name: rest,
      id: object.id,
      updated_at: object.updatedAt,
      created_at: object.createdAt,
      last_accessed_at: object.updatedAt,
      metadata: objectMetadata(object),
    });
  }
  const key = { name: 'name', created_at: 'created_at', updated_at: 'updated_at',
                last_accessed_at: 'last_accessed_at' }[column] || 'name';
  const sorted = [...entries.values()].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === y) return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    if (x === null) return 1;  // NULLS LAST, as Postgres sorts ascending
    if (y === null) return -1;
    const less = x < y ? -1 : 1;
    return order === 'desc' ? -less : less;
  });
  sendJson(res, 200, sorted.slice(offset, offset + limit));
}

async function handleDeleteMany(req, res, bucket) {
  const body = await readJson(req);
  if (!authorize(req, res)) return;
  if (!buckets.has(bucket)) return errors.noSuchBucket(res);
  if (!body || !Array.isArray(body.prefixes) || body.prefixes.length === 0) {
    return storageError(res, 400, 'InvalidRequest',
                        'body/prefixes must NOT have fewer than 1 items', 'Bad Request');
  }
  const objects = buckets.get(bucket);
  const deleted = [];
  for (const name of body.prefixes) {
    const object = objects.get(name);
    if (!object) continue;
    objects.delete(name);
    fs.rmSync(object.file, { force: true });
    deleted.push({
      bucket_id: bucket,
      name,
      id: object.id,
      updated_at: object.updatedAt,
      created_at: object.createdAt,
      last_accessed_at: object.updatedAt,
      metadata: objectMetadata(object),
    });
  }
  sendJson(res, 200, deleted);
}

function handleBucket(req, res, bucket) {
  if (!authorize(req, res)) return;
  if (!buckets.has(bucket)) return errors.noSuchBucket(res);
  sendJson(res, 200, {
    id: bucket,
    name: bucket,
    owner: '',
    public: false,
    type: 'STANDARD',
    file_size_limit: null,
    allowed_mime_types: null,
    created_at: bucketCreatedAt,
    updated_at: bucketCreatedAt,
  });
}

async function handleTest(req, res, route) {
  const body = req.method === 'POST' ? await readJson(req) : undefined;
  if (route === '/__test/stats') return sendJson(res, 200, stats);
  if (route === '/__test/clock') {
    clockOffsetMs += Math.round((body.advanceSeconds || 0) * 1000);
    return sendJson(res, 200, { now: new Date(nowMs()).toISOString() });
  }
  if (route === '/__test/touch') {
    const object = buckets.has(body.bucket) ? buckets.get(body.bucket).get(body.name) : undefined;
    if (!object) return errors.noSuchKey(res);
    if (body.updatedAt) object.updatedAt = body.updatedAt;
    if (body.createdAt) object.createdAt = body.createdAt;
    return sendJson(res, 200, { ok: true });
  }
  return sendJson(res, 404, { message: 'no such test route' });
}

async function route(req, res) {
  stats.requests++;
  stats.lastUserAgent = req.headers['user-agent'] || '';
  const url = new URL(req.url, 'http://localhost');
  const route = url.pathname;
  if (route.startsWith('/__test/')) return handleTest(req, res, route);
  if (!route.startsWith(`${storagePrefix}/`)) {
    req.resume();
    return sendJson(res, 404, { message: 'no Route matched with those values' });
  }
  const rest = route.slice(storagePrefix.length);
  const method = req.method;
  const tusBase = '/upload/resumable';
  if (rest === tusBase || rest === `${tusBase}/`) {
    if (method === 'POST') return handleTusCreate(req, res);
  } else if (rest.startsWith(`${tusBase}/`)) {
    const id = rest.slice(tusBase.length + 1);
    if (method === 'HEAD') return handleTusHead(req, res, id);
    if (method === 'PATCH') return handleTusPatch(req, res, id);
  } else if (rest.startsWith('/object/sign/')) {
    const { bucket, name } = splitBucketPath(rest.slice('/object/sign/'.length));
    if (method === 'POST') return handleSign(req, res, bucket, name);
    if (method === 'GET' || method === 'HEAD') {
      return handleSignedGet(req, res, bucket, name, url.searchParams);
    }
  } else if (rest.startsWith('/object/list/')) {
    if (method === 'POST') {
      return handleList(req, res, decodeURIComponent(rest.slice('/object/list/'.length)));
    }
  } else if (rest.startsWith('/object/info/')) {
    let tail = rest.slice('/object/info/'.length);
    if (tail.startsWith('authenticated/')) tail = tail.slice('authenticated/'.length);
    const { bucket, name } = splitBucketPath(tail);
    if (method === 'GET') return handleInfo(req, res, bucket, name);
  } else if (rest.startsWith('/object/authenticated/')) {
    const { bucket, name } = splitBucketPath(rest.slice('/object/authenticated/'.length));
    if (method === 'GET') {
      if (!authorize(req, res)) return;
      if (!buckets.has(bucket)) return errors.noSuchBucket(res);
      const object = buckets.get(bucket).get(name);
      if (!object) return errors.noSuchKey(res);
      return sendObject(req, res, object);
    }
  } else if (rest.startsWith('/object/')) {
    const { bucket, name } = splitBucketPath(rest.slice('/object/'.length));
    if ((method === 'POST' || method === 'PUT') && name) {
      return handleStandardUpload(req, res, bucket, name);
    }
    if (method === 'DELETE' && !name) return handleDeleteMany(req, res, bucket);
  } else if (rest.startsWith('/bucket/')) {
    if (method === 'GET') {
      return handleBucket(req, res, decodeURIComponent(rest.slice('/bucket/'.length)));
    }
  }
  req.resume();
  sendJson(res, 404, {
    statusCode: '404',
    error: 'Not Found',
    message: `Route ${method}:${route} not found`,
  });
}

const server = http.createServer((req, res) => {
  route(req, res).catch((error) => {
    console.error(`ERROR ${error && error.stack}`);
    if (!res.headersSent) errors.internal(res);
  });
});
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  console.log(`READY ${JSON.stringify({
    port: server.address().port,
    serviceRoleKey,
    secretKey: options.secretKey,
  })}`);
});
process.on('SIGTERM', () => process.exit(0));
