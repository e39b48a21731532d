#!/usr/bin/env node
// Third-party check of creditbank's credentials: verifies a Data Integrity
// `eddsa-rdfc-2022` proof with Digital Bazaar's libraries, which share no code
// with the Python signer, so a bug on our side cannot hide behind a matching
// bug in the verifier.
//
// usage: node tests/interop/verify_credential.mjs [options] CREDENTIAL.json DID_DOCUMENT.json [URL=FILE ...]
//
//   URL=FILE       serve FILE as the JSON-LD document at URL (e.g. a context
//                  the project defines itself); split at the first "="
//   --status FILE  a status list credential; may be repeated. Without it the
//                  credential's status is not checked (our own verifier does
//                  that; this harness is about the proof)
//   --did-key      also resolve did:key (Ed25519) verification methods; the
//                  DID document argument becomes optional
//
// Prints one JSON line {"verified": bool, "errors": [string, ...]} and exits
// 0 when verified, 1 when not, 2 on a usage or input error, 3 when the harness
// itself crashed (kept apart from 1 so a test expecting a rejection cannot
// pass because of a crash).
//
// Nothing is fetched from the network: every URL the libraries ask for must be
// one of the pinned contexts, a command-line document or the given DID's
// document, so a result cannot depend on what some server returns today.

import {readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {gunzipSync} from 'node:zlib';

import {verifyCredential} from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const CONTEXTS_FILE = path.join(REPO_ROOT, 'node_modules', '.creditbank', 'contexts.json');

const DID_V1_CONTEXT = 'https://www.w3.org/ns/did/v1';
const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';
// Relationships under which a DID document may embed a verification method
// instead of only referring to one.
const VM_RELATIONSHIPS = [
  'verificationMethod', 'assertionMethod', 'authentication',
  'capabilityInvocation', 'capabilityDelegation', 'keyAgreement',
];

class UsageError extends Error {}

function readJson(file, what) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch(err) {
    throw new UsageError(`cannot read ${what} ${file}: ${err.code || err.message}`);
  }
  try {
    return JSON.parse(text);
  } catch(err) {
    throw new UsageError(`${what} ${file} is not JSON: ${err.message}`);
  }
}

// Returns the exported contexts as a Map; the export step is separate from
// `npm ci`, so say how to produce the file when it is missing.
export function loadPinnedContexts(file = CONTEXTS_FILE) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch(err) {
    throw new UsageError(
      `cannot read ${file} (${err.code || err.message}); ` +
      'run "npm ci --no-audit --no-fund && node scripts/export-contexts.cjs" first');
  }
  return new Map(Object.entries(JSON.parse(text)));
}

function clone(value) {
  return structuredClone(value);
}

function didOf(url) {
  const hash = url.indexOf('#');
  return hash === -1 ? url : url.slice(0, hash);
}

// Verification method ids may be written relative to the DID ("#key-1").
function absoluteVmId(id, did) {
  return typeof id === 'string' && id.startsWith('#') ? did + id : id;
}

function findVerificationMethod(didDocument, vmId) {
  const did = didDocument.id;
  for(const relationship of VM_RELATIONSHIPS) {
    const entries = [].concat(didDocument[relationship] ?? []);
    for(const entry of entries) {
      if(entry && typeof entry === 'object' && absoluteVmId(entry.id, did) === vmId) {
        return entry;
      }
    }
  }
  return undefined;
}

// The cryptosuite accepts a key only as a Multikey document carrying the
// Multikey context; inside a DID document that context comes from the parent.
function verificationMethodDocument(vm, did) {
  const doc = {...clone(vm), id: absoluteVmId(vm.id, did)};
  if(doc.controller === undefined) {
    // Filling it in would hide a malformed DID document from the tests.
    throw new Error(`verification method ${doc.id} has no "controller"`);
  }
  const context = [].concat(doc['@context'] ?? []);
  if(!context.includes(MULTIKEY_CONTEXT)) {
    context.push(MULTIKEY_CONTEXT);
  }
  doc['@context'] = context.length === 1 ? context[0] : context;
  return doc;
}

