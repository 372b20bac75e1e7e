// Signing cost of OAuth 1 signRequest (HMAC-SHA1, header placement): the library's
// signer (oauth-1.0a, wrapped) against the hand-written signer it replaced, kept as
// the test oracle. One process, rounds interleaved (the order flips every round) so
// both see the same machine; the median of the rounds is printed, as CPU time.
//
//   npx tsc -p bench/tsconfig.json && node dist-bench/bench/oauth1-signing.js

import { signRequest as wrapped, type SignRequestInput } from '../lib/clients/oauth1/oauth1-signature.js';
import { signRequest as reference } from '../test/support/oauth1-reference-signer.js';

type Sign = (input: SignRequestInput) => unknown;

const ROUNDS = 9;
const N = 20_000;
const WARM = 5_000;

const base = {
  consumerKey: 'ck',
  consumerSecret: 'cs',
  token: 'tok',
  tokenSecret: 'sec',
  signatureMethod: 'HMAC-SHA1',
  signatureType: 'header',
} as const;

const CASES: Array<{ name: string; input: (i: number) => SignRequestInput }> = [
  // The shape bench/run.ts times: an API GET with one query parameter.
  { name: 'GET, 1 query parameter', input: (i) => ({ ...base, method: 'GET', url: `http://127.0.0.1:3000/api/me?q=${i}` }) },
  {
    name: 'POST, 3 query + 8 form parameters',
    input: (i) => ({
      ...base,
      method: 'POST',
      url: `https://api.example.com/1.1/statuses/update.json?include_entities=true&q=a+b&n=${i}`,
      form: { status: `Hello Ladies + Gentlemen, a signed OAuth request! ${i}`, a: '1', b: '2', c: '☃', d: 'x y', e: 'z', f: '', g: '~' },
    }),
  },
];

/** CPU time (user + system) per signature, in µs: on a shared machine, wall time also counts other processes' turns. */
function timeRound(sign: Sign, input: (i: number) => SignRequestInput): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) sign(input(i));
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / N;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`node ${process.version}, ${ROUNDS} rounds x ${N} signatures each, median CPU µs per signRequest`);
for (const { name, input } of CASES) {
  // Same nonce and timestamp: the two must agree before their time means anything.
  const fixed = { ...input(0), nonce: 'n', timestamp: '1700000000' };
  const [a, b] = [wrapped(fixed), reference(fixed)];
  if (a.baseString !== b.baseString || JSON.stringify(a.oauthParams) !== JSON.stringify(b.oauthParams)) throw new Error(`${name}: the signers disagree`);

  for (let i = 0; i < WARM; i++) {
    wrapped(input(i));
    reference(input(i));
  }
  const times = { reference: [] as number[], wrapped: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? (['reference', 'wrapped'] as const) : (['wrapped', 'reference'] as const);
    for (const who of order) times[who].push(timeRound(who === 'wrapped' ? wrapped : reference, input));
  }
  const before = median(times.reference);
  const after = median(times.wrapped);
  console.log(
    `${name}: before (hand-written) ${before.toFixed(2)} µs, after (oauth-1.0a wrapped) ${after.toFixed(2)} µs, ` +
      `${after >= before ? '+' : ''}${(((after - before) / before) * 100).toFixed(0)}%`,
  );
}
