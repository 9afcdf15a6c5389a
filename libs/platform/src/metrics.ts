import { collectDefaultMetrics, register } from 'prom-client';

let started = false;

/** Process metrics (CPU, memory, event loop) once per process, however many apps it hosts. */
export function ensureDefaultMetrics(): void {
  if (started) return;
  started = true;
  collectDefaultMetrics();
}

export function metricsText(): Promise<string> {
  return register.metrics();
}
