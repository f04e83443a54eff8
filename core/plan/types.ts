// The launch plan: fully resolved data the C init executor runs step by step (sentry/PROTOCOL.md).

export interface PlanNamespace {
  /** One CLONE_NEW* flag. */
  type: number;
  /** Join this namespace file instead of creating a new namespace. */
  path?: string;
}

export interface PlanMount {
  source: string;
  destination: string;
  type: string;
  flags: number;
  data: string;
  propagation: number;
  remountFlags: number;
  /** Create a missing destination as an empty file (bind of a non-directory). */
  createFile: boolean;
  /** tmpcopyup: the covered directory's content is copied into the new tmpfs. */
  copyUp?: boolean;
  /** Idmapped bind mount: these maps, applied recursively with `ridmap`. */
  idmap?: { uidMaps: PlanIdMap[]; gidMaps: PlanIdMap[]; recursive: boolean };
  /** MOUNT_ATTR_* bits set / cleared recursively (rro, rnosuid, ...) with mount_setattr. */
  rattrSet?: number;
  rattrClr?: number;
}

/**
 * One overlayfs of the rootfs overlay (tag 120, sentry/PROTOCOL.md §12; core/plan/overlay.ts):
 * the sentry mounts `tmpfs` (memory medium), makes upper, work and target and creates the
 * overlayfs as a detached mount; the init attaches it at `target` (the rootfs), or the bind
 * mount whose source is `target` takes it.
 */
export interface PlanOverlay {
  lower: string;
  upper: string;
  work: string;
  /** The rootfs itself, or the directory (file: the copy) a bind mount of the plan takes. */
  target: string;
  /** A tmpfs mounted here first, with these options (the memory medium). */
  tmpfs?: string;
  tmpfsData?: string;
  /** The lower is a file: copied to target (in the tmpfs), no overlayfs. */
  file?: boolean;
}

/** A container-side hook the init runs (tags 60-68, sentry/PROTOCOL.md §8). */
export interface PlanHook {
  kind: "createContainer" | "startContainer";
  /** Position in its list in config.json (for "hook #N" in errors). */
  index: number;
  path: string;
  /** argv, argv[0] included (the path when the spec gives no args). */
  args: string[];
  env: string[];
  /** Seconds; 0 = none. */
  timeout: number;
  /** The state JSON is stateHead + the init's pid (in its own pid namespace) + stateTail. */
  stateHead: string;
  stateTail: string;
}

export interface PlanSysctl {
  key: string;
  /** Relative to /proc/sys. */
  path: string;
  value: string;
}

export interface PlanScheduler {
  policy: number;
  flags: number;
  nice: number;
  priority: number;
  runtime: bigint;
  deadline: bigint;
  period: bigint;
}

export interface PlanTimeOffset {
  /** CLOCK_MONOTONIC (1) or CLOCK_BOOTTIME (7). */
  clock: number;
  secs: bigint;
  nsecs: number;
}

/** Hooks and process attributes (tags 60-79). */
export interface PlanAttrs {
  hooks: PlanHook[];
  /** Stop before pivot_root so create can run prestart/createRuntime. */
  hookPause: boolean;
  sysctls: PlanSysctl[];
  personality?: number;
  scheduler?: PlanScheduler;
  /** class << 13 | level */
  ioPriority?: number;
  /** CPU masks, whole 8-byte words. */
  cpuAffinityInitial?: Uint8Array;
  cpuAffinityFinal?: Uint8Array;
  timeOffsets: PlanTimeOffset[];
}

export interface PlanDevice {
  path: string;
  mode: number;
  major: number;
  minor: number;
  uid: number;
  gid: number;
  bindFrom?: string;
}

export interface PlanSymlink {
  target: string;
  path: string;
}

export interface PlanRlimit {
  type: number;
  soft: bigint;
  hard: bigint;
}

export interface PlanCaps {
  bounding: bigint;
  effective: bigint;
  inheritable: bigint;
  permitted: bigint;
  ambient: bigint;
}

/** process.terminal: where the pty master goes (sentry/PROTOCOL.md tags 80-84). */
export interface PlanTerminal {
  /** Send the master to this --console-socket. */
  consoleSocket?: string;
  /** Foreground `run`: the sentry relays the master to the caller's stdio. */
  relay: boolean;
  rows: number;
  cols: number;
}

/** linux.seccomp, compiled (sentry/PROTOCOL.md tags 50-55; core/seccomp/). */
export interface PlanSeccomp {
  /** struct sock_filter[] from libmoat's compiler. */
  bpf: Uint8Array;
  /** SECCOMP_FILTER_FLAG_* bits (NEW_LISTENER is implied by `notify`). */
  flags: number;
  /** The filter has SCMP_ACT_NOTIFY rules: hand the listener to the agent. */
  notify: boolean;
  /** Load before the credential change (no no_new_privs and no CAP_SYS_ADMIN after it). */
  early: boolean;
  listenerPath?: string;
  /** The container process state JSON with \x01 where the init's pid goes. */
  listenerState?: string;
}

