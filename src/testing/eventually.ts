// The one polling helper for tests: waits until a probe returns something truthy. The deadline is a
// guard against a broken run hanging, not an assertion about speed.

/** How long eventually() waits before failing (generous: CI machines are shared). */
export const GUARD_MS = 30_000;

/** Polls `probe` until it returns a truthy value and returns it; after `timeoutMs` fails naming
 *  `what` and the last value or error seen. */
export async function eventually<T>(what: string, probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  timeoutMs = GUARD_MS, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`gave up waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
