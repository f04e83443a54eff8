// create's sandbox step: moat's filter for the container (filter.ts) compiled like linux.seccomp
// (libseccomp in libmoat, cached by content), the mediation settings the sentry needs, and what
// `state` and `exec` need later (record.sandbox, the BPF kept in the state directory).
import { compileCached } from "../seccomp/cache.ts";
import { BPF_MAX_INSNS } from "../seccomp/compiler.ts";
import { encodeRules } from "../seccomp/encode.ts";
import { loadEarly } from "../seccomp/prepare.ts";
import { seccompCacheDir } from "../seccomp/attach.ts";
import type { CgroupRecord } from "../cgroup/types.ts";
import type { RuntimeContext } from "../container/context.ts";
import { VirtFile, VprocKind } from "../plan/tags.ts";
import { CLONE_NEW } from "../linux/consts.ts";
import type { Seccomp } from "../spec/types.ts";
import type { LaunchPlan, PlanEgressRule, PlanSandbox } from "../plan/types.ts";
import { RuntimeError } from "../state/errors.ts";
import type { Cidr } from "./cidr.ts";
import { sandboxFilter } from "./filter.ts";
import { describePolicy, type SandboxPolicy, type TraceFamily } from "./policy.ts";

/** TRACE_* bits of sentry/trace.h */
const TRACE_BITS: Record<TraceFamily, number> = {
  exec: 1,
  connect: 2,
  bind: 4,
  "open-write": 8,
  setuid: 16,
  mount: 32,
  ptrace: 64,
  denied: 128,
};

/** What the container record keeps (state shows it; exec builds its own plan from it). */
export interface SandboxRecord {
  policy: Record<string, unknown>;
  /** Syscalls the sentry answers; empty: nothing is mediated (see `note`). */
  mediated: string[];
  refused: string[];
  note?: string;
  /** The egress guard (egress_bpf.ts) is attached to the container's cgroup2 leaf. */
  egressGuard?: boolean;
  /** The plan part minus the BPF, which is in bpfPath (egress addresses as plain arrays: JSON). */
  plan?: Omit<PlanSandbox, "bpf">;
  bpfPath?: string;
}

export async function attachSandbox(
  ctx: RuntimeContext,
  policy: SandboxPolicy,
  plan: LaunchPlan,
  dir: string,
  engineProfile?: Seccomp,
  podPolicy?: SandboxPolicy,
): Promise<SandboxRecord> {
  const agent = plan.seccomp?.notify === true;
  const enforces = (p: SandboxPolicy) =>
    p.egress.default === "deny" || p.egress.allow.length > 0 || p.egress.deny.length > 0;
  const podEgress = podPolicy && enforces(podPolicy) ? podPolicy : undefined;
  // the filter notifies egress calls when either the container's or the pod's policy enforces
  const forFilter = !enforces(policy) && podEgress
    ? { ...policy, egress: podEgress.egress }
    : policy;
  const filter = sandboxFilter(forFilter, { bounding: plan.caps.bounding, agentListener: agent });
  const record: SandboxRecord = {
    policy: {
      ...describePolicy(policy),
      ...(podEgress ? { podEgress: describePolicy(podEgress).egress } : {}),
    },
    mediated: filter?.mediated ?? [],
    refused: filter?.refused ?? [],
    ...(agent
      ? {
        note: "linux.seccomp.listenerPath has the container's one seccomp listener: moat " +
          "mediates nothing (no virtual sysinfo/uname, no egress policy, no trace); its " +
          "attack-surface filter and virtual files still apply",
      }
      : {}),
  };
  if (!filter && !(policy.virtualize && virtualFiles(plan))) return record;
  let bpf: Uint8Array = new Uint8Array(0);
  if (filter) {
    if (!ctx.seccompCompiler) {
      throw new RuntimeError("sandbox: this runtime was built without a seccomp compiler");
    }
    const compiled = await compileCached(
      encodeRules(filter.rules),
      await ctx.seccompCompiler(),
      seccompCacheDir(ctx.store.root),
    ).catch((e) => {
      throw new RuntimeError(`sandbox filter: ${(e as Error).message}`);
    });
    if (compiled.bpf.length / 8 > BPF_MAX_INSNS) {
      throw new RuntimeError(`sandbox filter: ${compiled.bpf.length / 8} instructions`);
    }
    bpf = compiled.bpf;
  }
  const notify = filter?.notify === true;
  const files = policy.virtualize ? virtualFiles(plan) : 0;
  const egressOn = notify && (enforces(policy) || podEgress !== undefined);
  const sandbox: PlanSandbox = {
    bpf,
    notify,
    // with linux.seccomp's filter, right after it; else by the same rule (prepare.ts)
    early: plan.seccomp ? plan.seccomp.early : loadEarly(plan.noNewPrivs, plan.caps.effective),
    first: engineProfile !== undefined && !allowsSeccomp(engineProfile),
    ...(notify && policy.uname.release !== undefined ? { unameRelease: policy.uname.release } : {}),
    ...(notify && policy.uname.version !== undefined ? { unameVersion: policy.uname.version } : {}),
    sysinfo: notify && policy.virtualize,
    files,
    ...(egressOn
      ? {
        egress: {
          defaultDeny: policy.egress.default === "deny",
          rules: [
            ...policy.egress.allow.map((c) => egressRule(c, false)),
            ...policy.egress.deny.map((c) => egressRule(c, true)),
            // the pod's policy: the container's may only tighten it (both must allow)
            ...(podEgress?.egress.allow ?? []).map((c) => ({ ...egressRule(c, false), pod: true })),
            ...(podEgress?.egress.deny ?? []).map((c) => ({ ...egressRule(c, true), pod: true })),
          ],
          ...(podEgress ? { pod: { defaultDeny: podEgress.egress.default === "deny" } } : {}),
        },
      }
      : {}),
    trace: notify ? policy.trace.reduce((m, f) => m | TRACE_BITS[f], 0) : 0,
    ...(notify && policy.traceFile ? { traceFile: policy.traceFile } : {}),
    denials: notify ? (filter?.denials ?? []) : [],
    vprocDirs: [],
    vprocV2: false,
  };
  if (bpf.length === 0) {
    // no filter at all: only the virtual files (nothing to notify, surface off)
    sandbox.early = sandbox.first = false;
  }
  const bpfPath = `${dir}/sandbox.bpf`;
  if (bpf.length) Deno.writeFileSync(bpfPath, bpf, { mode: 0o600 });
  plan.sandbox = sandbox;
  const { bpf: _, ...rest } = sandbox;
  record.plan = {
    ...rest,
    ...(rest.egress
      ? {
        egress: {
          ...rest.egress,
          rules: rest.egress.rules.map((r) => ({
            ...r,
            addr: [...r.addr] as unknown as Uint8Array,
          })),
        },
      }
      : {}),
  };
  if (bpf.length) record.bpfPath = bpfPath;
  return record;
}

