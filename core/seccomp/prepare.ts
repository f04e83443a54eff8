// linux.seccomp → the plan's compiled filter: translate, compile (cached), decide when the init
// loads it, and render the state the notify agent receives. Used by create, and by exec through
// the container record (the BPF is kept in the container's state directory).
import type { PlanSeccomp } from "../plan/types.ts";
import type { Seccomp } from "../spec/types.ts";
import { compileCached } from "./cache.ts";
import { BPF_MAX_INSNS, type SeccompCompiler } from "./compiler.ts";
import { encodeRules } from "./encode.ts";
import { SeccompError, translateSeccomp } from "./translate.ts";

/** runtime-spec version moat implements: the `ociVersion` of the state sent to agents. */
export const SPEC_VERSION = "1.3.0";
const CAP_SYS_ADMIN = 21n;
const PID_SENTINEL = -4242424242;

/** What the container record keeps so `exec` loads the same filter. */
export interface SeccompRecord {
  /** The compiled BPF, copied into the container's state directory. */
  bpfPath: string;
  /** Cache key (SHA-256 of compiler version + rule list). */
  key: string;
  flags: number;
  notify: boolean;
  listenerPath?: string;
  listenerMetadata?: string;
}

export interface StateInfo {
  ociVersion: string;
  id: string;
  bundle: string;
  annotations?: Record<string, string>;
}

export interface PreparedSeccomp {
  plan: PlanSeccomp;
  record: Omit<SeccompRecord, "bpfPath">;
  cacheHit: boolean;
  skipped: string[];
}

/**
 * The container process state for the agent (config-linux.md "seccomp"): `pid` is the host pid
 * of the process the filter is on, filled in by the sentry (\x01 in the template).
 */
export function listenerStateTemplate(
  info: StateInfo,
  metadata: string | undefined,
  status: "creating" | "running" = "creating",
): string {
  const json = JSON.stringify({
    ociVersion: SPEC_VERSION,
    fds: ["seccompFd"],
    pid: PID_SENTINEL,
    metadata: metadata ?? "",
    state: {
      ociVersion: info.ociVersion,
      id: info.id,
      status,
      pid: PID_SENTINEL,
      bundle: info.bundle,
      annotations: info.annotations ?? {},
    },
  });
  // `"pid":` cannot occur inside a JSON string (its quotes would be escaped).
  return json.replaceAll(`"pid":${PID_SENTINEL}`, `"pid":\x01`);
}

/**
 * Without no_new_privs the kernel requires CAP_SYS_ADMIN for seccomp(); when the process will
 * not have it after the credential change, the init loads the filter before that change (runc's
 * order), otherwise as the very last step before execve.
 */
export function loadEarly(noNewPrivs: boolean, effectiveCaps: bigint): boolean {
  return !noNewPrivs && (effectiveCaps & (1n << CAP_SYS_ADMIN)) === 0n;
}

export async function prepareSeccomp(
  seccomp: Seccomp,
  compiler: SeccompCompiler,
  cacheDir: string | undefined,
  info: StateInfo,
  proc: { noNewPrivs: boolean; effectiveCaps: bigint },
): Promise<PreparedSeccomp> {
  const t = translateSeccomp(seccomp);
  const rules = encodeRules(t.rules);
  let compiled;
  try {
    compiled = await compileCached(rules, compiler, cacheDir);
  } catch (e) {
    throw new SeccompError(`linux.seccomp: ${(e as Error).message}`);
  }
  const insns = compiled.bpf.length / 8;
  if (insns > BPF_MAX_INSNS) {
    throw new SeccompError(
      `linux.seccomp: the compiled filter has ${insns} instructions, more than the kernel's ` +
        `limit of ${BPF_MAX_INSNS}`,
    );
  }
  return {
    plan: {
      bpf: compiled.bpf,
      flags: t.flags,
      notify: t.notify,
      early: loadEarly(proc.noNewPrivs, proc.effectiveCaps),
      listenerPath: t.notify ? t.listenerPath : undefined,
      listenerState: t.notify ? listenerStateTemplate(info, t.listenerMetadata) : undefined,
    },
    record: {
      key: compiled.key,
      flags: t.flags,
      notify: t.notify,
      listenerPath: t.listenerPath,
      listenerMetadata: t.listenerMetadata,
    },
    cacheHit: compiled.hit,
    skipped: compiled.skipped,
  };
}

/** The plan part for a process started later (`exec`) from what create recorded. */
export function seccompFromRecord(
  r: SeccompRecord,
  info: StateInfo,
  proc: { noNewPrivs: boolean; effectiveCaps: bigint },
): PlanSeccomp {
  const bpf = Deno.readFileSync(r.bpfPath);
  if (bpf.length === 0 || bpf.length % 8 !== 0) {
    throw new SeccompError(`seccomp filter ${r.bpfPath} is damaged (${bpf.length} bytes)`);
  }
  return {
    bpf,
    flags: r.flags,
    notify: r.notify,
    early: loadEarly(proc.noNewPrivs, proc.effectiveCaps),
    listenerPath: r.notify ? r.listenerPath : undefined,
    listenerState: r.notify
      ? listenerStateTemplate(info, r.listenerMetadata, "running")
      : undefined,
  };
}

/** `exec`: the container's filter for a new process with the exec request's privileges. */
export function execSeccomp(
  r: SeccompRecord,
  spec: { ociVersion: string; annotations?: Record<string, string> },
  bundle: string,
  plan: { containerId: string; noNewPrivs: boolean; caps: { effective: bigint } },
): PlanSeccomp {
  return seccompFromRecord(r, {
    ociVersion: spec.ociVersion,
    id: plan.containerId,
    bundle,
    annotations: spec.annotations,
  }, { noNewPrivs: plan.noNewPrivs, effectiveCaps: plan.caps.effective });
}
