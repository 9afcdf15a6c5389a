import { ServiceProcess, TestDatabase, TestNats } from '@vc/testing';
import { LoadResult } from './load';

export interface BenchContext {
  nats: TestNats;
  db: TestDatabase;
  env: Record<string, string>;
  seconds: number;
  concurrency: number;
  flags: Set<string>;
  spawn(name: string, app: 'registry' | 'issuance' | 'redemption' | 'settlement' | 'gateway', env?: Record<string, string>, root?: string): Promise<ServiceProcess>;
}

export interface Scenario {
  name: string;
  /** only with this command-line flag */
  flag?: string;
  /**
   * not with this command-line flag: a scenario the flag replaces (both settlement scenarios file
   * the same programme's 2026Q3 run, so one database holds one of them)
   */
  replacedBy?: string;
  run(ctx: BenchContext): Promise<LoadResult[]>;
}


