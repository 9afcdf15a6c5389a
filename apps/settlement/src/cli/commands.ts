import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, CommandRunner, Option } from 'nest-commander';
import { TokenService } from '@vc/auth';
import { ClaimDecisionDto, GradeProviderDto, jsonReplacer, Principal, PROVINCES, REVIEW_DECISIONS, Role, RunIdDto, RunView, validateDto } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock } from '@vc/platform';
import { AdvanceRunUseCase } from '../use-cases/advance-run.use-case';
import { DisburseUseCase } from '../use-cases/disburse.use-case';
import { RewardsUseCase } from '../use-cases/rewards.use-case';
import { RecountRunUseCase } from '../use-cases/recount-run.use-case';
import { RunQueries } from '../use-cases/run-queries';
import { FileSink, OutputFilesUseCase } from '../use-cases/output-files.use-case';
import { Progress } from './progress';

export interface CommonOptions {
  operator?: string;
  delta?: boolean;
  token?: string;
  out?: string;
  json?: boolean;
}

/** Bad usage (exit 2). */
export class UsageError extends Error {}

/**
 * Who runs the batch: a principal token (--token or SETTLE_TOKEN, verified like any request), or
 * for an operator at the database host, --operator <PROVINCE> / --delta, recorded with the OS user.
 */
export async function principalOf(tokens: TokenService, o: CommonOptions): Promise<Principal> {
  const token = o.token ?? process.env.SETTLE_TOKEN;
  if (token) return tokens.verify(token);
  const sub = `cli:${userInfo().username}`;
  if (o.delta) return { sub, role: Role.DeltaOperator, org: 'DELTA' };
  if (o.operator) {
    if (!(PROVINCES as readonly string[]).includes(o.operator)) throw new UsageError(`--operator must be one of ${PROVINCES.join(', ')}`);
    return { sub, role: Role.ProgrammeOperator, org: o.operator, province: o.operator as Principal['province'] };
  }
  throw new UsageError('say who acts: --operator <PROVINCE>, --delta, or --token / SETTLE_TOKEN');
}

export function print(o: CommonOptions, value: unknown, text: string): void {
  process.stdout.write(o.json ? `${JSON.stringify(value, jsonReplacer, 2)}\n` : `${text}\n`);
}

function summary(run: RunView): string {
  const counts = Object.entries(run.counts).map(([k, v]) => `${k}=${v}`).join(' ');
  const window = run.publication ? ` publicity ${run.publication.firstDay}..${run.publication.lastDay} (closes ${run.publication.closesAt})` : '';
  return `run ${run.id} ${run.programmeId} ${run.quarter}: ${run.state}; collected ${run.collectedCount}; ${counts}${window}; instructions ${run.instructionCount} = ${run.instructionFen} fen`;
}

/** Shared by the verbs: options, outputs, decisions. */
export abstract class SettleCommand extends CommandRunner {
  protected readonly progress = new Progress();

  constructor(protected readonly tokens: TokenService, protected readonly outputs: OutputFilesUseCase) {
    super();
  }

  @Option({ flags: '--operator <province>', description: 'act as the programme operator of SH, JS, ZJ or AH' })
  parseOperator(v: string) {
    return v.toUpperCase();
  }

  @Option({ flags: '--delta', description: 'act as the delta clearing desk' })
  parseDelta() {
    return true;
  }

  @Option({ flags: '--token <jwt>', description: 'a principal token (default: SETTLE_TOKEN)' })
  parseToken(v: string) {
    return v;
  }

