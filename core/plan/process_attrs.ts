// config.json → the hook and process-attribute part of the launch plan (tags 60-79):
// container-side hooks, linux.sysctl, linux.personality, process.scheduler / ioPriority /
// execCPUAffinity, linux.timeOffsets, and refusals for what this host cannot honour (LSMs).
// Every refusal names the JSON path, like the rest of core/spec and core/plan.
import { CLONE_NEW } from "../linux/consts.ts";
import type { Hook, Spec } from "../spec/types.ts";
import type { HostFacts } from "./host.ts";
import type { PlanAttrs, PlanHook, PlanNamespace, PlanScheduler, PlanSysctl } from "./types.ts";

export class AttrError extends Error {}

export interface AttrOptions {
  id: string;
  bundle: string;
}

export function resolveAttrs(
  spec: Spec,
  opts: AttrOptions,
  namespaces: PlanNamespace[],
  host: HostFacts,
): PlanAttrs {
  const process = spec.process;
  const linux = spec.linux ?? {};
  checkLsm(spec, host);
  const hooks = spec.hooks ?? {};
  const attrs: PlanAttrs = {
    hooks: [
      ...containerHooks("createContainer", hooks.createContainer, spec, opts, undefined),
      ...containerHooks("startContainer", hooks.startContainer, spec, opts, process?.env ?? []),
    ],
    hookPause: (hooks.prestart?.length ?? 0) + (hooks.createRuntime?.length ?? 0) > 0,
    sysctls: planSysctls(linux.sysctl ?? {}, namespaces),
    timeOffsets: planTimeOffsets(spec, namespaces),
  };
  if (linux.personality) attrs.personality = personality(linux.personality);
  if (process?.scheduler) attrs.scheduler = scheduler(process.scheduler);
  if (process?.ioPriority) {
    const cls = IOPRIO_CLASS[process.ioPriority.class];
    attrs.ioPriority = cls << 13 | (process.ioPriority.priority ?? 0);
  }
  const aff = process?.execCPUAffinity;
  if (aff?.initial) attrs.cpuAffinityInitial = cpuMask(aff.initial, "initial");
  if (aff?.final) attrs.cpuAffinityFinal = cpuMask(aff.final, "final");
  return attrs;
}

/**
 * The attributes of an exec'd process (runc applies them on exec too): process.scheduler,
 * ioPriority and execCPUAffinity (made for exec); nothing of the container's (hooks, sysctls,
 * personality, time offsets belong to create).
 */
export function execAttrs(process: NonNullable<Spec["process"]>): PlanAttrs {
  const attrs: PlanAttrs = { hooks: [], hookPause: false, sysctls: [], timeOffsets: [] };
  if (process.scheduler) attrs.scheduler = scheduler(process.scheduler);
  if (process.ioPriority) {
    const cls = IOPRIO_CLASS[process.ioPriority.class];
    attrs.ioPriority = cls << 13 | (process.ioPriority.priority ?? 0);
  }
  const aff = process.execCPUAffinity;
  if (aff?.initial) attrs.cpuAffinityInitial = cpuMask(aff.initial, "initial");
  if (aff?.final) attrs.cpuAffinityFinal = cpuMask(aff.final, "final");
  return attrs;
}

/** True when the plan's attrs carry nothing (so the plan can omit them). */
export function emptyAttrs(a: PlanAttrs): boolean {
  return a.hooks.length === 0 && !a.hookPause && a.sysctls.length === 0 &&
    a.timeOffsets.length === 0 && a.personality === undefined && a.scheduler === undefined &&
    a.ioPriority === undefined && !a.cpuAffinityInitial && !a.cpuAffinityFinal;
}

// ---- hooks ----

/**
 * The state a container-side hook reads on stdin, split around its pid: the init writes its
 * own pid in its pid namespace there (runc passes unix.Getpid() of its init for these hooks).
 */
export function stateTemplate(
  spec: Spec,
  opts: AttrOptions,
  status: string,
): { head: string; tail: string } {
  const head = `{"ociVersion":${JSON.stringify(spec.ociVersion)},"id":${
    JSON.stringify(opts.id)
  },"status":${JSON.stringify(status)},"pid":`;
  let tail = `,"bundle":${JSON.stringify(opts.bundle)}`;
  if (spec.annotations && Object.keys(spec.annotations).length > 0) {
    tail += `,"annotations":${JSON.stringify(spec.annotations)}`;
  }
  return { head, tail: tail + "}" };
}

function containerHooks(
  kind: PlanHook["kind"],
  list: Hook[] | undefined,
  spec: Spec,
  opts: AttrOptions,
  fallbackEnv: string[] | undefined,
): PlanHook[] {
  const { head, tail } = stateTemplate(
    spec,
    opts,
    kind === "createContainer" ? "creating" : "created",
  );
  return (list ?? []).map((h, index) => ({
    kind,
    index,
    path: h.path,
    args: h.args && h.args.length > 0 ? h.args : [h.path],
    // runc: a startContainer hook without env gets the container's (it runs in the container)
    env: h.env && h.env.length > 0 ? h.env : fallbackEnv ?? [],
    timeout: h.timeout ?? 0,
    stateHead: head,
    stateTail: tail,
  }));
}

