/**
 * Name -> Linux number tables for the enumerations that appear in `config.json`.
 *
 * Every table has a null prototype, so `NAME in TABLE` and `TABLE[name]` never hit
 * `Object.prototype` members such as "toString".
 */

import type {
  IOPriorityClass,
  MemoryPolicyFlag,
  MemoryPolicyMode,
  NamespaceType,
  RootfsPropagation,
  SchedulerFlag,
  SchedulerPolicy,
  SeccompAction,
  SeccompOperator,
} from "./types.ts";

function table<K extends string>(entries: Record<K, number>): Readonly<Record<K, number>> {
  return Object.freeze(Object.assign(Object.create(null), entries));
}

/** Capability name -> bit number (linux/capability.h), CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40). */
export const CAPABILITIES: Readonly<Record<string, number>> = table({
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
});

/** Rlimit name -> resource number (asm-generic numbering, as on x86_64 and aarch64). */
export const RLIMITS: Readonly<Record<string, number>> = table({
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
});

/** Namespace type -> CLONE_NEW* flag. */
export const NAMESPACES: Readonly<Record<NamespaceType, number>> = table({
  pid: 0x20000000,
  network: 0x40000000,
  mount: 0x00020000,
  ipc: 0x08000000,
  uts: 0x04000000,
  user: 0x10000000,
  cgroup: 0x02000000,
  time: 0x00000080,
});

/** linux.rootfsPropagation -> mount(2) flags (MS_REC = 0x4000). */
export const ROOTFS_PROPAGATION: Readonly<Record<RootfsPropagation, number>> = table({
  shared: 1 << 20,
  slave: 1 << 19,
  private: 1 << 18,
  unbindable: 1 << 17,
  rshared: (1 << 20) | 0x4000,
  rslave: (1 << 19) | 0x4000,
  rprivate: (1 << 18) | 0x4000,
  runbindable: (1 << 17) | 0x4000,
});

/** Seccomp action -> SECCOMP_RET_* value (errno/trace data goes in the low 16 bits). */
export const SECCOMP_ACTIONS: Readonly<Record<SeccompAction, number>> = table({
  SCMP_ACT_KILL: 0x00000000,
  SCMP_ACT_KILL_THREAD: 0x00000000,
  SCMP_ACT_KILL_PROCESS: 0x80000000,
  SCMP_ACT_TRAP: 0x00030000,
  SCMP_ACT_ERRNO: 0x00050000,
  SCMP_ACT_NOTIFY: 0x7fc00000,
  SCMP_ACT_TRACE: 0x7ff00000,
  SCMP_ACT_LOG: 0x7ffc0000,
  SCMP_ACT_ALLOW: 0x7fff0000,
});

/** Seccomp argument comparison -> libseccomp `enum scmp_compare` value. */
export const SECCOMP_OPERATORS: Readonly<Record<SeccompOperator, number>> = table({
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
});

/** Seccomp filter flag -> SECCOMP_FILTER_FLAG_* bit (only the ones the spec allows). */
export const SECCOMP_FILTER_FLAGS: Readonly<Record<string, number>> = table({
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
});

/** Seccomp architecture names -> AUDIT_ARCH_* value. */
export const SECCOMP_ARCHITECTURES: Readonly<Record<string, number>> = table({
  SCMP_ARCH_X86: 0x40000003,
  SCMP_ARCH_X86_64: 0xc000003e,
  SCMP_ARCH_X32: 0x4000003e,
  SCMP_ARCH_ARM: 0x40000028,
  SCMP_ARCH_AARCH64: 0xc00000b7,
  SCMP_ARCH_MIPS: 0x00000008,
  SCMP_ARCH_MIPS64: 0x80000008,
  SCMP_ARCH_MIPS64N32: 0xa0000008,
  SCMP_ARCH_MIPSEL: 0x40000008,
  SCMP_ARCH_MIPSEL64: 0xc0000008,
  SCMP_ARCH_MIPSEL64N32: 0xe0000008,
  SCMP_ARCH_PPC: 0x00000014,
  SCMP_ARCH_PPC64: 0x80000015,
  SCMP_ARCH_PPC64LE: 0xc0000015,
  SCMP_ARCH_S390: 0x00000016,
  SCMP_ARCH_S390X: 0x80000016,
  SCMP_ARCH_PARISC: 0x0000000f,
  SCMP_ARCH_PARISC64: 0x8000000f,
  SCMP_ARCH_RISCV64: 0xc00000f3,
  SCMP_ARCH_LOONGARCH64: 0xc0000102,
  SCMP_ARCH_M68K: 0x00000004,
  SCMP_ARCH_SH: 0x4000002a,
  SCMP_ARCH_SHEB: 0x0000002a,
});

/** Scheduler policy -> SCHED_* number. */
export const SCHEDULER_POLICIES: Readonly<Record<SchedulerPolicy, number>> = table({
  SCHED_OTHER: 0,
  SCHED_FIFO: 1,
  SCHED_RR: 2,
  SCHED_BATCH: 3,
  SCHED_ISO: 4,
  SCHED_IDLE: 5,
  SCHED_DEADLINE: 6,
});

/** Scheduler flag -> sched_attr.sched_flags bit. */
export const SCHEDULER_FLAGS: Readonly<Record<SchedulerFlag, number>> = table({
  SCHED_FLAG_RESET_ON_FORK: 0x01,
  SCHED_FLAG_RECLAIM: 0x02,
  SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
});

/** I/O priority class -> IOPRIO_CLASS_* number. */
export const IOPRIO_CLASSES: Readonly<Record<IOPriorityClass, number>> = table({
  IOPRIO_CLASS_RT: 1,
  IOPRIO_CLASS_BE: 2,
  IOPRIO_CLASS_IDLE: 3,
});

/** Memory policy mode -> MPOL_* number for set_mempolicy(2). */
export const MEMORY_POLICY_MODES: Readonly<Record<MemoryPolicyMode, number>> = table({
  MPOL_DEFAULT: 0,
  MPOL_PREFERRED: 1,
  MPOL_BIND: 2,
  MPOL_INTERLEAVE: 3,
  MPOL_LOCAL: 4,
  MPOL_PREFERRED_MANY: 5,
  MPOL_WEIGHTED_INTERLEAVE: 6,
});

/** Memory policy mode flag -> bit OR-ed into the mode. */
export const MEMORY_POLICY_FLAGS: Readonly<Record<MemoryPolicyFlag, number>> = table({
  MPOL_F_NUMA_BALANCING: 1 << 13,
  MPOL_F_RELATIVE_NODES: 1 << 14,
  MPOL_F_STATIC_NODES: 1 << 15,
});

/** linux.personality.domain -> personality(2) value. */
export const PERSONALITY_DOMAINS: Readonly<Record<"LINUX" | "LINUX32", number>> = table({
  LINUX: 0x0000,
  LINUX32: 0x0008,
});
