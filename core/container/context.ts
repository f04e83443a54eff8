// What every lifecycle verb needs: where state lives and how to reach the host.
import type { HostFacts } from "../plan/host.ts";
import { StateStore } from "../state/store.ts";
import type { SeccompCompiler } from "../seccomp/compiler.ts";
import type { CgroupFs } from "../cgroup/fs.ts";
import type { DeviceBpfLoader } from "../cgroup/manager.ts";

/** Starts the sentry program; implemented by ffi/ (sealed memfd) and by fakes in tests. */
export interface SentryLauncher {
  spawn(planPath: string): Deno.ChildProcess;
  /**
   * The sentry image as an executable path: `<it> --exec <path> <argv0> <args...>` execs path
   * with that argv[0] (Deno.Command cannot set argv[0]; core/hooks/ needs it for hook args).
   */
  execPath?: string;
}

/** How a process ended, the way runc reports it: its exit code, or 128+signal. */
export interface ExitStatus {
  code: number;
  signal?: number;
}

/** Process and socket calls that need libc (ffi/proc.ts); fakes in unit tests. */
export interface ProcessPort {
  /**
   * Sends `sig` through a pidfd to `pid` if it is still the process that started at
   * `startTime` (clock ticks): true when sent, false when that process is gone.
   */
  signal(pid: number, startTime: number, sig: number): boolean;
  /** Waits for a child of this process (a container init or exec'd process) to exit. */
  waitChild(pid: number): Promise<ExitStatus>;
  /**
   * A path for bind/connect that fits sun_path: `path` itself, or /proc/self/fd/N/name of its
   * directory, held open until `release`.
   */
  socketPath(path: string): { path: string; release(): void };
  /** PR_SET_CHILD_SUBREAPER: orphans of a foreground container are reparented to us. */
  setChildSubreaper(): void;
}

export interface EgressGuardLoader {
  /** Attaches a sock_addr program at each hook (BPF attach types) of a cgroup2 directory. */
  attach(cgroupDir: string, hooks: number[], insns: Uint8Array): void;
}

export interface Logger {
  debug(msg: string): void;
  warn(msg: string): void;
}

export interface RuntimeContext {
  store: StateStore;
  host: HostFacts;
  launcher: () => Promise<SentryLauncher>;
  /** Signals, waits and socket paths (ffi/proc.ts), loaded by the commands that use them. */
  procs: () => Promise<ProcessPort>;
  /** libseccomp behind libmoat (ffi/); absent: a config with linux.seccomp cannot be created. */
  seccompCompiler?: () => Promise<SeccompCompiler>;
  log: Logger;
  /** The --log file, also given to the sentry for its own messages. */
  logPath?: string;
  /** The sandbox's egress guard (core/sandbox/egress_bpf.ts) through libmoat; absent: none. */
  egressGuard?: () => Promise<EgressGuardLoader>;
  /** Loads cgroup device programs through libmoat (ffi/); absent: v1 devices rules only. */
  deviceBpf?: () => Promise<DeviceBpfLoader>;
  /** --systemd-cgroup: linux.cgroupsPath is `slice:prefix:name`. */
  systemdCgroup?: boolean;
  /** The cgroup filesystem (tests pass a fake tree); default the host's. */
  cgroupFs?: CgroupFs;
  /** No cgroups at all (crun's --cgroup-manager=disabled); for tests of other features. */
  noCgroups?: boolean;
  /** --rootless: cgroup permission errors are tolerated (the container runs unconfined). */
  rootless?: boolean;
  /**
   * --policy FILE: the default `dev.moat.*` sandbox policy (a JSON object of those keys) for
   * containers whose annotations do not set a key (core/sandbox/policy.ts).
   */
  policyFile?: string;
  /** --overlay2: the rootfs overlay for containers without a dev.moat.overlay2 annotation. */
  overlay2?: string;
  /** The global --criu (runc's): the CRIU binary checkpoint and restore run; default "criu". */
  criu?: string;
}
