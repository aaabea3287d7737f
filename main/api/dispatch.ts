/**
 * The one place a procedure call is executed, whatever the transport: look up the procedure, check the session
 * and role, validate the input with zod, run the handler, and turn every outcome into an Envelope.
 */
import { z } from 'zod';
import { describePgError, isUnavailable } from '../db/pools';
import { log } from '../log';
import { ApiError, type ApiErrorBody, type Envelope, type ProcedureTable, type SessionUser, roleAtLeast, type ParsedInputOf, type OutputOf } from './kit';
import { because } from './reasons';

export interface CallContext {
  transport: 'ipc' | 'http' | 'cli' | 'test';
  /** opaque session id held by the transport (IPC: per window; HTTP: per browser tab) */
  sessionId?: string;
  /** resolved from sessionId by the dispatcher */
  user?: SessionUser;
  signal?: AbortSignal;
}

export type Handler<P> = (input: ParsedInputOf<P>, ctx: CallContext & { user: SessionUser | undefined }) => Promise<OutputOf<P>>;
export type HandlerTable<T extends ProcedureTable> = { [K in keyof T]: Handler<T[K]> };

export interface SessionLookup {
  get(sessionId: string | undefined): SessionUser | undefined;
  /** whether the session's password was typed recently enough for an admin change (absent: always) */
  authFresh?(sessionId: string | undefined): boolean;
}

/**
 * Admin procedures that change things need a password typed within the last minutes (issue #17 item 5): every
 * procedure with the admin role except those that only read (`….list`, `….get`).
 */
export const needsReauth = (name: string, role: string) => role === 'admin' && !/\.(list|get)$/.test(name);

/** Database URLs' passwords in a message (`postgresql://user:secret@host` → `postgresql://user:***@host`). */
export function redactSecrets(text: string): string {
  return text.replace(/(postgres(?:ql)?:\/\/[^:@/\s]*:)[^@\s]*@/gi, '$1***@');
}

/** Maps any thrown value to the closed set of error kinds; a database URL's password never leaves in a message. */
export function toErrorBody(e: unknown): ApiErrorBody {
  const body = errorBody(e);
  return { ...body, message: redactSecrets(body.message) };
}

function errorBody(e: unknown): ApiErrorBody {
  if (e instanceof ApiError) return { kind: e.kind, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) };
  if (e instanceof z.ZodError) {
    // field → messages as before (forms read it), plus the first issue as a reason a screen can say: which field, what
    // is wrong with it (zod's issue code); `fields` holds the map again for an input with a field named reason/params
    const fields = z.flattenError(e).fieldErrors as Record<string, string[]>;
    const first = e.issues[0];
    const field = first?.path.map(String).join('.') || '(input)';
    return { kind: 'validation', message: z.prettifyError(e), details: { ...fields, fields, ...because('invalid_input', { field, code: first?.code ?? 'custom' }) } };
  }
  const code = (e as { code?: string })?.code;
  if (isUnavailable(e)) return { kind: 'unavailable', message: describePgError(e) };
  if (code === '57014') return { kind: 'timeout', message: describePgError(e) };
  if (code === '23505') return { kind: 'conflict', message: (e as { detail?: string }).detail ?? (e as Error).message };
  if (code === '23503') return { kind: 'conflict', message: (e as { detail?: string }).detail ?? (e as Error).message };
  if (code === '23514' || code === '23502' || code?.startsWith('22')) return { kind: 'validation', message: (e as Error).message };
  if ((e as Error)?.name === 'AbortError') return { kind: 'cancelled', message: 'cancelled' };
  return { kind: 'internal', message: (e as Error)?.message ?? String(e) };
}

export function createDispatcher<T extends ProcedureTable>(contract: T, handlers: HandlerTable<T>, sessions: SessionLookup) {
  const logger = log('api');
  for (const name of Object.keys(contract)) if (typeof handlers[name] !== 'function') throw new Error(`procedure ${name} has no handler`);

  return async function call(name: string, rawInput: unknown, ctx: CallContext): Promise<Envelope<unknown>> {
    const spec = Object.prototype.hasOwnProperty.call(contract, name) ? contract[name] : undefined;
    if (!spec) return { ok: false, error: { kind: 'not_found', message: `unknown procedure: ${name}`, details: because('unknown_procedure', { procedure: name }) } };
    const user = ctx.transport === 'cli' ? ctx.user : sessions.get(ctx.sessionId);
    if (spec.role !== 'public') {
      if (!user) return { ok: false, error: { kind: 'unauthenticated', message: 'log in first', details: because('login_required') } };
      if (!roleAtLeast(user.role, spec.role))
        return { ok: false, error: { kind: 'forbidden', message: `${name} needs the ${spec.role} role (you are ${user.role})`, details: because('role_required', { procedure: name, role: spec.role, have: user.role }) } };
      // the command line runs as the machine's administrator; windows and tabs type the password again
      if (ctx.transport !== 'cli' && needsReauth(name, spec.role) && sessions.authFresh && !sessions.authFresh(ctx.sessionId))
        return { ok: false, error: { kind: 'unauthenticated', message: 'enter your password again to make this change', details: because('reauth') } };
    }
    const parsed = spec.input.safeParse(rawInput ?? {});
    if (!parsed.success) return { ok: false, error: toErrorBody(parsed.error) };
    const t0 = performance.now();
    try {
      const value = await handlers[name](parsed.data as never, { ...ctx, user });
      logger.debug({ name, ms: Math.round(performance.now() - t0) }, 'call');
      return { ok: true, value };
    } catch (e) {
      const error = toErrorBody(e);
      if (error.kind === 'internal') logger.error({ name, err: redactSecrets((e as Error)?.stack ?? String(e)) }, 'procedure failed');
      else logger.info({ name, kind: error.kind, message: error.message }, 'procedure refused');
      return { ok: false, error };
    }
  };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;