// ---- linux.sysctl ----

/** IPC-namespaced keys (runc libcontainer/configs/validate). */
const IPC_SYSCTLS = new Set([
  "kernel.msgmax",
  "kernel.msgmnb",
  "kernel.msgmni",
  "kernel.sem",
  "kernel.shmall",
  "kernel.shmmax",
  "kernel.shmmni",
  "kernel.shm_rmid_forced",
  "kernel.msg_next_id",
  "kernel.sem_next_id",
  "kernel.shm_next_id",
]);

/**
 * Only sysctls that belong to a namespace the container has on its own can be set, as runc
 * decides: IPC keys and fs.mqueue.* need an IPC namespace, net.* a network namespace that is
 * not ours, kernel.domainname a UTS namespace (kernel.hostname conflicts with `hostname`).
 */
export function planSysctls(
  sysctl: Record<string, string>,
  namespaces: PlanNamespace[],
): PlanSysctl[] {
  const ns = (t: string) => namespaces.find((n) => n.type === CLONE_NEW[t]);
  const out: PlanSysctl[] = [];
  for (const [rawKey, value] of Object.entries(sysctl)) {
    const where = `linux.sysctl[${JSON.stringify(rawKey)}]`;
    // runc accepts "/" as the separator too ("net/ipv4/ip_forward")
    const key = rawKey.replaceAll("/", ".");
    const parts = key.split(".");
    if (!/^[A-Za-z0-9_.-]+$/.test(key) || parts.some((s) => s === "" || s === "-")) {
      throw new AttrError(`${where}: not a sysctl name`);
    }
    if (IPC_SYSCTLS.has(key) || key.startsWith("fs.mqueue.")) {
      if (!ns("ipc")) {
        throw new AttrError(
          `${where}: needs an IPC namespace of the container's own (add "ipc" to linux.namespaces)`,
        );
      }
    } else if (key.startsWith("net.")) {
      const net = ns("network");
      if (!net || (net.path && sameAsOurs(net.path, "net"))) {
        throw new AttrError(
          `${where}: needs a network namespace of the container's own, not the host's`,
        );
      }
    } else if (key === "kernel.domainname" && ns("uts")) {
      // namespaced, and no dedicated field conflicts with it
    } else if (key === "kernel.hostname" && ns("uts")) {
      throw new AttrError(`${where}: conflicts with the "hostname" field; set that instead`);
    } else {
      throw new AttrError(`${where}: not namespaced, cannot be set in a container`);
    }
    out.push({ key: rawKey, path: parts.join("/"), value });
  }
  return out;
}

/** Whether a namespace file is the one this process is in (runc's isHostNetNS). */
function sameAsOurs(path: string, kind: string): boolean {
  try {
    const a = Deno.statSync(path);
    const b = Deno.statSync(`/proc/self/ns/${kind}`);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

// ---- linux.personality ----

const PER_DOMAIN: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };
/** <linux/personality.h> flag bits, by the names the spec's `flags` would use. */
const PER_FLAGS: Record<string, number> = {
  UNAME26: 0x0020000,
  ADDR_NO_RANDOMIZE: 0x0040000,
  FDPIC_FUNCPTRS: 0x0080000,
  MMAP_PAGE_ZERO: 0x0100000,
  ADDR_COMPAT_LAYOUT: 0x0200000,
  READ_IMPLIES_EXEC: 0x0400000,
  ADDR_LIMIT_32BIT: 0x0800000,
  SHORT_INODE: 0x1000000,
  WHOLE_SECONDS: 0x2000000,
  STICKY_TIMEOUTS: 0x4000000,
  ADDR_LIMIT_3GB: 0x8000000,
};

function personality(p: { domain: string; flags?: string[] }): number {
  const domain = PER_DOMAIN[p.domain];
  if (domain === undefined) {
    throw new AttrError(
      `linux.personality.domain: unknown personality ${JSON.stringify(p.domain)}`,
    );
  }
  let v = domain;
  (p.flags ?? []).forEach((f, i) => {
    const bit = PER_FLAGS[f];
    if (bit === undefined) {
      throw new AttrError(
        `linux.personality.flags[${i}]: unknown personality flag ${JSON.stringify(f)}`,
      );
    }
    v |= bit;
  });
  return v;
}

// ---- process.scheduler / ioPriority / execCPUAffinity ----

const SCHED_POLICY: Record<string, number> = {
  SCHED_OTHER: 0,
  SCHED_FIFO: 1,
  SCHED_RR: 2,
  SCHED_BATCH: 3,
  SCHED_ISO: 4,
  SCHED_IDLE: 5,
  SCHED_DEADLINE: 6,
};
const SCHED_FLAG: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01,
  SCHED_FLAG_RECLAIM: 0x02,
  SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};

