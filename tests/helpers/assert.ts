// Assertions via node:assert (jsr:@std/assert is unreachable here), with the names tests expect.
import nodeAssert from "node:assert/strict";

export function assert(cond: unknown, msg?: string): asserts cond {
  nodeAssert.ok(cond, msg);
}

export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, msg);
}

export function assertMatch(actual: string, re: RegExp, msg?: string): void {
  nodeAssert.match(actual, re, msg);
}

export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  nodeAssert.ok(
    actual.includes(expected),
    msg ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
  );
}

export function assertThrows(fn: () => unknown, match?: RegExp | string): Error {
  try {
    fn();
  } catch (e) {
    const err = e as Error;
    if (typeof match === "string") assertEquals(err.message, match);
    else if (match) assertMatch(err.message, match);
    return err;
  }
  throw new Error("expected the function to throw");
}

/** The promise rejects with an error whose message includes `includes`. */
export async function assertRejects(fn: () => Promise<unknown>, includes?: string): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    const err = e as Error;
    if (includes !== undefined) assertStringIncludes(err.message, includes);
    return err;
  }
  throw new Error("expected the promise to reject");
}
