/** `ociVersion` parsing: which spec versions moat understands. */

import { fail, str } from "./check.ts";

export interface OciVersion {
  major: number;
  minor: number;
  patch: number;
  /** Pre-release part without the dash ("dev", "rc.1"), or "" for a release. */
  prerelease: string;
}

/** Lowest and highest supported major.minor. */
export const OLDEST_SUPPORTED = "1.0";
export const NEWEST_SUPPORTED = "1.3";

// SemVer 2.0: no leading zeros in numeric parts; optional -prerelease and +build.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** Parses a SemVer string; returns undefined if it is not one. */
export function parseOciVersion(v: string): OciVersion | undefined {
  const m = SEMVER.exec(v);
  if (m === null) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ?? "" };
}

/** Whether moat accepts a config written for this version (1.0.0 .. 1.3.x, pre-releases too). */
export function isSupportedVersion(v: OciVersion): boolean {
  return v.major === 1 && v.minor >= 0 && v.minor <= 3;
}

/** Check for the `ociVersion` member. */
export function checkOciVersion(v: unknown, path: string): asserts v is string {
  str(v, path);
  const parsed = parseOciVersion(v);
  if (parsed === undefined) fail(path, `invalid version ${JSON.stringify(v)} (not SemVer)`);
  if (!isSupportedVersion(parsed)) {
    fail(
      path,
      `unsupported version ${
        JSON.stringify(v)
      } (supported: ${OLDEST_SUPPORTED}.0 to ${NEWEST_SUPPORTED}.x)`,
    );
  }
}
