import { setFlagsFromString } from 'node:v8';
import { AppConfig } from '@vc/config';

/**
 * How far V8 lets the old generation grow past what was live after the last full collection
 * before it collects again: factor 1 + HEAP_GROWING_PERCENT / 100 (0 keeps V8's own, adaptive
 * policy). A service's live heap is small (about 50 MiB for redemption under load) while it makes
 * a lot of short-lived garbage; V8's default let redemption's old generation reach ~116 MiB and the
 * process 255 MiB under the payment benchmark. At 20 % the same run peaked at 151 MiB with no loss
 * of throughput (docs/performance.md). Called once at process start, before the heap fills.
 */
export function applyHeapPolicy(config: AppConfig): void {
  if (config.HEAP_GROWING_PERCENT > 0) setFlagsFromString(`--heap-growing-percent=${config.HEAP_GROWING_PERCENT}`);
}
