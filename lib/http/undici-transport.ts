import { Duplex } from 'node:stream';
import { brotliDecompressSync, constants as zlib, createBrotliDecompress, createGunzip, createInflate, gunzipSync, inflateSync } from 'node:zlib';
import { getGlobalDispatcher, type Dispatcher } from 'undici';
import { OAuthResponseError } from '../errors/oauth.error.js';
import { USER_AGENT } from '../oauth.constants.js';
import type { HttpSettings, ProviderRequest, ProviderResponse } from './http-settings.js';
import { transportError } from './transport-error.js';

// Why not fetch: one small POST through Node's fetch costs several times the CPU of
// the same request through undici's dispatcher (fetch builds a Request, clones it
// for `redirect: 'manual'`, streams a string body through an async generator and
// wraps the answer in WHATWG streams). The dispatcher is the one Node's fetch uses
// (`getGlobalDispatcher()`), so keep-alive pools, a proxy or a MockAgent set with
// `setGlobalDispatcher` apply here as they apply to fetch.
//
// The handler uses the dispatcher's original callback interface (onConnect,
// onHeaders, onData, onComplete, onError): every undici version implements it
// natively, including the one bundled in Node, whose Agent is the global dispatcher
// when Node's fetch ran before this module loaded.

/** The global fetch as it was when this library was loaded. */
const fetchAtLoad: typeof fetch | undefined = globalThis.fetch;

/**
 * Stands for "no `fetch` option": requests go through undici. It is a working fetch
 * (the global one) for any code that calls it directly.
 */
export const undiciFetch: typeof fetch = (input, init) => (fetchAtLoad ?? globalThis.fetch)(input, init);

/**
 * The `fetch` of `HttpSettings` when the module options give none: undici, unless
 * the global fetch was replaced after this library was loaded (a proxy or a spy set
 * up at bootstrap), which is then used as before.
 */
export function defaultFetch(): typeof fetch {
  return globalThis.fetch === fetchAtLoad ? undiciFetch : globalThis.fetch;
}

/** True when requests of these settings go through undici rather than a fetch. */
export function usesUndici(http: HttpSettings): boolean {
  return http.fetch === undiciFetch;
}

/** An answer over its byte cap, whichever transport read it. */
export function responseTooLarge(what: string, maxBytes: number, status: number): OAuthResponseError {
  return new OAuthResponseError('response_too_large', `The ${what} answered more than ${maxBytes} bytes; the body was not read further.`, { status });
}

type Abort = (reason?: Error) => void;

/** Origin and path of an http(s) URL, refused as fetch refuses it (nothing is sent). */
function target(url: URL): { origin: string; path: string } {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`Only http and https URLs are fetched, not ${url.protocol}`);
  // fetch refuses a URL with credentials: they would leave in the clear as Basic auth.
  if (url.username !== '' || url.password !== '') throw new TypeError('A URL with credentials is not fetched.');
  return { origin: url.origin, path: url.pathname + url.search };
}

/** The response headers as fetch would give them (names lowercased, values latin1). */
function toHeaders(raw: Buffer[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!.toString('latin1'), raw[i + 1]!.toString('latin1'));
  return headers;
}

/** Content codings, in the order they were applied; `undefined` for none or identity. */
function codings(headers: Headers): string[] | undefined {
  const value = headers.get('content-encoding');
  if (value === null) return undefined;
  const list = value
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '' && c !== 'identity');
  return list.length > 0 ? list : undefined;
}

// A truncated compressed body still yields what arrived, as fetch does.
const LENIENT = { flush: zlib.Z_SYNC_FLUSH, finishFlush: zlib.Z_SYNC_FLUSH };

/**
 * Undoes the content codings fetch would undo (gzip, deflate, br), with the
 * decoded size under the same cap (a small compressed answer can inflate to any
 * size). Unknown codings are left as they are, as fetch leaves them.
 */
function decodeCapped(body: Buffer, list: string[], maxBytes: number): Buffer {
  let out = body;
  for (const coding of list.toReversed()) {
    const opts = { ...LENIENT, maxOutputLength: maxBytes };
    if (coding === 'gzip' || coding === 'x-gzip') out = gunzipSync(out, opts);
    else if (coding === 'deflate') out = inflateSync(out, opts);
    else if (coding === 'br') out = brotliDecompressSync(out, { maxOutputLength: maxBytes });
    else return body;
  }
  return out;
}

function decoder(coding: string): Duplex | undefined {
  if (coding === 'gzip' || coding === 'x-gzip') return createGunzip(LENIENT);
  if (coding === 'deflate') return createInflate(LENIENT);
  if (coding === 'br') return createBrotliDecompress();
  return undefined;
}

/**
 * What both handlers share: the deadline, and the abort of a request that may not
 * have reached a socket yet (undici hands out `abort` only once it writes the request).
 */
