import './tracing';
import 'reflect-metadata';
import { loadConfig } from '@vc/config';
import { applyHeapPolicy } from '@vc/platform';
import { bootstrapGateway } from './bootstrap';

void (async () => {
  const config = loadConfig(process.env, { HTTP_PORT: Number(process.env.HTTP_PORT ?? 3000) });
  applyHeapPolicy(config);
  const app = await bootstrapGateway(config);
  app.get(await import('nestjs-pino').then((m) => m.Logger)).log(`gateway listening on :${config.HTTP_PORT} (OpenAPI at /docs)`);
})();
