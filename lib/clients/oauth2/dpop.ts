import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { OAuthConfigError, OAuthResponseError } from '../../errors/oauth.error.js';
import { randomBytesFromPool } from '../../http/random-pool.js';

/**
 * DPoP (RFC 9449): sender-constrained tokens. A stolen DPoP-bound token is useless
 * without the private key, because every request that carries it must also carry a
 * fresh proof signed with that key (section 1).
 */

/** `dpop` of an OAuth 2 client: on with a generated key, or with the given one. */
export type OAuthDpopSetting = boolean | { privateKey: JWK | Record<string, unknown> | string };

/** The algorithms a DPoP key may use here (the two every DPoP server supports). */
export type DpopAlgorithm = 'ES256' | 'EdDSA';

/** What a proof is about (RFC 9449 section 4.2). */
export interface DpopProofInput {
  /** HTTP method of the request. */
  htm: string;
  /** Target URI; its query and fragment are dropped. */
  htu: string | URL;
  /** The access token the request carries: adds `ath`. */
  accessToken?: string;
  /** The server's latest `DPoP-Nonce`. */
  nonce?: string;
}

/** The status, headers and (when already read) body of an answer, for nonce handling. */
export interface DpopAnswer {
  status: number;
  headers: Headers;
  /** A string body is looked at for `error=use_dpop_nonce`; a stream is not read. */
  body?: unknown;
}

/** The HTTP scheme of a DPoP-bound token (RFC 9449 section 7.1), used instead of `Bearer`. */
export const DPOP_SCHEME = 'DPoP';

// RFC 9449 section 8.1: nonce = 1*NQCHAR. A cap keeps a hostile server from making
// us store and echo megabytes.
const NONCE = /^[\x21\x23-\x5B\x5D-\x7E]{1,1024}$/;
/** Servers whose latest nonce is remembered, per signer: enough for any real app. */
const MAX_REMEMBERED_ORIGINS = 256;
/** `WWW-Authenticate` is parsed up to this length; a longer one is not a challenge we answer. */
const MAX_CHALLENGE_HEADER = 8192;

interface KeyMaterial {
  privateKey: KeyObject;
  alg: DpopAlgorithm;
  publicJwk: JWK;
  thumbprint: string;
}

let processKey: KeyMaterial | undefined;
let warnedGenerated = false;

/** One key per process for every client with `dpop: true`: key generation is not free. */
function generatedKey(): KeyMaterial {
  processKey ??= material(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256');
  return processKey;
}

function material(privateKey: KeyObject, alg: DpopAlgorithm): KeyMaterial {
  const full = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK;
  // Only the public members: section 4.2 forbids a private key in the proof header.
  const publicJwk: JWK =
    alg === 'ES256' ? { kty: 'EC', crv: full.crv, x: full.x, y: full.y } : { kty: 'OKP', crv: full.crv, x: full.x };
  return { privateKey, alg, publicJwk, thumbprint: jwkThumbprint(publicJwk) };
}

/**
 * RFC 7638 thumbprint (SHA-256, base64url) of an EC or OKP public key: the required
 * members in lexicographic order, no whitespace. This is `dpop_jkt` (section 10) and
 * what a bound token's `cnf.jkt` holds (section 6).
 */
export function jwkThumbprint(jwk: JWK): string {
  const canonical =
    jwk.kty === 'EC'
      ? JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })
      : JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** `ath` (section 4.2): base64url of the SHA-256 of the access token's ASCII bytes. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** `htu` (section 4.2): the target URI without query and fragment. */
export function htuOf(url: string | URL): string {
  const u = new URL(url);
  u.search = '';
  u.hash = '';
  return u.href;
}

