/**
 * The browser host under malformed input (issue #17, "Done when"): a real host on a real database gets a few hundred
 * malformed requests, generated from a fixed seed — bad percent-encoding in path and query, overlong URLs and
 * headers, NUL and control bytes, invalid JSON, wrong content types, bodies that are arrays, numbers or null, huge
 * bodies (declared and sent), unknown procedures, prototype-pollution keys, bad Host and Origin headers, methods
 * such as TRACE, PUT, DELETE and CONNECT, WebSocket upgrades with a bad origin, token, key or path. Requests go as
 * raw bytes over TCP (fetch would refuse to send most of them). Every answer must be a 4xx within a few seconds
 * (never a 5xx, a silent close or a hang), no unhandled rejection or uncaught exception may appear in the process,
 * nothing may reach Object.prototype, and the host must still answer a good request afterwards.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { contract } from '../api/contract';
import { createApp, type App } from '../app';
import { stationPaths } from '../config';
import { startHost, type Host } from '../host/server';
import { createTestDb, type TestDb } from '../testing/db';

const SEED = 0x17_5ec;
const CASES = 300;

/** mulberry32: a small seeded generator, so a failure names a case that comes again. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
  };
}

interface Case {
  name: string;
  /** the raw request; a function for a request written in parts (a huge body) */
  bytes: Buffer;
  /** bytes to keep writing after `bytes` until an answer comes (a huge body) */
  stream?: { chunk: Buffer; max: number };
}

interface Answer {
  status: number | null;
  /** how the exchange ended without a status line: 'closed', 'timeout', 'error: …' */
  ended?: string;
  ms: number;
}

