/**
 * The loopback "browser host": the same handler table as Electron IPC, over HTTP (POST /api/call/<name>, JSON or,
 * with pictures, multipart/form-data) and a WebSocket for events (/api/events), stored pictures as bytes
 * (GET /api/file/<path>), plus the built renderer as static files. Used by Playwright in Chromium and for
 * development. Security: binds 127.0.0.1 only; a random token per run is required on every API request;
 * requests whose Host or Origin is not this server are refused (DNS rebinding, other sites); events reach only a
 * socket that names a live session, and only those its role may see (main/api/audience.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import busboy from 'busboy';
import { WebSocketServer, type WebSocket } from 'ws';
import type { App } from '../app';
import { mayReceive, shapeEvent } from '../api/audience';
import { readStoredBytes } from '../backend/files';
import { decodeUrlPath, envelopeStatus } from '../backend/relay';
import { log } from '../log';
import { CSP } from './csp';

export { CSP };

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

const MAX_BODY = 64 * 1024 * 1024; // a 50 MB picture as base64 JSON (CLI-style callers), or as bytes in a multipart body

type Parsed = { input: unknown } | { status: number; message: string };

/** Reads a JSON body up to MAX_BODY. */
async function readJson(req: http.IncomingMessage): Promise<Parsed> {
  let raw = '';
  let size = 0;
  req.setEncoding('utf8');
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) return { status: 413, message: 'request too large' };
    raw += chunk;
  }
  try {
    return { input: raw ? JSON.parse(raw) : {} };
  } catch {
    return { status: 400, message: 'body is not JSON' };
  }
}

/**
 * Reads a multipart/form-data call (the renderer's uploads): the field `input` is the call's JSON input in which
 * each binary part is a placeholder `{"$bin": "<part name>"}`; the parts come back in its place as bytes
 * (Buffer, a Uint8Array). MAX_BODY bounds the parts together; a malformed body is a 400.
 */
function readMultipart(req: http.IncomingMessage): Promise<Parsed> {
  return new Promise((resolve) => {
    let done = false;
    const settle = (r: Parsed) => {
      if (done) return;
      done = true;
      if ('status' in r) {
        // stop parsing, let the rest of the body drain so the answer reaches the client
        req.unpipe();
        req.resume();
      }
      resolve(r);
    };
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { fields: 1, fieldSize: 16 * 1024 * 1024, files: 16, fileSize: MAX_BODY, parts: 17 } });
    } catch (e) {
      return settle({ status: 400, message: `malformed multipart request: ${(e as Error).message}` });
    }
    let total = 0;
    let inputRaw: string | undefined;
    const parts = new Map<string, Buffer>();
    const reading: Promise<void>[] = [];
    bb.on('field', (name, value, info) => {
      if (name !== 'input') return settle({ status: 400, message: `unexpected multipart field ${name}` });
      if (info.valueTruncated) return settle({ status: 413, message: 'request too large' });
      inputRaw = value;
    });
    bb.on('file', (name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => {
        total += c.length;
        if (total > MAX_BODY) return settle({ status: 413, message: 'request too large' });
        chunks.push(c);
      });
      stream.on('limit', () => settle({ status: 413, message: 'request too large' }));
      reading.push(new Promise<void>((r) => stream.on('end', () => r(void parts.set(name, Buffer.concat(chunks)))).on('error', () => r())));
    });
    bb.on('partsLimit', () => settle({ status: 400, message: 'too many multipart parts' }));
    bb.on('filesLimit', () => settle({ status: 400, message: 'too many files in one call' }));
    bb.on('fieldsLimit', () => settle({ status: 400, message: 'one field only: input' }));
    bb.on('error', (e) => settle({ status: 400, message: `malformed multipart request: ${(e as Error).message}` }));
    bb.on('close', () => void Promise.all(reading).then(finish));
    const finish = () => {
      if (inputRaw === undefined) return settle({ status: 400, message: 'the multipart request has no input field' });
      let input: unknown;
      try {
        input = JSON.parse(inputRaw);
      } catch {
        return settle({ status: 400, message: 'the input field is not JSON' });
      }
      const missing: string[] = [];
      const revive = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(revive);
        if (!v || typeof v !== 'object') return v;
        const keys = Object.keys(v);
        if (keys.length === 1 && keys[0] === '$bin' && typeof (v as { $bin: unknown }).$bin === 'string') {
          const part = parts.get((v as { $bin: string }).$bin);
          if (!part) missing.push((v as { $bin: string }).$bin);
          return part;
        }
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
      };
      const revived = revive(input);
      if (missing.length) return settle({ status: 400, message: `the input names missing parts: ${missing.join(', ')}` });
      settle({ input: revived });
    };
    req.pipe(bb);
  });
}

/**
 * The request target as a URL on this host, or null when it is not a plain path (an absolute or `//host` target
 * naming another host, `*`, `//[`): answered 400, never thrown.
 */
function parseTarget(target: string | undefined): URL | null {
  if (!target?.startsWith('/') || target.startsWith('//')) return null;
  try {
    return new URL(target, 'http://127.0.0.1');
  } catch {
    return null;
  }
}

