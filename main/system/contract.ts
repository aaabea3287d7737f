/** Procedures of the shell: session, first-run setup, health, users, data sources, audit log, jobs. */
import { z } from 'zod';
import { proc, ROLES, type ProcedureTable, type SessionUser } from '../api/kit';
import type { JobProgress } from '../api/events';
import type { AuditRow, DataSourcesView, HealthReport, UserRow } from './types';

const newUser = z.object({
  username: z.string(),
  email: z.string(),
  fullName: z.string().optional(),
  password: z.string(),
  role: z.enum(ROLES),
});

export const systemProcedures = {
  'auth.status': proc<{ needsSetup: boolean; user: SessionUser | null; demo: boolean; setupCode: string | null }>()({
    role: 'public',
    input: z.object({}),
    summary: 'whether the station needs its first admin (and, in demo mode only, its setup code), and who is logged in',
  }),
  'auth.setup': proc<{ user: SessionUser; sessionId: string }>()({
    role: 'public',
    input: newUser.omit({ role: true }).extend({ setupCode: z.string().trim().max(40).optional() }),
    summary: 'first run only: creates the first admin (with the station’s one-time setup code: `linedeck setup-code`) and logs in',
  }),
  'auth.login': proc<{ user: SessionUser; sessionId: string }>()({
    role: 'public',
    input: z.object({ username: z.string().min(1, 'enter your user name'), password: z.string().min(1, 'enter your password') }),
    summary: 'log in',
  }),
  'auth.activity': proc<{ ok: boolean }>()({
    role: 'viewer',
    input: z.object({}),
    summary: 'the person used the keyboard or pointer (the renderer sends this at most once a minute): keeps the session from its idle lock; polling does not',
  }),
  'auth.reauth': proc<{ ok: true }>()({
    role: 'viewer',
    input: z.object({ password: z.string().min(1, 'enter your password').max(200) }),
    summary: 'type the password again: admin changes need one typed within the last 10 minutes',
  }),
  'auth.logout': proc<{ ok: true }>()({ role: 'public', input: z.object({}), summary: 'log out' }),
  'system.health': proc<HealthReport>()({ role: 'public', input: z.object({}), summary: 'database reachability per source' }),
  'admin.users.list': proc<UserRow[]>()({ role: 'admin', input: z.object({}), summary: 'all users with their role' }),
  'admin.users.create': proc<UserRow>()({ role: 'admin', input: newUser, summary: 'create a user' }),
  'admin.users.update': proc<UserRow>()({
    role: 'admin',
    input: z.object({
      userId: z.number().int().positive(),
      role: z.enum(ROLES).optional(),
      isActive: z.boolean().optional(),
      password: z.string().optional(),
      fullName: z.string().max(100).optional(),
    }),
    summary: 'change a user’s role, activity, name or password',
  }),
  'admin.users.unlock': proc<UserRow>()({
    role: 'admin',
    input: z.object({ userId: z.number().int().positive() }),
    summary: 'lift a login lock (after repeated wrong passwords) and forget the failures; audited',
  }),
  'admin.audit.list': proc<{ rows: AuditRow[]; total: number }>()({
    role: 'manager',
    input: z.object({
      action: z.string().max(100).optional(),
      username: z.string().max(50).optional(),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
      limit: z.number().int().min(1).max(1000).default(200),
      offset: z.number().int().min(0).default(0),
    }),
    summary: 'the audit log, newest first',
  }),
  'admin.datasources.get': proc<DataSourcesView>()({ role: 'admin', input: z.object({}), summary: 'configured databases and their health' }),
  'admin.datasources.set': proc<DataSourcesView & { restartNeeded: boolean }>()({
    role: 'admin',
    input: z.object({
      databaseUrl: z.string().trim().nullable().optional(),
      sources: z.partialRecord(z.enum(['cylinders', 'telemetry', 'inspection']), z.string().trim().nullable()).optional(),
    }),
    summary: 'set database URLs (tested before saving; takes effect after a restart)',
  }),
  'jobs.list': proc<JobProgress[]>()({ role: 'viewer', input: z.object({}), summary: 'running jobs' }),
  // bank builds, resyncs and refreshes are managers' work: a worker does not cancel them (issue "Security" item 8)
  'jobs.cancel': proc<{ cancelled: boolean }>()({ role: 'manager', input: z.object({ jobId: z.string() }), summary: 'cancel a running job' }),
} satisfies ProcedureTable;
