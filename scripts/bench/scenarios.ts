import { ServiceProcess, TestDatabase, TestNats } from '@vc/testing';
import { LoadResult } from './load';

export interface BenchContext {
  nats: TestNats;
  db: TestDatabase;
  env: Record<string, string>;
  seconds: number;
  concurrency: number;
  flags: Set<string>;
  spawn(name: string, app: 'registry' | 'issuance' | 'redemption' | 'settlement' | 'gateway', env?: Record<string, string>): Promise<ServiceProcess>;
}

export interface Scenario {
  name: string;
  /** only with this command-line flag */
  flag?: string;
  run(ctx: BenchContext): Promise<LoadResult[]>;
}


