// The runner.v1.RunnerService and ping.v1.PingService handlers: decode,
// authenticate from the x-runner-* headers, call lib/, encode.
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import type { Deps } from '../../lib/deps.js';
import { authenticatePoll, authenticateRunner, declareRunner, registerRunner } from '../../lib/runners.js';
import { fetchTasks, updateLog, updateTask } from '../../lib/tasks/index.js';
import { RunnerService } from '../../proto/gen/runner/v1/services_pb.js';
import { PingService } from '../../proto/gen/ping/v1/services_pb.js';
import {
  DeclareResponseSchema,
  FetchTaskResponseSchema,
  RegisterResponseSchema,
  TaskStateSchema,
  UpdateLogResponseSchema,
  UpdateTaskResponseSchema,
} from '../../proto/gen/runner/v1/messages_pb.js';
import { PingResponseSchema } from '../../proto/gen/ping/v1/messages_pb.js';
import { mapErrors } from './errors.js';
import { toMs, toNumber, toRunnerMessage, toTaskMessage } from './convert.js';

function credentials(ctx: HandlerContext): { uuid: string; token: string } {
  return { uuid: ctx.requestHeader.get('x-runner-uuid') ?? '', token: ctx.requestHeader.get('x-runner-token') ?? '' };
}

export function runnerRoutes(deps: Deps) {
  const log = deps.logger;
  return (router: ConnectRouter): void => {
    router.service(PingService, {
      async ping(req) {
        return create(PingResponseSchema, { data: `Hello, ${req.data}!` });
      },
    });

    router.service(RunnerService, {
      register: (req) =>
        mapErrors(log, 'Register', async () => {
          const { runner, token } = await registerRunner(deps, {
            token: req.token,
            name: req.name,
            version: req.version,
            labels: req.labels,
            ephemeral: req.ephemeral,
          });
          return create(RegisterResponseSchema, { runner: toRunnerMessage(runner, token) });
        }),

      declare: (req, ctx) =>
        mapErrors(log, 'Declare', async () => {
          const { uuid, token } = credentials(ctx);
          const runner = await authenticateRunner(deps, uuid, token);
          const updated = await declareRunner(deps, runner, { version: req.version, labels: req.labels });
          return create(DeclareResponseSchema, { runner: toRunnerMessage(updated) });
        }),

      fetchTask: (req, ctx) =>
        mapErrors(log, 'FetchTask', async () => {
          const { uuid, token } = credentials(ctx);
          const key = ctx.requestHeader.get('x-runner-request-key') || null;
          const auth = await authenticatePoll(deps, uuid, token, key);
          const result = await fetchTasks(deps, auth, {
            tasksVersion: toNumber(req.tasksVersion, 'tasks_version'),
            capacity: req.taskCapacity === undefined ? undefined : toNumber(req.taskCapacity, 'task_capacity'),
            requestKey: key,
          });
          const [first, ...rest] = result.tasks.map(toTaskMessage);
          return create(FetchTaskResponseSchema, { task: first, tasksVersion: BigInt(result.tasksVersion), additionalTasks: rest });
        }),

      // later protocol versions only; the runner falls back to FetchTask on `unimplemented`
      fetchSingleTask: async () => {
        throw new ConnectError('runner.v1.RunnerService.FetchSingleTask is not implemented', Code.Unimplemented);
      },

      updateTask: (req, ctx) =>
        mapErrors(log, 'UpdateTask', async () => {
          const { uuid, token } = credentials(ctx);
          const runner = await authenticateRunner(deps, uuid, token, { active: true });
          const s = req.state;
          const result = await updateTask(
            deps,
            runner,
            s && {
              id: toNumber(s.id, 'state.id'),
              result: s.result,
              startedAt: toMs(s.startedAt, 'state.started_at'),
              stoppedAt: toMs(s.stoppedAt, 'state.stopped_at'),
              steps: s.steps.map((st) => ({
                id: toNumber(st.id, 'state.steps.id'),
                result: st.result,
                startedAt: toMs(st.startedAt, 'state.steps.started_at'),
                stoppedAt: toMs(st.stoppedAt, 'state.steps.stopped_at'),
                logIndex: toNumber(st.logIndex, 'state.steps.log_index'),
                logLength: toNumber(st.logLength, 'state.steps.log_length'),
              })),
            },
            req.outputs,
          );
          return create(UpdateTaskResponseSchema, {
            state: create(TaskStateSchema, { id: BigInt(result.id), result: result.result }),
            sentOutputs: result.sentOutputs,
          });
        }),

      updateLog: (req, ctx) =>
        mapErrors(log, 'UpdateLog', async () => {
          const { uuid, token } = credentials(ctx);
          const runner = await authenticateRunner(deps, uuid, token, { active: true });
          // no_more is not needed: the log is archived once the task's end is committed (UpdateTask)
          const result = await updateLog(deps, runner, {
            taskId: toNumber(req.taskId, 'task_id'),
            index: toNumber(req.index, 'index'),
            rows: req.rows.map((r) => ({ time: toMs(r.time, 'rows.time'), content: r.content })),
          });
          return create(UpdateLogResponseSchema, { ackIndex: BigInt(result.ackIndex) });
        }),
    });
  };
}
