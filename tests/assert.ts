/**
 * Assertions for tests, from `node:assert/strict` (JSR's @std/assert cannot be
 * installed here), under the names Deno's standard library uses.
 *
 * @module
 */
import assert from "node:assert/strict";

export const assertEquals: <T>(
  actual: unknown,
  expected: T,
  message?: string,
) => asserts actual is T = assert.deepStrictEqual;
export const assertNotEquals = assert.notDeepStrictEqual;
export { assert };

/** Asserts that `promise` rejects with an error of `type` (and `code`, when given); returns it. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  type: new (...args: never[]) => E,
  code?: string,
): Promise<E> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  if (!(error instanceof type)) {
    throw new assert.AssertionError({
      message: `Expected ${type.name}, got ${
        error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      }`,
    });
  }
  if (code !== undefined) assert.equal((error as unknown as { code: string }).code, code);
  return error;
}
