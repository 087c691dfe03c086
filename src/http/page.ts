/**
 * Keyset paging for list routes: the repository is asked for `limit + 1`
 * rows; the extra row only tells that a next page exists, and the last row
 * kept gives its cursor.
 */
export function toPage<R, T>(
  rows: readonly R[],
  limit: number,
  present: (row: R) => T,
  cursorOf: (last: R) => string,
): { items: T[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map((r) => present(r)), nextCursor: more ? cursorOf(kept.at(-1)!) : null };
}
