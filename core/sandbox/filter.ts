// moat's own seccomp filter, stacked on whatever linux.seccomp the engine passes (the kernel
// runs every filter and the strictest answer wins; among equal answers the later-loaded filter's,
// and moat's is loaded last, so its errno is the one a refused call sees). Two parts:
//   1. the attack-surface filter (DESIGN §4.1): syscalls sandboxed workloads do not need and that
//      carry most kernel CVEs, refused whatever the profile allows;
//   2. the calls the sentry mediates (USER_NOTIF): virtualised views, egress, the trace.
// BPF sees registers only, so everything mediated is selected by syscall number and register
// arguments (DESIGN §4.3): never an ordinary open.
import type { SeccompRule, SeccompRuleList } from "../seccomp/translate.ts";
import type { SandboxPolicy, TraceFamily } from "./policy.ts";
import { X86_64_NR } from "./syscalls.ts";

const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const RET_NOTIFY = 0x7fc00000;
const ENOSYS = 38;
const EPERM = 1;
const CAP_SYS_ADMIN = 21n;

/** enum scmp_compare */
const OP_NE = 1;
const OP_EQ = 4;
const AF_INET = 2;
const AF_INET6 = 10;
const AF_PACKET = 17;
const IPPROTO_SCTP = 132;
const OP_MASKED_EQ = 7;

/** AUDIT_ARCH_*: the three ABIs an x86_64 kernel runs (a 64-bit process can still use int 0x80) */
const ARCHES = [0xc000003e, 0x40000003, 0x4000003e];

/**
 * Refused whatever the container's capabilities, with the CVE families that justify them. ENOSYS
 * where programs have a fallback and look for exactly that errno.
 */
export const SURFACE_DENY: Array<[string, number, string]> = [
  // io_uring: a large share of recent local privilege escalations (CVE-2022-29582, CVE-2023-2598,
  // CVE-2024-0582); glibc, liburing users and runtimes fall back to epoll/threads on ENOSYS
  ["io_uring_setup", ENOSYS, "io_uring"],
  ["io_uring_enter", ENOSYS, "io_uring"],
  ["io_uring_register", ENOSYS, "io_uring"],
  // eBPF verifier bugs (CVE-2021-3490, CVE-2022-23222, CVE-2023-2163)
  ["bpf", EPERM, "bpf"],
  // perf_event: CVE-2023-6931, CVE-2023-5717, CVE-2022-1729
  ["perf_event_open", EPERM, "perf"],
  // userfaultfd turns use-after-free races into reliable exploits (CVE-2021-22555 chains)
  ["userfaultfd", EPERM, "userfaultfd"],
  // keyrings are not namespaced (CVE-2016-0728, CVE-2022-47929 class)
  ["keyctl", EPERM, "keys"],
  ["add_key", EPERM, "keys"],
  ["request_key", EPERM, "keys"],
  // replacing or extending the host kernel
  ["kexec_load", EPERM, "kexec"],
  ["kexec_file_load", EPERM, "kexec"],
  ["init_module", EPERM, "modules"],
  ["finit_module", EPERM, "modules"],
  ["delete_module", EPERM, "modules"],
  // file handles bypass the mount namespace (CVE-2014 "shocker" escape)
  ["open_by_handle_at", EPERM, "handles"],
  ["name_to_handle_at", EPERM, "handles"],
  // legacy interfaces with a CVE history and no modern use
  ["uselib", EPERM, "legacy"],
  ["modify_ldt", EPERM, "legacy"], // CVE-2015-5157, CVE-2017-17053
  ["lookup_dcookie", EPERM, "legacy"],
  ["_sysctl", EPERM, "legacy"],
  ["nfsservctl", EPERM, "legacy"],
  ["vm86", EPERM, "legacy"],
  ["vm86old", EPERM, "legacy"],
  ["quotactl", EPERM, "legacy"],
  ["fanotify_init", EPERM, "legacy"],
];

/** Refused unless the container holds CAP_SYS_ADMIN (which already allows them). */
export const NEEDS_SYS_ADMIN = [
  // the mount API: fsconfig heap overflows (CVE-2022-0185), move_mount/open_tree escapes
  "mount",
  "umount",
  "umount2",
  "pivot_root",
  "fsopen",
  "fsconfig",
  "fsmount",
  "fspick",
  "move_mount",
  "open_tree",
  "mount_setattr",
  // new namespaces are how unprivileged code reaches CAP_SYS_ADMIN-only kernel paths
  // (CVE-2022-0185, CVE-2023-32233 nf_tables, CVE-2024-1086)
  "unshare",
  "setns",
];

/** clone's namespace flags (in a register: BPF can see them) */
const CLONE_NEW_FLAGS = [
  0x20000,
  0x2000000,
  0x4000000,
  0x8000000,
  0x10000000,
  0x20000000,
  0x40000000,
];

/** open-for-write, selected by flags in a register: O_WRONLY, O_RDWR, O_CREAT, O_TRUNC */
const WRITE_FLAGS = [0o1, 0o2, 0o100, 0o1000];

const TRACED: Record<Exclude<TraceFamily, "denied" | "open-write" | "connect">, string[]> = {
  exec: ["execve", "execveat"],
  bind: ["bind"],
  setuid: [
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setfsuid",
    "setfsgid",
    "setgroups",
    "capset",
  ],
  mount: ["mount", "umount2", "fsmount", "move_mount", "open_tree", "pivot_root"],
  ptrace: ["ptrace", "process_vm_writev", "process_vm_readv"],
};