/**
 * The LXCFS files to serve (VirtFile bits). Not without root (the sentry mounts FUSE on the
 * host) or a usable /dev/fuse; not /proc/uptime in a new time namespace, whose offsets the
 * container asked for.
 */
function virtualFiles(plan: LaunchPlan): number {
  if (Deno.uid() !== 0 || plan.exec) return 0;
  try {
    Deno.openSync("/dev/fuse", { read: true, write: true }).close();
  } catch {
    return 0;
  }
  const all = Object.values(VirtFile).reduce((m, b) => m | b, 0);
  const timens = plan.namespaces.some((n) => n.type === CLONE_NEW.time && !n.path);
  return timens ? all & ~VirtFile.UPTIME : all;
}

/**
 * Whether the engine's profile lets the init call seccomp(2) again after loading it: if not,
 * moat's filter goes first (the kernel still gives every call the strictest answer of both).
 */
function allowsSeccomp(profile: Seccomp): boolean {
  const rules = (profile.syscalls ?? []).filter((r) => r.names?.includes("seccomp"));
  if (rules.length === 0) return profile.defaultAction === "SCMP_ACT_ALLOW";
  return rules.some((r) => r.action === "SCMP_ACT_ALLOW" && !(r.args?.length));
}

/** The container's cgroup directories the views read, once create made them. */
export function sandboxCgroups(plan: LaunchPlan, rec: CgroupRecord | undefined): void {
  const s = plan.sandbox;
  if (!s || !rec || !(s.sysinfo || s.files)) return;
  if (rec.mode === "v2" && rec.v2) {
    for (const kind of Object.values(VprocKind)) s.vprocDirs.push({ kind, path: rec.v2 });
    s.vprocV2 = true;
    return;
  }
  const v1: Record<number, string | undefined> = {
    [VprocKind.MEMORY]: rec.v1.memory,
    [VprocKind.CPU]: rec.v1.cpu,
    [VprocKind.CPUACCT]: rec.v1.cpuacct,
    [VprocKind.CPUSET]: rec.v1.cpuset,
    [VprocKind.BLKIO]: rec.v1.blkio,
    [VprocKind.PIDS]: rec.v1.pids,
  };
  for (const [kind, path] of Object.entries(v1)) {
    if (path) s.vprocDirs.push({ kind: Number(kind), path });
  }
}

/**
 * An exec'd process gets the container's filter and mediation; its sentry hands the listener
 * to the container's sentry (adoptSocket) so it stays mediated after the exec ends. No virtual
 * files: they are in the container's mount namespace already.
 */
export function execSandbox(
  r: SandboxRecord | undefined,
  controlSocket: string,
): PlanSandbox | undefined {
  if (!r?.plan || !r.bpfPath) return undefined;
  const bpf = Deno.readFileSync(r.bpfPath);
  const egress = r.plan.egress && {
    ...r.plan.egress,
    rules: r.plan.egress.rules.map((e) => ({ ...e, addr: Uint8Array.from(e.addr) })),
  };
  return {
    ...r.plan,
    ...(egress ? { egress } : {}),
    bpf,
    files: 0,
    ...(r.plan.notify ? { adoptSocket: controlSocket } : {}),
  };
}

/**
 * IPv4-mapped IPv6 rules (::ffff:a.b.c.d/96+n) mean the IPv4 rule: the sentry matches
 * v4-mapped destinations as IPv4 (sentry/egress.h).
 */
function egressRule(c: Cidr, deny: boolean): PlanEgressRule {
  const mapped = c.family === 6 && c.prefix >= 96 && c.addr.slice(0, 10).every((b) => b === 0) &&
    c.addr[10] === 0xff && c.addr[11] === 0xff;
  if (mapped) {
    return { family: 4, addr: c.addr.slice(12), prefix: c.prefix - 96, port: c.port, deny };
  }
  return { family: c.family, addr: c.addr.slice(), prefix: c.prefix, port: c.port, deny };
}
