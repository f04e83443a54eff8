/** Entry points: `parseSpec` validates a decoded config.json; `requireProcess` for create/run. */

import {
  absPath,
  arrOf,
  bool,
  type Check,
  isObject,
  mapOf,
  nonEmptyStr,
  obj,
  positiveInt,
  req,
  str,
  strArray,
} from "./check.ts";
import { SpecError } from "./errors.ts";
import type { Process, Spec } from "./types.ts";
import { checkOciVersion } from "./version.ts";
import { checkLinux, idMappings } from "./validate_linux.ts";
import { checkProcess, envArray } from "./validate_process.ts";

const hookList = arrOf(obj({
  path: req(absPath),
  args: strArray,
  env: envArray,
  timeout: positiveInt,
}));

const checkSpec: Check = obj({
  ociVersion: req(checkOciVersion),
  process: checkProcess,
  root: req(obj({ path: req(nonEmptyStr), readonly: bool })),
  hostname: str,
  domainname: str,
  mounts: arrOf(obj({
    destination: req(nonEmptyStr),
    type: str,
    source: str,
    options: strArray,
    uidMappings: idMappings,
    gidMappings: idMappings,
  })),
  hooks: obj({
    prestart: hookList,
    createRuntime: hookList,
    createContainer: hookList,
    startContainer: hookList,
    poststart: hookList,
    poststop: hookList,
  }),
  annotations: mapOf(str),
  linux: checkLinux,
});

/** Deep copy of JSON data that leaves out object members whose value is null. */
function copyWithoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copyWithoutNulls);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (val !== null) out[k] = copyWithoutNulls(val);
  }
  return out;
}

/**
 * Validates a decoded `config.json` (the result of `JSON.parse`) and returns it typed.
 *
 * Throws `SpecError` at the first problem found, checking members in the order the spec
 * lists them. Unknown members are ignored and kept. The result is a deep copy of `raw` in
 * which members set to `null` are dropped (a null optional member means "absent", as in
 * runc); nothing else is changed or defaulted.
 */
export function parseSpec(raw: unknown): Spec {
  if (!isObject(raw)) throw new SpecError("config", "must be a JSON object");
  checkSpec(raw, "");
  return copyWithoutNulls(raw) as Spec;
}

/** The spec's `process`, or SpecError `process: missing (...)` when the config has none. */
export function requireProcess(spec: Spec): Process {
  if (spec.process === undefined) {
    throw new SpecError("process", "missing (required to create a container)");
  }
  return spec.process;
}
