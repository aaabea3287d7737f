/**
 * One node-postgres Pool per data source and purpose. `read` pools serve screens with a short statement timeout
 * (900 ms, telemetry design §B9); `job` pools serve resyncs, refreshes and bank builds with a long one.
 * Sources that share a URL still get their own pools so that a slow job never starves a dashboard.
 */
import pg from 'pg';
import { DATA_SOURCES, type DataSource, redactUrl } from '../config';
import { log } from '../log';

// numeric → string (exactness: 47.0 stays '47.0'), int8 → number when safe, timestamps as Date.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
});

/**
 * read: the screens (short statement limit); job: resyncs, refreshes, bank builds, file uploads (long); forward: the
 * station's outbox (long enough for a backlog's pictures, and never queued behind a long job)
 */
export type PoolKind = 'read' | 'job' | 'forward';

export interface PoolOptions {
  readStatementTimeoutMs?: number;
  jobStatementTimeoutMs?: number;
  connectionTimeoutMs?: number;
  idleTimeoutMs?: number;
  readMax?: number;
  jobMax?: number;
}

export interface SourceHealth {
  source: DataSource;
  ok: boolean;
  latencyMs: number;
  url: string;
  error?: string;
}

export class Databases {
  private pools = new Map<string, pg.Pool>();
  private closed = false;
  /** who migrates and seeds each source's database (db/roles.ts); the console's own pools never use it */
  readonly ownerUrls: Record<DataSource, string>;
  constructor(
    readonly urls: Record<DataSource, string>,
    private readonly opts: PoolOptions = {},
    ownerUrls?: Record<DataSource, string>,
  ) {
    this.ownerUrls = ownerUrls ?? urls;
  }

  /** The same databases as their owner: for the demo seed, which creates the FCMS copy and bulk-loads with its
   * triggers off. The caller closes it. */
  asOwner(): Databases {
    return new Databases(this.ownerUrls, this.opts);
  }

  pool(source: DataSource, kind: PoolKind = 'read'): pg.Pool {
    if (this.closed) throw new Error('database pools are closed');
    const key = `${source}:${kind}`;
    let p = this.pools.get(key);
    if (!p) {
      const timeout = kind === 'read' ? (this.opts.readStatementTimeoutMs ?? 900) : kind === 'forward' ? 60_000 : (this.opts.jobStatementTimeoutMs ?? 600_000);
      p = new pg.Pool({
        connectionString: this.urls[source],
        application_name: `linedeck-${source}-${kind}`,
        statement_timeout: timeout,
        query_timeout: timeout + 2_000,
        connectionTimeoutMillis: this.opts.connectionTimeoutMs ?? 3_000,
        idleTimeoutMillis: this.opts.idleTimeoutMs ?? 30_000,
        max: kind === 'read' ? (this.opts.readMax ?? 8) : kind === 'forward' ? 2 : (this.opts.jobMax ?? 3),
        options: '-c timezone=UTC',
      });
      // An idle client losing its server (database restarted) must not crash the process.
      p.on('error', (err) => log('db').warn({ source, kind, err: err.message }, 'idle client error'));
      this.pools.set(key, p);
    }
    return p;
  }

  /** The distinct database URLs in use, each with the sources it serves and the URL its owner migrates with. */
  distinct(): { url: string; ownerUrl: string; sources: DataSource[] }[] {
    const m = new Map<string, DataSource[]>();
    for (const s of DATA_SOURCES) m.set(this.urls[s], [...(m.get(this.urls[s]) ?? []), s]);
    return [...m].map(([url, sources]) => ({ url, ownerUrl: this.ownerUrls[sources[0]], sources }));
  }

  async health(): Promise<SourceHealth[]> {
    return Promise.all(
      DATA_SOURCES.map(async (source) => {
        const t0 = performance.now();
        try {
          await this.pool(source).query('select 1');
          return { source, ok: true, latencyMs: Math.round(performance.now() - t0), url: redactUrl(this.urls[source]) };
        } catch (e) {
          return { source, ok: false, latencyMs: Math.round(performance.now() - t0), url: redactUrl(this.urls[source]), error: describePgError(e) };
        }
      }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.end().catch(() => undefined)));
  }
}

export async function withTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('begin');
    const out = await fn(c);
    await c.query('commit');
    return out;
  } catch (e) {
    await c.query('rollback').catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}

/** A one-line, human reason for a database error ("cannot connect to 127.0.0.1:5432: connection refused"). */
export function describePgError(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number; errors?: Error[] };
  if (err?.errors?.length) return describePgError(err.errors[0]);
  const where = err?.address ? `${err.address}${err.port ? `:${err.port}` : ''}` : undefined;
  switch (err?.code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${where ?? 'the database'}: connection refused`;
    case 'ENOTFOUND':
      return `cannot resolve database host ${(err as { hostname?: string }).hostname ?? ''}`.trim();
    case 'ETIMEDOUT':
      return `cannot connect to ${where ?? 'the database'}: timed out`;
    case '28P01':
      return 'database login failed: wrong user name or password';
    case '3D000':
      return `database does not exist: ${err.message}`;
    case '57014':
      return 'the query took too long and was cancelled (statement timeout)';
    default:
      return err?.message ?? String(e);
  }
}

/** Errors that mean "the database is not reachable right now" (vs. a bad query). */
export function isUnavailable(e: unknown): boolean {
  // a multi-address connect fails with an AggregateError of each address's error
  const inner = (e as { errors?: unknown[] })?.errors;
  if (Array.isArray(inner) && inner.length && inner.some(isUnavailable)) return true;
  const code = (e as { code?: string })?.code ?? '';
  const msg = (e as Error)?.message ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300'].includes(code) ||
    code.startsWith('08') ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|database pools are closed|Query read timeout/i.test(msg)
  );
}

/**
 * A refusal that comes again however often it is tried: the data itself is refused (a constraint, a bad value) or
 * the domain says no (validation, not found, conflict). Everything else — the database away, a timeout, a standby
 * during a failover, a deadlock, a full disk, a migration not yet applied — passes, and is retried.
 */
export function isDefiniteRefusal(e: unknown): boolean {
  if (isUnavailable(e)) return false;
  const kind = (e as { kind?: string; name?: string })?.name === 'ApiError' ? (e as { kind?: string }).kind : undefined;
  if (kind) return ['validation', 'not_found', 'conflict', 'forbidden'].includes(kind);
  const code = (e as { code?: string })?.code ?? '';
  return code.startsWith('22') || code.startsWith('23');
}
