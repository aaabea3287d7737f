/**
 * What database health may say to whom (issue #17 item 8): a status light needs no login, but the hosts, ports,
 * user names and the drivers' error texts (which name them) are for managers and administrators only. Everyone
 * else gets, per source, whether it answers, how fast, and one generic reason. No imports: main/api/audience.ts
 * shapes the `db.status` event with it too.
 */

/** The one reason a source that does not answer gives to someone who may not see its details. */
export const SOURCE_DOWN = 'the database is not reachable';

interface SourceLike {
  source: string;
  ok: boolean;
  latencyMs?: number;
  url?: string;
  error?: string;
}

/** Per source: its name, ok, latency (when measured) and SOURCE_DOWN when it is down; no URL, host, user or error text. */
export function publicSources<S extends SourceLike>(sources: S[]): (Pick<S, 'source' | 'ok' | 'latencyMs'> & { error?: string })[] {
  return sources.map(
    (s) =>
      ({
        source: s.source,
        ok: s.ok,
        ...(s.latencyMs !== undefined ? { latencyMs: s.latencyMs } : {}),
        ...(s.ok ? {} : { error: SOURCE_DOWN }),
      }) as Pick<S, 'source' | 'ok' | 'latencyMs'> & { error?: string },
  );
}
