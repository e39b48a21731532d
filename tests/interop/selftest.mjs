#!/usr/bin/env node
// Proves the verifier harness tells good proofs from bad ones before it is
// trusted to judge the Python signer: credentials are issued here with the
// same Digital Bazaar stack, then verify_credential.mjs is run on them as a
// separate process, exactly as the Python interop tests will run it.
//
// usage: node tests/interop/selftest.mjs   (exit status 0 only if every case passes;
//        KEEP=1 leaves the generated files in the temp directory for inspection)

import {spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';

import {issue} from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

import {REPO_ROOT, createDocumentLoader, loadPinnedContexts} from './verify_credential.mjs';

const HARNESS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'verify_credential.mjs');
const VECTORS = path.resolve(REPO_ROOT, '..', 'shared', 'vectors');

const VC_V2 = 'https://www.w3.org/ns/credentials/v2';
const OB_V3 = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
// The same DID the Python service uses in development, so the URL-encoded
// port in a did:web is exercised too.
const DID = 'did:web:localhost%3A5000';
const STATUS_URL = 'http://localhost:5000/status/revocation/1';
const STATUS_INDEX = 42;

const work = mkdtempSync(path.join(os.tmpdir(), 'creditbank-interop-'));
let passed = 0;
let failed = 0;

