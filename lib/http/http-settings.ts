/** How one provider request is made: every option already resolved. */
export interface HttpSettings {
  /** The `fetch` module option; `undiciFetch` (no option given) sends through undici instead. */
  fetch: typeof fetch;
  timeout: number;
  userAgent?: string;
}

export interface ProviderResponse {
  status: number;
  headers: Headers;
  body: string;
}

export interface ProviderRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Cap on the body read, in bytes; a larger answer is refused, read no further. */
  maxBytes: number;
  /** What this request is, for messages ("token endpoint"); never the URL's query. */
  what: string;
}
