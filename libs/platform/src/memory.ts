import { setFlagsFromString } from 'node:v8';
import { AppConfig } from '@vc/config';

/**
 * How far V8 lets the old generation grow past what was live after the last full collection
 * before it collects again: factor 1 + HEAP_GROWING_PERCENT / 100 (0 keeps V8's own, adaptive
 * policy). A service's live heap is small while it makes a lot of short-lived garbage, which V8's
 * default lets double the old generation before collecting it (the figures: docs/performance.md,
 * "What was tuned"). Called once at process start, before the heap fills.
 */
export function applyHeapPolicy(config: AppConfig): void {
  if (config.HEAP_GROWING_PERCENT > 0) setFlagsFromString(`--heap-growing-percent=${config.HEAP_GROWING_PERCENT}`);
}
