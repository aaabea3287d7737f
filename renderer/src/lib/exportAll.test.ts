import { describe, expect, it } from 'vitest';
import { ExportTooLarge, fetchAllRows, type Page } from './exportAll';

/** a newest-first list of `n` rows (ids n..1) served by offset/limit, like admin.audit.list */
function list(n: number) {
  const rows = Array.from({ length: n }, (_, i) => ({ id: n - i }));
  const calls: [number, number][] = [];
  return {
    rows,
    calls,
    page: async (offset: number, limit: number): Promise<Page<{ id: number }>> => {
      calls.push([offset, limit]);
      return { rows: rows.slice(offset, offset + limit), total: rows.length };
    },
  };
}

describe('fetchAllRows', () => {
  it('pages through every matching row in the list order, with progress after each page', async () => {
    const l = list(2345);
    const progress: [number, number][] = [];
    const all = await fetchAllRows(l.page, { pageSize: 1000, key: (r) => r.id, onProgress: (d, t) => progress.push([d, t]) });
    expect(all).toHaveLength(2345);
    expect(all[0].id).toBe(2345);
    expect(all.at(-1)!.id).toBe(1);
    expect(l.calls).toEqual([
      [0, 1000],
      [1000, 1000],
      [2000, 1000],
    ]);
    expect(progress).toEqual([
      [1000, 2345],
      [2000, 2345],
      [2345, 2345],
    ]);
  });

  it('asks once for an empty list and for a list of exactly one page', async () => {
    const empty = list(0);
    expect(await fetchAllRows(empty.page, { pageSize: 100, key: (r) => r.id })).toEqual([]);
    expect(empty.calls).toHaveLength(1);
    const one = list(100);
    expect(await fetchAllRows(one.page, { pageSize: 100, key: (r) => r.id })).toHaveLength(100);
    expect(one.calls).toHaveLength(1);
  });

  it('refuses past the cap after the first page, saying how many rows match', async () => {
    const l = list(1201);
    const err = await fetchAllRows(l.page, { pageSize: 500, max: 1200, key: (r) => r.id }).catch((e) => e);
    expect(err).toBeInstanceOf(ExportTooLarge);
    expect(err).toMatchObject({ total: 1201, max: 1200 });
    expect(l.calls).toHaveLength(1);
    // at the cap exactly it exports
    expect(await fetchAllRows(list(1200).page, { pageSize: 500, max: 1200, key: (r) => r.id })).toHaveLength(1200);
  });

  it('keeps a row once when new rows arrive at the top during the export, and misses none', async () => {
    let n = 250;
    const rowsNow = () => Array.from({ length: n }, (_, i) => ({ id: n - i }));
    let calls = 0;
    const page = async (offset: number, limit: number) => {
      calls++;
      if (calls === 2) n += 7; // seven new rows land between page 1 and page 2
      const rows = rowsNow();
      return { rows: rows.slice(offset, offset + limit), total: rows.length };
    };
    const all = await fetchAllRows(page, { pageSize: 100, key: (r) => r.id });
    const ids = all.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    // every row that existed when the export began is in it
    for (let id = 1; id <= 250; id++) expect(ids).toContain(id);
  });

  it('stops when a page comes back short (rows deleted meanwhile) and can be aborted', async () => {
    const short = async (offset: number) => ({ rows: offset === 0 ? Array.from({ length: 10 }, (_, i) => ({ id: i })) : [{ id: 99 }], total: 30 });
    expect(await fetchAllRows(short, { pageSize: 10, key: (r) => r.id })).toHaveLength(11);
    const ac = new AbortController();
    ac.abort();
    await expect(fetchAllRows(list(10).page, { key: (r) => r.id, signal: ac.signal })).rejects.toThrow();
  });
});
