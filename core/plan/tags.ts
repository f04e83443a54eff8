// Record tags of the plan encoding, version 1 (sentry/PROTOCOL.md §1). Keep in sync with plan.h.
export const PLAN_MAGIC = "MOAT";
export const PLAN_VERSION = 1;

export const Tag = {
  ROOTFS: 1,
  ROOTFS_READONLY: 2,
  ROOT_PROPAGATION: 3,
  NO_PIVOT: 4,
  HOSTNAME: 5,
  DOMAINNAME: 6,
  NAMESPACE: 7,
  MOUNT: 8,
  DEVICE: 9,
  SYMLINK: 10,
  MASKED_PATH: 11,
  READONLY_PATH: 12,
  ARG: 13,
  ENV: 14,
  CWD: 15,
  UID: 16,
  GID: 17,
  ADDITIONAL_GID: 18,
  UMASK: 19,
  CAP_BOUNDING: 20,
  CAP_EFFECTIVE: 21,
  CAP_INHERITABLE: 22,
  CAP_PERMITTED: 23,
  CAP_AMBIENT: 24,
  CAP_LAST: 25,
  RLIMIT: 26,
  NO_NEW_PRIVS: 27,
  OOM_SCORE_ADJ: 28,
  NOTIFY_SOCKET: 29,
  CONTROL_SOCKET: 30,
  LOG_PATH: 31,
  PRESERVE_FDS: 32,
  PATH_DIR: 33,
  NO_NEW_KEYRING: 34,
  SESSION_KEYRING_NAME: 35,
  CONTAINER_ID: 36,
  // 40-49: cgroups (core/cgroup/)
  CGROUP_PROCS: 40,
  CGROUP_V2_DIR: 41,
  // 50-59: seccomp
  SECCOMP_BPF: 50,
  SECCOMP_FLAGS: 51,
  SECCOMP_NOTIFY: 52,
  SECCOMP_LISTENER_PATH: 53,
  SECCOMP_LISTENER_STATE: 54,
  SECCOMP_EARLY: 55,
  // 60-79: hooks and process attributes (sentry/PROTOCOL.md §8)
  HOOK: 60,
  HOOK_PAUSE: 61,
  SYSCTL: 62,
  PERSONALITY: 63,
  SCHEDULER: 64,
  IOPRIO: 65,
  CPU_AFFINITY_INITIAL: 66,
  CPU_AFFINITY_FINAL: 67,
  TIME_OFFSET: 68,
  // 80-89: terminals
  TERMINAL: 80,
  CONSOLE_SOCKET: 81,
  CONSOLE_ROWS: 82,
  CONSOLE_COLS: 83,
  CONSOLE_RELAY: 84,
  // 85: exec into an existing container (namespaces joined by path, no mounts)
  EXEC: 85,
  // 86-88: id maps of a new user namespace
  UID_MAP: 86,
  GID_MAP: 87,
  SETGROUPS_DENY: 88,
  // 89: exec's target (pid and start time), checked after the namespace files are open
  EXEC_TARGET: 89,
  // 90-91: linux.memoryPolicy
  MEMPOLICY_MODE: 90,
  MEMPOLICY_NODES: 91,
  // 92: linux.netDevices (nest: NetDeviceTag)
  NET_DEVICE: 92,
  // 93: exec --detach: the process execs only once the CLI that started its sentry has exited
  EXEC_RELEASE: 93,
  // 94: --pidfd-socket: a pidfd of the init (or exec'd process) goes there before create returns
  PIDFD_SOCKET: 94,
  // 100-119: the sandbox (core/sandbox/, sentry/PROTOCOL.md §11)
  SANDBOX_BPF: 100,
  SANDBOX_NOTIFY: 101,
  SANDBOX_EARLY: 102,
  UNAME_RELEASE: 103,
  UNAME_VERSION: 104,
  VIRT_SYSINFO: 105,
  VIRT_FILES: 106,
  EGRESS_DEFAULT: 107,
  EGRESS_RULE: 108,
  TRACE: 109,
  TRACE_FILE: 110,
  DENIAL: 111,
  ADOPT_SOCKET: 112,
  VPROC_DIR: 113,
  VPROC_V2: 114,
  SANDBOX_FIRST: 115,
  POD_EGRESS_DEFAULT: 116,
  // 120-129: the rootfs overlay and filestores (core/plan/overlay.ts, sentry/PROTOCOL.md §12)
  OVERLAY: 120,
  // 140-159: checkpoint/restore. 140: restore: the sentry attaches to the restored init
  ATTACH: 140,
} as const;

