import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { RenderPublicDocumentsUseCase } from '../use-cases/public-documents/render-public-documents.use-case';

/**
 * R-PUB-1: the public documents follow the run's public state, whichever instance (or the CLI)
 * changed it, so every instance looks for out-of-date documents on a timer; a publish on this
 * instance nudges it at once.
 */
@Injectable()
export class PublicDocumentsJob implements OnApplicationBootstrap, OnApplicationShutdown {
  static intervalMs = Number(process.env.SETTLEMENT_PUBLIC_DOCUMENTS_MS ?? 2000);
  private timer: NodeJS.Timeout | null = null;
  private readonly logger = new Logger('PublicDocumentsJob');

  constructor(private readonly documents: RenderPublicDocumentsUseCase) {}

  onApplicationBootstrap(): void {
    if (!(PublicDocumentsJob.intervalMs > 0)) return;
    this.timer = setInterval(() => {
      this.documents.renderDue().catch((err) => this.logger.warn(`public documents not rendered: ${(err as Error).message}`));
    }, PublicDocumentsJob.intervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
