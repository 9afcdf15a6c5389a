import './tracing';
import 'reflect-metadata';
import { loadConfig } from '@vc/config';
import { runRedemption } from './bootstrap';

void runRedemption(
  loadConfig(process.env, { HTTP_PORT: Number(process.env.HTTP_PORT ?? 3103), GRPC_PORT: Number(process.env.GRPC_PORT ?? 50051) }),
);
