// bench/api's peer: the two job routes of API.md served the way the Node system vidgen replaces
// serves them (Express 5 + bullmq 6.7.0 + ioredis), so bench/api can load both with the same
// tool, body and Redis and print the ratio. Not a product: no auth, no owners, no rate limit,
// no WebSocket.
//
//   POST /api/video/generate  validates the body with one compiled ajv schema (the template's
//                             shape, see README.md), adds a bullmq job "render" with the job
//                             options of API.md and answers 202 {jobId,status,statusUrl,createdAt}
//                             with a Location header.
//   GET  /api/video/status/:jobId  reads the job (Job.fromId + getState), maps BullMQ's state to
//                             API.md's status and answers 200 with the status object (404 if none).
//
// Environment: PORT (0 = any free port), HOST (127.0.0.1), REDIS_URL (redis://127.0.0.1:6379),
// QUEUE_NAME (video), QUEUE_PREFIX (bull). Prints "peer api: listening on http://HOST:PORT" once
// it accepts connections; SIGINT/SIGTERM close the queue and exit 0.
import express from 'express';
import { Ajv } from 'ajv';
import { Queue, Job } from 'bullmq';
import { Redis } from 'ioredis';

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 0);
const queueName = process.env.QUEUE_NAME || 'video';
const prefix = process.env.QUEUE_PREFIX || 'bull';
const connection = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: 1,
});
const queue = new Queue(queueName, { connection, prefix });

// API.md's job options for a render job.
const jobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 5000 },
  removeOnComplete: { age: 86400 },
  removeOnFail: { age: 604800 },
};

