/**
 * The CYNOW policy editors: EndUser default rules (with a preview of the cylinders a change would move), EndUser
 * exceptions (bulk; refused as a whole), valve groups and their mappings. Each change runs in one transaction of the
 * `job` pool with its audit row; the policy triggers of migrations.ts re-apply the snapshot rows inside the same
 * statement, and withEffect reports which of them changed (the effect every editor returns).
 */
import type pg from 'pg';
import { ApiError, type SessionUser } from '../api/kit';
import { because, listParam } from '../api/reasons';
import { writeAudit } from '../audit/audit';
import { missingFcmsNote, missingFcmsTables } from './migrations';
import { RULE_ORDER, Where, escapeLike, iso, type CylinderDb } from './queries';
import type {
  DefaultChange,
  DefaultRuleInput,
  DefaultRuleRow,
  ExceptionQuery,
  ExceptionRow,
  ExceptionsInput,
  ExceptionUpdate,
  MappingInput,
  MappingRow,
  PolicyEffect,
  ValveGroupInput,
  ValveGroupRow,
  ValveSpecOption,
} from './types';

/** Validates a capacity given as text: a plain non-negative decimal number (kept as typed: 47.0 stays 47.0). */
function parseCapacity(v: string | null | undefined, what = 'capacity'): string | null {
  if (v === undefined || v === null) return null;
  const s = String(v).trim();
  if (s === '') return null;
  if (!/^\d{1,12}(\.\d{1,6})?$/.test(s)) throw new ApiError('validation', `${what} must be a number like 47 or 47.0 (got "${v}")`, because('number_format', { field: what, value: String(v) }));
  return s;
}

function cleanText(v: string | null | undefined, what: string, max: number, required: boolean): string | null {
  const s = (v ?? '').trim();
  if (!s) {
    if (required) throw new ApiError('validation', `${what} is required`, because('field_required', { field: what }));
    return null;
  }
  if (s.length > max) throw new ApiError('validation', `${what} is longer than ${max} characters`, because('field_too_long', { field: what, max }));
  return s;
}

export function describeRule(r: { gasName: string; capacity: string | null; valveSpecCode: string | null; cylinderSpecCode: string | null }): string {
  return `${r.gasName} / capacity ${r.capacity ?? 'any'} / valve ${r.valveSpecCode ?? 'any'} / cylinder spec ${r.cylinderSpecCode ?? 'any'}`;
}

export class CylinderPolicies {
  constructor(private readonly db: CylinderDb) {}

  private get read(): pg.Pool {
    return this.db.read;
  }
  private guard<T>(fn: () => Promise<T>): Promise<T> {
    return this.db.guard(fn);
  }
  private tx<T>(fn: (c: pg.PoolClient) => Promise<T>, commit = true): Promise<T> {
    return this.db.tx(fn, commit);
  }

  // ----- policy effect -------------------------------------------------------------------------------------------

  /**
   * Runs `change` inside the transaction of `c` and reports which snapshot rows it changed, among the candidates
   * selected by `candidates` (a WHERE over cy_cylinder_current with $1.. args).
   */
  private async withEffect<T>(c: pg.PoolClient, candidates: { where: string; args: unknown[] }, change: () => Promise<T>): Promise<{ result: T; effect: PolicyEffect }> {
    await c.query(
      `CREATE TEMP TABLE IF NOT EXISTS cy_effect_before (cylinder_no text PRIMARY KEY, enduser text, type_key text, valve text, valve_group text) ON COMMIT DROP`,
    );
    await c.query('TRUNCATE cy_effect_before');
    await c.query(
      `INSERT INTO cy_effect_before
       SELECT cylinder_no, dashboard_enduser, cylinder_type_key, dashboard_valve_spec_name, dashboard_valve_group_name
       FROM cy_cylinder_current WHERE ${candidates.where}`,
      candidates.args,
    );
    const result = await change();
    const diff = await c.query<{ from: string; to: string; qty: number; sample: string[]; changed: number }>(
      `SELECT b.enduser AS "from", cur.dashboard_enduser AS "to", count(*)::int AS qty,
              (array_agg(b.cylinder_no ORDER BY b.cylinder_no))[1:20] AS sample
       FROM cy_effect_before b JOIN cy_cylinder_current cur USING (cylinder_no)
       WHERE (cur.cylinder_type_key, cur.dashboard_valve_spec_name, cur.dashboard_valve_group_name) IS DISTINCT FROM (b.type_key, b.valve, b.valve_group)
       GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`,
    );
    const moves = diff.rows.filter((r) => r.from !== r.to).map((r) => ({ from: r.from, to: r.to, qty: r.qty }));
    const changed = diff.rows.reduce((s, r) => s + r.qty, 0);
    const sample = diff.rows
      .flatMap((r) => r.sample)
      .sort()
      .slice(0, 20);
    return { result, effect: { changed, moves, sample } };
  }

