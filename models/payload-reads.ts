// Reads of tables other gateways own, for building a task's context: the
// stored repository, for runs whose event has no repository object.
import type { Executor } from './base.js';

export async function storedRepository(k: Executor, id: number): Promise<{ full_name: string; data: string } | undefined> {
  return (await k('action_repository').where({ id }).first('full_name', 'data')) as { full_name: string; data: string } | undefined;
}
