import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

interface RequestScope {
  correlationId: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` with a correlation id that logs and outgoing NATS requests carry along. */
export function withCorrelationId<T>(correlationId: string | undefined, fn: () => T): T {
  return storage.run({ correlationId: correlationId || randomUUID() }, fn);
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

/** The longest correlation id a caller may choose; a longer or unprintable one is replaced. */
const MAX_CALLER_CORRELATION_ID = 200;

/**
 * A caller's correlation id (X-Correlation-Id) if it is one a log line can carry (printable ASCII,
 * at most 200 characters), or undefined (then a new one is drawn).
 */
export function acceptedCorrelationId(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value && value.length <= MAX_CALLER_CORRELATION_ID && /^[\x21-\x7e]+$/.test(value) ? value : undefined;
}

/**
 * For an HTTP server's request hook: runs the rest of the request (`next`) under the caller's
 * correlation id or a new one, which the request's log lines and outgoing NATS requests carry.
 */
export function runUnderCorrelationId(header: string | string[] | undefined, next: () => void): void {
  withCorrelationId(acceptedCorrelationId(header), next);
}