function scheduler(s: NonNullable<NonNullable<Spec["process"]>["scheduler"]>): PlanScheduler {
  const policy = SCHED_POLICY[s.policy];
  if (s.policy === "SCHED_ISO") {
    throw new AttrError("process.scheduler.policy: SCHED_ISO is not implemented by Linux");
  }
  const realtime = s.policy === "SCHED_FIFO" || s.policy === "SCHED_RR";
  const priority = s.priority ?? 0;
  // runc's validation (libcontainer/configs/validate), with the kernel's range for FIFO/RR
  if (priority !== 0 && !realtime) {
    throw new AttrError(
      "process.scheduler.priority: can only be set for SCHED_FIFO or SCHED_RR",
    );
  }
  if (realtime && (priority < 1 || priority > 99)) {
    throw new AttrError(
      `process.scheduler.priority: must be 1..99 for ${s.policy}, not ${priority}`,
    );
  }
  if (s.policy !== "SCHED_DEADLINE" && (s.runtime || s.deadline || s.period)) {
    throw new AttrError(
      "process.scheduler: runtime, deadline and period can only be set for SCHED_DEADLINE",
    );
  }
  let flags = 0;
  for (const f of s.flags ?? []) flags |= SCHED_FLAG[f];
  return {
    policy,
    flags,
    nice: s.nice ?? 0,
    priority,
    runtime: BigInt(Math.trunc(s.runtime ?? 0)),
    deadline: BigInt(Math.trunc(s.deadline ?? 0)),
    period: BigInt(Math.trunc(s.period ?? 0)),
  };
}

const IOPRIO_CLASS: Record<string, number> = {
  IOPRIO_CLASS_RT: 1,
  IOPRIO_CLASS_BE: 2,
  IOPRIO_CLASS_IDLE: 3,
};

const MAX_CPUS = 8192;

/** "0-3,7" → a CPU bitmask in whole 8-byte words (sched_setaffinity's layout on 64-bit). */
export function cpuMask(list: string, which: "initial" | "final"): Uint8Array {
  const cpus: number[] = [];
  for (const range of list.split(",")) {
    const [lo, hi = lo] = range.split("-").map(Number);
    for (let c = lo; c <= hi; c++) {
      if (c >= MAX_CPUS) {
        throw new AttrError(
          `process.execCPUAffinity.${which}: CPU ${c} is above the limit of ${MAX_CPUS - 1}`,
        );
      }
      cpus.push(c);
    }
  }
  const max = Math.max(...cpus);
  const out = new Uint8Array(Math.ceil((max + 1) / 64) * 8);
  for (const c of cpus) out[c >> 3] |= 1 << (c & 7);
  return out;
}

// ---- linux.timeOffsets ----

function planTimeOffsets(spec: Spec, namespaces: PlanNamespace[]): PlanAttrs["timeOffsets"] {
  const offsets = spec.linux?.timeOffsets;
  if (!offsets || Object.keys(offsets).length === 0) return [];
  const time = namespaces.find((n) => n.type === CLONE_NEW.time);
  if (!time) {
    throw new AttrError(
      'linux.timeOffsets: needs a new time namespace (add "time" to linux.namespaces)',
    );
  }
  if (time.path) {
    throw new AttrError(
      "linux.timeOffsets: cannot be applied to a time namespace joined by path",
    );
  }
  const CLOCK = { monotonic: 1, boottime: 7 } as const;
  return (["monotonic", "boottime"] as const).filter((c) => offsets[c]).map((c) => ({
    clock: CLOCK[c],
    secs: BigInt(Math.trunc(offsets[c]!.secs ?? 0)),
    nsecs: offsets[c]!.nanosecs ?? 0,
  }));
}

// ---- LSMs ----

/** Neither AppArmor nor SELinux labels are applied by moat: a set value is refused. */
function checkLsm(spec: Spec, host: HostFacts): void {
  const apparmor = host.kind("/sys/module/apparmor") !== "missing";
  const selinux = host.kind("/sys/fs/selinux/enforce") !== "missing";
  const refuse = (path: string, lsm: string, enabled: boolean) => {
    throw new AttrError(
      enabled
        ? `${path}: ${lsm} labels are not supported by moat yet`
        : `${path}: ${lsm} is not enabled on this host`,
    );
  };
  if (spec.process?.apparmorProfile) refuse("process.apparmorProfile", "AppArmor", apparmor);
  if (spec.process?.selinuxLabel) refuse("process.selinuxLabel", "SELinux", selinux);
  if (spec.linux?.mountLabel) refuse("linux.mountLabel", "SELinux", selinux);
}
