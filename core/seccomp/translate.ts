// linux.seccomp → a compact rule list with numeric actions, operators and architecture tokens
// (the input of libmoat's moat_seccomp_compile). Every decision is made here: which rules exist,
// their order, what runc-compatible quirks apply; C only asks libseccomp for the BPF.
import {
  SECCOMP_ACTIONS,
  SECCOMP_ARCHITECTURES,
  SECCOMP_FILTER_FLAGS,
  SECCOMP_OPERATORS,
} from "../spec/tables.ts";
import type { Seccomp, SeccompAction } from "../spec/types.ts";

export class SeccompError extends Error {}

export interface SeccompArgRule {
  index: number;
  /** enum scmp_compare (1 NE … 7 MASKED_EQ). */
  op: number;
  /** datum_a: the value, or the mask for MASKED_EQ. */
  a: bigint;
  /** datum_b: valueTwo (the value compared after masking for MASKED_EQ). */
  b: bigint;
}

export interface SeccompRule {
  /** SECCOMP_RET_* with the errno/trace data in the low 16 bits. */
  action: number;
  name: string;
  args: SeccompArgRule[];
}

export interface SeccompRuleList {
  defaultAction: number;
  /** What a syscall from an architecture the profile does not list gets. */
  badArchAction: number;
  /** AUDIT_ARCH_* tokens (libseccomp's SCMP_ARCH_* values). */
  arches: number[];
  rules: SeccompRule[];
}

export interface TranslatedSeccomp {
  rules: SeccompRuleList;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(2), NEW_LISTENER excluded. */
  flags: number;
  /** Some rule uses SCMP_ACT_NOTIFY: load with NEW_LISTENER and send the fd to the agent. */
  notify: boolean;
  listenerPath?: string;
  listenerMetadata?: string;
}

const EPERM = 1;
const RET_ERRNO = 0x00050000;
const RET_TRACE = 0x7ff00000;
const RET_KILL_PROCESS = 0x80000000;
const FLAG_TSYNC = 1;
const FLAG_WAIT_KILLABLE_RECV = 32;
const U64_MAX = (1n << 64n) - 1n;

/**
 * Syscalls the init makes after seccomp() and before it may block on the agent (sentry/
 * seccomp_load.c): a NOTIFY rule for them would deadlock the container before anyone holds the
 * listener. runc refuses `write` for the same reason.
 */
export const NOTIFY_FORBIDDEN = ["write", "read"];

function fail(path: string, msg: string): never {
  throw new SeccompError(`${path}: ${msg}`);
}

/** SECCOMP_RET_* value of an action, with errnoRet (default EPERM) for ERRNO and TRACE. */
export function actionValue(action: SeccompAction, errnoRet: number | undefined, path: string) {
  const base = SECCOMP_ACTIONS[action];
  if (base === undefined) fail(path, `unknown seccomp action ${JSON.stringify(action)}`);
  if (base === RET_ERRNO || base === RET_TRACE) {
    const data = errnoRet ?? (base === RET_ERRNO ? EPERM : 0);
    if (!Number.isInteger(data) || data < 0 || data > 0xffff) {
      fail(path, `errno ${data} does not fit the 16 bits seccomp returns`);
    }
    return (base | data) >>> 0;
  }
  return base >>> 0;
}

/** A JSON number as a u64 (JSON loses precision above 2^53; 2^64-1 arrives as 2^64). */
function u64(v: number | undefined, path: string): bigint {
  if (v === undefined) return 0n;
  if (!Number.isFinite(v) || v < 0 || !Number.isInteger(v)) {
    fail(path, "must be an unsigned 64-bit integer");
  }
  const b = BigInt(v);
  return b > U64_MAX ? U64_MAX : b;
}