// did:key needs no registry: the DID is the public key. Only the Ed25519
// form ("z6Mk...") is accepted because that is all this suite can verify.
async function resolveDidKey(url) {
  const did = didOf(url);
  const fingerprint = did.slice('did:key:'.length);
  if(!fingerprint.startsWith('z6Mk')) {
    throw new Error(`${did} is not an Ed25519 did:key`);
  }
  const vmId = `${did}#${fingerprint}`;
  const vm = {id: vmId, type: 'Multikey', controller: did, publicKeyMultibase: fingerprint};
  // Rejects a fingerprint that does not decode to an Ed25519 public key.
  await Ed25519Multikey.from({'@context': MULTIKEY_CONTEXT, ...vm});
  if(url === did) {
    return {
      '@context': [DID_V1_CONTEXT, MULTIKEY_CONTEXT],
      id: did,
      verificationMethod: [vm],
      assertionMethod: [vmId],
      authentication: [vmId],
      capabilityInvocation: [vmId],
      capabilityDelegation: [vmId],
    };
  }
  if(url === vmId) {
    return {'@context': MULTIKEY_CONTEXT, ...vm};
  }
  throw new Error(`${url} is not a verification method of ${did}`);
}

/**
 * Builds an offline document loader.
 *
 * @param {object} options
 * @param {Map<string, object>} options.contexts - URL -> JSON-LD document.
 * @param {object[]} [options.didDocuments] - DID documents to serve.
 * @param {boolean} [options.didKey] - Resolve did:key URLs as well.
 * @returns {Function} A jsonld.js document loader.
 */
export function createDocumentLoader({contexts, didDocuments = [], didKey = false}) {
  const dids = new Map();
  for(const doc of didDocuments) {
    if(!doc || typeof doc.id !== 'string' || !doc.id.startsWith('did:')) {
      throw new UsageError('a DID document must have an "id" that is a DID');
    }
    dids.set(doc.id, doc);
  }
  return async url => {
    let document;
    if(typeof url !== 'string') {
      throw new Error(`offline document loader was asked for a non-URL: ${JSON.stringify(url)}`);
    }
    if(contexts.has(url)) {
      document = contexts.get(url);
    } else if(dids.has(didOf(url))) {
      const didDocument = dids.get(didOf(url));
      if(url === didDocument.id) {
        document = didDocument;
      } else {
        const vm = findVerificationMethod(didDocument, url);
        if(!vm) {
          throw new Error(`${url} is not a verification method in the DID document of ${didDocument.id}`);
        }
        document = verificationMethodDocument(vm, didDocument.id);
      }
    } else if(didKey && url.startsWith('did:key:')) {
      document = await resolveDidKey(url);
    } else {
      throw new Error(`offline document loader refuses ${JSON.stringify(url)}: not a pinned context or known DID`);
    }
    // Libraries may annotate what they are given; keep the served copies pristine.
    return {contextUrl: null, documentUrl: url, document: clone(document)};
  };
}

export function createSuite() {
  return new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
}

function decodeBitstring(encodedList) {
  if(typeof encodedList !== 'string' || !encodedList.startsWith('u')) {
    throw new Error('"encodedList" must be a multibase base64url string (prefix "u")');
  }
  const gzipped = Buffer.from(encodedList.slice(1), 'base64url');
  return gunzipSync(gzipped);
}

// Bit 0 is the most significant bit of the first byte (Bitstring Status List).
function readStatus(bits, index, size) {
  let value = 0;
  for(let i = 0; i < size; i++) {
    const position = index * size + i;
    const byte = position >> 3;
    if(byte >= bits.length) {
      throw new Error(`statusListIndex ${index} is beyond the end of the list (${bits.length * 8} bits)`);
    }
    value = (value << 1) | ((bits[byte] >> (7 - (position & 7))) & 1);
  }
  return value;
}

/**
 * Returns a `checkStatus` for `verifyCredential` that reads status lists
 * only from the given credentials, after verifying their own proofs.
 */
