import { Logger } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { KV, NatsConnection, StorageType } from 'nats';
import { RATE_LIMIT_BUCKET } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** How often a counter is read and written again when another gateway wrote it in between. */
const MAX_ATTEMPTS = 50;

/** What this instance holds of one counter in the current window. */
interface Slice {
  window: number;
  /** the shared counter before this slice was taken */
  base: number;
  granted: number;
  used: number;
  /** the shared counter reached the limit: refused until the window ends, without asking again */
  exhausted: boolean;
}

/**
 * The rate limits' counters in a NATS KV bucket, shared by every gateway instance (issue 29: the
 * throttler's counters lived in each process, so N gateways allowed N times the limit). Fixed
 * windows of `ttl`, one shared counter per throttler, tracker and window. An instance takes the
 * budget in slices (a twentieth of the limit, at least 1) by compare-and-set (a write names the
 * revision it read, so no slice is granted twice) and spends a slice locally: a busy principal
 * costs one KV round trip per slice, not per request, and all instances together never pass the
 * limit (a slice left unspent in one instance is lost to the others until the window ends). Once
 * the shared counter is at the limit, the instance refuses without asking again until the window
 * ends: a flood costs nothing more. Keys expire with the bucket's TTL (two windows). When the
 * bucket cannot be reached the request is refused (UNAVAILABLE): the limits fail closed.
 */
export class NatsKvThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimits');
  private bucket: Promise<KV> | null = null;
  private readonly slices = new Map<string, Slice>();
  /** one slice taken at a time per counter in this instance */
  private readonly taking = new Map<string, Promise<unknown>>();

  constructor(private readonly nc: NatsConnection, private readonly windowMs: number, private readonly replicas: number) {}

  private kv(): Promise<KV> {
    if (!this.bucket) {
      this.bucket = this.nc
        .jetstream()
        .views.kv(RATE_LIMIT_BUCKET, { history: 1, ttl: 2 * this.windowMs, storage: StorageType.Memory, replicas: this.replicas })
        .catch((err) => {
          this.bucket = null;
          throw err;
        });
    }
    return this.bucket;
  }

  async increment(key: string, ttl: number, limit: number, _blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    const window = Math.floor(now / ttl);
    const timeToExpire = Math.max(1, Math.ceil(((window + 1) * ttl - now) / 1000));
    const counter = `${throttlerName}.${key}`;
    for (;;) {
      const slice = this.slices.get(counter);
      if (slice && slice.window === window) {
        if (slice.used < slice.granted) {
          slice.used++;
          return { totalHits: slice.base + slice.used, timeToExpire, isBlocked: false, timeToBlockExpire: 0 };
        }
        if (slice.exhausted) return { totalHits: limit + 1, timeToExpire, isBlocked: true, timeToBlockExpire: timeToExpire };
      }
      // take the next slice, one request of this instance at a time; the others wait for it and spend it
      const pending = this.taking.get(counter);
      if (pending) {
        await pending;
        continue;
      }
      const take = this.take(`${counter}.${window}`, window, limit).then(
        (taken) => this.remember(counter, taken),
        (err: Error) => {
          this.logger.warn(`rate limit not counted: ${err.message}`);
          throw new DomainError(ErrorCode.UNAVAILABLE, { message: 'the rate limits cannot be counted now; try again shortly' });
        },
      );
      this.taking.set(counter, take);
      try {
        await take;
      } finally {
        this.taking.delete(counter);
      }
    }
  }

  private remember(counter: string, slice: Slice): void {
    if (this.slices.size > 50_000) for (const [k, s] of this.slices) if (s.window < slice.window) this.slices.delete(k);
    this.slices.set(counter, slice);
  }

  /** A slice of the window's budget from the shared counter, by compare-and-set; none left: exhausted. */
  private async take(shared: string, window: number, limit: number): Promise<Slice> {
    const kv = await this.kv();
    const size = Math.max(1, Math.floor(limit / 20));
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = await kv.get(shared);
      const seen = entry && entry.operation === 'PUT' ? Number(decoder.decode(entry.value)) : 0;
      if (seen >= limit) return { window, base: seen, granted: 0, used: 0, exhausted: true };
      const granted = Math.min(size, limit - seen);
      try {
        if (entry) await kv.update(shared, encoder.encode(String(seen + granted)), entry.revision);
        else await kv.create(shared, encoder.encode(String(granted)));
        return { window, base: seen, granted, used: 0, exhausted: false };
      } catch (err) {
        // another gateway took a slice in between (wrong last sequence / key exists): read again
        if (!/wrong last sequence|exists/i.test((err as Error).message)) throw err;
      }
    }
    throw new Error(`the counter ${shared} changed under ${MAX_ATTEMPTS} attempts in a row`);
  }
}