export function translateSeccomp(s: Seccomp, at = "linux.seccomp"): TranslatedSeccomp {
  if (s === null || typeof s !== "object") fail(at, "must be an object");
  const defaultAction = actionValue(
    s.defaultAction,
    s.defaultErrnoRet,
    `${at}.defaultAction`,
  );
  if (s.defaultAction === "SCMP_ACT_NOTIFY") {
    fail(`${at}.defaultAction`, "SCMP_ACT_NOTIFY cannot be used as the default action");
  }

  const arches: number[] = [];
  (s.architectures ?? []).forEach((name, i) => {
    const token = SECCOMP_ARCHITECTURES[name];
    if (token === undefined) {
      fail(`${at}.architectures[${i}]`, `unknown seccomp architecture ${JSON.stringify(name)}`);
    }
    if (!arches.includes(token)) arches.push(token);
  });

  let flags = 0;
  (s.flags ?? []).forEach((name, i) => {
    const bit = SECCOMP_FILTER_FLAGS[name];
    if (bit === undefined) {
      fail(`${at}.flags[${i}]`, `unknown seccomp flag ${JSON.stringify(name)}`);
    }
    flags |= bit;
  });

  let notify = false;
  const rules: SeccompRule[] = [];
  (s.syscalls ?? []).forEach((sc, i) => {
    const p = `${at}.syscalls[${i}]`;
    if (!Array.isArray(sc.names) || sc.names.length === 0) {
      fail(`${p}.names`, "must be a non-empty array of strings");
    }
    const action = actionValue(sc.action, sc.errnoRet, `${p}.action`);
    if (sc.action === "SCMP_ACT_NOTIFY") {
      notify = true;
      sc.names.forEach((n, j) => {
        if (NOTIFY_FORBIDDEN.includes(n)) {
          fail(
            `${p}.names[${j}]`,
            `SCMP_ACT_NOTIFY cannot be used for the ${n} syscall (the runtime needs it to ` +
              "hand the listener over)",
          );
        }
      });
    }
    const conds = (sc.args ?? []).map((a, j) => {
      const ap = `${p}.args[${j}]`;
      if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) {
        fail(`${ap}.index`, "must be an integer in range 0..5");
      }
      const op = SECCOMP_OPERATORS[a.op];
      if (op === undefined) fail(`${ap}.op`, `unknown operator ${JSON.stringify(a.op)}`);
      return {
        index: a.index,
        op,
        a: u64(a.value, `${ap}.value`),
        b: u64(a.valueTwo, `${ap}.valueTwo`),
      };
    });
    // runc: several conditions on one argument cannot be AND-ed by libseccomp the way
    // profiles mean them, so each becomes its own rule (OR); otherwise one rule with all.
    const perIndex = new Set(conds.map((c) => c.index));
    const groups = perIndex.size === conds.length ? [conds] : conds.map((c) => [c]);
    sc.names.forEach((name, j) => {
      if (typeof name !== "string" || name === "" || name.length > 127 || name.includes("\0")) {
        fail(`${p}.names[${j}]`, "must be a syscall name (1..127 bytes)");
      }
      // A rule with the default action changes nothing (libseccomp refuses it): skipped.
      if (action === defaultAction) return;
      for (const g of groups) rules.push({ action, name, args: g });
    });
  });

  if (notify && !s.listenerPath) {
    fail(`${at}.listenerPath`, "is required when a rule uses SCMP_ACT_NOTIFY");
  }
  if (s.listenerPath !== undefined && s.listenerPath !== "") {
    if (!s.listenerPath.startsWith("/")) fail(`${at}.listenerPath`, "must be an absolute path");
    if (new TextEncoder().encode(s.listenerPath).length >= 108) {
      fail(`${at}.listenerPath`, "is too long for a unix socket path (108 bytes)");
    }
  }
  // The init is single-threaded, so TSYNC is a no-op, and the kernel refuses it together with
  // NEW_LISTENER; WAIT_KILLABLE_RECV only means something with a listener (EINVAL without).
  if (notify) flags &= ~FLAG_TSYNC;
  else flags &= ~FLAG_WAIT_KILLABLE_RECV;

  return {
    rules: { defaultAction, badArchAction: RET_KILL_PROCESS, arches, rules },
    flags,
    notify,
    listenerPath: notify ? s.listenerPath : undefined,
    listenerMetadata: notify ? s.listenerMetadata : undefined,
  };
}