function loadConfiguredKey(client: string, raw: unknown): KeyMaterial {
  const refuse = (cause?: unknown): never => {
    // Never quote the value: it is a private key.
    throw new OAuthConfigError(
      `OAuth client "${client}": dpop.privateKey must be a private ES256 (P-256) or EdDSA (Ed25519) key, as a JWK (object or JSON) or a PEM.`,
      { client, field: 'dpop', ...(cause === undefined ? {} : { cause }) },
    );
  };
  let key: KeyObject;
  let declaredAlg: unknown;
  try {
    let value = raw;
    if (typeof value === 'string' && value.trim().startsWith('{')) value = JSON.parse(value) as unknown;
    if (typeof value === 'string') {
      key = createPrivateKey(value);
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      declaredAlg = (value as JWK).alg;
      key = createPrivateKey({ key: value as JWK & { kty: string }, format: 'jwk' });
    } else {
      return refuse();
    }
  } catch (cause) {
    return refuse(cause);
  }
  let alg: DpopAlgorithm;
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') alg = 'ES256';
  else if (key.asymmetricKeyType === 'ed25519') alg = 'EdDSA';
  else return refuse();
  // A JWK that names another algorithm was meant for something else.
  const allowed = alg === 'ES256' ? ['ES256'] : ['EdDSA', 'Ed25519'];
  if (declaredAlg !== undefined && !allowed.includes(String(declaredAlg))) return refuse();
  return material(key, alg);
}

export interface DpopSignerOptions {
  /** The client's name, for messages. */
  client: string;
  /** Called once per process when a key had to be generated. */
  warn?: (message: string) => void;
}

/**
 * The DPoP signer of one client, or `undefined` when `dpop` is off. Throws
 * `OAuthConfigError` (field `dpop`) for an unusable key: call it at bootstrap.
 */
export function createDpopSigner(setting: OAuthDpopSetting | undefined, opts: DpopSignerOptions): DpopSigner | undefined {
  if (setting === undefined || setting === false) return undefined;
  if (setting === true) {
    if (!warnedGenerated) {
      warnedGenerated = true;
      opts.warn?.(
        `OAuth client "${opts.client}": dpop is on without a privateKey, so a DPoP key was generated for this process. ` +
          'Tokens bound to it cannot be used by other instances or after a restart; configure dpop.privateKey (shared by the fleet).',
      );
    }
    return new DpopSigner(generatedKey());
  }
  if (setting === null || typeof setting !== 'object' || !('privateKey' in setting)) {
    throw new OAuthConfigError(`OAuth client "${opts.client}": dpop must be true, false or { privateKey }.`, {
      client: opts.client,
      field: 'dpop',
    });
  }
  return new DpopSigner(loadConfiguredKey(opts.client, setting.privateKey));
}

/**
 * Makes DPoP proofs with one key and remembers the latest `DPoP-Nonce` of each
 * server (by origin) it talked to.
 */
export class DpopSigner {
  /** The proof algorithm. */
  readonly alg: DpopAlgorithm;
  /** The public key, as it goes in each proof's header. */
  readonly publicJwk: Readonly<JWK>;
  /** RFC 7638 thumbprint of the key: `dpop_jkt` and `cnf.jkt`. */
  readonly thumbprint: string;
  private readonly privateKey: KeyObject;
  /** The protected header, encoded once: it is the same in every proof. */
  private readonly encodedHeader: string;
  private readonly nonces = new Map<string, string>();

  constructor(key: KeyMaterial) {
    this.alg = key.alg;
    this.publicJwk = Object.freeze({ ...key.publicJwk });
    this.thumbprint = key.thumbprint;
    this.privateKey = key.privateKey;
    this.encodedHeader = Buffer.from(JSON.stringify({ alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk })).toString('base64url');
  }