  @Option({ flags: '--out <dir>', description: 'where to write the output files (default ./settlement-out)' })
  parseOut(v: string) {
    return v;
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson() {
    return true;
  }

  protected outDir(o: CommonOptions, sub: string): string {
    const dir = resolve(o.out ?? 'settlement-out', sub);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** Files into `dir`: the sink the outputs use case writes through. */
  protected into(dir: string): FileSink {
    return (name) => createWriteStream(join(dir, name));
  }

  /** The outputs a run has so far (OutputFilesUseCase.run), written under --out; returns their paths. */
  protected async runOutputs(o: CommonOptions, principal: Principal, run: RunView): Promise<string[]> {
    const dir = this.outDir(o, `${run.programmeId}-${run.quarter}`);
    const { files } = await this.outputs.run(principal, { runId: run.id }, this.into(dir), this.progress);
    return files.map((f) => join(dir, f));
  }

  protected async findRun(principal: Principal, programme?: string, quarter?: string, runId?: string): Promise<RunView | null> {
    if (runId) return this.runsUseCase().get(principal, { runId });
    if (!programme || !quarter) throw new UsageError('give --run <id>, or --programme <id> and --quarter <YYYYQn>');
    const { items } = await this.runsUseCase().list(principal, { programmeId: programme, quarter });
    return items[0] ?? null;
  }

  protected abstract runsUseCase(): RunQueries;
}

interface RunOptions extends CommonOptions {
  programme?: string;
  quarter?: string;
  run?: string;
  approveAll?: boolean;
  decisions?: string;
  sampleRateBp?: number;
  seed?: string;
  /** false with --no-publish */
  publish?: boolean;
}

/**
 * The lines of an operator's CSV file, each parsed by `parse` from its comma-separated fields (a
 * header line naming `header` is skipped, and so are empty lines). Every line is read before any
 * is used; a line `parse` refuses is bad usage, named by file and line.
 */
export function readCsvLines<T>(path: string, header: RegExp, parse: (fields: string[]) => T): T[] {
  const out: T[] = [];
  readFileSync(path, 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (!line.trim() || (i === 0 && header.test(line))) return;
      try {
        out.push(parse(line.split(',')));
      } catch (err) {
        throw new UsageError(`${path}:${i + 1}: ${(err as Error).message}`);
      }
    });
  return out;
}

/** Reads claimId,decision,reason lines (a header line is allowed); a bad line is bad usage. */
export function readDecisions(path: string): ClaimDecisionDto[] {
  return readCsvLines(path, /claim/i, ([claimId, decision, ...reason]) => {
    const body: Record<string, unknown> = { claimId: claimId?.trim(), decision: decision?.trim() };
    if (reason.length && reason.join(',').trim()) body.reason = reason.join(',').trim().replace(/^"|"$/g, '');
    if (!REVIEW_DECISIONS.includes(body.decision as never)) throw new UsageError('decision must be approve, reject or return');
    return validateDto(ClaimDecisionDto, body);
  });
}

@Command({ name: 'run', description: 'start or continue the quarterly run of a programme: collect, review, publish, disburse, write the outputs' })
export class RunCommand extends SettleCommand {
  constructor(
    tokens: TokenService,
    outputs: OutputFilesUseCase,
    private readonly runs: RunQueries,
    private readonly advance: AdvanceRunUseCase,
    private readonly clock: Clock,
  ) {
    super(tokens, outputs);
  }

  protected runsUseCase() {
    return this.runs;
  }

  @Option({ flags: '--programme <id>', description: 'programme, e.g. JS-2026' })
  parseProgramme(v: string) {
    return v;
  }

  @Option({ flags: '--quarter <quarter>', description: 'quarter, e.g. 2026Q3' })
  parseQuarter(v: string) {
    return v;
  }

  @Option({ flags: '--run <id>', description: 'an existing run' })
  parseRun(v: string) {
    return v;
  }

  @Option({ flags: '--approve-all', description: 'approve every claim in review that is neither sampled nor flagged' })
  parseApproveAll() {
    return true;
  }

  @Option({ flags: '--decisions <csv>', description: 'decisions file: claimId,decision(approve|reject|return),reason' })
  parseDecisions(v: string) {
    return v;
  }

  @Option({ flags: '--sample-rate-bp <n>', description: 'inspection sample in basis points (default 500)' })
  parseSampleRate(v: string) {
    if (!/^\d{1,5}$/.test(v)) throw new UsageError('--sample-rate-bp must be an integer 0..10000');
    return Number(v);
  }

  @Option({ flags: '--seed <hex>', description: 'reproduce a sample with a stored seed' })
  parseSeed(v: string) {
    return v;
  }

  @Option({ flags: '--no-publish', description: 'stop after the review; do not publish' })
  parseNoPublish() {
    return true;
  }

