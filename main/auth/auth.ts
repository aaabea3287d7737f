/**
 * Users, roles and sessions. Passwords are scrypt hashes (./password.ts; legacy bcrypt hashes verify and are rehashed
 * at the next login). Sessions live in main's memory only: a window or browser tab holds an opaque id, never
 * credentials. Users are stored in the console database (the `inspection` source, where the design puts them).
 *
 * Logins (issue #17 item 4): every attempt is audited (`auth.login`, `auth.login.failure`, `auth.login.locked`,
 * `auth.login.throttled`), unknown user names too, and the caller is told the same thing whether the name exists or
 * not. After LOCK_AFTER failures within FAILURE_WINDOW_MS an account is locked for an exponentially growing delay
 * (30 s, 1, 2, 4, 8 min) without its password being checked; at ADMIN_LOCK_AFTER failures it stays locked until an
 * administrator unlocks it (admin.users.unlock). The state is on the users row, so it holds across restarts and
 * stations. A station (this console) refuses every login for a while after STATION_FAILURES failures within the
 * window, whoever they were for (someone guessing at this keyboard).
 *
 * Sessions (issue #17 item 5): a session ends LINEDECK_SESSION_HOURS (12) after its login (a shift), and after
 * LINEDECK_IDLE_MINUTES (30) without user input, which the renderer reports with `auth.activity`: calls (the
 * dashboards poll) do not keep a session alive. Admin changes need a password typed within REAUTH_MS (auth.reauth).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type pg from 'pg';
import { z } from 'zod';
import { ApiError, ROLES, type Role, type SessionUser } from '../api/kit';
import { because } from '../api/reasons';
import { writeAudit } from '../audit/audit';
import { isUnavailable, withTransaction } from '../db/pools';
import { writeAtomic } from '../lib/fsutil';
import { log } from '../log';
import { dummyHash, hashPassword, needsRehash, passwordProblem, PASSWORD_MIN, verifyPassword } from './password';
import type { UserRow } from './types';

export const passwordSchema = z.string().min(PASSWORD_MIN, `at least ${PASSWORD_MIN} characters`).max(200);
export const usernameSchema = z
  .string()
  .trim()
  .min(3, 'at least 3 characters')
  .max(50)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash and underscore only');
export const newUserSchema = z
  .object({
    username: usernameSchema,
    email: z.email(),
    fullName: z.string().trim().max(100).optional(),
    password: passwordSchema,
    role: z.enum(ROLES),
  })
  .superRefine((u, ctx) => {
    const problem = [...u.password].length >= PASSWORD_MIN ? passwordProblem(u.password, u.username) : null;
    if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem });
  });
export type NewUser = z.infer<typeof newUserSchema>;

/** The policy as an error (for callers that do not go through newUserSchema). */
function checkPassword(password: string, username: string, opts: { allowDemo?: string } = {}): void {
  const problem = passwordProblem(password, username, opts);
  if (problem) throw new ApiError('validation', `password: ${problem}`, { password: [problem], ...because('password_rule', { problem }) });
}

const envNumber = (v: string | undefined, dflt: number) => {
  const n = Number(v);
  return v && Number.isFinite(n) && n > 0 ? n : dflt;
};

export interface SessionOptions {
  /** absolute lifetime from login (LINEDECK_SESSION_HOURS, default 12: a shift) */
  lifetimeMs: number;
  /** without user input (auth.activity) for longer than this the session ends (LINEDECK_IDLE_MINUTES, default 30) */
  idleMs: number;
  /** admin changes need a password typed within this (10 min) */
  reauthMs: number;
  clock: () => number;
}

export function sessionOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<SessionOptions, 'clock'> {
  return {
    lifetimeMs: envNumber(env.LINEDECK_SESSION_HOURS, 12) * 3600_000,
    idleMs: envNumber(env.LINEDECK_IDLE_MINUTES, 30) * 60_000,
    reauthMs: 10 * 60_000,
  };
}