/** moat's own filter and what the sentry mediates (sentry/PROTOCOL.md §11; core/sandbox/). */
export interface PlanSandbox {
  /** struct sock_filter[]: the surface refusals and the mediated calls. */
  bpf: Uint8Array;
  /** The filter notifies: loaded with NEW_LISTENER, the listener goes to the sentry. */
  notify: boolean;
  /** Loaded before the credential change (with linux.seccomp's, at the same moment). */
  early: boolean;
  /**
   * Loaded before linux.seccomp's filter, not after: that profile refuses seccomp(2) itself.
   * (After it, moat's errno is the one a call refused by both sees.)
   */
  first: boolean;
  unameRelease?: string;
  unameVersion?: string;
  /** sysinfo(2) answers from the container's cgroup. */
  sysinfo: boolean;
  /** The LXCFS files the sentry's FUSE filesystem serves: VirtFile bits (0: none). */
  files: number;
  /**
   * Egress enforced (connect/sendto/sendmsg decided and performed by the sentry). `pod`: the
   * pod's policy as well, which the container's may only tighten (both must allow); its rules
   * are the ones with `pod` set.
   */
  egress?: { defaultDeny: boolean; rules: PlanEgressRule[]; pod?: { defaultDeny: boolean } };
  /** TRACE_* bits of sentry/trace.h. */
  trace: number;
  traceFile?: string;
  /** Refusals the sentry answers itself so the trace names them (x86_64 numbers). */
  denials: Array<{ nr: number; errno: number; name: string }>;
  /** exec: the container's sentry control socket that takes this process's listener over. */
  adoptSocket?: string;
  /** The container's cgroup directories the virtual views read (kind: VPROC_KIND). */
  vprocDirs: Array<{ kind: number; path: string }>;
  vprocV2: boolean;
}

export interface PlanEgressRule {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  addr: Uint8Array;
  prefix: number;
  port: number;
  deny: boolean;
  /** A rule of the pod's policy. */
  pod?: boolean;
}

export interface PlanIdMap {
  containerID: number;
  hostID: number;
  size: number;
}

export interface LaunchPlan {
  containerId: string;
  /** linux.netDevices: host interfaces the sentry moves into the new network namespace. */
  netDevices?: { name: string; newName?: string }[];
  /** linux.memoryPolicy: set_mempolicy mode (with MPOL_F_* flags) and node bitmask. */
  memoryPolicy?: { mode: number; nodes: Uint8Array };
  /** A new user namespace's maps, written by the sentry before the init does anything. */
  uidMaps?: PlanIdMap[];
  gidMaps?: PlanIdMap[];
  /** Write "deny" to setgroups first (an unprivileged caller must). */
  setgroupsDeny?: boolean;
  seccomp?: PlanSeccomp;
  sandbox?: PlanSandbox;
  /** Hooks and process attributes (core/plan/process_attrs.ts, core/hooks/). */
  attrs?: PlanAttrs;
  /** `exec`: join the container's namespaces (all given by path) and set up nothing else. */
  exec?: boolean;
  /** `exec`: the init whose /proc/<pid>/ns files are joined, with its start time. */
  execTarget?: { pid: number; startTime: number };
  /** `restore`: no init is cloned; the sentry supervises this restored one (pid, start time). */
  attach?: { pid: number; startTime: number };
  /**
   * `exec --detach`: the process execs only after the CLI that started the sentry has exited,
   * so an engine has read the pid file before the process can exit (containerd 1.6's shim
   * drops exits of pids it does not know yet).
   */
  execRelease?: boolean;
  /** --pidfd-socket: the sentry sends a pidfd of the process there (one SCM_RIGHTS message). */
  pidfdSocket?: string;
  terminal?: PlanTerminal;
  rootfs: string;
  rootfsReadonly: boolean;
  rootPropagation: number;
  noPivot: boolean;
  hostname?: string;
  domainname?: string;
  namespaces: PlanNamespace[];
  mounts: PlanMount[];
  /** The rootfs overlay (--overlay2): mounted before the rootfs is bound and the mounts made. */
  overlays?: PlanOverlay[];
  devices: PlanDevice[];
  symlinks: PlanSymlink[];
  maskedPaths: string[];
  readonlyPaths: string[];
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  umask?: number;
  caps: PlanCaps;
  capLast: number;
  rlimits: PlanRlimit[];
  noNewPrivs: boolean;
  oomScoreAdj?: number;
  notifySocket: string;
  controlSocket: string;
  logPath?: string;
  preserveFds: number;
  pathDirs: string[];
  noNewKeyring: boolean;
  sessionKeyringName?: string;
  /** cgroup.procs files the sentry writes its own pid to before it clones the init. */
  cgroupProcs?: string[];
  /** cgroup2 directory the init is cloned into (CLONE_INTO_CGROUP). */
  cgroupV2Dir?: string;
}
