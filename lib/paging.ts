// Keyset paging for the passes over many rows (timeouts, logs, reconciliation,
// schedules): pages of rows after the last id seen, each row handled on its
// own, so memory stays bounded and a row that fails is logged and skipped:
// one bad row never stops a pass, and the next pass tries it again.

/** asked between pages; a lease-guarded caller answers false once its lease is lost */
export type KeepGoing = () => Promise<boolean>;

export const always: KeepGoing = async () => true;

export interface PageWalk<R extends { id: number }> {
  size: number;
  /** up to `limit` rows with an id above `afterId`, in id order */
  read(afterId: number, limit: number): Promise<R[]>;
  /** handles one row; true when it counts (stopped, moved, fired…) */
  visit(row: R): Promise<boolean>;
  /** reports a row whose visit threw */
  failed(row: R, error: unknown): void;
  keepGoing?: KeepGoing;
  /** stop once this many rows counted */
  max?: number;
}

/** walks every page and returns how many rows counted */
export async function walkPages<R extends { id: number }>(walk: PageWalk<R>): Promise<number> {
  const keepGoing = walk.keepGoing ?? always;
  let counted = 0;
  let afterId = 0;
  for (;;) {
    const limit = walk.max === undefined ? walk.size : Math.min(walk.size, walk.max - counted);
    const page = await walk.read(afterId, limit);
    for (const row of page) {
      afterId = row.id;
      try {
        if (await walk.visit(row)) counted++;
      } catch (e) {
        walk.failed(row, e);
      }
    }
    if (page.length < limit || (walk.max !== undefined && counted >= walk.max) || !(await keepGoing())) return counted;
  }
}
