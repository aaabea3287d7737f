/**
 * The loopback "browser host": the same handler table as Electron IPC, over HTTP (POST /api/call/<name>) and a
 * WebSocket for events (/api/events), plus the built renderer as static files. Used by Playwright in Chromium and
 * for development. Security: binds 127.0.0.1 only; a random token per run is required on every API request;
 * requests whose Host or Origin is not this server are refused (DNS rebinding, other sites).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { App } from '../app';
import { log } from '../log';

export interface HostOptions {
  app: App;
  port?: number;
  /** the built renderer (out/renderer); when absent only the API is served */
  staticDir?: string;
  token?: string;
}

export interface Host {
  url: string;
  /** the URL to open: carries the token */
  openUrl: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; font-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const MAX_BODY = 64 * 1024 * 1024; // images travel as base64

export async function startHost(opts: HostOptions): Promise<Host> {
  const logger = log('host');
  const token = opts.token ?? crypto.randomBytes(24).toString('base64url');
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const okOrigin = (req: http.IncomingMessage) => {
    if (!allowedHosts().has(req.headers.host ?? '')) return false;
    const origin = req.headers.origin;
    return origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
  };
  const tokenOk = (given: string | undefined) => {
    if (!given) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && crypto.timingSafeEqual(a, b);
  };

  const server = http.createServer(async (req, res) => {
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    if (!okOrigin(req)) return send(403, { ok: false, error: { kind: 'forbidden', message: 'origin not allowed' } });
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);

    if (url.pathname.startsWith('/api/call/')) {
      if (req.method !== 'POST') return send(405, { ok: false, error: { kind: 'validation', message: 'POST only' } });
      const auth = req.headers.authorization?.replace(/^Bearer /, '');
      if (!tokenOk(auth)) return send(401, { ok: false, error: { kind: 'unauthenticated', message: 'missing or wrong host token' } });
      const name = decodeURIComponent(url.pathname.slice('/api/call/'.length));
      let raw = '';
      let size = 0;
      let tooBig = false;
      req.setEncoding('utf8');
      for await (const chunk of req) {
        size += chunk.length;
        if (size > MAX_BODY) {
          tooBig = true;
          break;
        }
        raw += chunk;
      }
      if (tooBig) return send(413, { ok: false, error: { kind: 'validation', message: 'request too large' } });
      let input: unknown = {};
      try {
        input = raw ? JSON.parse(raw) : {};
      } catch {
        return send(400, { ok: false, error: { kind: 'validation', message: 'body is not JSON' } });
      }
      const sessionId = (req.headers['x-linedeck-session'] as string | undefined) || undefined;
      const ac = new AbortController();
      res.on('close', () => {
        if (!res.writableEnded) ac.abort();
      });
      const envelope = await opts.app.call(name, input, { transport: 'http', sessionId, signal: ac.signal });
      if (envelope.ok && name === 'auth.logout') opts.app.services.auth.sessions.drop(sessionId);
      return send(200, envelope);
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed', 'text/plain');
    if (!opts.staticDir) return send(404, 'no renderer build', 'text/plain');
    const rel = path.normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
    let file = path.join(opts.staticDir, rel);
    if (!file.startsWith(path.resolve(opts.staticDir))) return send(403, 'forbidden', 'text/plain');
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(opts.staticDir, 'index.html');
    if (!fs.existsSync(file)) return send(404, 'not found', 'text/plain');
    const ext = path.extname(file);
    res.writeHead(200, {
      'content-type': MIME[ext] ?? 'application/octet-stream',
      'cache-control': ext === '.html' ? 'no-store' : 'max-age=3600',
      'x-content-type-options': 'nosniff',
      ...(ext === '.html' ? { 'content-security-policy': CSP, 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' } : {}),
    });
    fs.createReadStream(file).pipe(res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const clients = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname !== '/api/events' || !okOrigin(req) || !tokenOk(url.searchParams.get('token') ?? undefined)) {
      socket.write('HTTP/1.1 403 Forbidden\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('error', () => clients.delete(ws));
    });
  });
  const off = opts.app.services.bus.onAny((name, payload) => {
    const msg = JSON.stringify({ event: name, payload });
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(msg);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;
  logger.info({ url }, 'browser host listening');
  return {
    url,
    openUrl: `${url}/?token=${token}`,
    port,
    token,
    close: async () => {
      off();
      for (const ws of clients) ws.terminate();
      wss.close();
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
