#!/usr/bin/env node
// Plays the DCC Learner Credential Wallet against the bank's VC-API exchange,
// with the wallet's own libraries (@digitalcredentials/vc, did-method-key,
// ed25519-signature-2020), so the bank is judged by what a real wallet sends.
//
// usage:
//   node tests/interop/wallet_play.mjs play INTERACTION_URL
//       GET the interaction URL (Accept: application/json) for its `vcapi`
//       exchange, POST {}, answer the DIDAuthentication request with a
//       presentation signed by a fresh did:key, and verify the credential
//       received with @digitalcredentials/verifier-core. Prints one JSON line:
//       {"protocols", "request", "holder", "credential", "verification"}.
//   node tests/interop/wallet_play.mjs sign CHALLENGE DOMAIN [--v1]
//       Print a DIDAuthentication presentation for CHALLENGE and DOMAIN signed
//       by a fresh did:key (VC 2.0 context, or VC 1.1 with --v1), and its
//       holder's DID: {"holder", "presentation"}.
//   node tests/interop/wallet_play.mjs sign-each DOMAIN < CHALLENGES
//       The same for each challenge on standard input (one a line), one JSON
//       line each, every one by its own fresh did:key (for the benchmark).
//
// Exits 0 on success, 1 when the exchange or the verification failed, 2 on a
// usage error, 3 when the harness itself crashed.
//
// Nothing leaves this machine: before the libraries load, fetch is replaced by
// one that serves the pinned contexts, maps the bank's did:web document and
// status lists to the server under test, and refuses everything else.

import {readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const CONTEXTS = JSON.parse(readFileSync(
  path.join(ROOT, 'node_modules', '.creditbank', 'contexts.json'), 'utf8'));
const realFetch = globalThis.fetch;
// The server under test, once known: did:web names it over https, it answers
// over plain http on the loopback interface.
let bankOrigin = null;
const refused = [];

function jsonResponse(document, type = 'application/ld+json') {
  return new Response(JSON.stringify(document), {status: 200, headers: {'content-type': type}});
}

globalThis.fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input.url;
  if(CONTEXTS[url]) {
    return jsonResponse(CONTEXTS[url]);
  }
  const parsed = new URL(url);
  if(bankOrigin && parsed.host === bankOrigin.host) {
    const local = new URL(parsed.pathname + parsed.search, bankOrigin);
    return realFetch(local, init);
  }
  refused.push(url);
  throw new Error(`offline: ${url} is neither a pinned context nor the bank under test`);
};

class UsageError extends Error {}

async function wallet() {
  const vc = await import('@digitalcredentials/vc');
  const didKey = await import('@digitalcredentials/did-method-key');
  const {Ed25519VerificationKey2020} = await import('@digitalcredentials/ed25519-verification-key-2020');
  const {Ed25519Signature2020} = await import('@digitalcredentials/ed25519-signature-2020');
  const {securityLoader} = await import('@digitalcredentials/security-document-loader');
  const documentLoader = securityLoader().build();
  const driver = didKey.driver();
  driver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519VerificationKey2020.from});

  async function didAuthentication({challenge, domain, version = 2.0}) {
    const verificationKeyPair = await Ed25519VerificationKey2020.generate();
    const {didDocument} = await driver.fromKeyPair({verificationKeyPair});
    // The driver's key pairs carry only the public half; the wallet signs with the pair it generated, named as the
    // DID document names its authentication key.
    verificationKeyPair.id = didDocument.authentication[0];
    verificationKeyPair.controller = didDocument.id;
    const suite = new Ed25519Signature2020({key: verificationKeyPair});
    const presentation = vc.createPresentation({holder: didDocument.id, version});
    const signed = await vc.signPresentation({presentation, suite, challenge, domain, documentLoader});
    return {holder: didDocument.id, presentation: signed};
  }
  return {didAuthentication};
}

async function post(url, body) {
  const response = await realFetch(url, {
    method: 'POST',
    headers: {'content-type': 'application/json', accept: 'application/json'},
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if(!response.ok) {
    throw new Error(`POST ${url} answered ${response.status}: ${JSON.stringify(answer)}`);
  }
  return answer;
}

async function play(interactionUrl) {
  bankOrigin = new URL(interactionUrl);
  const asked = await realFetch(interactionUrl, {headers: {accept: 'application/json'}});
  if(!asked.ok) {
    throw new Error(`GET ${interactionUrl} answered ${asked.status}: ${await asked.text()}`);
  }
  const {protocols} = await asked.json();
  if(!protocols || typeof protocols.vcapi !== 'string') {
    throw new Error(`the interaction URL offers no vcapi protocol: ${JSON.stringify(protocols)}`);
  }
  const {verifiablePresentationRequest: request} = await post(protocols.vcapi, {});
  const query = [].concat(request.query);
  if(!query.some(item => item.type === 'DIDAuthentication')) {
    throw new Error(`the request asks for no DIDAuthentication: ${JSON.stringify(request)}`);
  }
  const endpoint = request.interact.service[0].serviceEndpoint;
  const {didAuthentication} = await wallet();
  const {holder, presentation} = await didAuthentication(
    {challenge: request.challenge, domain: request.domain});
  const {verifiablePresentation: delivered} = await post(endpoint, {verifiablePresentation: presentation});
  const [credential] = [].concat(delivered.verifiableCredential);
  const {verifyCredential} = await import('@digitalcredentials/verifier-core');
  const verification = await verifyCredential({credential, knownDIDRegistries: []});
  return {protocols, request, holder, credential, verification, refused};
}

async function main(argv) {
  const [command, ...rest] = argv;
  if(command === 'play' && rest.length === 1) {
    return play(rest[0]);
  }
  if(command === 'sign' && (rest.length === 2 || (rest.length === 3 && rest[2] === '--v1'))) {
    const {didAuthentication} = await wallet();
    return didAuthentication({challenge: rest[0], domain: rest[1], version: rest[2] ? 1.0 : 2.0});
  }
  if(command === 'sign-each' && rest.length === 1) {
    const {didAuthentication} = await wallet();
    const challenges = readFileSync(0, 'utf8').split('\n').filter(line => line);
    const lines = [];
    for(const challenge of challenges) {
      lines.push(JSON.stringify(await didAuthentication({challenge, domain: rest[0]})));
    }
    return {lines};
  }
  throw new UsageError(
    'usage: wallet_play.mjs play INTERACTION_URL | sign CHALLENGE DOMAIN [--v1] | sign-each DOMAIN < CHALLENGES');
}

main(process.argv.slice(2)).then(result => {
  process.stdout.write(result.lines ? result.lines.join('\n') + '\n' : JSON.stringify(result) + '\n');
}, error => {
  if(error instanceof UsageError) {
    process.stderr.write(error.message + '\n');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify({error: error.message, refused}) + '\n');
  process.exit(error.message.startsWith('POST') || error.message.startsWith('GET') ? 1 : 3);
});