export function createStatusChecker({statusLists, suite, documentLoader}) {
  const byId = new Map(statusLists.map(list => [list.id, list]));
  const listVerdicts = new Map();

  async function verifiedList(url) {
    const list = byId.get(url);
    if(!list) {
      throw new Error(`no status list credential given for ${url}`);
    }
    if(!listVerdicts.has(url)) {
      listVerdicts.set(url, verifyCredential({
        credential: list, suite, documentLoader,
        // A status list must not itself depend on another status list.
        checkStatus: async () => ({verified: false, error: new Error('status list credential has a credentialStatus')}),
      }));
    }
    const result = await listVerdicts.get(url);
    if(!result.verified) {
      throw new Error(`status list credential ${url} does not verify: ${collectErrors(result).join('; ')}`);
    }
    return list;
  }

  return async ({credential}) => {
    const errors = [];
    for(const entry of [].concat(credential.credentialStatus ?? [])) {
      try {
        if(entry.type !== 'BitstringStatusListEntry') {
          throw new Error(`unsupported credentialStatus type ${JSON.stringify(entry.type)}`);
        }
        if(typeof entry.statusListIndex !== 'string' || !/^(0|[1-9][0-9]*)$/.test(entry.statusListIndex)) {
          throw new Error('"statusListIndex" must be a string holding a non-negative integer');
        }
        const list = await verifiedList(entry.statusListCredential);
        const subject = list.credentialSubject ?? {};
        if(subject.type !== 'BitstringStatusList') {
          throw new Error(`${entry.statusListCredential}: credentialSubject.type must be "BitstringStatusList"`);
        }
        const purposes = [].concat(subject.statusPurpose ?? []);
        if(!purposes.includes(entry.statusPurpose)) {
          throw new Error(
            `statusPurpose ${JSON.stringify(entry.statusPurpose)} does not match the list's ${JSON.stringify(purposes)}`);
        }
        const size = entry.statusSize === undefined ? 1 : Number(entry.statusSize);
        if(!Number.isInteger(size) || size < 1) {
          throw new Error('"statusSize" must be a positive integer');
        }
        const value = readStatus(decodeBitstring(subject.encodedList), Number(entry.statusListIndex), size);
        if(value !== 0 && (entry.statusPurpose === 'revocation' || entry.statusPurpose === 'suspension')) {
          throw new Error(`credential status: ${entry.statusPurpose} bit is set at index ${entry.statusListIndex}`);
        }
      } catch(err) {
        errors.push(err);
      }
    }
    return errors.length === 0 ?
      {verified: true} :
      {verified: false, error: errors.length === 1 ? errors[0] : new AggregateError(errors, 'status check failed')};
  };
}

function describe(error) {
  if(error === undefined || error === null) {
    return [];
  }
  if(typeof error !== 'object') {
    return [String(error)];
  }
  if(Array.isArray(error)) {
    return error.flatMap(describe);
  }
  // VerificationError (jsonld-signatures) and AggregateError wrap several.
  if(Array.isArray(error.errors)) {
    return error.errors.flatMap(describe);
  }
  let text = error.message || String(error);
  // jsonld.js reports *which* term broke safe mode only in `details`.
  const event = error.details?.event;
  if(event) {
    text += ` [${event.code}: ${JSON.stringify(event.details ?? {})}]`;
  }
  // jsonld.js keeps the loader's own error (e.g. "refuses URL") in details.
  const cause = error.cause ?? error.details?.cause;
  if(cause) {
    text += ` (cause: ${describe(cause).join('; ')})`;
  }
  return [text];
}

export function collectErrors(result) {
  const errors = [
    ...describe(result.error),
    ...(result.results ?? []).flatMap(r => [
      ...describe(r.error),
      ...[].concat(r.purposeResult ?? []).flatMap(p => describe(p?.error)),
    ]),
    ...describe(result.statusResult?.error),
  ];
  return [...new Set(errors)];
}

