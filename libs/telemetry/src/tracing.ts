import type * as OtelApi from '@opentelemetry/api';
import type { MsgHdrs } from 'nats';

/**
 * OpenTelemetry traces, on only when an OTLP endpoint is configured (the standard
 * OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; the protocol, sampler and
 * batch settings from the standard OTEL_* variables too). Off, nothing of OpenTelemetry is even
 * loaded: the helpers below test one boolean and call through.
 *
 * On, each process exports its spans over OTLP: incoming and outgoing HTTP (the gateway, the
 * services' health ports), gRPC (the provider interface), every PostgreSQL query, and NATS
 * request-reply, whose W3C trace context (`traceparent`, `tracestate`) travels in the message
 * headers: one trace runs from the gateway's HTTP request through NATS to the service that answers
 * and to its queries.
 *
 * `startTracing` must run before the instrumented modules (http, pg, @grpc/grpc-js) are first
 * required: each app's main.ts imports its tracing.ts first.
 */
let api: typeof OtelApi | null = null;
let tracer: OtelApi.Tracer | null = null;

export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.OTEL_SDK_DISABLED !== 'true' && Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** Starts the OpenTelemetry SDK for `service` when an OTLP endpoint is configured; returns whether it did. */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (api || !tracingConfigured(env)) return api !== null;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { GrpcInstrumentation } = require('@opentelemetry/instrumentation-grpc') as typeof import('@opentelemetry/instrumentation-grpc');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  api = require('@opentelemetry/api') as typeof OtelApi;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? service }),
    // the exporter, its protocol and the batching come from the standard OTEL_* variables
    instrumentations: [
      // health probes and metrics scrapes are not requests worth a trace
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(health|metrics)/.test(req.url ?? '') }),
      // statement text without values (the values may be personal data); no span for pool.connect;
      // queries only inside a traced request (the outbox relay's and consumers' polling would
      // otherwise make a trace of its own every few milliseconds)
      new PgInstrumentation({ enhancedDatabaseReporting: false, ignoreConnectSpans: true, requireParentSpan: true }),
      new GrpcInstrumentation(),
    ],
  });
  sdk.start();
  tracer = api.trace.getTracer('voucher-clearing');
  const stop = () => void sdk.shutdown().catch(() => undefined);
  process.once('SIGTERM', stop);
  process.once('beforeExit', stop);
  return true;
}

const headerSetter = { set: (h: MsgHdrs, key: string, value: string) => h.set(key, value) };
const headerGetter = {
  get: (h: MsgHdrs | undefined, key: string) => h?.get(key) || undefined,
  keys: (h: MsgHdrs | undefined) => (h ? h.keys() : []),
};

/**
 * A NATS request made under a span of its own (kind client), its trace context written into the
 * request's headers. Off: `send()` alone.
 */
export function traceNatsRequest<T>(subject: string, headers: MsgHdrs, send: () => Promise<T>): Promise<T> {
  if (!tracer || !api) return send();
  const { context, propagation, SpanKind, SpanStatusCode } = api;
  return tracer.startActiveSpan(
    `send ${subject}`,
    { kind: SpanKind.CLIENT, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'messaging.operation.type': 'send' } },
    async (span) => {
      propagation.inject(context.active(), headers, headerSetter);
      try {
        return await send();
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * The handling of a NATS request under a span (kind server) that continues the trace context of
 * the request's headers; the handler's queries become its children. Off: `handle()` alone.
 */
export function traceNatsHandler<T>(subject: string, headers: MsgHdrs | undefined, handle: () => Promise<T>): Promise<T> {
  if (!tracer || !api) return handle();
  const { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode } = api;
  const parent = propagation.extract(ROOT_CONTEXT, headers, headerGetter);
  return context.with(parent, () =>
    tracer!.startActiveSpan(
      `process ${subject}`,
      { kind: SpanKind.SERVER, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'messaging.operation.type': 'process' } },
      async (span) => {
        try {
          return await handle();
        } catch (err) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
          throw err;
        } finally {
          span.end();
        }
      },
    ),
  );
}
