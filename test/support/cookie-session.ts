/**
 * A cookie-backed session for Express, the way `cookie-session` works (that package
 * is not installed here): the whole session is a signed JSON cookie, read on each
 * request into `req.session` and written back when the answer starts. Nothing is
 * kept on the server, so a browser that sends an older cookie gets the older
 * session back: exactly what makes a replay possible, and what
 * `@fastify/secure-session` does on Fastify.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const NAME = 'cookie_sess';

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

function read(header: string | undefined, secret: string): Record<string, unknown> {
  for (const part of (header ?? '').split(';')) {
    const [name, value] = part.trim().split('=');
    if (name !== NAME || !value) continue;
    const [payload, sig] = value.split('.');
    if (!payload || !sig) return {};
    const want = Buffer.from(sign(payload, secret));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return {};
    try {
      const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return {};
}

export function cookieSession(secret: string) {
  return (req: IncomingMessage & { session?: Record<string, unknown> }, res: ServerResponse, next: () => void): void => {
    const session = read(req.headers.cookie, secret);
    const before = JSON.stringify(session);
    req.session = session;
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      const now = JSON.stringify(req.session ?? {});
      if (now !== before) {
        const payload = Buffer.from(now).toString('base64url');
        const cookie = `${NAME}=${payload}.${sign(payload, secret)}; Path=/; HttpOnly; SameSite=Lax`;
        const current = res.getHeader('set-cookie');
        const list = current === undefined ? [] : Array.isArray(current) ? current.map(String) : [String(current)];
        res.setHeader('set-cookie', [...list, cookie]);
      }
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof res.writeHead;
    next();
  };
}
