// Cursor pagination history: the API gives "next" cursors only, so "previous" is remembered.

export interface CursorPages {
  /** cursors[i] fetches page i (page 0 has none). */
  cursors: (string | null)[];
  index: number;
}

export const firstPage = (): CursorPages => ({ cursors: [null], index: 0 });

export function current(pages: CursorPages): string | null {
  return pages.cursors[pages.index];
}

export function next(pages: CursorPages, nextCursor: string | null): CursorPages {
  if (!nextCursor) return pages;
  const cursors = pages.cursors.slice(0, pages.index + 1);
  cursors.push(nextCursor);
  return { cursors, index: pages.index + 1 };
}

export function previous(pages: CursorPages): CursorPages {
  return pages.index === 0 ? pages : { cursors: pages.cursors, index: pages.index - 1 };
}

export type SortDir = "asc" | "desc";

/** A sorted copy of `rows` by `key`; strings compare case-insensitively, nulls last. */
export function sortRows<T>(rows: readonly T[], key: (row: T) => string | number | boolean | null, dir: SortDir): T[] {
  const sign = dir === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x === y) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    if (typeof x === "string" && typeof y === "string") return sign * x.localeCompare(y, undefined, { sensitivity: "base" });
    return sign * (x < y ? -1 : 1);
  });
}
