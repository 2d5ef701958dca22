// protobuf <-> transport-neutral values of lib/: int64 as bigint, times as
// google.protobuf.Timestamp, the Task message.
import { create } from '@bufbuild/protobuf';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import type { JsonObject } from '@bufbuild/protobuf';
import { InvalidArgument } from '../../lib/errors.js';
import type { AssignedTask } from '../../lib/tasks/index.js';
import type { RunnerRow } from '../../models/runners.js';
import { RunnerSchema, TaskNeedSchema, TaskSchema, type Runner, type Task } from '../../proto/gen/runner/v1/messages_pb.js';

/** an int64 field as a JS number; out-of-range values are bad input, not silent wrap-around */
export function toNumber(v: bigint, field: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new InvalidArgument(`${field}: out of range`, { field });
  return Number(v);
}

/** a Timestamp as unix ms; unset or zero is undefined */
export function toMs(t: Timestamp | undefined, field: string): number | undefined {
  if (!t || (t.seconds === 0n && t.nanos === 0)) return undefined;
  if (t.seconds > 10_000_000_000n || t.seconds < -10_000_000_000n) throw new InvalidArgument(`${field}: timestamp out of range`, { field });
  return timestampDate(t).getTime();
}

const encoder = new TextEncoder();

export function toTaskMessage(t: AssignedTask): Task {
  const needs: Task['needs'] = {};
  for (const [key, need] of Object.entries(t.needs)) needs[key] = create(TaskNeedSchema, { outputs: need.outputs, result: need.result });
  return create(TaskSchema, {
    id: BigInt(t.id),
    workflowPayload: encoder.encode(t.workflowPayload),
    // JSON round trip: the Struct holds JSON values only (no undefined, no Dates)
    context: JSON.parse(JSON.stringify(t.context)) as JsonObject,
    secrets: t.secrets,
    needs,
    vars: t.vars,
  });
}

export function toRunnerMessage(r: RunnerRow, token = ''): Runner {
  return create(RunnerSchema, {
    id: BigInt(r.id),
    uuid: r.uuid,
    token,
    name: r.name,
    version: r.version,
    labels: r.labels,
    ephemeral: r.ephemeral,
  });
}
