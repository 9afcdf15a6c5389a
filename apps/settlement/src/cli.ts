import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { CommandFactory } from 'nest-commander';
import { Commander } from 'nest-commander/src/constants';
import { loadConfig } from '@vc/config';
import { DomainError, ErrorCode } from '@vc/errors';
import { ServiceCoreModule, ServiceDefinition } from '@vc/platform';
import { BankCommand } from './cli/bank.command';
import { CalendarCommand } from './cli/calendar.command';
import { SETTLE_COMMANDS, UsageError } from './cli/commands';
import { settlementMigrations } from './migrations';
import { SETTLEMENT_USE_CASES } from './settlement.module';

/**
 * `settle` — the settlement service's own batch front end (house style 12). It runs the same use
 * cases, transactions, outbox and audit as the NATS service, directly on PostgreSQL: a quarter of
 * millions of claims is a handful of set-wise statements that may take longer than a request
 * timeout, progress is reported between the steps, and a crash is resumed from the run's state.
 * Events it writes are relayed by its own outbox relay (or the service's, if it stops first).
 *
 *   settle run --operator JS --programme JS-2026 --quarter 2026Q3 [--approve-all] [--decisions d.csv] [--out dir]
 *   settle status | resume | statement | rewards      (settle <verb> --help)
 *   settle calendar load --delta --file 2027.json      a year's working-day schedule (SPEC 3)
 *   settle bank import --operator JS --file answer.xml  the bank's answer to a run's pain.001 file
 *
 * Exit codes: 0 ok, 2 bad usage, 3 refused by a rule (the error code is printed), 1 failure.
 */
@Module({ providers: [...SETTLEMENT_USE_CASES, ...SETTLE_COMMANDS, CalendarCommand, BankCommand] })
class SettleCliModule {}

export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, REFUSED: 3 } as const;

/** commander's own errors (unknown option, missing value, --help) carry an exitCode and a 'commander.' code. */
function commanderError(err: unknown): err is Error & { exitCode: number } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && String((err as unknown as { code: string }).code).startsWith('commander.');
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT.USAGE;
  if (commanderError(err)) return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  if (err instanceof DomainError) {
    if (err.code === ErrorCode.VALIDATION_FAILED || err.code === ErrorCode.MALFORMED_REQUEST || err.code === ErrorCode.UNAUTHENTICATED) return EXIT.USAGE;
    return err.httpStatus < 500 ? EXIT.REFUSED : EXIT.FAILURE;
  }
  return EXIT.FAILURE;
}

function report(err: unknown): never {
  const code = exitCodeOf(err);
  if (!commanderError(err)) {
    const body = err instanceof DomainError ? err.toBody() : { code: 'FAILURE', message: (err as Error).message };
    process.stderr.write(`settle: ${JSON.stringify(body)}\n`);
  }
  process.exit(code);
}

async function main(): Promise<void> {
  const config = loadConfig(process.env, { HTTP_PORT: 0, LOG_LEVEL: (process.env.LOG_LEVEL as 'warn') ?? 'warn' });
  const def: ServiceDefinition = { name: 'settlement-cli', identity: 'settlement', schema: 'settlement', migrations: settlementMigrations, feature: SettleCliModule };
  const app = await CommandFactory.createWithoutRunning(ServiceCoreModule.forRoot(def, config), {
    cliName: 'settle',
    logger: ['error'],
    errorHandler: (err) => report(err),
    serviceErrorHandler: (err) => report(err),
  });
  // nest-commander overrides exits on the root program only; bad usage of a verb is exit 2 too.
  const program = app.get<{ commands: Array<{ exitOverride(h: (err: Error) => void): void }> }>(Commander);
  for (const verb of program.commands) verb.exitOverride((err) => report(err));
  await CommandFactory.runApplication(app);
  await app.close();
  process.exit(EXIT.OK);
}

if (require.main === module) void main().catch(report);