/** A WebSocket message naming the tab's session: the id, null (logged out), or undefined when it is not one. */
function sessionMessage(text: string): string | null | undefined {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!m || typeof m !== 'object' || Array.isArray(m) || !Object.prototype.hasOwnProperty.call(m, 'session')) return undefined;
  const session = (m as { session: unknown }).session;
  if (session === null) return null;
  return typeof session === 'string' && session.length <= 200 ? session : undefined;
}

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

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // an answer before the whole body came (refused, too large): close instead of reading the rest
        ...(req.complete ? {} : { connection: 'close' }),
      });
      res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    if (!okOrigin(req)) return send(403, { ok: false, error: { kind: 'forbidden', message: 'origin not allowed' } });
    const url = parseTarget(req.url);
    if (!url) return send(400, { ok: false, error: { kind: 'validation', message: 'bad request target' } });

    if (url.pathname.startsWith('/api/call/')) {
      if (req.method !== 'POST') return send(405, { ok: false, error: { kind: 'validation', message: 'POST only' } });
      const auth = req.headers.authorization?.replace(/^Bearer /, '');
      if (!tokenOk(auth)) return send(401, { ok: false, error: { kind: 'unauthenticated', message: 'missing or wrong host token' } });
      const name = decodeUrlPath(url.pathname.slice('/api/call/'.length));
      if (name === null) return send(400, { ok: false, error: { kind: 'validation', message: 'bad procedure name' } });
      if (Number(req.headers['content-length']) > MAX_BODY) return send(413, { ok: false, error: { kind: 'validation', message: 'request too large' } });
      const multipart = /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
      const body = multipart ? await readMultipart(req) : await readJson(req);
      if ('status' in body) return send(body.status, { ok: false, error: { kind: 'validation', message: body.message } });
      const input = body.input;
      const sessionId = (req.headers['x-linedeck-session'] as string | undefined) || undefined;
      const ac = new AbortController();
      res.on('close', () => {
        if (!res.writableEnded) ac.abort();
      });
      const envelope = await opts.app.call(name, input, { transport: 'http', sessionId, signal: ac.signal });
      // the envelope as the body, its error kind as the status (a refusal is a 4xx, a failure a 5xx)
      return send(envelopeStatus(envelope), envelope);
    }

    if (url.pathname.startsWith('/api/file/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { ok: false, error: { kind: 'validation', message: 'GET only' } });
      // an <img src> cannot send headers: the token and the session may come as query parameters
      const given = req.headers.authorization?.replace(/^Bearer /, '') || url.searchParams.get('token') || undefined;
      if (!tokenOk(given)) return send(401, { ok: false, error: { kind: 'unauthenticated', message: 'missing or wrong host token' } });
      const sessionId = (req.headers['x-linedeck-session'] as string | undefined) || url.searchParams.get('session') || undefined;
      const rel = decodeUrlPath(url.pathname.slice('/api/file/'.length));
      if (rel === null) return send(400, { ok: false, error: { kind: 'validation', message: 'bad file path' } });
      const env = await readStoredBytes(opts.app, sessionId, rel);
      if (!env.ok) return send(envelopeStatus(env), env);
      res.writeHead(200, {
        'content-type': env.value.mime,
        'content-length': env.value.size,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
        'referrer-policy': 'no-referrer',
      });
      return res.end(req.method === 'HEAD' ? undefined : env.value.bytes);
    }

    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return send(404, { ok: false, error: { kind: 'not_found', message: 'no such API route' } });
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed', 'text/plain');
    if (!opts.staticDir) return send(404, 'no renderer build', 'text/plain');
    const decoded = decodeUrlPath(url.pathname);
    if (decoded === null) return send(400, 'bad path', 'text/plain');
    const rel = path.normalize(decoded).replace(/^([/\\])+/, '');
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
  };
  // no request may take the process down: whatever a handler throws is a logged 500 (or a closed socket)
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      logger.error({ err: (e as Error)?.stack ?? String(e), url: req.url }, 'request failed');
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(500, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ ok: false, error: { kind: 'internal', message: 'request failed' } }));
      }
    });
  });

  // the events socket: the token opens it, but events go only to the live session the tab names on it (a message
  // {"session": "<id>" | null}, sent after every login, setup and logout) and only those its role may see
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 });
  const clients = new Map<WebSocket, { sessionId: string | undefined }>();
  const refuseSocket = (socket: Duplex, status: string) => {
    socket.on('error', () => socket.destroy());
    if (!socket.writable) return void socket.destroy();
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
  };
  // CONNECT is not served (without a listener Node closes the socket without an answer)
  server.on('connect', (_req, socket) => refuseSocket(socket, '405 Method Not Allowed'));
  server.on('upgrade', (req, socket, head) => {
    const url = parseTarget(req.url);
    if (!url) return refuseSocket(socket, '400 Bad Request');
    if (url.pathname !== '/api/events' || !okOrigin(req) || !tokenOk(url.searchParams.get('token') ?? undefined)) return refuseSocket(socket, '403 Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const client = { sessionId: undefined as string | undefined };
      clients.set(ws, client);
      ws.on('message', (data, isBinary) => {
        const session = isBinary ? undefined : sessionMessage(String(data));
        // anything else than a session message ends the socket (the renderer sends nothing else)
        if (session === undefined) return ws.close(1008, 'session messages only');
        client.sessionId = session ?? undefined;
      });
      ws.on('close', () => clients.delete(ws));
      ws.on('error', () => clients.delete(ws));
    });
  });
  const sessions = opts.app.services.auth.sessions;
  const off = opts.app.services.bus.onAny((name, payload) => {
    let msg: string | undefined;
    for (const [ws, c] of clients) {
      if (ws.readyState !== ws.OPEN || !mayReceive(sessions.get(c.sessionId), name)) continue;
      ws.send((msg ??= JSON.stringify({ event: name, payload: shapeEvent(name, payload) })));
    }
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
      for (const ws of clients.keys()) ws.terminate();
      wss.close();
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
