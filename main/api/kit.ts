/**
 * The vocabulary of the API contract: roles, procedures (name → zod input, output type, role), result envelopes
 * and error kinds. Pure TypeScript + zod: imported by main for dispatch and (as types only) by the renderer.
 */
import type { z } from 'zod';

export const ROLES = ['viewer', 'worker', 'manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** `public` procedures need no session (login, first-run setup, health). */
export type Access = Role | 'public';

export function roleAtLeast(have: Role | undefined, need: Access): boolean {
  if (need === 'public') return true;
  if (!have) return false;
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export interface ProcedureSpec<I extends z.ZodType = z.ZodType, O = unknown> {
  role: Access;
  input: I;
  summary: string;
  /** phantom: carries the output type, never read at run time */
  readonly __output?: O;
}

/** `proc<Output>()({ role, input, summary })` — the output type is given, the input type inferred from zod. */
export function proc<O>() {
  return <I extends z.ZodType>(spec: { role: Access; input: I; summary: string }): ProcedureSpec<I, O> => spec;
}

export type ProcedureTable = Record<string, ProcedureSpec>;
export type InputOf<P> = P extends ProcedureSpec<infer I, unknown> ? z.input<I> : never;
export type ParsedInputOf<P> = P extends ProcedureSpec<infer I, unknown> ? z.output<I> : never;
export type OutputOf<P> = P extends ProcedureSpec<z.ZodType, infer O> ? O : never;

export const ERROR_KINDS = [
  'validation',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'unavailable',
  'timeout',
  'cancelled',
  'internal',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface ApiErrorBody {
  kind: ErrorKind;
  message: string;
  /** field → messages for validation errors; anything structured for others */
  details?: unknown;
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiErrorBody };

/** Thrown by handlers to return a typed error; anything else becomes `internal` (or `unavailable` for a lost DB). */
export class ApiError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface SessionUser {
  userId: number;
  username: string;
  fullName: string | null;
  role: Role;
  /** logged in from this station's credential cache while the database was away (at most a worker) */
  offline?: boolean;
}

/** `A | B` → `A & B` (merges the modules' procedure tables into one contract type). */
export type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