function parseArgs(argv) {
  const options = {statusFiles: [], didKey: false, positionals: [], extra: []};
  for(let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if(arg === '--status') {
      if(i + 1 >= argv.length) {
        throw new UsageError('--status needs a file');
      }
      options.statusFiles.push(argv[++i]);
    } else if(arg.startsWith('--status=')) {
      options.statusFiles.push(arg.slice('--status='.length));
    } else if(arg === '--did-key') {
      options.didKey = true;
    } else if(arg === '--help' || arg === '-h') {
      throw new UsageError('help');
    } else if(arg.startsWith('--')) {
      throw new UsageError(`unknown option ${arg}`);
    } else if(options.positionals.length >= 1 && /^[a-z][a-z0-9+.-]*:[^=]*=/i.test(arg)) {
      const eq = arg.indexOf('=');
      options.extra.push([arg.slice(0, eq), arg.slice(eq + 1)]);
    } else {
      options.positionals.push(arg);
    }
  }
  const [credentialFile, didDocumentFile, ...rest] = options.positionals;
  if(!credentialFile || rest.length > 0 || (!didDocumentFile && !options.didKey)) {
    throw new UsageError('expected CREDENTIAL.json DID_DOCUMENT.json [URL=FILE ...]');
  }
  return {...options, credentialFile, didDocumentFile};
}

export async function main(argv) {
  const args = parseArgs(argv);
  const contexts = loadPinnedContexts();
  for(const [url, file] of args.extra) {
    if(contexts.has(url)) {
      // Replacing a pinned context would make the pins meaningless.
      throw new UsageError(`${url} is already served from the pinned contexts`);
    }
    contexts.set(url, readJson(file, 'document'));
  }
  const credential = readJson(args.credentialFile, 'credential');
  const didDocuments = args.didDocumentFile ? [readJson(args.didDocumentFile, 'DID document')] : [];
  const documentLoader = createDocumentLoader({contexts, didDocuments, didKey: args.didKey});
  const suite = createSuite();

  let checkStatus;
  if(args.statusFiles.length > 0) {
    const statusLists = args.statusFiles.map(file => readJson(file, 'status list credential'));
    checkStatus = createStatusChecker({statusLists, suite, documentLoader});
  } else {
    checkStatus = async () => ({verified: true});
    if(credential && credential.credentialStatus) {
      process.stderr.write('verify_credential: credentialStatus not checked (no --status given)\n');
    }
  }

  const result = await verifyCredential({credential, suite, documentLoader, checkStatus});
  const errors = collectErrors(result);
  let verified = result.verified === true;

  // jsonld-signatures accepts a credential when *any* proof verifies and
  // silently skips proofs of other suites; a credential we issue must not
  // carry a proof that fails or that nobody checked.
  if(verified && credential && typeof credential === 'object') {
    const proofs = [].concat(credential.proof ?? []);
    const results = result.results ?? [];
    if(results.length !== proofs.length || !results.every(r => r.verified)) {
      verified = false;
      errors.push(`${results.filter(r => r.verified).length} of ${proofs.length} proofs verified`);
    }
  }
  if(!verified && errors.length === 0) {
    errors.push('not verified (no error reported)');
  }
  return {verified, errors: verified ? [] : errors};
}

function isEntryPoint() {
  return process.argv[1] !== undefined &&
    import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
}

if(isEntryPoint()) {
  try {
    const outcome = await main(process.argv.slice(2));
    process.stdout.write(JSON.stringify(outcome) + '\n');
    process.exitCode = outcome.verified ? 0 : 1;
  } catch(err) {
    if(!(err instanceof UsageError)) {
      process.stderr.write(`verify_credential: internal error: ${err.stack || err}\n`);
      process.stdout.write(JSON.stringify({verified: false, errors: [`internal error: ${err.message}`]}) + '\n');
      process.exit(3);
    }
    const message = err.message === 'help' ? 'usage requested' : err.message;
    process.stderr.write(
      `verify_credential: ${message}\n` +
      'usage: node tests/interop/verify_credential.mjs [--status FILE]... [--did-key] ' +
      'CREDENTIAL.json DID_DOCUMENT.json [URL=FILE ...]\n');
    process.stdout.write(JSON.stringify({verified: false, errors: [message]}) + '\n');
    process.exitCode = 2;
  }
}
