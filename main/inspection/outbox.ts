/**
 * The station's outbox (issue "Plant deployment", store and forward): results the station has answered but the
 * database does not have yet. Each is a durable journal entry in LINEDECK_HOME/outbox (main/lib/journal.ts),
 * written before the verdict is answered; the forwarder writes them to PostgreSQL in append order, one at a time,
 * each idempotently (its handler checks the entry's UUID, which is unique in the database), and removes an entry
 * only after its transaction committed. A crash between the commit and the removal replays the entry, which then
 * writes nothing.
 *
 * When the database is away (a connection error), the pass stops at that entry and the next one starts after a
 * back-off (1 s doubling to BACKOFF_MAX_MS); new entries do not cut the back-off short, so a station in an outage
 * does not wait on a connection for every inspection. Any other failure is counted on the entry; after
 * MAX_ATTEMPTS the entry is set aside in outbox/refused/ with the reason (kept for a person: `linedeck outbox`
 * lists it) so one bad entry does not hold the queue forever. An entry that names an earlier one (an action on an
 * inspection still queued) comes after it in the order, so it finds it written.
 */
import path from 'node:path';
import { describePgError, isDefiniteRefusal, isUnavailable } from '../db/pools';
import type { EventBus } from '../events';
import { Journal, JournalDamaged, type JournalEntry, type JournalItem } from '../lib/journal';
import { log } from '../log';
import type { OutboxItem } from './types';

export const BACKOFF_MAX_MS = 15_000;
export const MAX_ATTEMPTS = 5;

/** Writes one entry to the database; returns what the waiters get (the stored inspection). Must be idempotent. */
export type ForwardHandler = (entry: JournalEntry) => Promise<unknown>;

interface Waiter {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class Outbox {
  readonly journal: Journal;
  private handlers = new Map<string, ForwardHandler>();
  private depthNow: number;
  private pass: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private backoffMs = 0;
  private backoffUntil = 0;
  private stopped = false;
  /** start() was called: back-offs are retried by a timer */
  private background = false;
  private waiters = new Map<string, Waiter[]>();
  private logger = log('outbox');
  /** the last connection error, while the database is away */
  private awaySince: number | null = null;

  constructor(
    readonly dir: string,
    private readonly opts: { bus?: EventBus } = {},
  ) {
    this.journal = new Journal(dir);
    this.depthNow = this.journal.list().length;
  }

  static dirOf(home: string): string {
    return path.join(home, 'outbox');
  }

  handle(kind: string, h: ForwardHandler): void {
    this.handlers.set(kind, h);
  }

  /** Whether the entry with this UUID still waits here. */
  has(id: string): boolean {
    return this.journal.list().some((x) => x.id === id);
  }

  /** Entries not yet in the database (set-aside ones not counted). */
  depth(): number {
    return this.depthNow;
  }

  /** Whether the last try found the database away (and when it went away). */
  databaseAway(): { since: string } | null {
    return this.awaySince ? { since: new Date(this.awaySince).toISOString() } : null;
  }

  /** Counts the entries on disk again (after a pass: another process may have forwarded or appended meanwhile). */
  private setDepth(): void {
    const d = this.journal.list().length;
    if (d !== this.depthNow) this.depthBy(d - this.depthNow);
  }

  /** One entry more or fewer: counted, not listed again (a long outage leaves thousands of entries in the folder). */
  private depthBy(delta: number): void {
    this.depthNow = Math.max(0, this.depthNow + delta);
    this.opts.bus?.emit('outbox.depth', { depth: this.depthNow, databaseAway: this.databaseAway() });
  }

  /** Appends an entry durably (resolves once it is on disk) and starts a pass unless the database is known away. */
  async append(kind: string, id: string, data: unknown, blobs: Record<string, Buffer> = {}): Promise<JournalItem> {
    if (!this.handlers.has(kind)) throw new Error(`no outbox handler for ${kind}`);
    const item = await this.journal.append({ id, kind, data, blobs });
    this.depthBy(1);
    this.kick();
    return item;
  }

