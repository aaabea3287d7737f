/**
 * Every row that matches a table's filters, for CSV/XLSX export (issue #19 "Habits"): the table shows one page, the
 * export holds them all. Pages through the screen's own list procedure (offset/limit, `total` beside the rows), so
 * main needs no second query and the role checks stay the list's.
 */

/** The most rows one export holds: past it the export stops before fetching and asks for narrower filters. */
export const EXPORT_MAX_ROWS = 100_000;
/** The list procedures' largest page (admin.audit.list, inspection.inspections.list: limit ≤ 1000). */
export const EXPORT_PAGE = 1000;

export interface Page<R> {
  rows: readonly R[];
  total: number;
}

/** More rows match than one export may hold (`total` of `max`): said to the operator, nothing was fetched past page 1. */
export class ExportTooLarge extends Error {
  constructor(
    readonly total: number,
    readonly max: number,
  ) {
    super(`${total} rows match; an export holds at most ${max}`);
    this.name = 'ExportTooLarge';
  }
}

export interface FetchAllOptions<R> {
  pageSize?: number;
  max?: number;
  /**
   * a row's identity: rows that arrive while the export runs push older rows onto later pages (newest-first lists),
   * so a row seen on two pages is kept once
   */
  key: (row: R) => string | number;
  /** after each page: rows so far and the total the first page reported */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * Fetches page after page from offset 0 until `total` rows are in, or a page comes back short (rows deleted
 * meanwhile), and returns them in the list's order. Throws ExportTooLarge when the first page's total is over `max`.
 */
export async function fetchAllRows<R>(fetchPage: (offset: number, limit: number) => Promise<Page<R>>, opts: FetchAllOptions<R>): Promise<R[]> {
  const limit = opts.pageSize ?? EXPORT_PAGE;
  const max = opts.max ?? EXPORT_MAX_ROWS;
  const out: R[] = [];
  const seen = new Set<string | number>();
  let total = 0;
  for (let offset = 0; ; offset += limit) {
    opts.signal?.throwIfAborted();
    const page = await fetchPage(offset, limit);
    if (offset === 0) {
      total = page.total;
      if (total > max) throw new ExportTooLarge(total, max);
    }
    for (const r of page.rows) {
      const k = opts.key(r);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(r);
    }
    opts.onProgress?.(Math.min(out.length, total), total);
    // a short page is the end; so is reaching the total (or the cap, should rows keep arriving)
    if (page.rows.length < limit || out.length >= total || out.length >= max) break;
  }
  return out.slice(0, max);
}
