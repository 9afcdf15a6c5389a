import './tracing';
import 'reflect-metadata';
import { loadConfig } from '@vc/config';
import { runService } from '@vc/platform';
import { issuanceService } from './issuance.module';

void runService(issuanceService, loadConfig(process.env, { HTTP_PORT: Number(process.env.HTTP_PORT ?? 3102) }));