/** OVERLAY nest: one overlayfs (or a file copy) the sentry prepares and the init mounts */
export const OverlayTag = {
  LOWER: 1,
  UPPER: 2,
  WORK: 3,
  TARGET: 4,
  TMPFS: 5,
  TMPFS_DATA: 6,
  FILE: 7,
} as const;

/** VIRT_FILES bits, in the order of sentry/vfs_fuse.c's vfs_proc_files */
export const VirtFile = {
  MEMINFO: 1,
  CPUINFO: 2,
  STAT: 4,
  UPTIME: 8,
  LOADAVG: 16,
  SWAPS: 32,
  DISKSTATS: 64,
  CPU_ONLINE: 128,
} as const;

export const EgressRuleTag = { FAMILY: 1, ADDR: 2, PREFIX: 3, PORT: 4, DENY: 5, POD: 6 } as const;
export const DenialTag = { NR: 1, ERRNO: 2, NAME: 3 } as const;
export const VprocDirTag = { KIND: 1, PATH: 2 } as const;
/** VPROC_DIR kinds: which controller's cgroup directory */
export const VprocKind = { MEMORY: 1, CPU: 2, CPUACCT: 3, CPUSET: 4, BLKIO: 5, PIDS: 6 } as const;

export const NsTag = { TYPE: 1, PATH: 2 } as const;
export const MountTag = {
  SOURCE: 1,
  DEST: 2,
  TYPE: 3,
  FLAGS: 4,
  DATA: 5,
  PROPAGATION: 6,
  REMOUNT_FLAGS: 7,
  CREATE: 8,
  // 9 is M_MODE (unused); 10: tmpcopyup; 11-13: idmapped mounts
  COPYUP: 10,
  UIDMAP: 11,
  GIDMAP: 12,
  IDMAP_RECURSIVE: 13,
  // 60-61: recursive mount attributes (mount_setattr AT_RECURSIVE), PROTOCOL.md §8
  RATTR_SET: 60,
  RATTR_CLR: 61,
} as const;
export const HookTag = {
  KIND: 1,
  INDEX: 2,
  PATH: 3,
  ARG: 4,
  ENV: 5,
  TIMEOUT: 6,
  STATE_HEAD: 7,
  STATE_TAIL: 8,
} as const;
export const SysctlTag = { KEY: 1, PATH: 2, VALUE: 3 } as const;
export const SchedTag = {
  POLICY: 1,
  FLAGS: 2,
  NICE: 3,
  PRIORITY: 4,
  RUNTIME: 5,
  DEADLINE: 6,
  PERIOD: 7,
} as const;
export const TimeOffsetTag = { CLOCK: 1, SECS: 2, NSECS: 3 } as const;
export const DeviceTag = {
  PATH: 1,
  MODE: 2,
  MAJOR: 3,
  MINOR: 4,
  UID: 5,
  GID: 6,
  BIND: 7,
  HOST_PATH: 8,
} as const;
export const NetDeviceTag = { NAME: 1, NEWNAME: 2 } as const;
export const IdMapTag = { CONTAINER: 1, HOST: 2, SIZE: 3 } as const;
export const SymlinkTag = { TARGET: 1, PATH: 2 } as const;
export const RlimitTag = { TYPE: 1, SOFT: 2, HARD: 3 } as const;
