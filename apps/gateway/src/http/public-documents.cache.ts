import { Injectable } from '@nestjs/common';
import { AppConfig } from '@vc/config';

export interface CachedDocument {
  etag: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/**
 * The gateway's copies of published runs' public documents (the notice, the list), by run and
 * name (issue 29: an anonymous flood of downloads must not reach settlement). A copy checked with
 * settlement within PUBLIC_DOCUMENTS_REVALIDATE_SECONDS is served as it is; an older one is revalidated by its ETag
 * (settlement answers a few bytes when it is current), once for all the requests that want it at
 * that moment. So settlement sees at most one request per document and gateway every few seconds,
 * however many clients download it, and a changed document reaches them within that time
 * (browsers and proxies are told max-age=60 anyway). At most MAX_ENTRIES copies (each at most a
 * reply's size), the least recently used dropped first.
 */
@Injectable()
export class PublicDocumentsCache {
  static readonly MAX_ENTRIES = 64;
  private readonly entries = new Map<string, CachedDocument & { checkedAt: number }>();
  private readonly checking = new Map<string, Promise<CachedDocument | null>>();

  constructor(private readonly config: AppConfig) {}

  /**
   * The document under `key`: the copy if checked recently, else what `load` gives, given the copy
   * (or undefined) to revalidate: a document to keep, `held` if the copy is current, or null for a
   * file that is not a public document (served, not kept).
   */
  async get(key: string, load: (held: CachedDocument | undefined) => Promise<CachedDocument | null>): Promise<CachedDocument | null> {
    const held = this.entries.get(key);
    if (held && Date.now() - held.checkedAt < this.config.PUBLIC_DOCUMENTS_REVALIDATE_SECONDS * 1000) {
      this.touch(key, held);
      return held;
    }
    const pending = this.checking.get(key);
    if (pending) return pending;
    const check = load(held).then((doc) => {
      if (doc) this.touch(key, { ...doc, checkedAt: Date.now() });
      return doc;
    });
    this.checking.set(key, check);
    try {
      return await check;
    } finally {
      this.checking.delete(key);
    }
  }

  private touch(key: string, doc: CachedDocument & { checkedAt: number }): void {
    // most recently used last
    this.entries.delete(key);
    this.entries.set(key, doc);
    while (this.entries.size > PublicDocumentsCache.MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }
}
