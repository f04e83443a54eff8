/** Validation table for the `process` member. */

import {
  absPath,
  arrOf,
  bool,
  type Check,
  fail,
  int32,
  intIn,
  member,
  nonEmptyArrOf,
  obj,
  oneOf,
  req,
  str,
  uint16,
  uint32,
  uint64,
  unique,
} from "./check.ts";
import {
  CAPABILITIES,
  IOPRIO_CLASSES,
  RLIMITS,
  SCHEDULER_FLAGS,
  SCHEDULER_POLICIES,
} from "./tables.ts";

/** A `KEY=value` environment entry (non-empty key). */
export function envEntry(v: unknown, path: string): void {
  str(v, path);
  if (v.indexOf("=") < 1) fail(path, "must be of the form KEY=value");
}

export const envArray: Check = arrOf(envEntry);

/** CPU list such as "0-3,7"; the empty string means "not set". */
export function cpuList(v: unknown, path: string): void {
  str(v, path);
  if (v === "") return;
  const ok = /^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v) &&
    v.split(",").every((r) => {
      const [lo, hi = lo] = r.split("-").map(Number);
      return lo <= hi;
    });
  if (!ok) fail(path, 'must be a CPU list such as "0-3,7"');
}

const capabilitySet = arrOf(oneOf("capability", CAPABILITIES));

const rlimit = obj(
  { type: req(oneOf("rlimit", RLIMITS)), soft: req(uint64), hard: req(uint64) },
  (o, path) => {
    const soft = o.soft as number, hard = o.hard as number;
    if (soft > hard) fail(member(path, "soft"), `must not exceed hard (${soft} > ${hard})`);
  },
);

export const checkProcess: Check = obj({
  terminal: bool,
  consoleSize: obj({ height: req(uint16), width: req(uint16) }),
  user: req(obj({
    uid: req(uint32),
    gid: req(uint32),
    umask: intIn(0, 0o7777, "an integer in range 0..0o7777"),
    additionalGids: arrOf(uint32),
  })),
  args: req(nonEmptyArrOf(str, "strings"), "must be a non-empty array of strings"),
  env: envArray,
  cwd: req(absPath),
  capabilities: obj({
    bounding: capabilitySet,
    effective: capabilitySet,
    inheritable: capabilitySet,
    permitted: capabilitySet,
    ambient: capabilitySet,
  }),
  rlimits: arrOf(rlimit, unique("type", "rlimit")),
  noNewPrivileges: bool,
  apparmorProfile: str,
  oomScoreAdj: intIn(-1000, 1000),
  selinuxLabel: str,
  ioPriority: obj({
    class: req(oneOf("I/O priority class", IOPRIO_CLASSES)),
    priority: intIn(0, 7),
  }),
  scheduler: obj({
    policy: req(oneOf("scheduler policy", SCHEDULER_POLICIES)),
    nice: intIn(-20, 19),
    priority: int32,
    flags: arrOf(oneOf("scheduler flag", SCHEDULER_FLAGS)),
    runtime: uint64,
    deadline: uint64,
    period: uint64,
  }),
  execCPUAffinity: obj({ initial: cpuList, final: cpuList }),
});
