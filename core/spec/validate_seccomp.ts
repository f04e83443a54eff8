/** Validation table for `linux.seccomp`. */

import {
  arrOf,
  type Check,
  intIn,
  nonEmptyArrOf,
  nonEmptyStr,
  obj,
  oneOf,
  req,
  str,
  uint32,
  uint64,
} from "./check.ts";
import {
  SECCOMP_ACTIONS,
  SECCOMP_ARCHITECTURES,
  SECCOMP_FILTER_FLAGS,
  SECCOMP_OPERATORS,
} from "./tables.ts";

const action = oneOf("seccomp action", SECCOMP_ACTIONS);

const syscallArg = obj({
  index: req(intIn(0, 5)),
  value: req(uint64),
  valueTwo: uint64,
  op: req(oneOf("seccomp operator", SECCOMP_OPERATORS)),
});

export const checkSeccomp: Check = obj({
  defaultAction: req(action),
  defaultErrnoRet: uint32,
  architectures: arrOf(oneOf("seccomp architecture", SECCOMP_ARCHITECTURES)),
  flags: arrOf(oneOf("seccomp flag", SECCOMP_FILTER_FLAGS)),
  listenerPath: str,
  listenerMetadata: str,
  syscalls: arrOf(obj({
    names: req(nonEmptyArrOf(nonEmptyStr, "strings"), "must be a non-empty array of strings"),
    action: req(action),
    errnoRet: uint32,
    args: arrOf(syscallArg),
  })),
});