// The template's shape (TEMPLATE-FORMAT.md): types, ranges and enumerations of every field a
// template may have, clip fields by track type. It checks shape only: no placeholders, no
// colour parsing, no timing rules (duration vs end), no asset address checks.
const number = { type: 'number' };
const seconds = { type: 'number', minimum: 0, maximum: 600 };
const colour = { type: 'string', minLength: 1, maxLength: 64 };
const position = { anyOf: [{ type: 'number' }, { type: 'string', pattern: '^-?[0-9.]+%$' }] };
const gradient = {
  type: 'object',
  required: ['stops'],
  additionalProperties: false,
  properties: {
    type: { enum: ['linear', 'radial'] },
    angle: number,
    stops: {
      type: 'array',
      minItems: 2,
      maxItems: 32,
      items: {
        type: 'object',
        required: ['offset', 'color'],
        additionalProperties: false,
        properties: { offset: { type: 'number', minimum: 0, maximum: 1 }, color: colour },
      },
    },
  },
};
const paint = { anyOf: [colour, gradient] };
const stroke = {
  type: 'object',
  additionalProperties: false,
  properties: { color: colour, width: { type: 'number', minimum: 0 } },
};
const transitionSide = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: {
      enum: ['fade', 'slide-left', 'slide-right', 'slide-up', 'slide-down', 'zoom', 'wipe-left',
        'wipe-right'],
    },
    duration: { type: 'number', exclusiveMinimum: 0, maximum: 600 },
  },
};
const animation = {
  type: 'object',
  required: ['property', 'keyframes'],
  properties: {
    property: { type: 'string', minLength: 1 },
    easing: { type: 'string' },
    keyframes: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['time', 'value'],
        properties: { time: seconds, easing: { type: 'string' } },
      },
    },
  },
};
const visualClip = {
  start: seconds,
  duration: { type: 'number', exclusiveMinimum: 0, maximum: 600 },
  end: seconds,
  x: position,
  y: position,
  anchor: {
    enum: ['center', 'top-left', 'top', 'top-right', 'left', 'right', 'bottom-left', 'bottom',
      'bottom-right'],
  },
  opacity: { type: 'number', minimum: 0, maximum: 1 },
  scale: number,
  rotation: number,
  animations: { type: 'array', maxItems: 100, items: animation },
  transition: {
    type: 'object',
    additionalProperties: false,
    properties: { in: transitionSide, out: transitionSide },
  },
};
const clipOf = (required, properties) => ({
  type: 'object',
  required,
  additionalProperties: false,
  properties: { ...visualClip, ...properties },
});
const fit = { enum: ['cover', 'contain', 'fill'] };
const clipSchemas = {
  background: clipOf([], { color: colour, gradient, src: { type: 'string' }, fit }),
  image: clipOf(['src'], {
    src: { type: 'string', minLength: 1 },
    width: { type: 'number', exclusiveMinimum: 0 },
    height: { type: 'number', exclusiveMinimum: 0 },
    fit,
    radius: { type: 'number', minimum: 0 },
  }),
  text: clipOf(['text'], {
    text: { type: 'string', maxLength: 10000 },
    style: {
      type: 'object',
      additionalProperties: false,
      properties: {
        fontFamily: { type: 'string' },
        fontSize: { type: 'number', exclusiveMinimum: 0, maximum: 2000 },
        fontWeight: { anyOf: [{ type: 'integer', minimum: 100, maximum: 900 }, { const: 'bold' }] },
        italic: { type: 'boolean' },
        color: colour,
        align: { enum: ['left', 'center', 'right'] },
        lineHeight: { type: 'number', exclusiveMinimum: 0 },
        letterSpacing: number,
        maxWidth: { type: 'number', exclusiveMinimum: 0 },
        maxHeight: { type: 'number', exclusiveMinimum: 0 },
        maxLines: { type: 'integer', minimum: 1 },
        autoFit: { type: 'boolean' },
        stroke,
        shadow: {
          type: 'object',
          additionalProperties: false,
          properties: { color: colour, blur: { type: 'number', minimum: 0 }, x: number, y: number },
        },
        background: {
          type: 'object',
          additionalProperties: false,
          properties: {
            color: colour,
            padding: { type: 'number', minimum: 0 },
            radius: { type: 'number', minimum: 0 },
          },
        },
      },
    },
  }),
  shape: clipOf(['shape'], {
    shape: { enum: ['rect', 'ellipse', 'line'] },
    width: { type: 'number', minimum: 0 },
    height: { type: 'number', minimum: 0 },
    fill: paint,
    stroke,
    radius: { type: 'number', minimum: 0 },
  }),
  audio: {
    type: 'object',
    required: ['src'],
    additionalProperties: false,
    properties: {
      start: seconds,
      duration: { type: 'number', exclusiveMinimum: 0, maximum: 600 },
      end: seconds,
      src: { type: 'string', minLength: 1 },
      volume: { type: 'number', minimum: 0, maximum: 4 },
      trim: { type: 'number', minimum: 0 },
      fadeIn: { type: 'number', minimum: 0 },
      fadeOut: { type: 'number', minimum: 0 },
      loop: { type: 'boolean' },
    },
  },
};
const track = {
  type: 'object',
  required: ['type', 'clips'],
  properties: {
    type: { enum: Object.keys(clipSchemas) },
    clips: { type: 'array', maxItems: 500 },
  },
  // The clip schema follows the track's type.
  allOf: Object.entries(clipSchemas).map(([type, clip]) => ({
    if: { properties: { type: { const: type } } },
    then: { properties: { clips: { type: 'array', items: clip } } },
  })),
};
const outputSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    width: { type: 'integer', minimum: 16, maximum: 7680, multipleOf: 2 },
    height: { type: 'integer', minimum: 16, maximum: 4320, multipleOf: 2 },
    fps: { type: 'number', minimum: 1, maximum: 120 },
    format: { enum: ['mp4'] },
    quality: { enum: ['draft', 'standard', 'high'] },
    crf: { type: 'integer', minimum: 0, maximum: 51 },
  },
};
const templateSchema = {
  type: 'object',
  required: ['tracks'],
  additionalProperties: false,
  properties: {
    version: { const: 1 },
    name: { type: 'string', maxLength: 200 },
    output: outputSchema,
    duration: { type: 'number', exclusiveMinimum: 0, maximum: 600 },
    background: colour,
    fonts: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        required: ['family', 'src'],
        properties: { family: { type: 'string' }, src: { type: 'string' } },
      },
    },
    inputs: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: {
          type: { enum: ['string', 'number', 'boolean', 'color', 'image', 'audio', 'video'] },
          required: { type: 'boolean' },
          maxLength: { type: 'integer', minimum: 0 },
          min: number,
          max: number,
        },
      },
    },
    tracks: { type: 'array', maxItems: 100, items: track },
  },
};
const requestSchema = {
  type: 'object',
  required: ['template'],
  additionalProperties: false,
  properties: {
    template: templateSchema,
    input: { type: 'object' },
    output: outputSchema,
    webhookUrl: { type: 'string', pattern: '^[hH][tT][tT][pP][sS]?://', maxLength: 8192 },
    priority: { type: 'integer', minimum: 0, maximum: 2097151 },
    delay: { type: 'integer', minimum: 0, maximum: 31536000000 },
    runAt: { type: 'string' },
    metadata: { type: 'object' },
  },
};
const validateRequest = new Ajv({ allErrors: true }).compile(requestSchema);

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '2mb' }));