abstract class Exchange<T> implements Dispatcher.DispatchHandler {
  protected abort?: Abort;
  protected settled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    protected readonly what: string,
    protected readonly timeout: number,
    private readonly resolveWith: (value: T) => void,
    private readonly rejectWith: (err: Error) => void,
  ) {
    this.timer = setTimeout(() => this.fail(transportError(null, true, this.what, this.timeout)), timeout);
  }

  onConnect(abort: Abort): void {
    // Settled before undici wrote the request (the deadline passed while connecting).
    if (this.settled) abort(new Error('request abandoned'));
    else this.abort = abort;
  }

  abstract onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  abstract onData(chunk: Buffer): boolean;
  abstract onComplete(): void;
  abstract onError(err: Error): void;

  protected stopTimer(): void {
    clearTimeout(this.timer);
  }

  protected succeed(value: T): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveWith(value);
  }

  /** Settles with `err` and stops the exchange: nothing more is read. */
  protected fail(err: Error): void {
    this.stopTimer();
    if (this.settled) return;
    this.settled = true;
    this.rejectWith(err);
    this.abort?.(new Error('request abandoned'));
  }
}

/** A provider request: the whole body, read up to the cap, within the deadline. */
class CappedExchange extends Exchange<ProviderResponse> {
  private status = 0;
  private headers?: Headers;
  private readonly chunks: Buffer[] = [];
  private total = 0;

