import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, Option } from 'nest-commander';
import { TokenService } from '@vc/auth';
import { ImportBankReportDto, validateDto } from '@vc/contracts';
import { ImportBankReportUseCase } from '../use-cases/bank/import-bank-report.use-case';
import { OutputFilesUseCase } from '../use-cases/output-files.use-case';
import { RunQueries } from '../use-cases/run-queries';
import { CommonOptions, principalOf, print, SettleCommand, UsageError } from './commands';

interface BankOptions extends CommonOptions {
  file?: string;
}

/**
 * The bank's answer to a run's payment file (docs/operations.md, "Payments through the bank"):
 *
 *   settle bank import --operator JS --file pain002.xml     pain.002 status report or camt.054 notification
 *
 * Prints what each line did; the same file imported again applies nothing twice.
 */
@Command({ name: 'bank', arguments: '<action>', description: "import the bank's answer to a payment file (pain.002 or camt.054): instructions settled or returned" })
export class BankCommand extends SettleCommand {
  constructor(tokens: TokenService, outputs: OutputFilesUseCase, private readonly runs: RunQueries, private readonly importer: ImportBankReportUseCase) {
    super(tokens, outputs);
  }

  protected runsUseCase() {
    return this.runs;
  }

  @Option({ flags: '--file <xml>', description: 'import: the bank file' })
  parseFile(v: string) {
    return v;
  }

  async run([action]: string[], o: BankOptions): Promise<void> {
    const principal = await principalOf(this.tokens, o);
    if (action !== 'import') throw new UsageError('bank <action>: import');
    if (!o.file) throw new UsageError('bank import needs --file <xml>');
    let content: string;
    try {
      content = readFileSync(o.file, 'utf8').replace(/^\uFEFF/, '');
    } catch (err) {
      throw new UsageError(`${o.file}: ${(err as Error).message}`);
    }
    const report = await this.importer.execute(principal, validateDto(ImportBankReportDto, { content }), `cli:bank:${randomUUID()}`);
    const lines = report.entries.map(
      (e) => `  line ${e.line} ${e.reference ?? '-'}: ${e.status}${e.reasonCode ? ` ${e.reasonCode}` : ''}${e.reason ? ` (${e.reason})` : ''} → ${e.outcome}${e.previousStatus ? ` (was ${e.previousStatus})` : ''}`,
    );
    const head = report.alreadyImported ? `${report.format} ${report.messageId} was imported before: nothing applied again` : `${report.format} ${report.messageId}: ${report.appliedCount} of ${report.entryCount} lines applied`;
    print(o, report, [head, ...lines].join('\n'));
  }
}