export interface SandboxFilter {
  rules: SeccompRuleList;
  /** Some rule notifies: loaded with NEW_LISTENER, the sentry serves the listener. */
  notify: boolean;
  /** Refusals the sentry answers itself so the trace shows them ("denied"). */
  denials: Array<{ name: string; errno: number; nr: number }>;
  /** What is mediated, for `state` (engine agent present: nothing). */
  mediated: string[];
  /** What is refused, for `state`. */
  refused: string[];
}

export interface FilterContext {
  /** The process's bounding set (caps it could ever have). */
  bounding: bigint;
  /**
   * linux.seccomp has its own listener (an engine's agent): a task can hold only one listener
   * (a second NEW_LISTENER is EBUSY), so moat mediates nothing and keeps the surface filter.
   */
  agentListener: boolean;
}

/** moat's filter for a container, or undefined when the policy asks for nothing. */
export function sandboxFilter(
  policy: SandboxPolicy,
  ctx: FilterContext,
): SandboxFilter | undefined {
  const rules: SeccompRule[] = [];
  const denials: Array<{ name: string; errno: number; nr: number }> = [];
  const refused: string[] = [];
  const mediated: string[] = [];
  const canNotify = !ctx.agentListener;
  const traceDenied = canNotify && policy.trace.includes("denied");
  const deny = (name: string, errno: number, args: SeccompRule["args"] = []) => {
    // the sentry answers by syscall number alone: a refusal that depends on arguments stays
    // in BPF (untraced), or the sentry would refuse the allowed uses too
    if (traceDenied && args.length === 0 && X86_64_NR[name] !== undefined) {
      rules.push({ action: RET_NOTIFY, name, args });
      if (!denials.some((d) => d.name === name)) denials.push({ name, errno, nr: X86_64_NR[name] });
    } else {
      rules.push({ action: (RET_ERRNO | errno) >>> 0, name, args });
    }
    if (!refused.includes(name)) refused.push(name);
  };
  const notify = (name: string, args: SeccompRule["args"] = []) => {
    rules.push({ action: RET_NOTIFY, name, args });
    if (!mediated.includes(name)) mediated.push(name);
  };

  if (policy.surface === "default") {
    for (const [name, errno] of SURFACE_DENY) deny(name, errno);
    if ((ctx.bounding & (1n << CAP_SYS_ADMIN)) === 0n) {
      for (const name of NEEDS_SYS_ADMIN) deny(name, EPERM);
      for (const f of CLONE_NEW_FLAGS) deny("clone", EPERM, [mask(0, f)]);
      // clone3's flags live in memory: ENOSYS, and libcs fall back to clone
      deny("clone3", ENOSYS);
    }
  }
  const egress = canNotify && (policy.egress.default === "deny" || policy.egress.allow.length > 0 ||
    policy.egress.deny.length > 0);
  if (egress) {
    // what would reach the network around connect/sendto/sendmsg (the sentry sees those):
    // packet sockets, raw IP with a header of the workload's own (IPPROTO_RAW, *_HDRINCL),
    // and SCTP (its connectx goes through setsockopt)
    deny("socket", EPERM, [eq(0, AF_PACKET)]);
    for (const family of [AF_INET, AF_INET6]) {
      deny("socket", EPERM, [
        eq(0, family),
        { index: 1, op: OP_MASKED_EQ, a: 0xfn, b: 3n },
        eq(2, 255),
      ]);
    }
    deny("socket", EPERM, [eq(2, IPPROTO_SCTP)]);
    deny("setsockopt", EPERM, [eq(1, 0), eq(2, 3)]); // SOL_IP, IP_HDRINCL
    deny("setsockopt", EPERM, [eq(1, 41), eq(2, 36)]); // SOL_IPV6, IPV6_HDRINCL
  }
  if (canNotify) {
    const refusedNow = new Set(refused);
    if (policy.virtualize) {
      notify("sysinfo");
      // busybox nproc, Go's and the JVM's thread pools count the CPUs they may use
      notify("sched_getaffinity");
    }
    if (policy.virtualize || policy.uname.release !== undefined || policy.uname.version) {
      notify("uname");
      // uname answers follow the caller's personality (linux32: i686); the sentry reads it
      // only once some process set one (a query, 0xffffffff, is not noticed)
      notify("personality", [{ index: 0, op: OP_NE, a: 0xffffffffn, b: 0n }]);
    }
    if (egress || policy.trace.includes("connect")) {
      notify("connect");
      // sendto without an address is send(2) on a connected socket: not a new destination
      notify("sendto", [{ index: 4, op: OP_NE, a: 0n, b: 0n }]);
      // sendmsg's msg_name lives in memory: every sendmsg is notified
      notify("sendmsg");
      notify("sendmmsg");
    }
    for (const family of policy.trace) {
      if (family === "open-write") {
        for (const f of WRITE_FLAGS) {
          notify("open", [mask(1, f)]);
          notify("openat", [mask(2, f)]);
        }
        notify("creat");
        // openat2's flags are in memory; it is rare (glibc does not use it)
        notify("openat2");
      } else if (family !== "denied" && family !== "connect") {
        for (const name of TRACED[family]) if (!refusedNow.has(name)) notify(name);
      }
    }
  }
  if (rules.length === 0) return undefined;
  return {
    rules: { defaultAction: RET_ALLOW, badArchAction: RET_ALLOW, arches: ARCHES, rules },
    notify: rules.some((r) => r.action === RET_NOTIFY),
    denials,
    mediated,
    refused,
  };
}

function mask(index: number, bit: number) {
  return { index, op: OP_MASKED_EQ, a: BigInt(bit), b: BigInt(bit) };
}

function eq(index: number, value: number) {
  return { index, op: OP_EQ, a: BigInt(value), b: 0n };
}
