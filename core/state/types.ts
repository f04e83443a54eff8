// What `create` records for every later call (DESIGN §7): engines do not repeat global flags.
import type { Hook } from "../spec/types.ts";
import type { CgroupRecord } from "../cgroup/types.ts";
import type { SeccompRecord } from "../seccomp/prepare.ts";

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
  /** Last status written by moat; "stopped" is derived from the sentry's liveness. */
  status: "creating" | "created" | "running";
  /** The sentry: the pid engines see, and its start time (clock ticks) against pid reuse. */
  pid: number;
  pidStartTime: number;
  /** Host pid of the container's init and its start time (exec joins its namespaces). */
  initPid: number;
  initStartTime?: number;
  controlSocket: string;
  /** The container's cgroups: driver, paths, what moat created, the applied resources. */
  cgroup?: CgroupRecord;
  /** Set by `pause`, cleared by `resume` (the freezer state is checked as well). */
  paused?: boolean;
  /** linux.seccomp as compiled at create: `exec` loads the same filter (core/seccomp/). */
  seccomp?: SeccompRecord;
  /**
   * hooks.poststart and hooks.poststop as config.json had them at create (with `bundle` and
   * `annotations` above, all that start and delete need): later edits to config.json have no
   * effect (runtime-spec). core/hooks/lifecycle.ts.
   */
  hooks?: { poststart?: Hook[]; poststop?: Hook[] };
}