  /**
   * A proof for one request (section 4.2): `jti` unique per proof (servers refuse a
   * replayed one, section 11.1), `iat` now, `htm`, `htu` without query and fragment,
   * `ath` when a token is sent, `nonce` when given.
   *
   * A compact JWS (RFC 7515 section 7.1) signed by node:crypto directly: one proof per
   * API call makes this a hot path, and jose's SignJWT (WebCrypto, async) costs about
   * four times as much here (bench/par-dpop.ts). The tests verify every proof with jose.
   */
  async proof(input: DpopProofInput): Promise<string> {
    const payload: Record<string, string | number> = {
      jti: randomBytesFromPool(16).toString('base64url'),
      htm: input.htm.toUpperCase(),
      htu: htuOf(input.htu),
      iat: Math.floor(Date.now() / 1000),
    };
    if (input.accessToken !== undefined) payload.ath = accessTokenHash(input.accessToken);
    if (input.nonce !== undefined) payload.nonce = input.nonce;
    const signingInput = Buffer.from(`${this.encodedHeader}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`);
    // RFC 7518 section 3.4: ES256 is the raw r || s, not DER.
    const signature =
      this.alg === 'ES256'
        ? sign('sha256', signingInput, { key: this.privateKey, dsaEncoding: 'ieee-p1363' })
        : sign(null, signingInput, this.privateKey);
    return `${signingInput.toString('latin1')}.${signature.toString('base64url')}`;
  }

  /** The latest nonce the server at `url`'s origin gave, if any. */
  nonceFor(url: string | URL): string | undefined {
    return this.nonces.get(new URL(url).origin);
  }

  /**
   * Remembers the `DPoP-Nonce` of an answer from `url`'s server (section 8.2: a
   * server may hand out its next nonce in any answer). Returns the nonce when the
   * header held a valid one.
   */
  learnNonce(url: string | URL, headers: Headers): string | undefined {
    const value = headers.get('dpop-nonce');
    if (value === null || !NONCE.test(value)) return undefined;
    const origin = new URL(url).origin;
    // Re-inserted so the Map's order is least recently updated first.
    this.nonces.delete(origin);
    this.nonces.set(origin, value);
    if (this.nonces.size > MAX_REMEMBERED_ORIGINS) this.nonces.delete(this.nonces.keys().next().value!);
    return value;
  }
}

/**
 * True when an answer asks for a (new) DPoP nonce: an authorization server's 400
 * with JSON `error=use_dpop_nonce` (section 8), or a resource server's 401 with a
 * `WWW-Authenticate: DPoP` challenge `error="use_dpop_nonce"` (section 9). A body
 * that is not a string (an unread stream) is not read.
 */
export function isDpopNonceChallenge(res: DpopAnswer): boolean {
  if (res.status === 401) {
    const header = res.headers.get('www-authenticate');
    if (header === null || header.length > MAX_CHALLENGE_HEADER) return false;
    return parseChallenges(header).some((c) => c.scheme === 'dpop' && c.params.error === 'use_dpop_nonce');
  }
  if (res.status === 400 && typeof res.body === 'string' && res.body.length <= MAX_CHALLENGE_HEADER) {
    try {
      const parsed = JSON.parse(res.body) as unknown;
      return parsed !== null && typeof parsed === 'object' && (parsed as { error?: unknown }).error === 'use_dpop_nonce';
    } catch {
      return false;
    }
  }
  return false;
}

export interface DpopTarget {
  htm: string;
  htu: string | URL;
  accessToken?: string;
}

export interface SendWithDpopOptions {
  /** What is called, for messages ("token endpoint"). */
  what: string;
  /**
   * `false` when the request cannot be sent twice (a streamed body): a challenge is
   * then handed back as it is, its nonce remembered for the next request.
   */
  retry?: boolean;
}

/**
 * Sends a request with a DPoP proof, answering one `use_dpop_nonce` challenge.
 *
 * `send(proof)` must make the whole request afresh each time it is called (new
 * client authentication included: a `private_key_jwt` assertion is single-use too).
 * The first proof carries the nonce last remembered for the server; a challenge is
 * answered by exactly one retry with the nonce it supplied; a second challenge, or a
 * challenge without a usable nonce, is `invalid_dpop_nonce` (a server that keeps
 * refusing the nonce it hands out would otherwise hold us in a loop).
 */
