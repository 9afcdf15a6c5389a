import { Injectable } from '@nestjs/common';

export interface CachedDocument {
  etag: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/**
 * The gateway's copies of published runs' public documents (the notice, the list), by run and
 * name. Each download still asks settlement whether the copy's ETag is current (a few bytes, no
 * content when it is), so a copy is never served after the run's public state changed; the bytes
 * cross NATS once per rendering instead of once per anonymous download (issue 29). At most
 * MAX_ENTRIES copies (each at most a reply's size), the least recently used dropped first.
 */
@Injectable()
export class PublicDocumentsCache {
  static readonly MAX_ENTRIES = 64;
  private readonly entries = new Map<string, CachedDocument>();

  get(key: string): CachedDocument | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      // most recently used last
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, doc: CachedDocument): void {
    this.entries.delete(key);
    this.entries.set(key, doc);
    while (this.entries.size > PublicDocumentsCache.MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }
}
