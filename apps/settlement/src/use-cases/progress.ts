/** How far a long step has come: a progress bar or JSON lines for the batch front end, nothing otherwise. */
export interface RunProgress {
  start(step: string, total: number): void;
  tick(detail?: Record<string, unknown>, by?: number): void;
  stop(): void;
  /** Something the operator should know that is not an error. */
  note(message: string, detail?: Record<string, unknown>): void;
}

/** Progress nobody watches. */
export const SILENT: RunProgress = { start: () => undefined, tick: () => undefined, stop: () => undefined, note: () => undefined };