  constructor(
    what: string,
    timeout: number,
    private readonly maxBytes: number,
    resolve: (value: ProviderResponse) => void,
    reject: (err: Error) => void,
  ) {
    super(what, timeout, resolve, reject);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true; // 1xx: the answer follows
    this.status = statusCode;
    try {
      this.headers = toHeaders(rawHeaders);
    } catch {
      this.fail(new OAuthResponseError('invalid_response', `The ${this.what} answered a header that is not valid HTTP.`, { status: statusCode }));
      return false;
    }
    const declared = Number(this.headers.get('content-length') ?? Number.NaN);
    if (declared > this.maxBytes) {
      this.fail(responseTooLarge(this.what, this.maxBytes, statusCode));
      return false;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return false;
    this.total += chunk.length;
    if (this.total > this.maxBytes) {
      this.fail(responseTooLarge(this.what, this.maxBytes, this.status));
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    this.stopTimer();
    if (this.settled) return;
    const headers = this.headers ?? new Headers();
    let body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.total);
    const list = codings(headers);
    if (list) {
      try {
        body = decodeCapped(body, list, this.maxBytes);
      } catch (err) {
        this.fail(
          (err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE'
            ? responseTooLarge(this.what, this.maxBytes, this.status)
            : new OAuthResponseError('invalid_response', `The ${this.what} answered a body that its Content-Encoding does not decode.`, { status: this.status }),
        );
        return;
      }
    }
    this.succeed({ status: this.status, headers, body: body.toString('utf8') });
  }

  onError(err: Error): void {
    this.fail(transportError(err, false, this.what, this.timeout));
  }
}

/** Statuses whose response has no body (fetch's "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Cancels the body of a `Response` collected unread, as fetch does: else its
 * connection would stay paused until undici's body timeout.
 */
const unread = new FinalizationRegistry<StreamingExchange>((exchange) => exchange.collected());

/**
 * An API call: settles with a `Response` once the headers are in (the deadline
 * covers only that wait; the caller owns the body), whose body is a stream fed by
 * undici's chunks as they arrive, paused while the caller does not read.
 */
class StreamingExchange extends Exchange<Response> {
  private controller?: ReadableStreamDefaultController<Uint8Array>;
  private stream?: ReadableStream<Uint8Array>;
  private resume?: () => void;
  private paused = false;
  private done = false;

  constructor(
    what: string,
    timeout: number,
    private readonly url: string,
    private readonly head: boolean,
    resolve: (value: Response) => void,
    reject: (err: Error) => void,
  ) {
    super(what, timeout, resolve, reject);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true;
    this.stopTimer();
    if (this.settled) return false;
    this.resume = resume;
    let response: Response;
    try {
      let body: ReadableStream<Uint8Array> | null = null;
      const headers = toHeaders(rawHeaders);
      if (!this.head && !NULL_BODY.has(statusCode)) {
        body = this.stream = new ReadableStream<Uint8Array>(
          {
            start: (controller) => {
              this.controller = controller;
            },
            pull: () => this.unpause(),
            cancel: () => this.abandon(),
          },
          { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
        );
        const list = codings(headers);
        if (list) for (const coding of list.toReversed()) {
          const d = decoder(coding);
          if (!d) break;
          body = body.pipeThrough(Duplex.toWeb(d) as unknown as { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> });
        }
      }
      response = new Response(body, { status: statusCode, statusText, headers });
    } catch {
      // A status fetch cannot represent (above 599) or a header it refuses.
      this.controller = this.stream = undefined;
      this.fail(new OAuthResponseError('invalid_response', `The ${this.what} answered HTTP ${statusCode} in a form fetch cannot represent.`, { status: statusCode }));
      return false;
    }
    // fetch's Response knows its URL; callers read it.
    Object.defineProperty(response, 'url', { value: this.url });
    if (this.controller) unread.register(response, this, this);
    this.succeed(response);
    return true;
  }

  onData(chunk: Buffer): boolean {
    const controller = this.controller;
    if (!controller) return true; // no body expected (HEAD, 204): undici drains it
    controller.enqueue(chunk);
    if ((controller.desiredSize ?? 1) > 0) return true;
    this.paused = true;
    return false;
  }

  onComplete(): void {
    this.stopTimer();
    this.done = true;
    if (this.controller) {
      unread.unregister(this);
      this.controller.close();
    }
  }

  onError(err: Error): void {
    const failure = transportError(err, false, this.what, this.timeout);
    if (this.controller && !this.done) {
      this.done = true;
      unread.unregister(this);
      this.controller.error(failure);
      return;
    }
    this.fail(failure);
  }

  private unpause(): void {
    if (!this.paused) return;
    this.paused = false;
    this.resume?.();
  }

  /** The `Response` was collected: its body is cancelled unless someone still reads it. */
  collected(): void {
    if (!this.stream?.locked) this.abandon();
  }

  /** The caller cancelled the body or dropped the `Response`: the connection is closed. */
  abandon(): void {
    if (this.done) return;
    this.done = true;
    this.abort?.(new Error('body abandoned'));
  }
}

/** Request headers, names lowercased (as fetch merges them), with fetch's defaults for the ones not set. */
function withDefaults(headers: Record<string, string> | undefined, http: HttpSettings): Record<string, string> {
  const out: Record<string, string> = { 'user-agent': http.userAgent ?? USER_AGENT, accept: '*/*' };
  if (headers) for (const name of Object.keys(headers)) out[name.toLowerCase()] = headers[name]!;
  return out;
}

function send(opts: Dispatcher.DispatchOptions, exchange: Dispatcher.DispatchHandler & { onError(err: Error): void }): void {
  try {
    getGlobalDispatcher().dispatch(opts, exchange);
  } catch (err) {
    // A dispatcher of another make may throw instead of calling onError.
    exchange.onError(err as Error);
  }
}

/** A provider request through undici: see `providerRequest`. */
export function undiciProviderRequest(url: string, req: ProviderRequest, http: HttpSettings): Promise<ProviderResponse> {
  return new Promise<ProviderResponse>((resolve, reject) => {
    let to: { origin: string; path: string };
    const method = req.method ?? 'GET';
    try {
      to = target(new URL(url));
      if (req.body !== undefined && (method === 'GET' || method === 'HEAD')) throw new TypeError('A GET or HEAD request has no body.');
    } catch (err) {
      reject(transportError(err, false, req.what, http.timeout));
      return;
    }
    const exchange = new CappedExchange(req.what, http.timeout, req.maxBytes, resolve, reject);
    const headers = withDefaults(req.headers, http);
    if (req.body !== undefined) headers['content-type'] ??= 'text/plain;charset=UTF-8';
    send({ ...to, method, headers, body: req.body ?? null }, exchange);
  });
}

/**
 * An API call undici takes as it is: headers as a plain record, a body of bytes or
 * text. Any other (a stream, a Blob, FormData, a `Headers`) goes through fetch.
 */
export function dispatchable(init: Omit<RequestInit, 'signal' | 'redirect'>): boolean {
  const { body, headers } = init;
  const plainHeaders = headers === undefined || (typeof headers === 'object' && headers !== null && Object.getPrototypeOf(headers) === Object.prototype);
  return (
    plainHeaders &&
    (body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer || body instanceof URLSearchParams)
  );
}

/** An API call through undici: see `apiRequest`. The body must be `dispatchable`. */
export function undiciApiRequest(url: URL, init: Omit<RequestInit, 'signal' | 'redirect'>, http: HttpSettings): Promise<Response> {
  const what = `API at ${url.origin}`;
  return new Promise<Response>((resolve, reject) => {
    let to: { origin: string; path: string };
    const method = init.method ?? 'GET';
    const headers = withDefaults(init.headers as Record<string, string> | undefined, http);
    let body: string | Uint8Array | null = null;
    try {
      to = target(url);
      const given = init.body;
      if (given !== undefined && given !== null) {
        if (method === 'GET' || method === 'HEAD') throw new TypeError('A GET or HEAD request has no body.');
        // The Content-Type fetch would set for these bodies.
        if (typeof given === 'string') {
          body = given;
          headers['content-type'] ??= 'text/plain;charset=UTF-8';
        } else if (given instanceof URLSearchParams) {
          body = given.toString();
          headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
        } else if (given instanceof ArrayBuffer) {
          body = new Uint8Array(given);
        } else {
          body = given as Uint8Array;
        }
      }
    } catch (err) {
      reject(transportError(err, false, what, http.timeout));
      return;
    }
    const exchange = new StreamingExchange(what, http.timeout, url.href, method === 'HEAD', resolve, reject);
    send({ ...to, method, headers, body }, exchange);
  });
}