function writeJson(name, value) {
  const file = path.join(work, name);
  writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

function secondsAgo(seconds) {
  return new Date(Date.now() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function runHarness(args) {
  const child = spawnSync(process.execPath, [HARNESS, ...args], {encoding: 'utf8', cwd: REPO_ROOT});
  let output;
  try {
    output = JSON.parse(child.stdout.trim().split('\n').at(-1));
  } catch {
    output = {unparsable: child.stdout, stderr: child.stderr};
  }
  return {status: child.status, output};
}

// `errorIncludes` pins *why* a case fails, so a case cannot pass because of
// an unrelated error (a missing context, a crash) instead of the one meant.
function expect(name, args, {status, errorIncludes}) {
  const {status: actual, output} = runHarness(args);
  const errors = output.errors ?? [];
  const problems = [];
  if(actual !== status) {
    problems.push(`exit status ${actual}, expected ${status}`);
  }
  if(status === 0 && output.verified !== true) {
    problems.push('"verified" is not true');
  }
  if(status !== 0 && output.verified !== false) {
    problems.push('"verified" is not false');
  }
  if(errorIncludes && !errors.some(e => e.includes(errorIncludes))) {
    problems.push(`no error mentions ${JSON.stringify(errorIncludes)}`);
  }
  if(problems.length === 0) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}: ${problems.join('; ')}\n     output: ${JSON.stringify(output)}`);
  }
}

function bitstring(setIndexes) {
  // 16 KiB is the minimum list size Bitstring Status List asks for.
  const bits = Buffer.alloc(16 * 1024);
  for(const index of setIndexes) {
    bits[index >> 3] |= 0x80 >> (index & 7);
  }
  return 'u' + gzipSync(bits).toString('base64url');
}

async function main() {
  const documentLoader = createDocumentLoader({contexts: loadPinnedContexts()});
  const key = await Ed25519Multikey.generate({id: `${DID}#key-1`, controller: DID});
  // Same verification method id, different key material: an impostor.
  const impostor = await Ed25519Multikey.generate({id: `${DID}#key-1`, controller: DID});

  const didDocument = {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: DID,
    verificationMethod: [{
      id: `${DID}#key-1`, type: 'Multikey', controller: DID, publicKeyMultibase: key.publicKeyMultibase,
    }],
    assertionMethod: [`${DID}#key-1`],
  };
  const didFile = writeJson('did.json', didDocument);
  const noAssertionDidFile = writeJson('did-no-assertion.json', {...didDocument, assertionMethod: []});

  async function sign(credential, signingKey = key) {
    const suite = new DataIntegrityProof({signer: signingKey.signer(), cryptosuite: eddsaRdfc2022});
    return issue({credential: structuredClone(credential), suite, documentLoader});
  }

  // Shaped like what the Python issuer produces (Open Badges 3.0).
  const badge = {
    '@context': [VC_V2, OB_V3],
    id: 'urn:uuid:2f1e7a3c-6c1b-4f43-9a4e-0d5b8f4c1a77',
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: {id: DID, type: ['Profile'], name: 'Creditbank Self-Test Issuer'},
    validFrom: secondsAgo(60),
    name: 'Introduction to Statistics',
    credentialSubject: {
      type: ['AchievementSubject'],
      identifier: [{
        type: 'IdentityObject', identityHash: 'learner-0001', identityType: 'identifier', hashed: false,
      }],
      achievement: {
        id: 'http://localhost:5000/achievements/stat-101',
        type: ['Achievement'],
        name: 'Introduction to Statistics',
        description: 'Three credits of introductory statistics.',
        criteria: {narrative: 'Passed the course with a grade of C or better.'},
      },
    },
    credentialStatus: {
      id: `${STATUS_URL}#${STATUS_INDEX}`,
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: String(STATUS_INDEX),
      statusListCredential: STATUS_URL,
    },
  };
  const signed = await sign(badge);
  // The Python side always writes `proof` as an array (OB 3.0 schema).
  const signedArray = {...signed, proof: [].concat(signed.proof)};
  const goodFile = writeJson('good.json', signedArray);
  const goodObjectFile = writeJson('good-proof-object.json', signed);

  const tampered = structuredClone(signedArray);
  tampered.credentialSubject.achievement.name = 'Advanced Statistics';
  const tamperedFile = writeJson('tampered.json', tampered);

  const tamperedDate = structuredClone(signedArray);
  tamperedDate.validFrom = secondsAgo(120);
  const tamperedDateFile = writeJson('tampered-date.json', tamperedDate);

  const impostorSigned = await sign(badge, impostor);
  const impostorFile = writeJson('impostor.json', {...impostorSigned, proof: [impostorSigned.proof]});

  const otherIssuer = await sign({...badge, issuer: {...badge.issuer, id: 'did:web:example.org'}});
  const otherIssuerFile = writeJson('other-issuer.json', otherIssuer);

  const twoProofs = structuredClone(signedArray);
  twoProofs.proof.push(structuredClone(impostorSigned.proof));
  const twoProofsFile = writeJson('two-proofs.json', twoProofs);

  const unknownContextFile = writeJson('unknown-context.json', {
    ...signedArray, '@context': [VC_V2, 'https://example.org/unknown-context.json'],
  });

  const statusList = encodedList => ({
    '@context': [VC_V2],
    id: STATUS_URL,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: DID,
    validFrom: secondsAgo(60),
    credentialSubject: {
      id: `${STATUS_URL}#list`, type: 'BitstringStatusList', statusPurpose: 'revocation', encodedList,
    },
  });
  const activeList = await sign(statusList(bitstring([1, 41, 43])));
  const revokedList = await sign(statusList(bitstring([STATUS_INDEX])));
  const activeListFile = writeJson('status-active.json', activeList);
  const revokedListFile = writeJson('status-revoked.json', revokedList);
  const forgedList = structuredClone(revokedList);
  forgedList.credentialSubject.encodedList = bitstring([]);
  const forgedListFile = writeJson('status-forged.json', forgedList);

  expect('signed OB 3.0 credential verifies', [goodFile, didFile], {status: 0});
  expect('proof given as an object verifies', [goodObjectFile, didFile], {status: 0});
  expect('changed achievement name is rejected', [tamperedFile, didFile],
    {status: 1, errorIncludes: 'Invalid signature'});
  expect('changed validFrom is rejected', [tamperedDateFile, didFile],
    {status: 1, errorIncludes: 'Invalid signature'});
  expect('proof by a key not in the DID document is rejected', [impostorFile, didFile],
    {status: 1, errorIncludes: 'Invalid signature'});
  expect('a second, bad proof is rejected', [twoProofsFile, didFile],
    {status: 1, errorIncludes: 'Invalid signature'});
  expect('issuer other than the key controller is rejected', [otherIssuerFile, didFile],
    {status: 1, errorIncludes: 'issuer must match'});
  expect('key not listed under assertionMethod is rejected', [goodFile, noAssertionDidFile],
    {status: 1, errorIncludes: 'not authorized'});
  expect('unknown context is refused offline', [unknownContextFile, didFile],
    {status: 1, errorIncludes: 'refuses'});
  expect('status list with the bit clear verifies', ['--status', activeListFile, goodFile, didFile], {status: 0});
  expect('status list with the bit set is rejected', ['--status', revokedListFile, goodFile, didFile],
    {status: 1, errorIncludes: 'revocation bit is set'});
  expect('forged status list is rejected', ['--status', forgedListFile, goodFile, didFile],
    {status: 1, errorIncludes: 'does not verify'});
  expect('missing arguments are a usage error', [goodFile], {status: 2});
  expect('unreadable credential file is a usage error', [path.join(work, 'absent.json'), didFile], {status: 2});

  // The W3C eddsa-rdfc-2022 vector names an https issuer but a did:key
  // verification method, so issuer binding fails *after* the signature has
  // verified; tampering with it must fail earlier, at the signature.
  const vector = path.join(VECTORS, 'w3c-vc-di-eddsa', 'eddsa-rdfc-2022', 'signedDataInt.json');
  const examples = path.join(VECTORS, 'contexts', 'w3c-examples-v2.jsonld');
  if(existsSync(vector) && existsSync(examples)) {
    const examplesArg = `https://www.w3.org/ns/credentials/examples/v2=${examples}`;
    expect('W3C vector: signature verifies, issuer binding fails', ['--did-key', vector, examplesArg],
      {status: 1, errorIncludes: 'Credential issuer must match the verification method controller.'});
    const changed = JSON.parse(readFileSync(vector, 'utf8'));
    changed.credentialSubject.alumniOf = 'Another School';
    expect('W3C vector: tampered copy fails at the signature', ['--did-key', writeJson('w3c.json', changed), examplesArg],
      {status: 1, errorIncludes: 'Invalid signature'});
  } else {
    console.log(`skip W3C vector cases: ${VECTORS} not present`);
  }
}

try {
  await main();
} finally {
  if(!process.env.KEEP) rmSync(work, {recursive: true, force: true});
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
