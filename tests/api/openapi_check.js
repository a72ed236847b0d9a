// Checks docs/openapi.yaml with a real OpenAPI validator (@seriousme/openapi-schema-validator),
// then validates recorded exchanges (request bodies and JSON responses from the API tests)
// against the document's schemas with Ajv (JSON Schema 2020-12, OpenAPI 3.1's dialect).
// Usage: node openapi_check.js <openapi.yaml> <exchanges.json>
// exchanges.json: [{method, path (as in the document, e.g. /api/video/status/{jobId}),
//                   status, requestBody?, responseBody?}]. Exit 0 when everything validates.
'use strict';
const fs = require('fs');
const path = require('path');
const modules = process.env.VG_NODE_MODULES;
const YAML = require(path.join(modules, 'yaml'));
const Ajv2020 = require(path.join(modules, 'ajv/dist/2020')).default;

function rewriteRefs(node) {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? 'openapi.json' + v : rewriteRefs(v);
    }
    return out;
  }
  return node;
}

function deref(doc, node) {
  while (node && node.$ref) {
    const parts = node.$ref.replace(/^openapi\.json#\//, '').replace(/^#\//, '').split('/');
    node = parts.reduce((n, p) => n[p.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return node;
}

(async () => {
  const [docPath, exchangesPath] = process.argv.slice(2);
  const { Validator } = await import(path.join(modules, '@seriousme/openapi-schema-validator/index.js'));
  const text = fs.readFileSync(docPath, 'utf8');
  const doc = YAML.parse(text);
  const validator = new Validator();
  const res = await validator.validate(doc);
  if (!res.valid) {
    console.log('OPENAPI INVALID ' + JSON.stringify(res.errors, null, 1));
    process.exit(1);
  }
  console.log('OPENAPI VALID ' + validator.version);
  if (!exchangesPath) process.exit(0);

  const rewritten = rewriteRefs(doc);
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(rewritten, 'openapi.json');
  const exchanges = JSON.parse(fs.readFileSync(exchangesPath, 'utf8'));
  let failures = 0;
  let checked = 0;
  for (const ex of exchanges) {
    const item = rewritten.paths[ex.path];
    const op = item && item[ex.method.toLowerCase()];
    if (!op) {
      console.log(`UNDOCUMENTED ${ex.method} ${ex.path}`);
      failures++;
      continue;
    }
    if (ex.requestBody !== undefined && op.requestBody) {
      const schema = deref(rewritten, op.requestBody).content['application/json'].schema;
      if (!ajv.validate(schema, ex.requestBody)) {
        console.log(`REQUEST ${ex.method} ${ex.path}: ${ajv.errorsText()}`);
        failures++;
      }
      checked++;
    }
    const response = deref(rewritten, op.responses[String(ex.status)]);
    if (!response) {
      console.log(`UNDOCUMENTED STATUS ${ex.status} for ${ex.method} ${ex.path}`);
      failures++;
      continue;
    }
    if (ex.responseBody !== undefined) {
      const content = response.content && response.content['application/json'];
      if (!content) {
        console.log(`NO JSON BODY DOCUMENTED for ${ex.status} ${ex.method} ${ex.path}`);
        failures++;
        continue;
      }
      if (!ajv.validate(content.schema, ex.responseBody)) {
        console.log(`RESPONSE ${ex.status} ${ex.method} ${ex.path}: ${ajv.errorsText()} in ${JSON.stringify(ex.responseBody)}`);
        failures++;
      }
      checked++;
    }
  }
  console.log(`CHECKED ${checked} bodies of ${exchanges.length} exchanges, ${failures} failures`);
  process.exit(failures ? 1 : 0);
})().catch((e) => {
  console.log('ERROR ' + (e && e.stack || e));
  process.exit(2);
});