  // ----- EndUser default rules -------------------------------------------------------------------------------------

  async listDefaults(): Promise<DefaultRuleRow[]> {
    return this.guard(async () => {
      const pool = this.read;
      const hasFcms = (await missingFcmsTables(pool)).length === 0;
      const r = await pool.query<DefaultRuleRow>(
        `WITH keys AS (
           SELECT raw_gas_name g, raw_capacity c, raw_valve_spec_code v, raw_cylinder_spec_code s, count(*)::int n
           FROM cy_cylinder_current cur
           WHERE NOT EXISTS (SELECT 1 FROM cy_enduser_exception e WHERE e.cylinder_no = cur.cylinder_no AND e.is_active)
           GROUP BY 1, 2, 3, 4
         ), won AS (
           SELECT w.id, sum(k.n)::int n FROM keys k
           CROSS JOIN LATERAL (
             SELECT d.id FROM cy_enduser_default d
             WHERE d.is_active AND d.gas_name = k.g AND (d.capacity IS NULL OR d.capacity = k.c)
               AND (d.valve_spec_code IS NULL OR d.valve_spec_code = k.v) AND (d.cylinder_spec_code IS NULL OR d.cylinder_spec_code = k.s)
             ORDER BY ${RULE_ORDER} LIMIT 1) w
           GROUP BY w.id
         )
         SELECT d.id, d.gas_name AS "gasName", d.capacity::text AS capacity, d.valve_spec_code AS "valveSpecCode",
                ${hasFcms ? '(SELECT vs."NAME" FROM fcms_cdc.ma_valve_specs vs WHERE vs."VALVE_SPEC_CODE" = d.valve_spec_code)' : 'NULL'} AS "valveSpecName",
                d.cylinder_spec_code AS "cylinderSpecCode",
                ${hasFcms ? '(SELECT cs."NAME" FROM fcms_cdc.ma_cylinder_specs cs WHERE cs."CYLINDER_SPEC_CODE" = d.cylinder_spec_code)' : 'NULL'} AS "cylinderSpecName",
                d.default_enduser AS "defaultEnduser", COALESCE(d.is_active, false) AS "isActive",
                ((d.capacity IS NOT NULL)::int + (d.valve_spec_code IS NOT NULL)::int + (d.cylinder_spec_code IS NOT NULL)::int) AS specificity,
                COALESCE(won.n, 0) AS decides, ${iso('d.created_at')} AS "createdAt", ${iso('d.updated_at')} AS "updatedAt"
         FROM cy_enduser_default d LEFT JOIN won ON won.id = d.id
         ORDER BY d.gas_name, ${RULE_ORDER}`,
      );
      return r.rows;
    });
  }

