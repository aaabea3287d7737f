/**
 * Users, roles and sessions. Passwords are bcrypt hashes (bcryptjs: the design's bcrypt, no native build).
 * Sessions live in main's memory only: a window or browser tab holds an opaque id, never credentials.
 * Users are stored in the console database (the `inspection` source, where the design puts them).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import type pg from 'pg';
import { z } from 'zod';
import { ApiError, ROLES, type Role, type SessionUser } from '../api/kit';
import { writeAudit } from '../audit/audit';
import { isUnavailable, withTransaction } from '../db/pools';
import { log } from '../log';
import type { UserRow } from './types';

const BCRYPT_ROUNDS = 10;
const IDLE_MS = 12 * 3600_000;

export const passwordSchema = z.string().min(8, 'at least 8 characters').max(200);
export const usernameSchema = z
  .string()
  .trim()
  .min(3, 'at least 3 characters')
  .max(50)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash and underscore only');
export const newUserSchema = z.object({
  username: usernameSchema,
  email: z.email(),
  fullName: z.string().trim().max(100).optional(),
  password: passwordSchema,
  role: z.enum(ROLES),
});
export type NewUser = z.infer<typeof newUserSchema>;

export class SessionStore {
  private sessions = new Map<string, { user: SessionUser; seen: number }>();
  create(user: SessionUser): string {
    const id = crypto.randomBytes(24).toString('base64url');
    this.sessions.set(id, { user, seen: Date.now() });
    return id;
  }
  get(id: string | undefined): SessionUser | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (Date.now() - s.seen > IDLE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    s.seen = Date.now();
    return s.user;
  }
  drop(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }
  dropUser(userId: number): void {
    for (const [id, s] of this.sessions) if (s.user.userId === userId) this.sessions.delete(id);
  }
}

const USER_SELECT = `
  select u.user_id as "userId", u.username, u.email, u.full_name as "fullName", u.is_active as "isActive",
         u.last_login_at as "lastLoginAt", u.created_at as "createdAt",
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
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(all), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  get(username: string): CachedCredential | undefined {
    return this.read()[username.trim().toLowerCase()];
  }

  put(c: CachedCredential): void {
    const all = this.read();
    all[c.username.toLowerCase()] = c;
    this.write(all);
  }

  forget(username: string): void {
    const all = this.read();
    if (delete all[username.trim().toLowerCase()]) this.write(all);
  }
}

export class AuthService {
  constructor(
    private pool: pg.Pool,
    readonly sessions = new SessionStore(),
    private readonly credentials?: CredentialCache,
  ) {}

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

  /** Creates a user; `actor` undefined means the first-run setup or the demo seed. */
  async createUser(input: NewUser, actor?: SessionUser): Promise<UserRow> {
    const hash = await bcrypt.hash(input.password, BCRYPT_ROUNDS);
    return withTransaction(this.pool, async (c) => {
      const dupe = await c.query('select username, email from users where lower(username) = lower($1) or lower(email) = lower($2)', [input.username, input.email]);
      if (dupe.rowCount) {
        const d = dupe.rows[0];
        throw new ApiError('conflict', d.username.toLowerCase() === input.username.toLowerCase() ? `user ${d.username} already exists` : `email ${d.email} is already used`);
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
    const hash = patch.password ? await bcrypt.hash(patch.password, BCRYPT_ROUNDS) : undefined;
    const out = await withTransaction(this.pool, async (c) => {
      const before = await c.query<UserRow>(`${USER_SELECT} where u.user_id = $1 for update of u`, [userId]);
      if (!before.rowCount) throw new ApiError('not_found', `no user with id ${userId}`);
      const b = before.rows[0];
      if (userId === actor.userId && ((patch.role && patch.role !== 'admin') || patch.isActive === false))
        throw new ApiError('conflict', 'you cannot remove your own admin role or deactivate yourself');
      if ((patch.role && patch.role !== 'admin') || patch.isActive === false) {
        const admins = await c.query<{ n: number }>(`select count(*)::int as n from (${USER_SELECT}) x where x.role = 'admin' and x."isActive" and x."userId" <> $1`, [userId]);
        if (b.role === 'admin' && admins.rows[0].n === 0) throw new ApiError('conflict', 'at least one active admin must remain');
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

  async login(username: string, password: string): Promise<{ sessionId: string; user: SessionUser }> {
    let r: pg.QueryResult<UserRow & { password_hash: string }>;
    try {
      r = await this.pool.query<UserRow & { password_hash: string }>(
        `select x.*, u.password_hash from (${USER_SELECT}) x join users u on u.user_id = x."userId" where lower(x.username) = lower($1)`,
        [username.trim()],
      );
    } catch (e) {
      if (this.credentials && isUnavailable(e)) return this.offlineLogin(username, password, e);
      throw e;
    }
    const row = r.rows[0];
    // compare even when the user is unknown, so timing does not reveal which user names exist
    const ok = await bcrypt.compare(password, row?.password_hash ?? '$2b$10$invalidinvalidinvalidinvalidinvalidinvalidinvalidinva');
    if (!row || !ok || !row.isActive) this.credentials?.forget(username);
    if (!row || !ok) throw new ApiError('unauthenticated', 'wrong user name or password');
    if (!row.isActive) throw new ApiError('forbidden', 'this account is deactivated');
    await this.pool.query('update users set last_login_at = now() where user_id = $1', [row.userId]);
    const user: SessionUser = { userId: row.userId, username: row.username, fullName: row.fullName, role: row.role };
    try {
      this.credentials?.put({ userId: row.userId, username: row.username, fullName: row.fullName, role: row.role, hash: row.password_hash, confirmedAt: new Date().toISOString() });
    } catch (e) {
      log('auth').warn({ err: (e as Error).message }, 'offline login cache not written');
    }
    return { sessionId: this.sessions.create(user), user };
  }

  /** The database is away: a credential this station saw confirmed within OFFLINE_LOGIN_DAYS, as at most a worker. */
  private async offlineLogin(username: string, password: string, cause: unknown): Promise<{ sessionId: string; user: SessionUser }> {
    const c = this.credentials!.get(username);
    const fresh = c && Date.now() - Date.parse(c.confirmedAt) < OFFLINE_LOGIN_DAYS * 86_400_000;
    const ok = await bcrypt.compare(password, fresh ? c.hash : '$2b$10$invalidinvalidinvalidinvalidinvalidinvalidinvalidinva');
    if (!c || !fresh || !ok) {
      // not something this station can confirm without the database: say that, not "wrong password"
      throw new ApiError('unavailable', `the database is not reachable (${(cause as Error).message}); only people who logged in on this station in the last ${OFFLINE_LOGIN_DAYS} days can log in now`);
    }
    const role = ROLES.indexOf(c.role) > ROLES.indexOf(OFFLINE_ROLE) ? OFFLINE_ROLE : c.role;
    const user: SessionUser = { userId: c.userId, username: c.username, fullName: c.fullName, role, offline: true };
    log('auth').warn({ username: c.username, role }, 'offline login (database away)');
    return { sessionId: this.sessions.create(user), user };
  }
}
