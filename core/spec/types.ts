/**
 * TypeScript shapes of an OCI runtime-spec (v1.0 – v1.3) `config.json` as used on Linux.
 *
 * These describe what `parseSpec` guarantees after validation. Properties that belong to
 * other platforms (windows, solaris, vm, zos, process.commandLine, user.username) are not
 * modelled; they survive in the parsed object untouched but are not typed.
 *
 * 64-bit integer fields are plain `number`s: JSON values above 2^53 (for example a memory
 * limit of 9223372036854775807 or an rlimit of 18446744073709551615) are accepted but lose
 * precision when parsed by `JSON.parse`, so 2^63-1 reads as 2^63 and 2^64-1 as 2^64.
 */

/** Top-level `config.json`. */
export interface Spec {
  /** Spec version the bundle was written for; 1.0.0 – 1.3.x (pre-releases included). */
  ociVersion: string;
  /** Optional in the spec; required by `create`/`run` (see `requireProcess`). */
  process?: Process;
  /** Required on Linux. */
  root: Root;
  hostname?: string;
  domainname?: string;
  mounts?: Mount[];
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
}

export interface Process {
  terminal?: boolean;
  consoleSize?: ConsoleSize;
  user: User;
  /** At least one entry; `args[0]` is the program. */
  args: string[];
  /** `KEY=value` entries. */
  env?: string[];
  /** Absolute path inside the container. */
  cwd: string;
  capabilities?: Capabilities;
  rlimits?: Rlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  /** -1000 .. 1000 */
  oomScoreAdj?: number;
  selinuxLabel?: string;
  ioPriority?: IOPriority;
  scheduler?: Scheduler;
  execCPUAffinity?: ExecCPUAffinity;
}

export interface ConsoleSize {
  height: number;
  width: number;
}

export interface User {
  uid: number;
  gid: number;
  /** 0 .. 0o7777 */
  umask?: number;
  additionalGids?: number[];
}

/** Each set lists `CAP_*` names (see `CAPABILITIES`). */
export interface Capabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface Rlimit {
  /** `RLIMIT_*` name (see `RLIMITS`). */
  type: string;
  hard: number;
  soft: number;
}

export type IOPriorityClass = "IOPRIO_CLASS_RT" | "IOPRIO_CLASS_BE" | "IOPRIO_CLASS_IDLE";

export interface IOPriority {
  class: IOPriorityClass;
  /** 0 (highest) .. 7 (lowest); absent means 0. */
  priority?: number;
}

export type SchedulerPolicy =
  | "SCHED_OTHER"
  | "SCHED_FIFO"
  | "SCHED_RR"
  | "SCHED_BATCH"
  | "SCHED_ISO"
  | "SCHED_IDLE"
  | "SCHED_DEADLINE";

export type SchedulerFlag =
  | "SCHED_FLAG_RESET_ON_FORK"
  | "SCHED_FLAG_RECLAIM"
  | "SCHED_FLAG_DL_OVERRUN"
  | "SCHED_FLAG_KEEP_POLICY"
  | "SCHED_FLAG_KEEP_PARAMS"
  | "SCHED_FLAG_UTIL_CLAMP_MIN"
  | "SCHED_FLAG_UTIL_CLAMP_MAX";

export interface Scheduler {
  policy: SchedulerPolicy;
  /** -20 .. 19 */
  nice?: number;
  priority?: number;
  flags?: SchedulerFlag[];
  /** Nanoseconds (SCHED_DEADLINE). */
  runtime?: number;
  deadline?: number;
  period?: number;
}

/** CPU lists such as `"0-3,7"`; an empty string means "not set". */
export interface ExecCPUAffinity {
  initial?: string;
  final?: string;
}

export interface Root {
  /** Absolute, or relative to the bundle directory. Never empty. */
  path: string;
  readonly?: boolean;
}

export interface Mount {
  /** Absolute path in the container (relative accepted from 1.2 on; caller decides). */
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
  uidMappings?: IDMapping[];
  gidMappings?: IDMapping[];
}

export interface IDMapping {
  containerID: number;
  hostID: number;
  /** >= 1 */
  size: number;
}

export interface Hook {
  /** Absolute path on the host. */
  path: string;
  args?: string[];
  env?: string[];
  /** Seconds, > 0. */
  timeout?: number;
}