interface SessionEntry {
  user: SessionUser;
  /** login time: the lifetime counts from here */
  createdAt: number;
  /** the last user input the renderer reported (auth.activity), or the login */
  activeAt: number;
  /** the last time the password was typed (login or auth.reauth) */
  authAt: number;
}

export class SessionStore {
  private sessions = new Map<string, SessionEntry>();
  readonly opts: SessionOptions;
  constructor(opts: Partial<SessionOptions> = {}) {
    this.opts = { ...sessionOptionsFromEnv(), clock: Date.now, ...opts };
  }
  private now() {
    return this.opts.clock();
  }
  private live(id: string | undefined): SessionEntry | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const now = this.now();
    if (now - s.createdAt > this.opts.lifetimeMs || now - s.activeAt > this.opts.idleMs) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }
  create(user: SessionUser): string {
    const now = this.now();
    for (const id of [...this.sessions.keys()]) this.live(id); // sweep ended sessions
    const id = crypto.randomBytes(24).toString('base64url');
    this.sessions.set(id, { user, createdAt: now, activeAt: now, authAt: now });
    return id;
  }
  /** The session's user while it lives. Looking it up does not extend it (polling must not keep a session open). */
  get(id: string | undefined): SessionUser | undefined {
    return this.live(id)?.user;
  }
  /** The person used the keyboard or the pointer: the idle clock starts again. False when the session has ended. */
  activity(id: string | undefined): boolean {
    const s = this.live(id);
    if (s) s.activeAt = this.now();
    return Boolean(s);
  }
  /** The password was typed again (auth.reauth). */
  reauthenticated(id: string | undefined): void {
    const s = this.live(id);
    if (s) {
      s.authAt = this.now();
      s.activeAt = s.authAt;
    }
  }
  /** Whether the session's password was typed within reauthMs (admin changes need it). */
  authFresh(id: string | undefined): boolean {
    const s = this.live(id);
    return Boolean(s && this.now() - s.authAt <= this.opts.reauthMs);
  }
  drop(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }
  /** The live sessions with their users (ended ones are swept): who may be sent an event (main/api/audience.ts). */
  liveSessions(): { sessionId: string; user: SessionUser }[] {
    const out: { sessionId: string; user: SessionUser }[] = [];
    for (const id of [...this.sessions.keys()]) {
      const s = this.live(id);
      if (s) out.push({ sessionId: id, user: s.user });
    }
    return out;
  }
  dropUser(userId: number): void {
    for (const [id, s] of this.sessions) if (s.user.userId === userId) this.sessions.delete(id);
  }
}

/** Failures within this window count together (per user, per station). */
export const FAILURE_WINDOW_MS = 15 * 60_000;
/** From this many failures in the window an account waits LOCK_BASE_MS · 2^(failures − LOCK_AFTER). */
export const LOCK_AFTER = 5;
const LOCK_BASE_MS = 30_000;
/** At this many failures the account is locked until an administrator unlocks it. */
export const ADMIN_LOCK_AFTER = 10;
/** This console refuses logins for a while after this many failures in the window, for any names. */
export const STATION_FAILURES = 30;

export interface AuthOptions {
  /** the name this console writes into the audit of logins (default: the host name) */
  station?: string;
  /** tests move time */
  clock?: () => number;
  stationFailures?: number;
}

/** What the caller hears for a locked name, known or not. */
const lockedError = (until: number | null, now: number) =>
  new ApiError(
    'unauthenticated',
    until === null ? 'too many failed logins: this account is locked until an administrator unlocks it' : `too many failed logins: try again in ${Math.ceil((until - now) / 1000)} s`,
    { ...because('locked'), retryAfterS: until === null ? null : Math.ceil((until - now) / 1000) },
  );

/** The lock that `failures` consecutive failures earn at `now` (null: none; 'admin': until unlocked). */
function lockFor(failures: number, now: number): { until: number | null; admin: boolean } {
  if (failures >= ADMIN_LOCK_AFTER) return { until: null, admin: true };
  if (failures >= LOCK_AFTER) return { until: now + LOCK_BASE_MS * 2 ** (failures - LOCK_AFTER), admin: false };
  return { until: null, admin: false };
}

