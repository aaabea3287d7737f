/**
 * Actions and feedback on an inspection (store and forward): written at once when the database takes them; queued
 * in the station's outbox behind the inspection when that inspection still waits there (the worker acts on a
 * verdict shown as "waiting to upload") or when the database is away. A queued one is written by the forwarder
 * after the inspection, in order, at the station's time, once (its UUID is unique in the database).
 */
import crypto from 'node:crypto';
import { ApiError, type SessionUser } from '../api/kit';
import { because } from '../api/reasons';
import { isUnavailable } from '../db/pools';
import type { JournalEntry } from '../lib/journal';
import type { NewAction, NewFeedback } from './contract';
import type { Outbox } from './outbox';
import * as queries from './queries';
import type { InspectionService } from './service';
import type { ActionRow, FeedbackRow, QueuedFollowUp } from './types';

type Target = { inspectionId?: number; clientUuid?: string };

interface FollowUpEntry {
  target: Target;
  input: Omit<NewAction, 'inspectionId' | 'clientUuid'> | Omit<NewFeedback, 'inspectionId' | 'clientUuid'>;
  actor: SessionUser | null;
  /** the station's time of the follow-up */
  at: string;
}

export class FollowUps {
  constructor(
    private readonly svc: InspectionService,
    private readonly outbox: Outbox,
  ) {
    outbox.handle('action', (e) => this.forward('action', e));
    outbox.handle('feedback', (e) => this.forward('feedback', e));
  }

  action(input: NewAction, actor?: SessionUser): Promise<ActionRow | QueuedFollowUp> {
    const { inspectionId, clientUuid, ...rest } = input;
    return this.write('action', { inspectionId, clientUuid }, rest, actor, (id, journaled) => this.svc.addAction({ ...rest, inspectionId: id }, actor, journaled));
  }

  feedback(input: NewFeedback, actor?: SessionUser): Promise<FeedbackRow | QueuedFollowUp> {
    const { inspectionId, clientUuid, ...rest } = input;
    return this.write('feedback', { inspectionId, clientUuid }, rest, actor, (id, journaled) => this.svc.addFeedback({ ...rest, inspectionId: id }, actor, journaled));
  }

  private async write<R>(
    kind: 'action' | 'feedback',
    target: Target,
    input: FollowUpEntry['input'],
    actor: SessionUser | undefined,
    now: (inspectionId: number, journaled: { clientUuid: string; at: string }) => Promise<R>,
  ): Promise<R | QueuedFollowUp> {
    // one UUID and time for the direct write and, if that cannot be confirmed, the queued one: a commit whose reply
    // was lost is not written a second time
    const id = crypto.randomUUID();
    const at = new Date().toISOString();
    const queue = async (): Promise<QueuedFollowUp> => {
      const data: FollowUpEntry = { target, input, actor: actor ?? null, at };
      await this.outbox.append(kind, id, data);
      return { queued: true, clientUuid: id };
    };
    // behind its inspection, which still waits in this station's outbox
    if (target.clientUuid && this.outbox.has(target.clientUuid)) return queue();
    try {
      const inspectionId = await this.resolve(target);
      if (inspectionId == null) throw new ApiError('not_found', `no inspection ${target.clientUuid}`, because('inspection_not_found', { inspection: String(target.clientUuid) }));
      return await now(inspectionId, { clientUuid: id, at });
    } catch (e) {
      if (isUnavailable(e)) return queue();
      throw e;
    }
  }

  private async resolve(target: Target): Promise<number | null> {
    if (target.inspectionId != null) return target.inspectionId;
    return (await queries.inspectionByClientUuid(this.svc.read, target.clientUuid!))?.inspection_id ?? null;
  }

  /** The forwarder's handler: idempotent by the entry's UUID. */
  private async forward(kind: 'action' | 'feedback', entry: JournalEntry): Promise<{ clientUuid: string }> {
    const d = entry.data as FollowUpEntry;
    if (await queries.followUpWritten(this.svc.read, kind, entry.id)) return { clientUuid: entry.id };
    const inspectionId = await this.resolve(d.target);
    if (inspectionId == null) throw new ApiError('not_found', `the ${kind} ${entry.id} follows inspection ${d.target.clientUuid}, which is not in the database`);
    const journaled = { clientUuid: entry.id, at: d.at };
    const actor = d.actor ?? undefined;
    if (kind === 'action') await this.svc.addAction({ ...(d.input as Omit<NewAction, 'inspectionId' | 'clientUuid'>), inspectionId }, actor, journaled);
    else await this.svc.addFeedback({ ...(d.input as Omit<NewFeedback, 'inspectionId' | 'clientUuid'>), inspectionId }, actor, journaled);
    return { clientUuid: entry.id };
  }
}