export interface Hooks {
  /** Deprecated in favour of createRuntime/createContainer/startContainer. */
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export type NamespaceType =
  | "pid"
  | "network"
  | "mount"
  | "ipc"
  | "uts"
  | "user"
  | "cgroup"
  | "time";

export interface Namespace {
  type: NamespaceType;
  /** Absolute path of an existing namespace file to join. */
  path?: string;
}

export type TimeClock = "boottime" | "monotonic";

export interface TimeOffset {
  secs?: number;
  nanosecs?: number;
}

export type DeviceType = "c" | "b" | "u" | "p";

export interface Device {
  type: DeviceType;
  /** Absolute path in the container. */
  path: string;
  /** Required unless `type` is `p`. */
  major?: number;
  minor?: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface NetDevice {
  /** Name inside the container; defaults to the map key. */
  name?: string;
}

export type RootfsPropagation =
  | "shared"
  | "slave"
  | "private"
  | "unbindable"
  | "rshared"
  | "rslave"
  | "rprivate"
  | "runbindable";

export interface Linux {
  namespaces?: Namespace[];
  uidMappings?: IDMapping[];
  gidMappings?: IDMapping[];
  timeOffsets?: Partial<Record<TimeClock, TimeOffset>>;
  devices?: Device[];
  netDevices?: Record<string, NetDevice>;
  cgroupsPath?: string;
  resources?: Resources;
  rootfsPropagation?: RootfsPropagation;
  seccomp?: Seccomp;
  sysctl?: Record<string, string>;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  personality?: Personality;
  intelRdt?: IntelRdt;
  memoryPolicy?: MemoryPolicy;
}

// ---- linux.resources ----

export interface Resources {
  devices?: DeviceCgroupRule[];
  memory?: MemoryResources;
  cpu?: CPUResources;
  pids?: PidsResources;
  blockIO?: BlockIO;
  hugepageLimits?: HugepageLimit[];
  network?: NetworkResources;
  rdma?: Record<string, RdmaLimit>;
  /** cgroup v2 file name -> content. */
  unified?: Record<string, string>;
}

export interface DeviceCgroupRule {
  allow: boolean;
  /** `a` (all), `c` or `b`; absent means all. */
  type?: "a" | "c" | "b";
  /** Absent means any. */
  major?: number;
  minor?: number;
  /** Some of `r`, `w`, `m`. */
  access?: string;
}

/** Byte counts; -1 means unlimited where the kernel allows it. */
export interface MemoryResources {
  limit?: number;
  reservation?: number;
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  /** 0 .. 100 */
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface CPUResources {
  shares?: number;
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  idle?: number;
}

export interface PidsResources {
  /** -1 or 0 mean unlimited (as runc does). Optional from 1.3 on. */
  limit?: number;
}

export interface WeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}

export interface ThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface BlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: WeightDevice[];
  throttleReadBpsDevice?: ThrottleDevice[];
  throttleWriteBpsDevice?: ThrottleDevice[];
  throttleReadIOPSDevice?: ThrottleDevice[];
  throttleWriteIOPSDevice?: ThrottleDevice[];
}

export interface HugepageLimit {
  /** e.g. `"2MB"`, `"1GB"`. */
  pageSize: string;
  limit: number;
}

export interface NetworkPriority {
  name: string;
  priority: number;
}

export interface NetworkResources {
  classID?: number;
  priorities?: NetworkPriority[];
}

export interface RdmaLimit {
  hcaHandles?: number;
  hcaObjects?: number;
}

// ---- linux.seccomp ----

export type SeccompAction =
  | "SCMP_ACT_KILL"
  | "SCMP_ACT_KILL_PROCESS"
  | "SCMP_ACT_KILL_THREAD"
  | "SCMP_ACT_TRAP"
  | "SCMP_ACT_ERRNO"
  | "SCMP_ACT_TRACE"
  | "SCMP_ACT_ALLOW"
  | "SCMP_ACT_LOG"
  | "SCMP_ACT_NOTIFY";

export type SeccompOperator =
  | "SCMP_CMP_NE"
  | "SCMP_CMP_LT"
  | "SCMP_CMP_LE"
  | "SCMP_CMP_EQ"
  | "SCMP_CMP_GE"
  | "SCMP_CMP_GT"
  | "SCMP_CMP_MASKED_EQ";

export interface SeccompArg {
  /** Syscall argument number, 0 .. 5. */
  index: number;
  value: number;
  valueTwo?: number;
  op: SeccompOperator;
}

export interface SeccompSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[];
}

export interface Seccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  /** `SCMP_ARCH_*` names (see `SECCOMP_ARCHITECTURES`). */
  architectures?: string[];
  /** `SECCOMP_FILTER_FLAG_*` names (see `SECCOMP_FILTER_FLAGS`). */
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompSyscall[];
}

// ---- misc linux ----

export interface Personality {
  domain: "LINUX" | "LINUX32";
  flags?: string[];
}

export interface IntelRdt {
  closID?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  /** 1.3: full schemata lines. */
  schemata?: string[];
  /** 1.3: replaces enableCMT / enableMBM. */
  enableMonitoring?: boolean;
  enableCMT?: boolean;
  enableMBM?: boolean;
}

export type MemoryPolicyMode =
  | "MPOL_DEFAULT"
  | "MPOL_BIND"
  | "MPOL_INTERLEAVE"
  | "MPOL_WEIGHTED_INTERLEAVE"
  | "MPOL_PREFERRED"
  | "MPOL_PREFERRED_MANY"
  | "MPOL_LOCAL";

export type MemoryPolicyFlag =
  | "MPOL_F_NUMA_BALANCING"
  | "MPOL_F_RELATIVE_NODES"
  | "MPOL_F_STATIC_NODES";

export interface MemoryPolicy {
  mode: MemoryPolicyMode;
  /** NUMA node list such as `"0-3,7"`. */
  nodes?: string;
  flags?: MemoryPolicyFlag[];
}