  /** The run taken as far as it goes now (AdvanceRunUseCase), then its outputs written. */
  async run(_params: string[], o: RunOptions): Promise<void> {
    const principal = await principalOf(this.tokens, o);
    const decisions = o.decisions ? readDecisions(o.decisions) : [];
    if (!o.run && (!o.programme || !o.quarter)) throw new UsageError('give --run <id>, or --programme <id> and --quarter <YYYYQn>');
    const run = await this.advance.execute(
      principal,
      {
        ...(o.run ? { runId: o.run } : { programmeId: o.programme, quarter: o.quarter }),
        ...(o.sampleRateBp !== undefined ? { sampleRateBp: o.sampleRateBp } : {}),
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        decisions,
        approveAll: o.approveAll ?? false,
        publish: o.publish !== false,
      },
      this.progress,
    );
    const files = await this.runOutputs(o, principal, run);
    print(o, { run, files }, `${summary(run)}${nextStep(run, this.clock.now())}\n${files.map((f) => `  wrote ${f}`).join('\n')}`);
  }
}

function nextStep(run: RunView, now: Date): string {
  if (run.state === 'review') {
    const left = run.counts.in_review ?? 0;
    return left ? `\nnext: decide ${left} claims (sampled or flagged ones one by one: --decisions file.csv), then run again` : '\nnext: run again to publish';
  }
  if (run.state === 'publicity' && now < new Date(run.publication!.closesAt)) return `\nnext: after ${run.publication!.closesAt}, run again (or settle resume) to disburse`;
  if (run.state !== 'completed') return '\nnext: settle resume';
  return '';
}

interface ResumeOptions extends CommonOptions {
  run?: string;
  programme?: string;
  quarter?: string;
}

@Command({ name: 'resume', description: 'resume a disbursement after a crash or a stop (idempotent: never a second instruction or payment)' })
export class ResumeCommand extends SettleCommand {
  constructor(tokens: TokenService, outputs: OutputFilesUseCase, private readonly runs: RunQueries, private readonly disbursement: DisburseUseCase) {
    super(tokens, outputs);
  }

  protected runsUseCase() {
    return this.runs;
  }

  @Option({ flags: '--run <id>' })
  parseRun(v: string) {
    return v;
  }

  @Option({ flags: '--programme <id>' })
  parseProgramme(v: string) {
    return v;
  }

  @Option({ flags: '--quarter <quarter>' })
  parseQuarter(v: string) {
    return v;
  }

  async run(_params: string[], o: ResumeOptions): Promise<void> {
    const principal = await principalOf(this.tokens, o);
    const found = await this.findRun(principal, o.programme, o.quarter, o.run);
    if (!found) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'run', message: 'no such run' });
    this.progress.start('disburse', 3);
    const run = await this.disbursement.execute(principal, { runId: found.id }, (step, detail) => this.progress.tick({ step, ...detail }));
    this.progress.stop();
    const files = await this.runOutputs(o, principal, run);
    print(o, { run, files }, `${summary(run)}\n${files.map((f) => `  wrote ${f}`).join('\n')}`);
  }
}

interface StatusOptions extends CommonOptions {
  programme?: string;
  quarter?: string;
}

@Command({ name: 'status', description: 'list runs and their states' })
export class StatusCommand extends SettleCommand {
  constructor(tokens: TokenService, outputs: OutputFilesUseCase, private readonly runs: RunQueries) {
    super(tokens, outputs);
  }

  protected runsUseCase() {
    return this.runs;
  }

  @Option({ flags: '--programme <id>' })
  parseProgramme(v: string) {
    return v;
  }

  @Option({ flags: '--quarter <quarter>' })
  parseQuarter(v: string) {
    return v;
  }

  async run(_params: string[], o: StatusOptions): Promise<void> {
    const principal = await principalOf(this.tokens, o);
    const { items } = await this.runs.list(principal, { programmeId: o.programme, quarter: o.quarter });
    print(o, { runs: items }, items.length ? items.map(summary).join('\n') : 'no runs');
  }
}

interface RecountOptions extends CommonOptions {
  run?: string;
}

@Command({ name: 'recount', description: "count a run's claims afresh and set its counters to the count (for a run the ledger check names)" })
export class RecountCommand extends SettleCommand {
  constructor(tokens: TokenService, outputs: OutputFilesUseCase, private readonly runs: RunQueries, private readonly recount: RecountRunUseCase) {
    super(tokens, outputs);
  }

  protected runsUseCase() {
    return this.runs;
  }

  @Option({ flags: '--run <id>', required: true })
  parseRun(v: string) {
    return v;
  }

  async run(_params: string[], o: RecountOptions): Promise<void> {
    const principal = await principalOf(this.tokens, o);
    const { run, changed } = await this.recount.execute(principal, validateDto(RunIdDto, { runId: o.run }));
    const lines = Object.entries(changed).map(([column, c]) => `  ${column}: ${c.was} -> ${c.now}`);
    print(o, { run, changed }, `${summary(run)}\n${lines.length ? lines.join('\n') : '  the counters were right; nothing changed'}`);
  }
}