/** The audit's "who" for a login attempt: the typed name (cut to the column's 50), the user's id when known. */
const attempt = (username: string, userId?: number): SessionUser => ({ userId: userId as number, username: username.trim().slice(0, 50) || '?', fullName: null, role: 'viewer' });

const USER_SELECT = `
  select u.user_id as "userId", u.username, u.email, u.full_name as "fullName", u.is_active as "isActive",
         u.last_login_at as "lastLoginAt", u.created_at as "createdAt", u.failed_logins as "failedLogins",
         u.locked_until as "lockedUntil", u.locked_at as "lockedAt",
         (u.locked_at is not null or coalesce(u.locked_until > now(), false)) as locked,
         coalesce((select r.role_name from user_roles ur join roles r using (role_id) where ur.user_id = u.user_id
                   order by array_position(array['admin','manager','worker','viewer'], r.role_name::text) limit 1), 'viewer') as role
  from users u`;

/** How long a station accepts a cached credential while the database is away. */
export const OFFLINE_LOGIN_DAYS = 7;
/** The most an offline session may do: inspect and record actions (what needs the database says so). */
const OFFLINE_ROLE: Role = 'worker';

interface CachedCredential {
  userId: number;
  username: string;
  fullName: string | null;
  role: Role;
  hash: string;
  /** when the database last confirmed this password (ISO) */
  confirmedAt: string;
}

/**
 * The credentials of people who logged in on this station while the database answered (LINEDECK_HOME/cache/
 * credentials.json, readable by its owner only), so a worker can log in and inspect during an outage. An offline
 * session has at most the worker role, a credential older than OFFLINE_LOGIN_DAYS is not accepted, and a failed
 * online login (wrong password, deactivated account) removes the entry.
 */
export class CredentialCache {
  constructor(readonly file: string) {}

  private read(): Record<string, CachedCredential> {
    try {
      return JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch {
      return {};
    }
  }

  private write(all: Record<string, CachedCredential>): void {
    writeAtomic(this.file, JSON.stringify(all), { mode: 0o600 });
  }

  get(username: string): CachedCredential | undefined {
    return this.read()[username.trim().toLowerCase()];
  }

  put(c: CachedCredential): void {
    const all = this.read();
    all[c.username.toLowerCase()] = c;
    this.write(all);
  }

  /** The cached user names (lower case). */
  usernames(): string[] {
    return Object.keys(this.read());
  }

  forget(username: string): void {
    const all = this.read();
    if (delete all[username.trim().toLowerCase()]) this.write(all);
  }
}

interface LoginRow extends UserRow {
  password_hash: string;
  last_failed_at: Date | null;
}

export class AuthService {
  readonly sessions: SessionStore;
  private readonly station: string;
  private readonly clock: () => number;
  private readonly stationFailures: number;
  /** failures at this console (times), for the station budget */
  private stationLog: number[] = [];
  /** unknown names get the same answers as known ones: their failures are counted here */
  private unknown = new Map<string, { failures: number; lastAt: number; until: number | null }>();
  /** attempts for one name run one after another, so parallel guesses cannot overtake the lock */
  private chains = new Map<string, Promise<unknown>>();

  constructor(
    private pool: pg.Pool,
    sessions?: SessionStore,
    private readonly credentials?: CredentialCache,
    opts: AuthOptions = {},
  ) {
    this.clock = opts.clock ?? Date.now;
    this.sessions = sessions ?? new SessionStore({ clock: this.clock });
    this.station = opts.station ?? os.hostname();
    this.stationFailures = opts.stationFailures ?? STATION_FAILURES;
  }

  async userCount(): Promise<number> {
    const r = await this.pool.query<{ n: number }>('select count(*)::int as n from users');
    return r.rows[0].n;
  }

  /** First-run setup is offered while no active admin exists. */
  async activeAdminCount(): Promise<number> {
    const r = await this.pool.query<{ n: number }>(`select count(*)::int as n from (${USER_SELECT}) x where x.role = 'admin' and x."isActive"`);
    return r.rows[0].n;
  }

