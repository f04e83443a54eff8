// What `create` records for every later call (DESIGN §7): engines do not repeat global flags.
import type { Hook } from "../spec/types.ts";
import type { CgroupRecord } from "../cgroup/types.ts";
import type { SeccompRecord } from "../seccomp/prepare.ts";
import type { SandboxRecord } from "../sandbox/attach.ts";
import type { PodInfo } from "../sandbox/pod.ts";
import type { OverlayRecord } from "../container/filestore.ts";

export type Status = "creating" | "created" | "running" | "paused" | "stopped";

export interface ContainerRecord {
  id: string;
  ociVersion: string;
  bundle: string;
  rootfs: string;
  /** RFC 3339 with nanoseconds, UTC. */
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  /**
   * Last status written by moat; "stopped" is derived from the init's liveness ("creating"
   * from the sentry's, before the init is known).
   */
  status: "creating" | "created" | "running";
  /**
   * The container's init: the pid engines see (state, --pid-file; /proc/<pid>/ns/* are the
   * container's), and its start time (clock ticks) against pid reuse. 0 while creating.
   */
  pid: number;
  pidStartTime: number;
  /** The sentry, the container's sidecar supervisor (DESIGN §3). */
  sentryPid: number;
  sentryStartTime: number;
  controlSocket: string;
  /** The container's cgroups: driver, paths, what moat created, the applied resources. */
  cgroup?: CgroupRecord;
  /** Set by `pause`, cleared by `resume` (the freezer state is checked as well). */
  paused?: boolean;
  /** linux.seccomp as compiled at create: `exec` loads the same filter (core/seccomp/). */
  seccomp?: SeccompRecord;
  /** The sandbox in force (core/sandbox/): `state` shows it, `exec` loads the same filter. */
  sandbox?: SandboxRecord;
  /**
   * Nothing can fail after `start` released the init (no startContainer or poststart hooks, no
   * seccomp agent, no final CPU affinity): a CLI start may let the init exec once it has exited.
   */
  startAfterExit?: boolean;
  /**
   * The rootfs overlay (--overlay2, core/container/filestore.ts): per layer its destination,
   * medium, lower and the upper (the container's writes: checkpoint and `tar rootfs-upper`).
   */
  overlay?: OverlayRecord;
  /** The pod it belongs to, from the CRI's annotations (core/sandbox/pod.ts). */
  pod?: PodInfo;
  /**
   * hooks.poststart and hooks.poststop as config.json had them at create (with `bundle` and
   * `annotations` above, all that start and delete need): later edits to config.json have no
   * effect (runtime-spec). core/hooks/lifecycle.ts.
   */
  hooks?: { poststart?: Hook[]; poststop?: Hook[] };
}