  /** Starts forwarding in the background (a running station): retries after back-offs, and what a restart left. */
  start(): void {
    this.stopped = false;
    this.background = true;
    this.kick();
  }

  /** No more passes until start() (a station closing; tests holding the queue). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.background = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.pass;
  }

  /**
   * A pass now, unless one runs (then another after it) or the back-off holds. An append kicks even before start()
   * (an App that was never started, e.g. the CLI's, still writes what it journals); retries wait for start().
   */
  kick(): void {
    if (this.stopped) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    const wait = this.backoffUntil - Date.now();
    if (wait > 0) {
      this.schedule(wait);
      return;
    }
    this.pass = this.forwardPass().finally(() => {
      this.pass = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
  }

  private schedule(ms: number): void {
    if (this.timer || this.stopped || !this.background) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, ms);
    this.timer.unref?.();
  }

  /** Forwards every entry now (the CLI's `outbox --forward`); waits for a pass already running first. */
  async forwardAll(): Promise<{ forwarded: number; pending: number; error: string | null }> {
    await this.pass;
    let forwarded = 0;
    let error: string | null = null;
    const p = this.forwardPass((n) => (forwarded = n)).catch((e) => {
      error = (e as Error).message;
    });
    this.pass = p;
    await p;
    this.pass = null;
    if (this.awaySince) error ??= 'the database is not reachable';
    if (this.heldBy) error ??= `another LineDeck process (pid ${this.heldBy}) is forwarding this outbox`;
    return { forwarded, pending: this.depth(), error };
  }

  /**
   * Resolves with the handler's answer when the entry is written (within `ms`), or undefined when it is still
   * queued then. Rejects when the entry was set aside.
   */
  waitFor(id: string, ms: number): Promise<unknown> {
    // with the database away the answer does not wait for it
    if (ms <= 0 || this.awaySince) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(id) ?? [];
      const w: Waiter = {
        resolve: (v) => {
          clearTimeout(t);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      };
      const t = setTimeout(() => {
        const l = this.waiters.get(id);
        if (l) {
          l.splice(l.indexOf(w), 1);
          if (!l.length) this.waiters.delete(id);
        }
        resolve(undefined);
      }, ms);
      list.push(w);
      this.waiters.set(id, list);
    });
  }

  private settle(id: string, ok: boolean, v: unknown): void {
    const l = this.waiters.get(id);
    if (!l) return;
    this.waiters.delete(id);
    for (const w of l) (ok ? w.resolve : w.reject)(v);
  }

  /** The process forwarding this outbox when it is not this one (the station while the CLI is asked to), else null. */
  private heldBy: number | null = null;

  private async forwardPass(onCount?: (n: number) => void): Promise<void> {
    let lock: ReturnType<Journal['lock']>;
    try {
      lock = this.journal.lock();
    } catch (e) {
      // never an unhandled rejection: log, and look again after a back-off
      this.logger.error({ err: (e as Error).message }, 'outbox lock failed');
      this.backOff();
      return;
    }
    if ('heldBy' in lock) {
      // another process on this LINEDECK_HOME forwards; look again shortly
      if (this.heldBy !== lock.heldBy) this.logger.info({ pid: lock.heldBy }, 'another process forwards this outbox');
      this.heldBy = lock.heldBy;
      this.schedule(1000);
      return;
    }
    this.heldBy = null;
    try {
      await this.forwardEntries(onCount);
    } catch (e) {
      this.logger.error({ err: (e as Error).message }, 'outbox pass failed');
      this.backOff();
    } finally {
      lock.release();
      this.setDepth();
    }
  }

  private backOff(): void {
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs ? this.backoffMs * 2 : 1000);
    this.backoffUntil = Date.now() + this.backoffMs;
    this.schedule(this.backoffMs);
  }

