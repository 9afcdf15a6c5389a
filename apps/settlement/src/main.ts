import './tracing';
import 'reflect-metadata';
import { loadConfig } from '@vc/config';
import { runService } from '@vc/platform';
import { settlementService } from './settlement.module';

void runService(settlementService, loadConfig(process.env, { HTTP_PORT: Number(process.env.HTTP_PORT ?? 3104) }));