export async function sendWithDpop<R extends DpopAnswer>(
  signer: DpopSigner,
  target: DpopTarget,
  send: (proof: string) => Promise<R>,
  opts: SendWithDpopOptions,
): Promise<R> {
  const first = await send(await signer.proof({ ...target, nonce: signer.nonceFor(target.htu) }));
  const nonce = signer.learnNonce(target.htu, first.headers);
  if (!isDpopNonceChallenge(first)) return first;
  if (nonce === undefined) {
    await discard(first);
    throw new OAuthResponseError(
      'invalid_dpop_nonce',
      `The ${opts.what} asked for a DPoP nonce without a usable DPoP-Nonce header.`,
      { status: first.status },
    );
  }
  if (opts.retry === false) return first;
  await discard(first);
  const second = await send(await signer.proof({ ...target, nonce }));
  signer.learnNonce(target.htu, second.headers);
  if (isDpopNonceChallenge(second)) {
    await discard(second);
    throw new OAuthResponseError(
      'invalid_dpop_nonce',
      `The ${opts.what} asked for a DPoP nonce again after a retry with the nonce it supplied; not retrying further.`,
      { status: second.status },
    );
  }
  return second;
}

/** Frees the connection of an answer whose body will not be read. */
async function discard(res: DpopAnswer): Promise<void> {
  const body = res.body as { cancel?: () => Promise<void> } | null | undefined;
  if (body !== null && typeof body === 'object' && typeof body.cancel === 'function') {
    await body.cancel().catch(() => undefined);
  }
}

/**
 * RFC 9449 section 5: a token requested with a proof must come back as `DPoP`
 * (RFC 6749 section 7.1: token types compare case-insensitively). A server that
 * answers `Bearer` ignored the proof; a bearer token works for whoever steals it,
 * which is what DPoP was asked for to prevent, so it is refused.
 */
export function expectDpopTokenType(tokenType: unknown, what: string, status?: number): void {
  if (typeof tokenType === 'string' && tokenType.toLowerCase() === 'dpop') return;
  throw new OAuthResponseError(
    'invalid_response',
    `The ${what} answered a token_type other than DPoP although a DPoP-bound token was requested; the token is refused.`,
    status === undefined ? {} : { status },
  );
}

interface Challenge {
  /** Lower-cased. */
  scheme: string;
  /** Names lower-cased; the first of a repeated name wins. */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;

/** RFC 9110 section 11.6.1 challenges, several per header (or per joined headers). */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const skip = (chars: string): void => {
    while (i < header.length && chars.includes(header[i]!)) i++;
  };
  const token = (): string | undefined => {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(header);
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const quoted = (): string => {
    let value = '';
    i++; // opening quote
    while (i < header.length && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < header.length) i++;
      value += header[i];
      i++;
    }
    i++; // closing quote
    return value;
  };
  while (i < header.length) {
    skip(' \t,');
    if (i >= header.length) break;
    const scheme = token();
    if (scheme === undefined) {
      // Not a challenge: skip to the next list element.
      while (i < header.length && header[i] !== ',') i++;
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: Object.create(null) as Record<string, string> };
    out.push(challenge);
    for (;;) {
      skip(' \t,');
      const start = i;
      const name = token();
      if (name === undefined) break;
      skip(' \t');
      if (header[i] !== '=') {
        // A token without "=" starts the next challenge (or is a token68: ignored).
        i = start;
        break;
      }
      i++;
      skip(' \t');
      const value = header[i] === '"' ? quoted() : (token() ?? '');
      const key = name.toLowerCase();
      if (!(key in challenge.params)) challenge.params[key] = value;
      skip(' \t=');
      if (i < header.length && header[i] !== ',') {
        // Garbage after a parameter: give up on this header from here.
        return out;
      }
    }
  }
  return out;
}
