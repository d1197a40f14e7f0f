'use strict';
// Test support only, preloaded in front of s3rver 3.7.1 (`node -r ./conditional-writes.js node_modules/s3rver/bin/s3rver.js ...`)
// so DryWet's MinIO adapter can be tested against a real HTTP server the way S3 and MinIO behave:
//
// 1. Conditional writes. s3rver ignores them on PUT Object; S3 and MinIO honour them (S3 user guide, "conditional
//    writes"): If-None-Match: * fails with 412 Precondition Failed when the key exists; If-Match: "<etag>" fails with
//    412 when the ETag differs and with 404 NoSuchKey when there is no object. Without this file the adapter's start-up
//    probe refuses the server (see MinioObjectStore and ConditionalWriteRefusalTests).
// 2. Atomic requests. S3 applies each request to an object atomically; s3rver writes an object as several files, so a
//    HEAD during a PUT can see half of it, and a DELETE that empties a folder removes it under a concurrent PUT, which
//    crashes s3rver (unhandled ENOENT). Requests to one bucket therefore run one at a time here, each until its response
//    is sent. Clients still race: only the server's order of applying requests becomes the one S3 guarantees.
const S3rver = require('s3rver');
const S3Error = require('s3rver/lib/models/error');

const tails = new Map();

/** Waits for every earlier request on `name`; resolves to the function that lets the next one go. */
async function acquire(name) {
  const previous = tails.get(name) || Promise.resolve();
  let release;
  const mine = new Promise(resolve => (release = resolve));
  const tail = previous.then(() => mine);
  tails.set(name, tail);
  await previous;
  return () => {
    release();
    if (tails.get(name) === tail) tails.delete(name);
  };
}

const unquote = etag => String(etag).trim().replace(/^"|"$/g, '');

function fail(ctx, code, message, status) {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = new S3Error(code, message).toXML();
}

/** True when the request may go on; false once it is answered with the failed precondition. */
async function checkPreconditions(ctx, store, bucket, key) {
  const noneMatch = ctx.get('if-none-match');
  const match = ctx.get('if-match');
  // A plain PUT Object (parts, ACLs and copies are left to s3rver).
  if (ctx.method !== 'PUT' || !key || (!noneMatch && !match) || ctx.querystring || ctx.get('x-amz-copy-source')) {
    return true;
  }

  const exists = await store.existsObject(bucket, key);
  if (noneMatch) {
    if (noneMatch !== '*') return fail(ctx, 'NotImplemented', 'If-None-Match on PUT takes only *', 501), false;
    if (exists) return fail(ctx, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412), false;
  }
  if (match) {
    if (!exists) return fail(ctx, 'NoSuchKey', 'The specified key does not exist.', 404), false;
    const { etag } = await store.getMetadata(bucket, key);
    if (unquote(etag) !== unquote(match)) {
      return fail(ctx, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412), false;
    }
  }
  return true;
}

function s3Semantics(store) {
  return async (ctx, next) => {
    // Path-style /bucket[/key]; the service root (ListBuckets) needs no order.
    const parts = ctx.path.split('/').slice(1);
    if (!parts[0]) return next();
    const bucket = decodeURIComponent(parts[0]);
    const key = parts.slice(1).map(decodeURIComponent).join('/');

    const release = await acquire(bucket);
    let released = false;
    const done = () => {
      if (!released) {
        released = true;
        release();
      }
    };
    // Held until the response is sent: a streamed GET body is read after this middleware returns.
    ctx.res.once('finish', done);
    ctx.res.once('close', done);
    try {
      if (await checkPreconditions(ctx, store, bucket, key)) await next();
    } catch (err) {
      done();
      throw err;
    }
  };
}

const run = S3rver.prototype.run;
S3rver.prototype.run = function runWithS3Semantics(...args) {
  this.middleware.unshift(s3Semantics(this.store));
  return run.apply(this, args);
};
