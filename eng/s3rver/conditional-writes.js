'use strict';
// Test support only: s3rver 3.7.1 ignores the conditional-write headers of PUT Object, which S3 and MinIO honour
// (S3 user guide, "conditional writes": If-None-Match: * fails with 412 Precondition Failed when the key exists;
// If-Match: "<etag>" fails with 412 when the ETag differs and 404 NoSuchKey when there is no object). Preloaded with
// `node -r ./conditional-writes.js node_modules/s3rver/bin/s3rver.js ...`, this adds those semantics in front of
// s3rver's own routes, checking and writing one key at a time, so DryWet's MinIO adapter can be tested against a real
// HTTP server. Without it the adapter's start-up probe refuses the server (see MinioObjectStore).
const S3rver = require('s3rver');
const S3Error = require('s3rver/lib/models/error');

const tails = new Map();

/** Runs `work` after every earlier conditional write on the same key has finished. */
async function oneAtATime(name, work) {
  const previous = tails.get(name) || Promise.resolve();
  let release;
  const mine = new Promise(resolve => (release = resolve));
  const tail = previous.then(() => mine);
  tails.set(name, tail);
  await previous;
  try {
    return await work();
  } finally {
    release();
    if (tails.get(name) === tail) tails.delete(name);
  }
}

const unquote = etag => String(etag).trim().replace(/^"|"$/g, '');

function fail(ctx, code, message, status) {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = new S3Error(code, message).toXML();
}

function conditionalWrites(store) {
  return async (ctx, next) => {
    const noneMatch = ctx.get('if-none-match');
    const match = ctx.get('if-match');
    // A plain PUT Object: path-style /bucket/key, no sub-resource (parts, ACLs, copies are left to s3rver).
    const parts = ctx.path.split('/').filter((p, i) => i > 0);
    if (ctx.method !== 'PUT' || (!noneMatch && !match) || parts.length < 2 || ctx.querystring || ctx.get('x-amz-copy-source')) {
      return next();
    }

    const bucket = decodeURIComponent(parts[0]);
    const key = parts.slice(1).map(decodeURIComponent).join('/');
    return oneAtATime(`${bucket}/${key}`, async () => {
      const exists = await store.existsObject(bucket, key);
      if (noneMatch) {
        if (noneMatch !== '*') return fail(ctx, 'NotImplemented', 'If-None-Match on PUT takes only *', 501);
        if (exists) return fail(ctx, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
      }
      if (match) {
        if (!exists) return fail(ctx, 'NoSuchKey', 'The specified key does not exist.', 404);
        const { etag } = await store.getMetadata(bucket, key);
        if (unquote(etag) !== unquote(match)) {
          return fail(ctx, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
        }
      }
      return next();
    });
  };
}

const run = S3rver.prototype.run;
S3rver.prototype.run = function runWithConditionalWrites(...args) {
  this.middleware.unshift(conditionalWrites(this.store));
  return run.apply(this, args);
};
