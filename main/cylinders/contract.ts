/**
 * Procedures of the cylinders workspace. Names are `cylinders.<noun>[.<verb>]`; see main/api/kit.ts for proc().
 * Reads are open to viewers; resyncs and policy changes need a manager. Every policy change returns its effect
 * (how many cylinders changed, EndUser moves) and is written to audit_logs in the same transaction.
 *
 * `cylinders.sync` starts a job (progress and the result arrive as `job.progress` events) and returns
 * `{ jobId }` at once; with `wait: true` it also waits and returns `{ jobId, result }`.
 */
import { z } from 'zod';
import { proc, type ProcedureTable } from '../api/kit';
import {
  LIST_SORTS,
  SUMMARY_SORTS,
  type CylinderDetail,
  type DefaultRuleRow,
  type ExceptionRow,
  type ExportResult,
  type FilterOptions,
  type Freshness,
  type ListResult,
  type PolicyEffect,
  type SummaryResult,
  type SyncResult,
  type ValveGroupRow,
  type ValveSpecOption,
} from './types';

/**
 * A filter value: one string or several. A lone empty string means "no filter" (a form's "all"); inside an array an
 * empty string is a value like any other, so rows whose gas or location is '' (unknown item, no status row yet)
 * can be selected, e.g. when drilling down from a summary row.
 */
const many = (max: number) =>
  z
    .union([z.string().max(max), z.array(z.string().max(max)).max(500)])
    .optional()
    .transform((v) => (v === undefined ? undefined : Array.isArray(v) ? v.map((s) => s.trim()) : v.trim() === '' ? [] : [v.trim()]))
    .transform((v) => (v && v.length ? v : undefined));

const capacityValue = z.string().trim().regex(/^\d{1,12}(\.\d{1,6})?$/, 'capacity must be a number like 47 or 47.0');

export const cylinderFiltersSchema = z.object({
  gas: many(100),
  status: many(20),
  enduser: many(50),
  location: many(100),
  capacity: z
    .union([capacityValue, z.array(capacityValue).max(100)])
    .optional()
    .transform((v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v])),
  valve: many(200),
  cylinderSpec: many(200),
  availableOnly: z.boolean().optional(),
  typeKey: z
    .union([z.string().regex(/^[0-9a-f]{32}$/, 'a cylinder type key is 32 hex digits'), z.array(z.string().regex(/^[0-9a-f]{32}$/)).max(500)])
    .optional()
    .transform((v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v])),
});

export const summaryQuerySchema = cylinderFiltersSchema.extend({
  sort: z.enum(SUMMARY_SORTS).optional(),
  dir: z.enum(['asc', 'desc']).default('asc'),
});

export const listQuerySchema = cylinderFiltersSchema.extend({
  search: z.string().trim().max(20, 'a cylinder number has at most 20 characters').optional(),
  sort: z.enum(LIST_SORTS).default('cylinderNo'),
  dir: z.enum(['asc', 'desc']).default('asc'),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(1000).default(100),
});

const defaultRuleSchema = z.object({
  id: z.number().int().positive().optional(),
  gasName: z.string().trim().min(1, 'gas name is required').max(100),
  capacity: z.union([capacityValue, z.literal('')]).nullable().optional(),
  valveSpecCode: z.string().trim().max(50).nullable().optional(),
  cylinderSpecCode: z.string().trim().max(50).nullable().optional(),
  defaultEnduser: z.string().trim().min(1, 'EndUser is required').max(50),
  isActive: z.boolean().optional(),
});

const id = z.number().int().positive();