  async listUsers(): Promise<UserRow[]> {
    const r = await this.pool.query<UserRow>(`${USER_SELECT} order by u.username`);
    return r.rows;
  }

  /**
   * Creates a user; `actor` undefined means the first-run setup or the demo seed. `demoPassword` is the demo seed's
   * documented shared password, which the policy accepts for it only.
   */
  async createUser(input: NewUser, actor?: SessionUser, opts: { demoPassword?: string } = {}): Promise<UserRow> {
    checkPassword(input.password, input.username, { allowDemo: opts.demoPassword });
    const hash = await hashPassword(input.password);
    return withTransaction(this.pool, async (c) => {
      const dupe = await c.query('select username, email from users where lower(username) = lower($1) or lower(email) = lower($2)', [input.username, input.email]);
      if (dupe.rowCount) {
        const d = dupe.rows[0];
        throw d.username.toLowerCase() === input.username.toLowerCase()
          ? new ApiError('conflict', `user ${d.username} already exists`, because('username_taken', { username: d.username }))
          : new ApiError('conflict', `email ${d.email} is already used`, because('email_taken', { email: d.email }));
      }
      const r = await c.query<{ user_id: number }>(
        'insert into users (username, email, password_hash, full_name) values ($1, $2, $3, $4) returning user_id',
        [input.username, input.email, hash, input.fullName ?? null],
      );
      const userId = r.rows[0].user_id;
      await c.query('insert into user_roles (user_id, role_id, assigned_by) select $1, role_id, $3 from roles where role_name = $2', [userId, input.role, actor?.userId ?? null]);
      await writeAudit(c, actor, { action: 'admin.user.create', table: 'users', operation: 'INSERT', target: input.username, after: { username: input.username, email: input.email, role: input.role } });
      const u = await c.query<UserRow>(`${USER_SELECT} where u.user_id = $1`, [userId]);
      return u.rows[0];
    });
  }

  async updateUser(userId: number, patch: { role?: Role; isActive?: boolean; password?: string; fullName?: string }, actor: SessionUser): Promise<UserRow> {
    const out = await withTransaction(this.pool, async (c) => {
      const before = await c.query<UserRow>(`${USER_SELECT} where u.user_id = $1 for update of u`, [userId]);
      if (!before.rowCount) throw new ApiError('not_found', `no user with id ${userId}`, because('user_not_found', { userId }));
      const b = before.rows[0];
      if (patch.password) checkPassword(patch.password, b.username);
      const hash = patch.password ? await hashPassword(patch.password) : undefined;
      if (userId === actor.userId && ((patch.role && patch.role !== 'admin') || patch.isActive === false))
        throw new ApiError('conflict', 'you cannot remove your own admin role or deactivate yourself', because('own_admin'));
      if ((patch.role && patch.role !== 'admin') || patch.isActive === false) {
        const admins = await c.query<{ n: number }>(`select count(*)::int as n from (${USER_SELECT}) x where x.role = 'admin' and x."isActive" and x."userId" <> $1`, [userId]);
        if (b.role === 'admin' && admins.rows[0].n === 0) throw new ApiError('conflict', 'at least one active admin must remain', because('last_admin'));
      }
      await c.query(
        `update users set is_active = coalesce($2, is_active), password_hash = coalesce($3, password_hash),
           full_name = coalesce($4, full_name), updated_at = now() where user_id = $1`,
        [userId, patch.isActive ?? null, hash ?? null, patch.fullName ?? null],
      );
      if (patch.role) {
        await c.query('delete from user_roles where user_id = $1', [userId]);
        await c.query('insert into user_roles (user_id, role_id, assigned_by) select $1, role_id, $3 from roles where role_name = $2', [userId, patch.role, actor.userId]);
      }
      const after = (await c.query<UserRow>(`${USER_SELECT} where u.user_id = $1`, [userId])).rows[0];
      await writeAudit(c, actor, {
        action: 'admin.user.update',
        table: 'users',
        operation: 'UPDATE',
        target: b.username,
        before: { role: b.role, isActive: b.isActive, fullName: b.fullName },
        after: { role: after.role, isActive: after.isActive, fullName: after.fullName, passwordChanged: Boolean(hash) },
      });
      return after;
    });
    this.sessions.dropUser(userId);
    return out;
  }