  private async forwardEntries(onCount?: (n: number) => void): Promise<void> {
    let n = 0;
    for (const item of this.journal.list()) {
      let entry: JournalEntry | null;
      try {
        entry = this.journal.read(item.file);
        if (!entry) continue;
      } catch (e) {
        if (e instanceof JournalDamaged) {
          // a damaged entry can never be forwarded: kept aside for a person, the queue goes on
          this.logger.error({ file: item.file, reason: e.message }, 'outbox entry set aside');
          this.journal.setAside(item.file, e.message);
          this.settle(item.id, false, e);
          this.depthBy(-1);
          continue;
        }
        // a file that cannot be read now (a scanner holding it, too many open files): again later, in order
        this.logger.warn({ file: item.file, err: (e as Error).message }, 'outbox entry unreadable for now');
        this.backOff();
        return;
      }
      const h = this.handlers.get(entry.kind);
      try {
        if (!h) throw new Error(`no handler for outbox entries of kind ${entry.kind}`);
        const result = await h(entry);
        this.journal.remove(item.file);
        n++;
        onCount?.(n);
        this.backoffMs = 0;
        this.backoffUntil = 0;
        if (this.awaySince) {
          this.logger.info({ awayMs: Date.now() - this.awaySince }, 'database back: forwarding the outbox');
          this.awaySince = null;
        }
        this.depthBy(-1);
        this.settle(entry.id, true, result);
      } catch (e) {
        if (isUnavailable(e)) {
          // the database is away: stop here (order matters), try again after the back-off
          if (!this.awaySince) {
            this.awaySince = Date.now();
            this.logger.warn({ err: describePgError(e), depth: this.depth() }, 'database away: results wait in the outbox');
            this.opts.bus?.emit('outbox.depth', { depth: this.depth(), databaseAway: this.databaseAway() });
          }
          this.backOff();
          // whoever waits for an entry gets the verdict now, as waiting to upload
          for (const id of [...this.waiters.keys()]) this.settle(id, true, undefined);
          return;
        }
        const msg = (e as Error)?.message ?? String(e);
        const definite = isDefiniteRefusal(e);
        this.journal.noteFailure(item.file, msg);
        const attempts = this.journal.state(item.file).attempts;
        this.logger.warn({ file: item.file, attempts, definite, err: msg }, 'outbox entry not written');
        // only a definite refusal (the data or the domain says no) is set aside, after MAX_ATTEMPTS; a timeout, a
        // failover, a deadlock or a migration not yet applied is retried for as long as it takes
        if (definite && attempts >= MAX_ATTEMPTS) {
          this.journal.setAside(item.file, msg);
          this.settle(entry.id, false, e);
          this.depthBy(-1);
          continue;
        }
        // try it again later; the entries behind it wait (they may depend on it)
        this.backOff();
        return;
      }
    }
  }

  /** Puts the set-aside entries back in the queue (`linedeck outbox --retry-refused`, after a person fixed the cause). */
  retryRefused(): number {
    const n = this.journal.restoreSetAside();
    this.setDepth();
    this.kick();
    return n;
  }

  /** The queue as `linedeck outbox` lists it (the first `limit`; only each entry's header is read). */
  list(limit = Infinity): OutboxItem[] {
    const items: OutboxItem[] = this.journal
      .list()
      .slice(0, limit)
      .map((it) => {
        const s = this.journal.state(it.file);
        const kind = this.journal.peekKind(it.file) ?? 'unknown';
        return { uuid: it.id, kind, created: new Date(it.createdMs).toISOString(), attempts: s.attempts, last_error: s.lastError };
      });
    for (const r of this.journal.setAsideList()) {
      const m = /^(\d{15})-\d{6}-(.+)\.ldj$/.exec(r.file)!;
      items.push({ uuid: m[2], kind: 'unknown', created: new Date(Number(m[1])).toISOString(), attempts: MAX_ATTEMPTS, last_error: r.reason, refused: true });
    }
    return items;
  }
}