  private async validateDefault(c: pg.ClientBase, input: DefaultRuleInput) {
    const rule = {
      id: input.id,
      gasName: cleanText(input.gasName, 'gas name', 100, true)!,
      capacity: parseCapacity(input.capacity),
      valveSpecCode: cleanText(input.valveSpecCode, 'valve spec code', 50, false),
      cylinderSpecCode: cleanText(input.cylinderSpecCode, 'cylinder spec code', 50, false),
      defaultEnduser: cleanText(input.defaultEnduser, 'EndUser', 50, true)!,
      isActive: input.isActive ?? true,
    };
    const missing = await missingFcmsTables(c);
    if (missing.length) throw new ApiError('unavailable', missingFcmsNote(missing), because('fcms_missing', { tables: missing.join(', ') }));
    const known = await c.query<{ gas: boolean; valve: boolean; spec: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM fcms_cdc.ma_items WHERE COALESCE("DISPLAY_NAME", "FORMAL_NAME", '') = $1) AS gas,
              ($2::text IS NULL OR EXISTS (SELECT 1 FROM fcms_cdc.ma_valve_specs WHERE "VALVE_SPEC_CODE" = $2)) AS valve,
              ($3::text IS NULL OR EXISTS (SELECT 1 FROM fcms_cdc.ma_cylinder_specs WHERE "CYLINDER_SPEC_CODE" = $3)) AS spec`,
      [rule.gasName, rule.valveSpecCode, rule.cylinderSpecCode],
    );
    const problems: string[] = [];
    if (!known.rows[0].gas) problems.push(`gas "${rule.gasName}" is not a gas name in FCMS (ma_items DISPLAY_NAME, else FORMAL_NAME)`);
    if (!known.rows[0].valve) problems.push(`valve spec code "${rule.valveSpecCode}" is not in FCMS (ma_valve_specs)`);
    if (!known.rows[0].spec) problems.push(`cylinder spec code "${rule.cylinderSpecCode}" is not in FCMS (ma_cylinder_specs)`);
    if (problems.length) throw new ApiError('validation', problems.join('; '), { problems, ...because('policy_invalid', { problems: problems.join('; ') }) });
    const dup = await c.query<{ id: number; default_enduser: string; is_active: boolean }>(
      `SELECT id, default_enduser, is_active FROM cy_enduser_default
       WHERE gas_name = $1 AND capacity IS NOT DISTINCT FROM $2::numeric AND valve_spec_code IS NOT DISTINCT FROM $3
         AND cylinder_spec_code IS NOT DISTINCT FROM $4 AND ($5::int IS NULL OR id <> $5)`,
      [rule.gasName, rule.capacity, rule.valveSpecCode, rule.cylinderSpecCode, rule.id ?? null],
    );
    if (dup.rowCount) {
      const d = dup.rows[0];
      throw new ApiError(
        'conflict',
        `a rule for ${describeRule(rule)} already exists: #${d.id} → ${d.default_enduser} (${d.is_active ? 'active' : 'inactive'}); edit that rule instead`,
        { existingId: d.id, ...because('rule_exists', { rule: describeRule(rule), existingId: d.id }) },
      );
    }
    return rule;
  }

  private async applyDefault(c: pg.PoolClient, change: DefaultChange, user: SessionUser | undefined, audit: boolean) {
    let before: Record<string, unknown> | null = null;
    if (change.op === 'delete' || change.rule.id !== undefined) {
      const id = change.op === 'delete' ? change.id : change.rule.id!;
      const b = await c.query('SELECT id, gas_name, capacity::text AS capacity, valve_spec_code, cylinder_spec_code, default_enduser, is_active FROM cy_enduser_default WHERE id = $1 FOR UPDATE', [id]);
      if (!b.rowCount) throw new ApiError('not_found', `default rule #${id} does not exist`, because('rule_not_found', { ruleId: id }));
      before = b.rows[0];
    }
    const rule = change.op === 'save' ? await this.validateDefault(c, change.rule) : null;
    const gases = [before?.gas_name, rule?.gasName].filter((x): x is string => typeof x === 'string');
    const { result, effect } = await this.withEffect(c, { where: 'raw_gas_name = ANY($1::text[])', args: [gases] }, async () => {
      if (change.op === 'delete') {
        await c.query('DELETE FROM cy_enduser_default WHERE id = $1', [change.id]);
        return null;
      }
      const args = [rule!.gasName, rule!.capacity, rule!.valveSpecCode, rule!.cylinderSpecCode, rule!.defaultEnduser, rule!.isActive];
      const r = rule!.id
        ? await c.query(
            `UPDATE cy_enduser_default SET gas_name = $1, capacity = $2::numeric, valve_spec_code = $3, cylinder_spec_code = $4,
               default_enduser = $5, is_active = $6, updated_at = (now() AT TIME ZONE 'UTC') WHERE id = $7
             RETURNING id, gas_name, capacity::text AS capacity, valve_spec_code, cylinder_spec_code, default_enduser, is_active`,
            [...args, rule!.id],
          )
        : await c.query(
            `INSERT INTO cy_enduser_default (gas_name, capacity, valve_spec_code, cylinder_spec_code, default_enduser, is_active)
             VALUES ($1, $2::numeric, $3, $4, $5, $6)
             RETURNING id, gas_name, capacity::text AS capacity, valve_spec_code, cylinder_spec_code, default_enduser, is_active`,
            args,
          );
      return r.rows[0] as Record<string, unknown>;
    });
    if (audit) {
      const id = change.op === 'delete' ? change.id : (result as { id: number }).id;
      await writeAudit(c, user, {
        action: `cylinders.default.${change.op === 'delete' ? 'delete' : before ? 'update' : 'create'}`,
        table: 'cy_enduser_default',
        operation: change.op === 'delete' ? 'DELETE' : before ? 'UPDATE' : 'INSERT',
        target: String(id),
        before: before ?? undefined,
        after: result ? { ...result, effect } : undefined,
      });
    }
    return { id: change.op === 'delete' ? change.id : (result as { id: number }).id, effect };
  }

  /** How many cylinders a default-rule change would move, and between which EndUsers; nothing is saved. */
  async previewDefault(change: DefaultChange): Promise<PolicyEffect> {
    return this.tx(async (c) => (await this.applyDefault(c, change, undefined, false)).effect, false);
  }

  async saveDefault(user: SessionUser | undefined, rule: DefaultRuleInput): Promise<{ id: number; effect: PolicyEffect }> {
    return this.tx((c) => this.applyDefault(c, { op: 'save', rule }, user, true));
  }

  async deleteDefault(user: SessionUser | undefined, id: number): Promise<{ id: number; effect: PolicyEffect }> {
    return this.tx((c) => this.applyDefault(c, { op: 'delete', id }, user, true));
  }

  // ----- EndUser exceptions ----------------------------------------------------------------------------------------

  async listExceptions(q: ExceptionQuery = {}): Promise<ExceptionRow[]> {
    return this.guard(async () => {
      const w = new Where();
      if (q.search?.trim()) {
        const p = w.arg(`%${escapeLike(q.search.trim())}%`);
        w.add(`(e.cylinder_no ILIKE ${p} OR e.enduser ILIKE ${p} OR e.reason ILIKE ${p})`);
      }
      if (q.activeOnly) w.add('e.is_active');
      const r = await this.read.query<ExceptionRow>(
        `SELECT e.id, e.cylinder_no AS "cylinderNo", e.enduser, e.reason, COALESCE(e.is_active, false) AS "isActive",
                cur.raw_gas_name AS "gasName", cur.raw_capacity::text AS capacity,
                CASE WHEN cur.cylinder_no IS NULL THEN NULL ELSE COALESCE((
                  SELECT d.default_enduser FROM cy_enduser_default d
                  WHERE d.is_active AND d.gas_name = cur.raw_gas_name AND (d.capacity IS NULL OR d.capacity = cur.raw_capacity)
                    AND (d.valve_spec_code IS NULL OR d.valve_spec_code = cur.raw_valve_spec_code)
                    AND (d.cylinder_spec_code IS NULL OR d.cylinder_spec_code = cur.raw_cylinder_spec_code)
                  ORDER BY ${RULE_ORDER} LIMIT 1), 'SDC') END AS "ruleEnduser",
                ${iso('e.created_at')} AS "createdAt", ${iso('e.updated_at')} AS "updatedAt"
         FROM cy_enduser_exception e LEFT JOIN cy_cylinder_current cur ON cur.cylinder_no = e.cylinder_no
         ${w.sql}
         ORDER BY e.cylinder_no`,
        w.args,
      );
      return r.rows;
    });
  }

  /**
   * Creates one exception per cylinder number (bulk). Refused as a whole, with every reason listed, when a number
   * is not in FCMS, is listed twice, or already has an exception.
   */
  async createExceptions(user: SessionUser | undefined, input: ExceptionsInput): Promise<{ created: number; ids: number[]; effect: PolicyEffect }> {
    const enduser = cleanText(input.enduser, 'EndUser', 50, true)!;
    const reason = cleanText(input.reason ?? null, 'reason', 2000, false);
    const nos = input.cylinderNos.map((s) => s.trim()).filter(Boolean);
    if (!nos.length) throw new ApiError('validation', 'give at least one cylinder number', because('cylinder_numbers_empty'));
    if (nos.length > 10_000) throw new ApiError('validation', `at most 10000 cylinder numbers at once (got ${nos.length})`, because('cylinder_numbers_too_many', { max: 10000, count: nos.length }));
    const tooLong = nos.filter((n) => n.length > 20);
    if (tooLong.length) throw new ApiError('validation', `cylinder numbers are at most 20 characters: ${tooLong.slice(0, 20).join(', ')}`, { tooLong, ...because('cylinder_numbers_too_long', { max: 20, numbers: listParam(tooLong, 20) }) });
    const seen = new Set<string>();
    const listedTwice = [...new Set(nos.filter((n) => (seen.has(n) ? true : (seen.add(n), false))))];
    const unique = [...seen];
    return this.tx(async (c) => {
      const missing = await missingFcmsTables(c);
      if (missing.length) throw new ApiError('unavailable', missingFcmsNote(missing), because('fcms_missing', { tables: missing.join(', ') }));
      const unknown = (
        await c.query<{ no: string }>(
          `SELECT no FROM unnest($1::text[]) WITH ORDINALITY u(no, i)
           WHERE NOT EXISTS (SELECT 1 FROM fcms_cdc.ma_cylinders c WHERE c."CYLINDER_NO" = u.no) ORDER BY i`,
          [unique],
        )
      ).rows.map((r) => r.no);
      const existing = (
        await c.query<{ cylinderNo: string; id: number; enduser: string; isActive: boolean; reason: string | null }>(
          `SELECT cylinder_no AS "cylinderNo", id, enduser, COALESCE(is_active, false) AS "isActive", reason
           FROM cy_enduser_exception WHERE cylinder_no = ANY($1::text[]) ORDER BY cylinder_no`,
          [unique],
        )
      ).rows;
      if (unknown.length || existing.length || listedTwice.length) {
        const parts: string[] = [];
        if (unknown.length) parts.push(`${unknown.length} cylinder number(s) are not in FCMS: ${unknown.slice(0, 30).join(', ')}${unknown.length > 30 ? ', …' : ''}`);
        if (existing.length)
          parts.push(
            `${existing.length} already have an exception: ${existing
              .slice(0, 10)
              .map((e) => `${e.cylinderNo} (#${e.id} → ${e.enduser}, ${e.isActive ? 'active' : 'inactive'}${e.reason ? `, "${e.reason}"` : ''})`)
              .join(', ')}${existing.length > 10 ? ', …' : ''}; edit those instead`,
          );
        if (listedTwice.length) parts.push(`listed twice: ${listedTwice.join(', ')}`);
        throw new ApiError('validation', `nothing saved: ${parts.join('; ')}`, { unknown, existing, listedTwice, ...because('exceptions_refused', { problems: parts.join('; ') }) });
      }
      const { result, effect } = await this.withEffect(c, { where: 'cylinder_no = ANY($1::text[])', args: [unique] }, async () =>
        c.query<{ id: number }>(
          `INSERT INTO cy_enduser_exception (cylinder_no, enduser, reason, is_active)
           SELECT no, $2, $3, $4 FROM unnest($1::text[]) WITH ORDINALITY u(no, i) ORDER BY i RETURNING id`,
          [unique, enduser, reason, input.isActive ?? true],
        ),
      );
      const ids = result.rows.map((r) => r.id);
      await writeAudit(c, user, {
        action: 'cylinders.exception.create',
        table: 'cy_enduser_exception',
        operation: 'INSERT',
        target: unique.length === 1 ? unique[0] : `${unique.length} cylinders`,
        after: { ids, cylinderNos: unique, enduser, reason, isActive: input.isActive ?? true, effect },
      });
      return { created: ids.length, ids, effect };
    });
  }

  async updateException(user: SessionUser | undefined, input: ExceptionUpdate): Promise<{ id: number; effect: PolicyEffect }> {
    return this.tx(async (c) => {
      const b = await c.query('SELECT id, cylinder_no, enduser, reason, is_active FROM cy_enduser_exception WHERE id = $1 FOR UPDATE', [input.id]);
      if (!b.rowCount) throw new ApiError('not_found', `exception #${input.id} does not exist`, because('exception_not_found', { ids: `#${input.id}` }));
      const before = b.rows[0];
      const enduser = input.enduser !== undefined ? cleanText(input.enduser, 'EndUser', 50, true) : before.enduser;
      const reason = input.reason !== undefined ? cleanText(input.reason, 'reason', 2000, false) : before.reason;
      const isActive = input.isActive ?? before.is_active;
      const { result, effect } = await this.withEffect(c, { where: 'cylinder_no = $1', args: [before.cylinder_no] }, async () =>
        c.query(
          `UPDATE cy_enduser_exception SET enduser = $2, reason = $3, is_active = $4, updated_at = (now() AT TIME ZONE 'UTC')
           WHERE id = $1 RETURNING id, cylinder_no, enduser, reason, is_active`,
          [input.id, enduser, reason, isActive],
        ),
      );
      await writeAudit(c, user, {
        action: 'cylinders.exception.update',
        table: 'cy_enduser_exception',
        operation: 'UPDATE',
        target: before.cylinder_no,
        before,
        after: { ...result.rows[0], effect },
      });
      return { id: input.id, effect };
    });
  }

  async deleteExceptions(user: SessionUser | undefined, ids: number[]): Promise<{ deleted: number; effect: PolicyEffect }> {
    if (!ids.length) throw new ApiError('validation', 'give at least one exception id', because('exception_ids_empty'));
    return this.tx(async (c) => {
      const b = await c.query('SELECT id, cylinder_no, enduser, reason, is_active FROM cy_enduser_exception WHERE id = ANY($1::int[]) FOR UPDATE', [ids]);
      const found = new Set(b.rows.map((r) => r.id));
      const absent = ids.filter((i) => !found.has(i));
      if (absent.length) throw new ApiError('not_found', `exception(s) ${absent.map((i) => `#${i}`).join(', ')} do not exist`, because('exception_not_found', { ids: absent.map((i) => `#${i}`).join(', ') }));
      const { effect } = await this.withEffect(c, { where: 'cylinder_no = ANY($1::text[])', args: [b.rows.map((r) => r.cylinder_no)] }, () =>
        c.query('DELETE FROM cy_enduser_exception WHERE id = ANY($1::int[])', [ids]),
      );
      await writeAudit(c, user, {
        action: 'cylinders.exception.delete',
        table: 'cy_enduser_exception',
        operation: 'DELETE',
        target: b.rows.length === 1 ? b.rows[0].cylinder_no : `${b.rows.length} cylinders`,
        before: b.rows,
        after: { effect },
      });
      return { deleted: b.rows.length, effect };
    });
  }

  // ----- valve groups ----------------------------------------------------------------------------------------------

  async listValveGroups(): Promise<{ groups: ValveGroupRow[]; valveSpecs: ValveSpecOption[] }> {
    return this.guard(async () => {
      const pool = this.read;
      const hasFcms = (await missingFcmsTables(pool)).length === 0;
      const counts = await pool.query<{ code: string; name: string; n: number }>(
        `SELECT raw_valve_spec_code code, raw_valve_spec_name name, count(*)::int n FROM cy_cylinder_current
         WHERE raw_valve_spec_code IS NOT NULL GROUP BY 1, 2`,
      );
      const countOf = new Map(counts.rows.map((r) => [`${r.code}\u0000${r.name}`, r.n]));
      const groups = await pool.query<Omit<ValveGroupRow, 'mappings' | 'cylinders' | 'primaryValveName'>>(
        `SELECT id, group_name AS "groupName", description, COALESCE(is_active, false) AS "isActive",
                ${iso('created_at')} AS "createdAt", ${iso('updated_at')} AS "updatedAt"
         FROM cy_valve_group ORDER BY group_name`,
      );
      const maps = await pool.query<Omit<MappingRow, 'cylinders'>>(
        `SELECT m.id, m.group_id AS "groupId", m.valve_spec_code AS "valveSpecCode", m.valve_spec_name AS "valveSpecName",
                COALESCE(m.is_primary, false) AS "isPrimary", COALESCE(m.is_active, false) AS "isActive",
                ${hasFcms ? `(SELECT COALESCE(vs."NAME", '') FROM fcms_cdc.ma_valve_specs vs WHERE vs."VALVE_SPEC_CODE" = m.valve_spec_code)` : 'NULL'} AS "fcmsName"
         FROM cy_valve_group_mapping m ORDER BY m.group_id, m.is_primary DESC, m.valve_spec_code, m.valve_spec_name`,
      );
      const mappings: MappingRow[] = maps.rows.map((m) => ({ ...m, cylinders: countOf.get(`${m.valveSpecCode}\u0000${m.valveSpecName}`) ?? 0 }));
      const out: ValveGroupRow[] = groups.rows.map((g) => {
        const ms = mappings.filter((m) => m.groupId === g.id);
        return {
          ...g,
          mappings: ms,
          primaryValveName: ms.find((m) => m.isPrimary && m.isActive)?.valveSpecName ?? null,
          cylinders: ms.filter((m) => m.isActive).reduce((s, m) => s + m.cylinders, 0),
        };
      });
      let valveSpecs: ValveSpecOption[] = [];
      if (hasFcms) {
        const vs = await pool.query<{ code: string; name: string }>(
          `SELECT "VALVE_SPEC_CODE" AS code, COALESCE("NAME", '') AS name FROM fcms_cdc.ma_valve_specs ORDER BY 1`,
        );
        valveSpecs = vs.rows.map((v) => {
          const m = mappings.find((x) => x.valveSpecCode === v.code && x.valveSpecName === v.name);
          return { code: v.code, name: v.name, cylinders: countOf.get(`${v.code}\u0000${v.name}`) ?? 0, mappingId: m?.id ?? null, groupId: m?.groupId ?? null };
        });
      }
      return { groups: out, valveSpecs };
    });
  }

  /** Candidates for a valve change: cylinders whose FCMS valve code is in the touched groups or the given codes. */
  private valveCandidates(groupIds: number[], codes: string[]) {
    return {
      where: `raw_valve_spec_code IN (SELECT valve_spec_code FROM cy_valve_group_mapping WHERE group_id = ANY($1::int[]) UNION SELECT unnest($2::text[]))`,
      args: [groupIds, codes],
    };
  }

  async saveValveGroup(user: SessionUser | undefined, input: ValveGroupInput): Promise<{ id: number; effect: PolicyEffect }> {
    const groupName = cleanText(input.groupName, 'group name', 100, true)!;
    const description = cleanText(input.description ?? null, 'description', 2000, false);
    return this.tx(async (c) => {
      let before: Record<string, unknown> | null = null;
      if (input.id !== undefined) {
        const b = await c.query('SELECT id, group_name, description, is_active FROM cy_valve_group WHERE id = $1 FOR UPDATE', [input.id]);
        if (!b.rowCount) throw new ApiError('not_found', `valve group #${input.id} does not exist`, because('valve_group_not_found', { groupId: input.id }));
        before = b.rows[0];
      }
      const dup = await c.query('SELECT id, is_active FROM cy_valve_group WHERE group_name = $1 AND ($2::int IS NULL OR id <> $2)', [groupName, input.id ?? null]);
      if (dup.rowCount)
        throw new ApiError('conflict', `a valve group named "${groupName}" already exists (#${dup.rows[0].id}, ${dup.rows[0].is_active ? 'active' : 'inactive'})`, {
          existingId: dup.rows[0].id,
          ...because('valve_group_exists', { groupName, existingId: dup.rows[0].id }),
        });
      const isActive = input.isActive ?? (before ? (before.is_active as boolean) : true);
      const { result, effect } = await this.withEffect(c, this.valveCandidates(input.id !== undefined ? [input.id] : [], []), async () =>
        input.id !== undefined
          ? c.query(
              `UPDATE cy_valve_group SET group_name = $2, description = $3, is_active = $4, updated_at = (now() AT TIME ZONE 'UTC')
               WHERE id = $1 RETURNING id, group_name, description, is_active`,
              [input.id, groupName, description, isActive],
            )
          : c.query('INSERT INTO cy_valve_group (group_name, description, is_active) VALUES ($1, $2, $3) RETURNING id, group_name, description, is_active', [
              groupName,
              description,
              isActive,
            ]),
      );
      const row = result.rows[0];
      await writeAudit(c, user, {
        action: `cylinders.valve_group.${before ? 'update' : 'create'}`,
        table: 'cy_valve_group',
        operation: before ? 'UPDATE' : 'INSERT',
        target: groupName,
        before: before ?? undefined,
        after: { ...row, effect },
      });
      return { id: row.id as number, effect };
    });
  }

  /** Deletes a group and its mappings. */
  async deleteValveGroup(user: SessionUser | undefined, id: number): Promise<{ id: number; effect: PolicyEffect }> {
    return this.tx(async (c) => {
      const b = await c.query('SELECT id, group_name, description, is_active FROM cy_valve_group WHERE id = $1 FOR UPDATE', [id]);
      if (!b.rowCount) throw new ApiError('not_found', `valve group #${id} does not exist`, because('valve_group_not_found', { groupId: id }));
      const maps = await c.query('SELECT id, valve_spec_code, valve_spec_name, is_primary, is_active FROM cy_valve_group_mapping WHERE group_id = $1', [id]);
      const { effect } = await this.withEffect(c, this.valveCandidates([id], []), async () => {
        await c.query('DELETE FROM cy_valve_group_mapping WHERE group_id = $1', [id]);
        await c.query('DELETE FROM cy_valve_group WHERE id = $1', [id]);
      });
      await writeAudit(c, user, {
        action: 'cylinders.valve_group.delete',
        table: 'cy_valve_group',
        operation: 'DELETE',
        target: b.rows[0].group_name,
        before: { ...b.rows[0], mappings: maps.rows },
        after: { effect },
      });
      return { id, effect };
    });
  }

  /**
   * Maps an FCMS valve into a group. The mapping matches FCMS by code and name (design §1.2), so the name is the
   * valve's FCMS name; when `isPrimary`, the group's previous primary valve stops being primary.
   */
  async saveMapping(user: SessionUser | undefined, input: MappingInput): Promise<{ id: number; effect: PolicyEffect }> {
    const code = cleanText(input.valveSpecCode, 'valve spec code', 50, true)!;
    return this.tx(async (c) => {
      const missing = await missingFcmsTables(c);
      if (missing.length) throw new ApiError('unavailable', missingFcmsNote(missing), because('fcms_missing', { tables: missing.join(', ') }));
      const g = await c.query('SELECT id, group_name FROM cy_valve_group WHERE id = $1', [input.groupId]);
      if (!g.rowCount) throw new ApiError('not_found', `valve group #${input.groupId} does not exist`, because('valve_group_not_found', { groupId: input.groupId }));
      const vs = await c.query<{ name: string }>(`SELECT COALESCE("NAME", '') AS name FROM fcms_cdc.ma_valve_specs WHERE "VALVE_SPEC_CODE" = $1`, [code]);
      if (!vs.rowCount) throw new ApiError('validation', `valve spec code "${code}" is not in FCMS (ma_valve_specs)`, because('valve_spec_unknown', { code }));
      const fcmsName = vs.rows[0].name;
      const name = input.valveSpecName == null || input.valveSpecName.trim() === '' ? fcmsName : input.valveSpecName.trim();
      if (name !== fcmsName)
        throw new ApiError('validation', `valve ${code} is named "${fcmsName}" in FCMS, not "${name}": a mapping matches code and name, so it would never apply`, because('valve_name_mismatch', { code, fcmsName, name }));
      let before: Record<string, unknown> | null = null;
      if (input.id !== undefined) {
        const b = await c.query('SELECT id, group_id, valve_spec_code, valve_spec_name, is_primary, is_active FROM cy_valve_group_mapping WHERE id = $1 FOR UPDATE', [
          input.id,
        ]);
        if (!b.rowCount) throw new ApiError('not_found', `valve mapping #${input.id} does not exist`, because('valve_mapping_not_found', { mappingId: input.id }));
        before = b.rows[0];
      }
      const dup = await c.query(
        `SELECT m.id, g.group_name FROM cy_valve_group_mapping m JOIN cy_valve_group g ON g.id = m.group_id
         WHERE m.valve_spec_code = $1 AND m.valve_spec_name = $2 AND ($3::int IS NULL OR m.id <> $3)`,
        [code, name, input.id ?? null],
      );
      if (dup.rowCount)
        throw new ApiError('conflict', `valve ${code} "${name}" is already in group ${dup.rows[0].group_name} (mapping #${dup.rows[0].id}); a valve belongs to one group`, {
          existingId: dup.rows[0].id,
          ...because('valve_in_group', { code, groupName: dup.rows[0].group_name }),
        });
      const isPrimary = input.isPrimary ?? (before ? (before.is_primary as boolean) : false);
      const isActive = input.isActive ?? (before ? (before.is_active as boolean) : true);
      const groups = [input.groupId, ...(before ? [before.group_id as number] : [])];
      const codes = [code, ...(before ? [before.valve_spec_code as string] : [])];
      const { result, effect } = await this.withEffect(c, this.valveCandidates(groups, codes), async () => {
        if (isPrimary && isActive)
          await c.query(
            `UPDATE cy_valve_group_mapping SET is_primary = false, updated_at = (now() AT TIME ZONE 'UTC')
             WHERE group_id = $1 AND is_primary AND is_active AND ($2::int IS NULL OR id <> $2)`,
            [input.groupId, input.id ?? null],
          );
        return input.id !== undefined
          ? c.query(
              `UPDATE cy_valve_group_mapping SET group_id = $2, valve_spec_code = $3, valve_spec_name = $4, is_primary = $5, is_active = $6,
                 updated_at = (now() AT TIME ZONE 'UTC')
               WHERE id = $1 RETURNING id, group_id, valve_spec_code, valve_spec_name, is_primary, is_active`,
              [input.id, input.groupId, code, name, isPrimary, isActive],
            )
          : c.query(
              `INSERT INTO cy_valve_group_mapping (group_id, valve_spec_code, valve_spec_name, is_primary, is_active)
               VALUES ($1, $2, $3, $4, $5) RETURNING id, group_id, valve_spec_code, valve_spec_name, is_primary, is_active`,
              [input.groupId, code, name, isPrimary, isActive],
            );
      });
      const row = result.rows[0];
      await writeAudit(c, user, {
        action: `cylinders.valve_mapping.${before ? 'update' : 'create'}`,
        table: 'cy_valve_group_mapping',
        operation: before ? 'UPDATE' : 'INSERT',
        target: `${g.rows[0].group_name}: ${code}`,
        before: before ?? undefined,
        after: { ...row, effect },
      });
      return { id: row.id as number, effect };
    });
  }

  async deleteMapping(user: SessionUser | undefined, id: number): Promise<{ id: number; effect: PolicyEffect }> {
    return this.tx(async (c) => {
      const b = await c.query('SELECT id, group_id, valve_spec_code, valve_spec_name, is_primary, is_active FROM cy_valve_group_mapping WHERE id = $1 FOR UPDATE', [id]);
      if (!b.rowCount) throw new ApiError('not_found', `valve mapping #${id} does not exist`, because('valve_mapping_not_found', { mappingId: id }));
      const before = b.rows[0];
      const { effect } = await this.withEffect(c, this.valveCandidates([before.group_id], [before.valve_spec_code]), () =>
        c.query('DELETE FROM cy_valve_group_mapping WHERE id = $1', [id]),
      );
      await writeAudit(c, user, {
        action: 'cylinders.valve_mapping.delete',
        table: 'cy_valve_group_mapping',
        operation: 'DELETE',
        target: before.valve_spec_code,
        before,
        after: { effect },
      });
      return { id, effect };
    });
  }
}
