import type { OAuth2Token } from '../../interfaces/oauth-token.interface.js';
import { DPOP_SCHEME, sendWithDpop, type DpopSigner } from './dpop.js';

/** How an access token travels with an API call: RFC 6750 placements, or DPoP (RFC 9449). */
export class TokenPresenter {
  constructor(
    private readonly placement: 'header' | 'uri' | 'body' | undefined,
    private readonly dpop: DpopSigner | undefined,
  ) {}

  /** The signer for a DPoP-bound token; `undefined` for a bearer token. */
  signerFor(token: OAuth2Token): DpopSigner | undefined {
    return this.dpop && typeof token.token_type === 'string' && token.token_type.toLowerCase() === 'dpop' ? this.dpop : undefined;
  }

  /** Adds the token to the request being built. */
  attach(token: OAuth2Token, url: URL, headers: Record<string, string>, form: URLSearchParams | undefined): void {
    if (this.signerFor(token)) {
      // RFC 9449 section 7.1: the DPoP scheme, in the header only.
      headers.authorization = `${DPOP_SCHEME} ${token.access_token}`;
      return;
    }
    if (this.placement === 'uri') {
      // RFC 6750 section 2.3, only when configured: the query leaks to logs and Referer.
      url.searchParams.set('access_token', token.access_token);
      return;
    }
    // RFC 6750 section 2.2 applies to form bodies only; other calls use the header.
    if (this.placement === 'body' && form) {
      form.set('access_token', token.access_token);
      return;
    }
    headers.authorization = `Bearer ${token.access_token}`;
  }

  /** Sends the request: a DPoP-bound token with a proof per request and one nonce challenge answered (RFC 9449 sections 7 and 9). */
  transmit(
    token: OAuth2Token,
    method: string,
    url: URL,
    send: (extra: Record<string, string>) => Promise<Response>,
    replayable: boolean,
  ): Promise<Response> {
    const signer = this.signerFor(token);
    if (!signer) return send({});
    return sendWithDpop(signer, { htm: method, htu: url, accessToken: token.access_token }, (proof) => send({ dpop: proof }), {
      what: `API at ${url.origin}`,
      retry: replayable,
    });
  }
}