interface StatementOptions extends CommonOptions {
  quarter?: string;
  programme?: string;
}

@Command({ name: 'statement', description: 'the cross-province statement of a quarter (R-CLEAR-1), as CSV and XLSX' })
export class StatementCommand extends SettleCommand {
  constructor(tokens: TokenService, outputs: OutputFilesUseCase, private readonly runs: RunQueries) {
    super(tokens, outputs);
  }

  protected runsUseCase() {
    return this.runs;
  }

  @Option({ flags: '--quarter <quarter>', required: true })
  parseQuarter(v: string) {
    return v;
  }

  @Option({ flags: '--programme <id>' })
  parseProgramme(v: string) {
    return v;
  }

  async run(_params: string[], o: StatementOptions): Promise<void> {
    const principal = await principalOf(this.tokens, o);
    const dir = this.outDir(o, `statement-${o.quarter}`);
    const { statement, files: names } = await this.outputs.statement(principal, { quarter: o.quarter, programmeId: o.programme, detail: false }, this.into(dir), this.progress);
    const files = names.map((f) => join(dir, f));
    const lines = statement.cells.filter((c) => BigInt(c.totalFen) > 0n).map((c) => `  ${c.programmeId} → ${c.providerProvince}: ${c.claimCount} claims, ${c.totalFen} fen`);
    print(o, { statement, files }, `statement ${o.quarter}: ${statement.totalCount} claims, ${statement.totalFen} fen (instructions ${statement.instructionFen} fen)\n${lines.join('\n')}\n${files.map((f) => `  wrote ${f}`).join('\n')}`);
    if (statement.totalFen !== statement.instructionFen) throw new Error('statement total differs from the payment instructions');
  }
}

interface RewardsOptions extends CommonOptions {
  programme?: string;
  year?: number;
  grades?: string;
}

@Command({ name: 'rewards', description: 'grade providers (--grades csv: providerId,grade) and compute the year-end rewards (R-REWARD-1)' })
export class RewardsCommand extends SettleCommand {
  constructor(tokens: TokenService, outputs: OutputFilesUseCase, private readonly runs: RunQueries, private readonly rewards: RewardsUseCase) {
    super(tokens, outputs);
  }

  protected runsUseCase() {
    return this.runs;
  }

  @Option({ flags: '--programme <id>', required: true })
  parseProgramme(v: string) {
    return v;
  }

  @Option({ flags: '--year <year>', required: true })
  parseYear(v: string) {
    if (!/^\d{4}$/.test(v)) throw new UsageError('--year must be a year');
    return Number(v);
  }

  @Option({ flags: '--grades <csv>', description: 'providerId,grade (excellent|good|fair|poor)' })
  parseGrades(v: string) {
    return v;
  }

  async run(_params: string[], o: RewardsOptions): Promise<void> {
    const principal = await principalOf(this.tokens, o);
    if (o.grades) {
      // Every line is checked before any grade is written. A grade is set, not added, so running a file
      // again is harmless: each invocation has keys of its own, and the grade a later one gives applies
      // (a key naming only provider and grade would replay an earlier reply and keep a newer grade).
      const invocation = randomUUID();
      const grades = readCsvLines(o.grades, /provider/i, (fields) => {
        const [providerId, grade] = fields.map((f) => f.trim());
        return validateDto(GradeProviderDto, { programmeId: o.programme, year: o.year, providerId, grade });
      });
      this.progress.start('grades', grades.length);
      for (const [i, dto] of grades.entries()) {
        await this.rewards.grade(principal, dto, `cli:grade:${o.programme}:${o.year}:${invocation}:${i}`);
        this.progress.tick({ providerId: dto.providerId });
      }
      this.progress.stop();
    }
    const result = await this.rewards.compute(principal, { programmeId: o.programme!, year: o.year! }, `cli:rewards:${o.programme}:${o.year}:${Date.now()}`);
    const dir = this.outDir(o, `rewards-${o.programme}-${o.year}`);
    const files = (await this.outputs.rewardsOf(principal, { programmeId: o.programme!, year: o.year! }, this.into(dir), this.progress)).map((f) => join(dir, f));
    print(o, { ...result, files }, `rewards ${o.programme} ${o.year}: ${result.items.length} providers, ${result.totalFen} fen\n${files.map((f) => `  wrote ${f}`).join('\n')}`);
  }
}

export const SETTLE_COMMANDS = [RunCommand, ResumeCommand, StatusCommand, RecountCommand, StatementCommand, RewardsCommand];