export const cylindersProcedures = {
  'cylinders.summary': proc<SummaryResult>()({
    role: 'viewer',
    input: summaryQuerySchema,
    summary: 'inventory by cylinder type, status and location (design §4.3), with totals; optionally sorted by one column',
  }),
  'cylinders.list': proc<ListResult>()({
    role: 'viewer',
    input: listQuerySchema,
    summary: 'individual cylinders: filters, cylinder-number prefix, sort, page, total',
  }),
  'cylinders.detail': proc<CylinderDetail>()({
    role: 'viewer',
    input: z.object({ cylinderNo: z.string().trim().min(1, 'enter a cylinder number').max(20) }),
    summary: 'one cylinder: FCMS raw values beside dashboard values, and the rule that decided each difference',
  }),
  'cylinders.freshness': proc<Freshness>()({ role: 'viewer', input: z.object({}), summary: 'snapshot freshness (design §8) and the FCMS source state' }),
  'cylinders.filters': proc<FilterOptions>()({ role: 'viewer', input: z.object({}), summary: 'distinct values for the filter pickers' }),
  'cylinders.sync': proc<{ jobId: string; result?: SyncResult }>()({
    role: 'manager',
    input: z.object({ wait: z.boolean().default(false) }),
    summary: 'full set-based resync of the snapshot, as a job (wait: true also returns the result)',
  }),
  'cylinders.export': proc<ExportResult>()({
    role: 'viewer',
    input: z.object({
      what: z.enum(['summary', 'list']),
      format: z.enum(['csv', 'xlsx']),
      filters: listQuerySchema.omit({ offset: true, limit: true }).prefault({}),
      /** summary exports: the screen's column sort (list exports sort with filters.sort / filters.dir) */
      summarySort: z.object({ key: z.enum(SUMMARY_SORTS), dir: z.enum(['asc', 'desc']).default('asc') }).optional(),
      /** list exports: at most this many rows */
      maxRows: z.number().int().min(1).max(500_000).default(200_000),
    }),
    summary: 'the summary or list rows with the current filters as CSV or XLSX',
  }),

  'cylinders.defaults.list': proc<DefaultRuleRow[]>()({ role: 'viewer', input: z.object({}), summary: 'EndUser default rules, with how many cylinders each decides' }),
  'cylinders.defaults.preview': proc<PolicyEffect>()({
    role: 'manager',
    input: z.discriminatedUnion('op', [z.object({ op: z.literal('save'), rule: defaultRuleSchema }), z.object({ op: z.literal('delete'), id })]),
    summary: 'how many cylinders a default-rule change would move (and between which EndUsers); saves nothing',
  }),
  'cylinders.defaults.save': proc<{ id: number; effect: PolicyEffect }>()({
    role: 'manager',
    input: defaultRuleSchema,
    summary: 'create (no id) or update an EndUser default rule; NULL columns match anything',
  }),
  'cylinders.defaults.delete': proc<{ id: number; effect: PolicyEffect }>()({ role: 'manager', input: z.object({ id }), summary: 'delete an EndUser default rule' }),

  'cylinders.exceptions.list': proc<ExceptionRow[]>()({
    role: 'viewer',
    input: z.object({ search: z.string().trim().max(100).optional(), activeOnly: z.boolean().optional() }),
    summary: 'EndUser exceptions (per cylinder), with what the default rules would give',
  }),
  'cylinders.exceptions.save': proc<{ created: number; ids: number[]; effect: PolicyEffect }>()({
    role: 'manager',
    input: z.object({
      cylinderNos: z.array(z.string().max(100)).min(1, 'give at least one cylinder number').max(10_000),
      enduser: z.string().trim().min(1, 'EndUser is required').max(50),
      reason: z.string().trim().max(2000).nullable().optional(),
      isActive: z.boolean().optional(),
    }),
    summary: 'bulk-create exceptions; refused as a whole when a number is unknown, listed twice or already excepted',
  }),
  'cylinders.exceptions.update': proc<{ id: number; effect: PolicyEffect }>()({
    role: 'manager',
    input: z.object({ id, enduser: z.string().trim().min(1).max(50).optional(), reason: z.string().trim().max(2000).nullable().optional(), isActive: z.boolean().optional() }),
    summary: 'change an exception’s EndUser, reason or activity',
  }),
  'cylinders.exceptions.delete': proc<{ deleted: number; effect: PolicyEffect }>()({
    role: 'manager',
    input: z.object({ ids: z.array(id).min(1).max(10_000) }),
    summary: 'delete exceptions',
  }),

  'cylinders.valveGroups.list': proc<{ groups: ValveGroupRow[]; valveSpecs: ValveSpecOption[] }>()({
    role: 'viewer',
    input: z.object({}),
    summary: 'valve groups with their mappings and primary valve, and the FCMS valves to map',
  }),
  'cylinders.valveGroups.save': proc<{ id: number; effect: PolicyEffect }>()({
    role: 'manager',
    input: z.object({
      id: id.optional(),
      groupName: z.string().trim().min(1, 'group name is required').max(100),
      description: z.string().trim().max(2000).nullable().optional(),
      isActive: z.boolean().optional(),
    }),
    summary: 'create or update a valve group',
  }),
  'cylinders.valveGroups.delete': proc<{ id: number; effect: PolicyEffect }>()({ role: 'manager', input: z.object({ id }), summary: 'delete a valve group and its mappings' }),
  'cylinders.mappings.save': proc<{ id: number; effect: PolicyEffect }>()({
    role: 'manager',
    input: z.object({
      id: id.optional(),
      groupId: id,
      valveSpecCode: z.string().trim().min(1, 'valve spec code is required').max(50),
      valveSpecName: z.string().trim().max(200).nullable().optional(),
      isPrimary: z.boolean().optional(),
      isActive: z.boolean().optional(),
    }),
    summary: 'map an FCMS valve into a group (isPrimary: the group’s representative valve)',
  }),
  'cylinders.mappings.delete': proc<{ id: number; effect: PolicyEffect }>()({ role: 'manager', input: z.object({ id }), summary: 'remove a valve from its group' }),
} satisfies ProcedureTable;
