/**
 * Who may be sent which event (issue #17 item 8): an event goes only to a live, logged-in session whose role may
 * read what the event tells, i.e. the role of the procedure that returns the same data (EVENT_READS, checked by
 * main/security/events.test.ts). A window or WebSocket without a session (logged out, expired, or a client that
 * holds only the host token) gets nothing. Events not in the table are never sent.
 *
 * The browser host asks `eventFor` per WebSocket client; the desktop app's backend process sends each event to
 * Electron main with `eventAudience`'s session ids, and Electron main delivers it only to the windows holding one of
 * them (`deliverToWindow` in main/backend/relay.ts).
 */
import { publicSources } from '../system/health';
import { contract, type ProcedureName } from './contract';
import type { ApiEvents, EventName } from './events';
import { ROLES, roleAtLeast, type Role, type SessionUser } from './kit';

/**
 * The procedure whose role decides who receives each event (a new event needs its line: the typecheck says so).
 * `null`: the desktop shell's own status, which carries no data, goes to every window (the login screen shows it;
 * deliverToWindow) and is never sent from the bus.
 */
const READS = {
  'backend.status': null,
  'db.status': 'system.health',
  'job.progress': 'jobs.list',
  'telemetry.appended': 'telemetry.latest',
  'inspection.completed': 'inspection.inspections.list',
  'inspection.stored': 'inspection.inspections.list',
  'inspection.drawn': 'inspection.inspections.list',
  'inspection.queue': 'inspection.queue.get',
  'outbox.depth': 'inspection.outbox.get',
} as const;
// every event has its line (checked by assignment, not `satisfies`: a line may come before its event's declaration)
export const EVENT_READS: Readonly<Record<EventName, ProcedureName | null>> = READS;

/**
 * What an event says to every receiver, whatever the role: `db.status` without the drivers' error texts (they
 * name hosts and users); a manager gets the details from system.health.
 */
const SHAPE: { [E in EventName]?: (p: ApiEvents[E]) => ApiEvents[E] } = {
  'db.status': (p) => ({ ...p, sources: publicSources(p.sources) }),
};

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** The least role that receives `name` from the bus; undefined: never sent (an unknown event, the shell's own status). */
export function eventRole(name: string): Role | undefined {
  if (!own(EVENT_READS, name)) return undefined;
  const read = EVENT_READS[name as EventName];
  if (read === null) return undefined;
  const role = contract[read].role;
  // a public procedure's data still needs a session to arrive by event
  return role === 'public' ? ROLES[0] : role;
}

/** Whether a session with `user` (undefined: none, or ended) may be sent `name`. */
export function mayReceive(user: SessionUser | undefined, name: string): boolean {
  const role = eventRole(name);
  return role !== undefined && user !== undefined && roleAtLeast(user.role, role);
}

/** The payload as every receiver gets it (SHAPE). */
export function shapeEvent(name: string, payload: unknown): unknown {
  const shape = own(SHAPE, name) ? (SHAPE[name as EventName] as ((p: unknown) => unknown) | undefined) : undefined;
  return shape ? shape(payload) : payload;
}

/** The payload to send to a session with `user` (undefined: none or ended), or undefined: send nothing. */
export function eventFor(user: SessionUser | undefined, name: string, payload: unknown): { payload: unknown } | undefined {
  return mayReceive(user, name) ? { payload: shapeEvent(name, payload) } : undefined;
}

/** The payload and the live sessions that may receive it; undefined for an event that is never sent. */
export function eventAudience(
  sessions: { liveSessions(): { sessionId: string; user: SessionUser }[] },
  name: string,
  payload: unknown,
): { payload: unknown; sessionIds: string[] } | undefined {
  if (eventRole(name) === undefined) return undefined;
  return { payload: shapeEvent(name, payload), sessionIds: sessions.liveSessions().filter((s) => mayReceive(s.user, name)).map((s) => s.sessionId) };
}