/** Sends raw bytes and reads the status line of the first answer (5 s at most). */
function raw(port: number, c: Case, timeoutMs = 5000): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    let done = false;
    const finish = (a: Omit<Answer, 'ms'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ ...a, ms: Math.round(performance.now() - t0) });
    };
    const timer = setTimeout(() => finish({ status: null, ended: 'timeout' }), timeoutMs);
    sock.on('data', (d) => {
      got += d.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      if (m) finish({ status: Number(m[1]) });
      else if (got.length > 64 || got.includes('\r\n')) finish({ status: null, ended: `not HTTP: ${JSON.stringify(got.slice(0, 64))}` });
    });
    sock.on('close', () => finish({ status: null, ended: 'closed' }));
    sock.on('error', (e) => finish({ status: null, ended: `error: ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
    sock.on('connect', () => {
      sock.write(c.bytes);
      if (!c.stream) return;
      // keep sending until the host answers (or the limit): the answer must not wait for the whole body
      let sent = 0;
      const pump = () => {
        while (!done && sent < c.stream!.max) {
          sent += c.stream!.chunk.length;
          if (!sock.write(c.stream!.chunk)) return void sock.once('drain', pump);
        }
      };
      pump();
    });
  });
}

describe('the browser host under malformed requests', () => {
  let db: TestDb;
  let app: App;
  let host: Host;
  const staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-fuzz-static-'));
  const problems: string[] = [];
  const onRejection = (e: unknown) => problems.push(`unhandledRejection: ${(e as Error)?.stack ?? String(e)}`);
  const onException = (e: unknown) => problems.push(`uncaughtException: ${(e as Error)?.stack ?? String(e)}`);

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>x</title>');
    db = await createTestDb();
    app = createApp({ dbs: db.dbs, paths: stationPaths(staticDir) });
    host = await startHost({ app, staticDir });
  });
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
    await host?.close();
    await app?.dispose();
    await db?.drop();
    fs.rmSync(staticDir, { recursive: true, force: true });
  });

  /** The seeded cases: each is malformed in one way, on one route. */
  function cases(): Case[] {
    const r = rng(SEED);
    const hostHdr = `127.0.0.1:${host.port}`;
    const procs = Object.keys(contract);
    const badPct = ['%', '%G1', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF%FE', '%%', '%2', '%u0041', '%00', 'a%00b', '%2e%2e%2f%00'] as const;
    const junkName = () => r.pick([...badPct, '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '..%2f..%2fetc', 'no.such.procedure', 'auth', '']) + r.pick(['', '.x', '%00', '/extra']);
    const req = (method: string, target: string, headers: Record<string, string | number>, body: Buffer | string = ''): Buffer => {
      const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
      const lines = [`${method} ${target} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      if (b.length && !Object.keys(headers).some((k) => /^(content-length|transfer-encoding)$/i.test(k))) lines.push(`Content-Length: ${b.length}`);
      return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), b]);
    };
    const api = (extra: Record<string, string | number> = {}) => ({ Host: hostHdr, Authorization: `Bearer ${host.token}`, Connection: 'close', ...extra });
    const json = (name: string, body: string, extra: Record<string, string | number> = {}) =>
      req('POST', `/api/call/${name}`, api({ 'Content-Type': 'application/json', ...extra }), body);
    const malformedBodies = [
      '{nope',
      '',
      '[]',
      '[1,2,3]',
      '42',
      '-1e309',
      'null',
      'true',
      '"a string"',
      '{"a":',
      '\u0000{}',
      '{"__proto__":{"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"__proto__":{"role":"admin"},"username":1}',
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      `{"username":"${'a'.repeat(100_000)}"}`,
      '{"username":"\\ud800","password":null}',
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]).toString('latin1'),
    ];
    // procedures whose empty-ish input is invalid for everyone, so a body without the right fields is a 4xx
    const publicProcs = procs.filter((p) => contract[p as keyof typeof contract].role === 'public' && !['auth.status', 'auth.logout', 'system.health'].includes(p));
    const guarded = procs.filter((p) => contract[p as keyof typeof contract].role !== 'public');

    const generators: (() => Case)[] = [
      // bad percent-encoding in the path, on every route
      () => {
        const route = r.pick(['/api/call/', '/api/file/', '/', '/assets/']);
        const p = `${route}${r.pick(badPct)}${r.pick(['', 'x', '/y'])}`;
        return { name: `bad encoding ${p}`, bytes: req(route === '/api/call/' ? 'POST' : 'GET', p, api(), route === '/api/call/' ? '{}' : '') };
      },
      // bad percent-encoding in the query (no token there: the token check must refuse, not the decoder throw)
      () => {
        const route = r.pick(['/api/file/ab/cd.png', '/api/events', '/api/call/auth.status']);
        const q = `?token=${r.pick(badPct)}&session=${r.pick(badPct)}`;
        return { name: `bad query ${route}${q}`, bytes: req(route.startsWith('/api/call') ? 'POST' : 'GET', `${route}${q}`, { Host: hostHdr, Connection: 'close' }, route.startsWith('/api/call') ? '{}' : '') };
      },
      // overlong URLs (past the header limit) and overlong or many headers
      () => {
        const n = 17_000 + r.int(200_000);
        return { name: `overlong URL (${n})`, bytes: req('GET', `/api/file/${'a'.repeat(n)}`, api()) };
      },
      () => {
        const n = 17_000 + r.int(100_000);
        return { name: `overlong header (${n})`, bytes: req('POST', '/api/call/auth.status', api({ [r.pick(['X-Linedeck-Session', 'Cookie', 'Authorization', 'X-Junk'])]: 'b'.repeat(n) }), '{}') };
      },
      // NUL and control bytes in the request line and headers
      () => {
        const ctl = String.fromCharCode(r.pick([0, 1, 8, 10, 13, 27, 127]));
        const where = r.int(3);
        const bytes =
          where === 0
            ? req('GET', `/api/file/a${ctl}b`, api())
            : where === 1
              ? req('POST', '/api/call/auth.status', api({ 'X-Linedeck-Session': `s${ctl}id` }), '{}')
              : req('POST', `/api/call/auth${ctl}.status`, api(), '{}');
        return { name: `control byte ${ctl.charCodeAt(0)} at ${where}`, bytes };
      },
      // invalid JSON and bodies of the wrong type, to public and to guarded procedures
      () => {
        const name = r.pick([...publicProcs, ...guarded]);
        const body = r.pick(malformedBodies);
        return { name: `body ${JSON.stringify(body.slice(0, 40))} → ${name}`, bytes: json(name, body) };
      },
      // a guarded procedure with a session that is not one
      () => {
        const name = r.pick(guarded);
        return { name: `forged session → ${name}`, bytes: json(name, '{}', { 'X-Linedeck-Session': r.pick(['x', 'null', '__proto__', 'a'.repeat(300), '../../etc']) }) };
      },
      // wrong content types (the body never holds a valid input)
      () => {
        const type = r.pick(['text/plain', 'application/xml', 'multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16']);
        const body = r.pick(['<x/>', 'a=1&b=2', '--x\r\nContent-Disposition: form-data; name="evil"\r\n\r\n1\r\n--x--\r\n', '--x\r\n\r\n', '{']);
        return { name: `content-type ${type} body ${JSON.stringify(body.slice(0, 20))}`, bytes: json(r.pick(publicProcs), body, { 'Content-Type': type }) };
      },
      // unknown procedures, prototype keys as names
      () => {
        const name = junkName();
        return { name: `unknown procedure ${JSON.stringify(name)}`, bytes: json(name, '{}') };
      },
      // a huge body, declared (the answer must not wait for it)
      () => ({ name: 'declared 1 GB body', bytes: json('auth.login', '{"username":"', { 'Content-Length': 1_000_000_000 }) }),
      // conflicting or broken framing
      () => {
        const framing: Record<string, string | number> = r.pick<Record<string, string | number>>([
          { 'Content-Length': 'abc' },
          { 'Content-Length': '-1' },
          { 'Transfer-Encoding': 'chunked', 'Content-Length': 5 },
          { 'Transfer-Encoding': 'gzip, chunked, identity' },
        ]);
        return { name: `framing ${JSON.stringify(framing)}`, bytes: req('POST', '/api/call/auth.status', { ...api(), ...framing }, 'Transfer-Encoding' in framing ? 'zz\r\n{}\r\n0\r\n\r\n' : '{}') };
      },
      // bad Host and Origin headers (DNS rebinding, other sites), with a valid token
      () => {
        const h = r.pick(['evil.example', `evil.example:${host.port}`, `127.0.0.1:${host.port + 1}`, '127.0.0.1', '', `localhost:${host.port}@evil`, '[::1]']);
        const o = r.pick([undefined, 'null', 'http://evil.example', `http://127.0.0.1:${host.port}.evil.example`, 'file://', `https://127.0.0.1:${host.port}`]);
        const headers: Record<string, string> = { Authorization: `Bearer ${host.token}`, Connection: 'close', Host: h };
        if (o !== undefined) {
          headers.Origin = o;
          if (r.int(2)) headers.Host = hostHdr; // a right Host with a wrong Origin
        }
        if (headers.Host === hostHdr && o === undefined) headers.Host = 'evil.example';
        const route = r.pick(['/api/call/auth.status', '/api/file/ab/cd.png', '/']);
        return { name: `host ${JSON.stringify(headers.Host)} origin ${JSON.stringify(o)} ${route}`, bytes: req(route.startsWith('/api/call') ? 'POST' : 'GET', route, headers, route.startsWith('/api/call') ? '{}' : '') };
      },
      // methods the routes do not take
      () => {
        const m = r.pick(['TRACE', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'MKCOL', 'FOO', 'get', 'CONNECT']);
        const route = r.pick(['/api/call/auth.status', '/api/file/ab/cd.png', '/', '/index.html']);
        const target = m === 'CONNECT' ? `127.0.0.1:${host.port}` : route;
        return { name: `${m} ${target}`, bytes: req(m, target, api()) };
      },
      // a GET on the API, a POST on files
      () => (r.int(2) ? { name: 'GET /api/call', bytes: req('GET', `/api/call/${r.pick(procs)}`, api()) } : { name: 'POST /api/file', bytes: req('POST', '/api/file/ab/cd.png', api(), '{}') }),
      // WebSocket upgrades that must be refused
      () => {
        const v = r.int(7);
        const key = Buffer.from('0123456789abcdef').toString('base64');
        const ws = { Host: hostHdr, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': 13, 'Sec-WebSocket-Key': key };
        const ok = `/api/events?token=${host.token}`;
        const variants: [string, string, Record<string, string | number>][] = [
          ['bad origin', ok, { ...ws, Origin: 'http://evil.example' }],
          ['bad host', ok, { ...ws, Host: 'evil.example' }],
          ['no token', '/api/events', ws],
          ['wrong token', `/api/events?token=${r.pick(badPct)}`, ws],
          ['wrong path', `/api/other?token=${host.token}`, ws],
          ['bad key', ok, { ...ws, 'Sec-WebSocket-Key': 'short' }],
          ['bad version', ok, { ...ws, 'Sec-WebSocket-Version': 99 }],
        ];
        const [label, target, headers] = variants[v];
        return { name: `ws upgrade: ${label}`, bytes: req('GET', target, headers) };
      },
      // request targets that are not a path
      () => {
        const t = r.pick(['//[', '//a b/', '//x:99999/', '//%zz/', 'http://evil.example/api/call/auth.status', '*']);
        const upgrade = r.int(2) === 1;
        const headers = upgrade ? { Host: hostHdr, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': 13, 'Sec-WebSocket-Key': 'AAAAAAAAAAAAAAAAAAAAAA==' } : api();
        return { name: `target ${t}${upgrade ? ' (upgrade)' : ''}`, bytes: req(upgrade ? 'GET' : 'POST', t, headers, upgrade ? '' : '{}') };
      },
    ];
    const out: Case[] = [];
    // every kind at least once, then seeded picks
    for (const g of generators) out.push(g());
    while (out.length < CASES) out.push(r.pick(generators)());
    return out;
  }

  it(`answers ${CASES} malformed requests (seed ${SEED}) with a 4xx, and stays up`, async () => {
    const all = cases();
    const failures: string[] = [];
    // a few at a time: a slow answer shows as one, not as a queue
    for (let i = 0; i < all.length; i += 8) {
      const batch = all.slice(i, i + 8);
      const answers = await Promise.all(batch.map((c) => raw(host.port, c)));
      answers.forEach((a, j) => {
        if (a.status === null || a.status < 400 || a.status > 499) failures.push(`#${i + j} ${batch[j].name.slice(0, 120)}: ${a.status ?? a.ended} (${a.ms} ms)`);
      });
    }
    expect(failures).toEqual([]);
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(({} as Record<string, unknown>).role).toBeUndefined();
    // still serving
    const good = await fetch(`${host.url}/api/call/auth.status`, { method: 'POST', headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ ok: true, value: { needsSetup: true } });
    expect(problems).toEqual([]);
  }, 60_000);

  it('answers a huge body sent in full with 413 before reading it all', async () => {
    const head = Buffer.from(`POST /api/call/auth.login HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nAuthorization: Bearer ${host.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = Buffer.concat([Buffer.from('100000\r\n'), Buffer.alloc(0x100000, 0x61), Buffer.from('\r\n')]);
    const a = await raw(host.port, { name: 'chunked 200 MB', bytes: head, stream: { chunk, max: 200 * 1024 * 1024 } }, 15_000);
    expect(a.status).toBe(413);
    expect(problems).toEqual([]);
  }, 30_000);

  it('closes a WebSocket that sends anything but a session message, and stays up', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=${host.token}`);
    await new Promise((r) => ws.on('open', r));
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.send('{"__proto__":{"polluted":true},"session":{"toString":1}}');
    expect(await closed).toBe(1008);
    for (const junk of ['not json', '[]', 'null', '{"session":42}', Buffer.from([0xff, 0x00])]) {
      const w = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=${host.token}`);
      await new Promise((r) => w.on('open', r));
      const code = new Promise<number>((r) => w.on('close', (c) => r(c)));
      w.send(junk);
      expect(await code).toBe(1008);
    }
    expect(Object.prototype).not.toHaveProperty('polluted');
    const good = await fetch(`${host.url}/api/call/auth.status`, { method: 'POST', headers: { authorization: `Bearer ${host.token}` }, body: '{}' });
    expect(good.status).toBe(200);
    expect(problems).toEqual([]);
  });
});
