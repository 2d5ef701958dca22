// The runner protocol as Express middleware: Connect (binary protobuf and
// JSON) over HTTP/1.1, mounted at /api/actions inside the plugin router.
import { Code, ConnectError, createConnectRouter } from '@connectrpc/connect';
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from '@connectrpc/connect-node';
import type { UniversalServerResponse } from '@connectrpc/connect/protocol';
import type { RequestHandler } from 'express';
import type { Deps } from '../../lib/deps.js';
import { runnerRoutes } from './service.js';

/** a runner's log backlog after a long outage can be large; beyond this a request is refused */
const READ_MAX_BYTES = 64 * 1024 * 1024;
/**
 * Responses smaller than this go out uncompressed although the runner accepts gzip: an
 * assigned task is a few KiB, and gzipping it was one of the largest costs of a claim
 * (about 0.3 ms), for a saving of a few KiB on the wire.
 */
const COMPRESS_MIN_BYTES = 64 * 1024;

/**
 * connect-es answers a binary body it cannot decode or decompress with `internal` (a JSON
 * body it cannot decode gets `invalid_argument`); a malformed request is the
 * caller's fault, so both are `invalid_argument`, as connect-go answers.
 */
async function mapUndecodable(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  if (res.status !== 500 || !res.body || res.header?.get('content-encoding')) return res;
  const chunks: Uint8Array[] = [];
  for await (const c of res.body as AsyncIterable<Uint8Array>) chunks.push(c);
  const raw = Buffer.concat(chunks);
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = JSON.parse(raw.toString('utf8')) as typeof error;
  } catch {
    /* not an error body */
  }
  if (error?.code !== 'internal' || typeof error.message !== 'string' || !/^(parse binary: |decompression failed)/.test(error.message)) {
    return { ...res, body: (async function* () { yield new Uint8Array(raw); })() };
  }
  const body = new TextEncoder().encode(JSON.stringify({ code: 'invalid_argument', message: error.message }));
  const header = new Headers(res.header);
  header.set('content-length', String(body.byteLength));
  return { status: 400, header, trailer: res.trailer, body: (async function* () { yield body; })() };
}

export function runnerProtocol(deps: Deps): RequestHandler {
  // what expressConnectMiddleware does, with the decode-error mapping between handler and response
  const router = createConnectRouter({
    readMaxBytes: READ_MAX_BYTES,
    acceptCompression: [compressionGzip, compressionBrotli],
    compressMinBytes: COMPRESS_MIN_BYTES,
  });
  runnerRoutes(deps)(router);
  const paths = new Map(router.handlers.map((h) => [h.requestPath, h]));
  return (req, res, next) => {
    const handler = paths.get(req.url.split('?', 2)[0]!);
    if (!handler) return next();
    const body = req.body === null || req.body === undefined ? undefined : (req.body as unknown);
    const uReq = universalRequestFromNodeRequest(req, res, body as never, undefined);
    handler(uReq)
      .then(mapUndecodable)
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((reason: unknown) => {
        // the client went away (Connect reports it as aborted): nothing left to answer
        if (ConnectError.from(reason).code === Code.Aborted) return;
        deps.logger.error({ err: reason, procedure: handler.method.name }, 'runner call could not be answered');
      });
  };
}
