/**
 * The audit log (design §9.2): who changed what, before and after. Written with the same client as the change,
 * inside its transaction, so a change without its audit row cannot exist.
 */
import type pg from 'pg';
import type { SessionUser } from '../api/kit';

export interface AuditEntry {
  /** dotted action name, e.g. `cylinders.exception.create` */
  action: string;
  table?: string;
  operation?: 'INSERT' | 'UPDATE' | 'DELETE' | 'EXEC';
  target?: string;
  before?: unknown;
  after?: unknown;
}

export async function writeAudit(client: pg.ClientBase | pg.Pool, user: SessionUser | undefined, e: AuditEntry): Promise<void> {
  await client.query(
    `insert into audit_logs (table_name, operation, user_id, username, action, target, old_data, new_data)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      e.table ?? null,
      e.operation ?? null,
      user?.userId ?? null,
      user?.username ?? 'system',
      e.action,
      e.target ?? null,
      e.before === undefined ? null : JSON.stringify(e.before),
      e.after === undefined ? null : JSON.stringify(e.after),
    ],
  );
}
