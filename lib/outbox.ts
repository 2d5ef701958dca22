// Status changes collected inside a transaction and emitted on `events` only
// after it commits, so a listener never sees a change that was rolled back.
import type { EventEmitter } from 'node:events';

export type OutboxEvent =
  | { type: 'run'; payload: Record<string, unknown> }
  | { type: 'job'; payload: Record<string, unknown> }
  | { type: 'task'; payload: Record<string, unknown> };

export class Outbox {
  private readonly pending: OutboxEvent[] = [];
  /** work for after the commit (commit statuses through the host, log archival I/O) */
  private readonly effects: Array<() => Promise<void> | void> = [];

  add(event: OutboxEvent): void {
    this.pending.push(event);
  }

  after(effect: () => Promise<void> | void): void {
    this.effects.push(effect);
  }

  /** hands everything collected over to `other` (a committed transaction's share of a larger batch) */
  moveTo(other: Outbox): void {
    for (const e of this.pending.splice(0)) other.add(e);
    for (const f of this.effects.splice(0)) other.after(f);
  }

  /** emits the events and runs the effects; an effect that fails is reported, never thrown */
  async flush(events: EventEmitter, onError: (e: unknown) => void = () => {}): Promise<void> {
    for (const e of this.pending.splice(0)) {
      try {
        events.emit(e.type, e.payload);
      } catch (err) {
        onError(err);
      }
    }
    for (const effect of this.effects.splice(0)) {
      try {
        await effect();
      } catch (err) {
        onError(err);
      }
    }
  }
}
