import { SingleBar, Presets } from 'cli-progress';

/** House style 12: a progress bar on a TTY, structured JSON lines otherwise (logs, CI, cron). */
export class Progress {
  private bar: SingleBar | null = null;
  private label = '';
  private done = 0;
  private total = 0;

  constructor(private readonly tty = Boolean(process.stderr.isTTY)) {}

  start(label: string, total: number): void {
    this.stop();
    this.label = label;
    this.total = total;
    this.done = 0;
    if (this.tty) {
      this.bar = new SingleBar({ format: `${label.padEnd(14)} [{bar}] {value}/{total} {detail}`, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
      this.bar.start(total, 0, { detail: '' });
    } else {
      this.log({ event: 'start', step: label, total });
    }
  }

  tick(detail: Record<string, unknown> = {}, by = 1): void {
    this.done += by;
    if (this.bar) this.bar.update(this.done, { detail: Object.entries(detail).map(([k, v]) => `${k}=${String(v)}`).join(' ') });
    else this.log({ event: 'progress', step: this.label, done: this.done, total: this.total, ...detail });
  }

  stop(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    } else if (this.label) {
      this.log({ event: 'done', step: this.label, done: this.done, total: this.total });
    }
    this.label = '';
  }

  /** Something the operator should know that is not an error: a line of text on a TTY, a JSON line otherwise. */
  note(message: string, detail: Record<string, unknown> = {}): void {
    if (this.tty) process.stderr.write(`note: ${message}\n`);
    else this.log({ event: 'note', message, ...detail });
  }

  private log(line: Record<string, unknown>): void {
    process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), ...line }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
  }
}
