import './tracing';
import 'reflect-metadata';
import { loadConfig } from '@vc/config';
import { runService } from '@vc/platform';
import { registryService } from './registry.module';

void runService(registryService, loadConfig(process.env, { HTTP_PORT: Number(process.env.HTTP_PORT ?? 3101) }));
