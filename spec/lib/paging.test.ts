import { expect } from 'chai';
import { walkPages } from '../../lib/paging.js';

describe('walkPages: keyset paging for the maintenance and schedule passes', () => {
  const rows = Array.from({ length: 25 }, (_, i) => ({ id: (i + 1) * 2 }));
  const reader = (reads: Array<[number, number]>) => async (afterId: number, limit: number) => {
    reads.push([afterId, limit]);
    return rows.filter((r) => r.id > afterId).slice(0, limit);
  };

  it('visits every row once across pages, and a row that throws is reported and skipped', async () => {
    const reads: Array<[number, number]> = [];
    const seen: number[] = [];
    const failed: number[] = [];
    const counted = await walkPages({
      size: 10,
      read: reader(reads),
      visit: async (r) => {
        seen.push(r.id);
        if (r.id === 14) throw new Error('bad row');
        return r.id % 4 === 0;
      },
      failed: (r) => failed.push(r.id),
    });
    expect(seen).to.deep.equal(rows.map((r) => r.id));
    expect(failed).to.deep.equal([14]);
    expect(counted).to.equal(12);
    expect(reads).to.deep.equal([[0, 10], [20, 10], [40, 10]]);
  });

  it('stops at `max` counted rows, and between pages when keepGoing says so', async () => {
    const capped = await walkPages({ size: 10, max: 7, read: reader([]), visit: async () => true, failed: () => {} });
    expect(capped).to.equal(7);
    const reads: Array<[number, number]> = [];
    let asked = 0;
    const stopped = await walkPages({ size: 10, read: reader(reads), visit: async () => true, failed: () => {}, keepGoing: async () => ++asked < 2 });
    expect(stopped).to.equal(20);
    expect(reads).to.have.length(2);
  });
});
