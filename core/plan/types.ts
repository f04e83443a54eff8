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

export interface LaunchPlan {
  containerId: string;
  /** `exec`: join the container's namespaces (all given by path) and set up nothing else. */
  exec?: boolean;
  terminal?: PlanTerminal;
  rootfs: string;
  rootfsReadonly: boolean;
  rootPropagation: number;
  noPivot: boolean;
  hostname?: string;
  domainname?: string;
  namespaces: PlanNamespace[];
  mounts: PlanMount[];
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
}
