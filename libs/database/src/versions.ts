/**
 * State-carrying events (a provider, a region) carry the version of the state they describe; a
 * consumer's projection keeps the newest, whatever order the events arrive in. Events from before
 * their producer versioned them carry none and count as version 0.
 */

/** The version an event may carry: absent (from before versions), or a positive safe integer. */
export function isEventVersion(version: unknown): boolean {
  return version === undefined || (Number.isSafeInteger(version) && (version as number) > 0);
}

/**
 * The condition of an upsert's `DO UPDATE … WHERE` for a projection row `table` with a `version`
 * column: only a newer version replaces the row; an unversioned event replaces it while no
 * versioned one has.
 */
export function newerVersion(table: string): string {
  return `${table}.version < EXCLUDED.version OR (EXCLUDED.version = 0 AND ${table}.version = 0)`;
}
