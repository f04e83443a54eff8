/**
 * Small composable validators used to describe `config.json` as tables.
 *
 * A `Check` looks at one JSON value at a path and throws `SpecError` on the first problem.
 * `obj({...})` checks an object's known members in declaration order and ignores unknown
 * ones; `null` counts as absent for optional members (as Go's encoding/json, and so runc,
 * treat it).
 */

import { SpecError } from "./errors.ts";

export type Check = (v: unknown, path: string) => void;

/** A required object member; `missing` overrides the default "missing" message. */
export interface Required {
  readonly check: Check;
  readonly missing?: string;
}

export type Member = Check | Required;

export type JsonObject = Record<string, unknown>;

export function fail(path: string, what: string): never {
  throw new SpecError(path, what);
}

/** `a.b` for object members (no leading dot at the top level). */
export function member(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}

/** `a[3]` for array elements. */
export function element(path: string, i: number): string {
  return `${path}[${i}]`;
}

/** `a["some.key"]` for entries of free-form maps. */
export function entry(path: string, key: string): string {
  return `${path}[${JSON.stringify(key)}]`;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isAbsent(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}

export function req(check: Check, missing?: string): Required {
  return { check, missing };
}

// ---- scalars ----

export function str(v: unknown, path: string): asserts v is string {
  if (typeof v !== "string") fail(path, "must be a string");
  // every string may reach a syscall or a C string of the plan, where NUL would cut it short
  if (v.includes("\0")) fail(path, "must not contain a NUL byte");
}

export function nonEmptyStr(v: unknown, path: string): asserts v is string {
  str(v, path);
  if (v === "") fail(path, "must not be empty");
}

export function bool(v: unknown, path: string): asserts v is boolean {
  if (typeof v !== "boolean") fail(path, "must be a boolean");
}

export function absPath(v: unknown, path: string): asserts v is string {
  str(v, path);
  if (!v.startsWith("/")) fail(path, "must be an absolute path");
}

/** A string matching `re`; `what` completes "must be ...". */
export function matching(re: RegExp, what: string): Check {
  return (v, path) => {
    str(v, path);
    if (!re.test(v)) fail(path, `must be ${what}`);
  };
}

/**
 * An integer in [min, max]; `what` completes "must be ...".
 *
 * Ranges inside ±2^53 use Number.isSafeInteger. 64-bit ranges use Number.isInteger and
 * inclusive bounds of ±2^63 / 2^64 because JSON.parse rounds 2^63-1 and 2^64-1 up to those.
 */
export function intIn(
  min: number,
  max: number,
  what = `an integer in range ${min}..${max}`,
): Check {
  const wide = min < Number.MIN_SAFE_INTEGER || max > Number.MAX_SAFE_INTEGER;
  const isInt = wide ? Number.isInteger : Number.isSafeInteger;
  return (v, path) => {
    if (typeof v !== "number" || !isInt(v) || v < min || v > max) fail(path, `must be ${what}`);
  };
}

export const uint16: Check = intIn(0, 0xffff, "an unsigned 16-bit integer");
export const uint32: Check = intIn(0, 0xffff_ffff, "an unsigned 32-bit integer");
export const int32: Check = intIn(-(2 ** 31), 2 ** 31 - 1, "a signed 32-bit integer");
export const uint64: Check = intIn(0, 2 ** 64, "an unsigned 64-bit integer");
export const int64: Check = intIn(-(2 ** 63), 2 ** 63, "a signed 64-bit integer");
export const positiveInt: Check = intIn(1, Number.MAX_SAFE_INTEGER, "a positive integer");

/** One of the names in `names` (an array, or the own keys of a table). */
export function oneOf(
  noun: string,
  names: readonly string[] | Readonly<Record<string, unknown>>,
): Check {
  const known = new Set(Array.isArray(names) ? names : Object.keys(names));
  return (v, path) => {
    str(v, path);
    if (!known.has(v)) fail(path, `unknown ${noun} ${JSON.stringify(v)}`);
  };
}

// ---- containers ----

/** An array whose elements each pass `each`; `after` can check the whole array. */
export function arrOf(each: Check, after?: (a: unknown[], path: string) => void): Check {
  return (v, path) => {
    if (!Array.isArray(v)) fail(path, "must be an array");
    v.forEach((e, i) => each(e, element(path, i)));
    after?.(v, path);
  };
}

/** Like `arrOf` but also rejects an empty array, saying "must be a non-empty array of `noun`". */
export function nonEmptyArrOf(each: Check, noun: string): Check {
  const inner = arrOf(each);
  return (v, path) => {
    if (!Array.isArray(v) || v.length === 0) fail(path, `must be a non-empty array of ${noun}`);
    inner(v, path);
  };
}

export const strArray: Check = arrOf(str);

/** No two elements share the same value of `field` (already validated as a string). */
export function unique(field: string, noun: string): (a: unknown[], path: string) => void {
  return (a, path) => {
    const seen = new Set<unknown>();
    a.forEach((e, i) => {
      const v = (e as JsonObject)[field];
      if (seen.has(v)) {
        fail(member(element(path, i), field), `duplicate ${noun} ${JSON.stringify(v)}`);
      }
      seen.add(v);
    });
  };
}

/** A free-form object whose values pass `each`; keys must be non-empty and pass `key`. */
export function mapOf(each: Check, key?: (k: string, path: string) => void): Check {
  return (v, path) => {
    if (!isObject(v)) fail(path, "must be an object");
    for (const [k, val] of Object.entries(v)) {
      const p = entry(path, k);
      if (k === "") fail(p, "key must not be empty");
      if (k.includes("\0")) fail(p, "key must not contain a NUL byte");
      key?.(k, p);
      each(val, p);
    }
  };
}

/**
 * An object with the given members, checked in order; unknown members are ignored.
 * `after` runs once all members passed, for cross-member rules.
 */
export function obj(
  members: Record<string, Member>,
  after?: (o: JsonObject, path: string) => void,
): Check {
  const list = Object.entries(members).map(([name, m]) =>
    typeof m === "function" ? { name, check: m, required: false, missing: "missing" } : {
      name,
      check: m.check,
      required: true,
      missing: m.missing ?? "missing",
    }
  );
  return (v, path) => {
    if (!isObject(v)) fail(path, "must be an object");
    for (const m of list) {
      const p = member(path, m.name);
      const val = Object.hasOwn(v, m.name) ? v[m.name] : undefined;
      if (isAbsent(val)) {
        if (m.required) fail(p, m.missing);
        continue;
      }
      m.check(val, p);
    }
    after?.(v, path);
  };
}
