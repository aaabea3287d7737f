/**
 * A virtualized table (TanStack Virtual): only the visible rows are in the DOM, so 100 000 rows scroll smoothly.
 * Rows are fetched by page through `getRow(index)` (undefined = not loaded yet → placeholder and `onNeedRange`).
 * Sortable headers, keyboard navigation (↑/↓/PageUp/PageDown/Home/End, Enter to open), row click.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';

export interface Column<T> {
  key: string;
  header: ReactNode;
  width?: number | string;
  align?: 'left' | 'right';
  sortable?: boolean;
  render: (row: T) => ReactNode;
}

export interface VirtualTableProps<T> {
  columns: Column<T>[];
  rowCount: number;
  getRow: (index: number) => T | undefined;
  onNeedRange?: (start: number, end: number) => void;
  rowHeight?: number;
  height?: number | string;
  sort?: { key: string; dir: 'asc' | 'desc' };
  onSort?: (key: string) => void;
  onOpen?: (row: T, index: number) => void;
  rowKey?: (row: T, index: number) => string;
  label: string;
  testId?: string;
}

export function VirtualTable<T>(p: VirtualTableProps<T>) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const rowHeight = p.rowHeight ?? 40;
  const v = useVirtualizer({ count: p.rowCount, getScrollElement: () => scrollRef.current, estimateSize: () => rowHeight, overscan: 12 });
  const items = v.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? -1;
  const { onNeedRange, getRow } = p;

  useEffect(() => {
    if (!onNeedRange || last < first) return;
    for (let i = first; i <= last; i++)
      if (getRow(i) === undefined) {
        onNeedRange(first, last);
        break;
      }
  }, [first, last, onNeedRange, getRow]);

  const move = (to: number) => {
    const n = Math.max(0, Math.min(p.rowCount - 1, to));
    setActive(n);
    v.scrollToIndex(n, { align: 'auto' });
  };
  const onKey = (e: React.KeyboardEvent) => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / rowHeight) - 1);
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(active + 1),
      ArrowUp: () => move(active - 1),
      PageDown: () => move(active + page),
      PageUp: () => move(active - page),
      Home: () => move(0),
      End: () => move(p.rowCount - 1),
      Enter: () => {
        const r = p.getRow(active);
        if (r && p.onOpen) p.onOpen(r, active);
      },
    };
    if (keys[e.key]) {
      e.preventDefault();
      keys[e.key]();
    }
  };
  const template = p.columns.map((c) => (typeof c.width === 'number' ? `${c.width}px` : (c.width ?? 'minmax(80px, 1fr)'))).join(' ');

  return (
    <div className="vtable" role="grid" aria-label={p.label} aria-rowcount={p.rowCount + 1} data-testid={p.testId}>
      <div className="vtable-head" role="row" style={{ gridTemplateColumns: template }}>
        {p.columns.map((c) => (
          <div key={c.key} role="columnheader" className={`vtable-cell${c.align === 'right' ? ' num' : ''}`} aria-sort={p.sort?.key === c.key ? (p.sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}>
            {c.sortable && p.onSort ? (
              <button type="button" className="vtable-sort" onClick={() => p.onSort!(c.key)}>
                {c.header}
                {p.sort?.key === c.key ? (p.sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
              </button>
            ) : (
              c.header
            )}
          </div>
        ))}
      </div>
      <div ref={scrollRef} className="vtable-body" style={{ height: p.height ?? 480 }} tabIndex={0} onKeyDown={onKey} aria-activedescendant={`${p.testId ?? 'vt'}-row-${active}`}>
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {items.map((it) => {
            const row = p.getRow(it.index);
            return (
              <div
                key={row && p.rowKey ? p.rowKey(row, it.index) : it.index}
                id={`${p.testId ?? 'vt'}-row-${it.index}`}
                role="row"
                aria-rowindex={it.index + 2}
                aria-selected={it.index === active}
                className={`vtable-row${it.index === active ? ' active' : ''}${row ? '' : ' loading'}`}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: it.size, transform: `translateY(${it.start}px)`, gridTemplateColumns: template }}
                onClick={() => {
                  setActive(it.index);
                  if (row && p.onOpen) p.onOpen(row, it.index);
                }}
              >
                {row
                  ? p.columns.map((c) => (
                      <div key={c.key} role="gridcell" className={`vtable-cell${c.align === 'right' ? ' num' : ''}`}>
                        {c.render(row)}
                      </div>
                    ))
                  : p.columns.map((c) => <div key={c.key} role="gridcell" className="vtable-cell skeleton" />)}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