app.post('/api/video/generate', async (req, res, next) => {
  try {
    if (!validateRequest(req.body)) {
      res.status(422).json({
        error: 'invalid_template',
        message: 'The template is not valid.',
        details: validateRequest.errors.map((e) => ({ path: e.instancePath, message: e.message })),
      });
      return;
    }
    const { template, input = {}, output, webhookUrl, priority, delay, metadata } = req.body;
    if (output) template.output = { ...template.output, ...output };
    const data = { template, input };
    if (output) data.output = output;
    if (webhookUrl) data.webhookUrl = webhookUrl;
    if (metadata) data.metadata = metadata;
    const options = { ...jobOptions };
    if (priority !== undefined) options.priority = priority;
    if (delay !== undefined) options.delay = delay;
    const job = await queue.add('render', data, options);
    const statusUrl = `/api/video/status/${job.id}`;
    res.status(202).location(statusUrl).json({
      jobId: job.id,
      status: 'queued',
      statusUrl,
      createdAt: new Date(job.timestamp).toISOString(),
    });
  } catch (err) {
    next(err);
  }
});

const statusOfState = {
  waiting: 'queued',
  prioritized: 'queued',
  'waiting-children': 'queued',
  delayed: 'delayed',
  active: 'active',
  completed: 'completed',
  failed: 'failed',
};

app.get('/api/video/status/:jobId', async (req, res, next) => {
  try {
    const job = await Job.fromId(queue, req.params.jobId);
    if (!job) {
      res.status(404).json({ error: 'not_found', message: 'There is no such job.' });
      return;
    }
    const state = await job.getState();
    let status = statusOfState[state] || 'queued';
    if (status === 'failed' && job.failedReason === 'cancelled') status = 'cancelled';
    const doc = {
      jobId: job.id,
      status,
      progress: typeof job.progress === 'number' ? job.progress : 0,
      attemptsMade: job.attemptsMade,
      createdAt: new Date(job.timestamp).toISOString(),
    };
    if (job.processedOn) doc.startedAt = new Date(job.processedOn).toISOString();
    if (job.finishedOn) doc.finishedAt = new Date(job.finishedOn).toISOString();
    if (status === 'completed') doc.result = job.returnvalue;
    if (status === 'failed' || status === 'cancelled') {
      doc.error = { code: status === 'cancelled' ? 'cancelled' : 'render_failed',
        message: job.failedReason };
    }
    if (job.data && job.data.metadata) doc.metadata = job.data.metadata;
    res.json(doc);
  } catch (err) {
    next(err);
  }
});

app.use((req, res) => {
  res.status(404).json({ error: 'not_found', message: 'There is no such endpoint.' });
});

// Express 5 passes rejected promises and body-parser errors here.
app.use((err, req, res, _next) => {
  if (err.type === 'entity.parse.failed') {
    res.status(400).json({ error: 'invalid_json', message: 'The body is not valid JSON.' });
  } else if (err.type === 'entity.too.large') {
    res.status(413).json({ error: 'payload_too_large', message: 'The body is too large.' });
  } else {
    console.error(`peer api: ${err.stack || err}`);
    res.status(503).json({ error: 'queue_unavailable', message: 'The queue is unavailable.' });
  }
});

await queue.waitUntilReady();
const server = app.listen(port, host, () => {
  const address = server.address();
  console.log(`peer api: listening on http://${host}:${address.port}`);
});

const stop = async () => {
  server.close();
  await queue.close();
  connection.disconnect();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