  /** Lifts a login lock (temporary or until-unlocked) and forgets the failures; audited. */
  async unlockUser(userId: number, actor: SessionUser): Promise<UserRow> {
    return withTransaction(this.pool, async (c) => {
      const before = await c.query<UserRow>(`${USER_SELECT} where u.user_id = $1 for update of u`, [userId]);
      if (!before.rowCount) throw new ApiError('not_found', `no user with id ${userId}`, because('user_not_found', { userId }));
      const b = before.rows[0];
      await c.query('update users set failed_logins = 0, last_failed_at = null, locked_until = null, locked_at = null, updated_at = now() where user_id = $1', [userId]);
      await writeAudit(c, actor, {
        action: 'admin.user.unlock',
        table: 'users',
        operation: 'UPDATE',
        target: b.username,
        before: { failedLogins: b.failedLogins, lockedUntil: b.lockedUntil, lockedAt: b.lockedAt },
        after: { failedLogins: 0, lockedUntil: null, lockedAt: null },
      });
      return (await c.query<UserRow>(`${USER_SELECT} where u.user_id = $1`, [userId])).rows[0];
    });
  }

  /** One attempt per name at a time (on this console). */
  private serial<T>(username: string, fn: () => Promise<T>): Promise<T> {
    const key = username.trim().toLowerCase();
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return next;
  }

  private stationThrottle(now: number): number | null {
    this.stationLog = this.stationLog.filter((t) => now - t < FAILURE_WINDOW_MS);
    return this.stationLog.length >= this.stationFailures ? this.stationLog[this.stationLog.length - this.stationFailures] + FAILURE_WINDOW_MS : null;
  }

  private audit(who: SessionUser, action: string, after: Record<string, unknown>): Promise<void> {
    return writeAudit(this.pool, who, { action, table: 'users', operation: 'EXEC', target: who.username, after: { station: this.station, ...after } });
  }

  async login(username: string, password: string): Promise<{ sessionId: string; user: SessionUser }> {
    return this.serial(username, () => this.loginOnce(username, password));
  }

