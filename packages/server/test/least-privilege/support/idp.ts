import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { onTestFinished } from 'vitest';

/** One signing key of the test identity provider. */
export interface IdpKey {
  kid: string;
  alg: 'RS256' | 'ES256' | 'EdDSA';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** Makes a key pair with jose (public half exported as a JWK with its kid and alg). */
export async function makeKey(kid: string, alg: IdpKey['alg'] = 'RS256'): Promise<IdpKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/** How the JWKS endpoint answers. */
export type JwksMode = 'ok' | 'down' | 'huge' | 'hang';

/**
 * A local OIDC identity provider: keys made with jose, the key set served on
 * 127.0.0.1:0 (its mode switchable, fetches counted), JWTs signed on demand.
 */
export async function startIdp(issuer = 'https://ci.example.test') {
  let keys: IdpKey[] = [await makeKey('k1')];
  let mode: JwksMode = 'ok';
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    if (mode === 'down') {
      res.writeHead(503).end('down');
      return;
    }
    if (mode === 'hang') return; // never answers: the client's timeout must end it
    if (mode === 'huge') {
      // 5 MB of a valid-looking key set, streamed.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      res.write('{"keys":[');
      for (let i = 0; i < 80; i++) res.write(chunk);
      res.end(']}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;

  /** Signs a JWT with the current first key (or `key`); `claims` override the defaults. */
  async function sign(
    claims: JWTPayload & Record<string, unknown>,
    options: { key?: IdpKey; nowSeconds: number; omit?: readonly string[] },
  ): Promise<string> {
    const key = options.key ?? keys[0];
    if (key === undefined) throw new Error('no key');
    const body: Record<string, unknown> = {
      iss: issuer,
      aud: 'dodil',
      sub: 'repo:acme/app:ref:refs/heads/main',
      jti: `jti-${Math.random().toString(36).slice(2)}`,
      iat: options.nowSeconds,
      nbf: options.nowSeconds - 5,
      exp: options.nowSeconds + 300,
      repository: 'acme/app',
      repository_owner_id: 1234,
      ...claims,
    };
    for (const name of options.omit ?? []) delete body[name];
    return new SignJWT(body)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .sign(key.privateKey);
  }

  return {
    issuer,
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get fetches() {
      return fetches;
    },
    setMode(next: JwksMode) {
      mode = next;
    },
    setKeys(next: IdpKey[]) {
      keys = next;
    },
    get keys() {
      return keys;
    },
    jwksJson: () => JSON.stringify({ keys: keys.map((k) => k.publicJwk) }),
    sign,
  };
}

/** A started IdP. */
export type Idp = Awaited<ReturnType<typeof startIdp>>;