  private async loginOnce(username: string, password: string): Promise<{ sessionId: string; user: SessionUser }> {
    const now = this.clock();
    const name = username.trim();
    let r: pg.QueryResult<LoginRow>;
    try {
      r = await this.pool.query<LoginRow>(
        `select x.*, u.password_hash, u.last_failed_at from (${USER_SELECT}) x join users u on u.user_id = x."userId" where lower(x.username) = lower($1)`,
        [name],
      );
    } catch (e) {
      if (this.credentials && isUnavailable(e)) return this.offlineLogin(username, password, e);
      throw e;
    }
    const row = r.rows[0];
    const who = attempt(name, row?.userId);

    const throttledUntil = this.stationThrottle(now);
    if (throttledUntil !== null) {
      await this.audit(who, 'auth.login.throttled', { stationFailures: this.stationLog.length });
      const s = Math.ceil((throttledUntil - now) / 1000);
      throw new ApiError('unauthenticated', `too many failed logins at this station: try again in ${s} s`, { ...because('throttled'), retryAfterS: s });
    }

    // locked: refused without looking at the password
    const unknown = row ? undefined : this.unknown.get(name.toLowerCase());
    const adminLocked = row ? Boolean(row.lockedAt) : false;
    const until = row ? (row.lockedUntil ? new Date(row.lockedUntil).getTime() : null) : (unknown?.until ?? null);
    const unknownAdminLocked = unknown ? unknown.failures >= ADMIN_LOCK_AFTER && now - unknown.lastAt < 24 * 3600_000 : false;
    if (adminLocked || unknownAdminLocked || (until !== null && until > now)) {
      await this.audit(who, 'auth.login.locked', { failedLogins: row?.failedLogins ?? unknown?.failures ?? 0 });
      throw lockedError(adminLocked || unknownAdminLocked ? null : until, now);
    }

    // compare even when the user is unknown, so timing does not reveal which user names exist
    const ok = await verifyPassword(password, row?.password_hash ?? (await dummyHash()));
    if (!row || !ok || !row.isActive) this.credentials?.forget(username);
    if (!row || !ok) {
      this.stationLog.push(now);
      const failures = row ? await this.recordFailure(row.userId, now) : this.recordUnknownFailure(name, now);
      await this.audit(who, 'auth.login.failure', { failedLogins: failures });
      const lock = lockFor(failures, now);
      if (lock.admin || lock.until !== null) throw lockedError(lock.until, now);
      throw new ApiError('unauthenticated', 'wrong user name or password', because('wrong_login'));
    }
    if (!row.isActive) {
      await this.audit(who, 'auth.login.failure', { inactive: true });
      throw new ApiError('forbidden', 'this account is deactivated', because('account_deactivated'));
    }
    const rehash = needsRehash(row.password_hash) ? await hashPassword(password) : undefined;
    await this.pool.query(
      `update users set last_login_at = now(), failed_logins = 0, last_failed_at = null, locked_until = null,
         password_hash = coalesce($2, password_hash) where user_id = $1`,
      [row.userId, rehash ?? null],
    );
    await this.audit(who, 'auth.login', rehash ? { rehashed: row.password_hash.startsWith('scrypt$') ? 'scrypt' : 'bcrypt→scrypt' } : {});
    const user: SessionUser = { userId: row.userId, username: row.username, fullName: row.fullName, role: row.role };
    try {
      this.credentials?.put({ userId: row.userId, username: row.username, fullName: row.fullName, role: row.role, hash: rehash ?? row.password_hash, confirmedAt: new Date().toISOString() });
    } catch (e) {
      log('auth').warn({ err: (e as Error).message }, 'offline login cache not written');
    }
    return { sessionId: this.sessions.create(user), user };
  }

  /** Counts a wrong password on the user's row (failures older than the window start again) and sets the lock. */
  private async recordFailure(userId: number, now: number): Promise<number> {
    return withTransaction(this.pool, async (c) => {
      const cur = await c.query<{ failed_logins: number; last_failed_at: Date | null }>('select failed_logins, last_failed_at from users where user_id = $1 for update', [userId]);
      const prev = cur.rows[0];
      const fresh = prev.last_failed_at && now - prev.last_failed_at.getTime() < FAILURE_WINDOW_MS;
      const failures = (fresh ? prev.failed_logins : 0) + 1;
      const lock = lockFor(failures, now);
      await c.query(
        `update users set failed_logins = $2, last_failed_at = $3, locked_until = $4, locked_at = case when $5 then coalesce(locked_at, $3) else locked_at end
         where user_id = $1`,
        [userId, failures, new Date(now), lock.until === null ? null : new Date(lock.until), lock.admin],
      );
      return failures;
    });
  }

  private recordUnknownFailure(name: string, now: number): number {
    const key = name.toLowerCase();
    const prev = this.unknown.get(key);
    const failures = (prev && now - prev.lastAt < FAILURE_WINDOW_MS ? prev.failures : 0) + 1;
    this.unknown.set(key, { failures, lastAt: now, until: lockFor(failures, now).until });
    if (this.unknown.size > 10_000) this.unknown.delete(this.unknown.keys().next().value!);
    return failures;
  }

  /**
   * The password again for a live session (admin changes need one typed within the last 10 minutes). A wrong one
   * counts as a failed login (and can lock the account).
   */
  async reauth(sessionId: string | undefined, password: string): Promise<{ ok: true }> {
    const user = this.sessions.get(sessionId);
    if (!user) throw new ApiError('unauthenticated', 'log in first', because('login_required'));
    const r = await this.pool.query<LoginRow>(`select x.*, u.password_hash, u.last_failed_at from (${USER_SELECT}) x join users u on u.user_id = x."userId" where x."userId" = $1`, [user.userId]);
    const row = r.rows[0];
    const now = this.clock();
    const who = attempt(user.username, user.userId);
    if (!row || !row.isActive) {
      this.sessions.drop(sessionId);
      throw new ApiError('unauthenticated', 'log in first', because('login_required'));
    }
    if (row.lockedAt || (row.lockedUntil && new Date(row.lockedUntil).getTime() > now)) {
      await this.audit(who, 'auth.reauth.locked', {});
      throw lockedError(row.lockedAt ? null : new Date(row.lockedUntil!).getTime(), now);
    }
    if (!(await verifyPassword(password, row.password_hash))) {
      const failures = await this.recordFailure(row.userId, now);
      await this.audit(who, 'auth.reauth.failure', { failedLogins: failures });
      throw new ApiError('validation', 'wrong password', { password: ['wrong password'], ...because('wrong_password') });
    }
    await this.pool.query('update users set failed_logins = 0, last_failed_at = null, locked_until = null where user_id = $1', [row.userId]);
    await this.audit(who, 'auth.reauth', {});
    this.sessions.reauthenticated(sessionId);
    return { ok: true };
  }

  /**
   * Drops cached credentials the database no longer confirms — a deactivated or locked account, a changed password,
   * a removed user — so an outage cannot be used to log in with what another station changed. The station calls it
   * after its start and every few minutes while the database answers; returns how many were dropped.
   */
  async refreshCredentialCache(): Promise<number> {
    const cache = this.credentials;
    if (!cache) return 0;
    const names = cache.usernames();
    if (!names.length) return 0;
    const r = await this.pool.query<{ username: string; ok: boolean; password_hash: string }>(
      `select lower(username) as username, is_active and locked_at is null and (locked_until is null or locked_until < now()) as ok, password_hash
         from users where lower(username) = any($1::text[])`,
      [names],
    );
    const live = new Map(r.rows.map((x) => [x.username, x]));
    let dropped = 0;
    for (const n of names) {
      const row = live.get(n);
      const cached = cache.get(n);
      if (!row || !row.ok || !cached || cached.hash !== row.password_hash) {
        cache.forget(n);
        dropped++;
      }
    }
    return dropped;
  }

  /** The database is away: a credential this station saw confirmed within OFFLINE_LOGIN_DAYS, as at most a worker. */
  private async offlineLogin(username: string, password: string, cause: unknown): Promise<{ sessionId: string; user: SessionUser }> {
    const now = this.clock();
    // no lock on the users row can be read now: the station budget still bounds guessing at this keyboard
    if (this.stationThrottle(now) !== null) throw new ApiError('unauthenticated', 'too many failed logins at this station: try again later', because('throttled'));
    const c = this.credentials!.get(username);
    const fresh = c && Date.now() - Date.parse(c.confirmedAt) < OFFLINE_LOGIN_DAYS * 86_400_000;
    // the cache holds the database's hash: scrypt, or bcrypt for a credential cached before the change
    const ok = await verifyPassword(password, fresh ? c.hash : await dummyHash());
    if (!c || !fresh || !ok) {
      this.stationLog.push(now);
      log('auth').warn({ username: username.trim().slice(0, 50) }, 'offline login refused (database away)');
      // not something this station can confirm without the database: say that, not "wrong password"
      throw new ApiError('unavailable', `the database is not reachable (${(cause as Error).message}); only people who logged in on this station in the last ${OFFLINE_LOGIN_DAYS} days can log in now`, because('offline_login_unknown', { days: OFFLINE_LOGIN_DAYS }));
    }
    const role = ROLES.indexOf(c.role) > ROLES.indexOf(OFFLINE_ROLE) ? OFFLINE_ROLE : c.role;
    const user: SessionUser = { userId: c.userId, username: c.username, fullName: c.fullName, role, offline: true };
    log('auth').warn({ username: c.username, role }, 'offline login (database away)');
    return { sessionId: this.sessions.create(user), user };
  }
}
