// What moat records about a container's cgroups at create (state.json) and uses on every later
// call: engines do not repeat --systemd-cgroup, so the driver and the paths are never re-derived.
import type { Resources } from "../spec/types.ts";

/** v1: only v1 controllers; v2: only a cgroup2 tree; hybrid: v1 controllers + cgroup2 at unified/. */
export type CgroupMode = "v1" | "v2" | "hybrid";

export interface CgroupLayout {
  mode: CgroupMode;
  /** v1 controller (or "name=systemd") → mount point of its hierarchy. */
  v1: Record<string, string>;
  /** v1 controller → the hierarchy key of /proc/self/cgroup ("cpu,cpuacct" when combined). */
  v1Keys: Record<string, string>;
  /** v1 mount point → the hierarchy root visible there (mountinfo field 4). */
  v1Roots: Record<string, string>;
  /** Mount point of the cgroup2 hierarchy (the whole tree on v2, unified/ on hybrid). */
  v2Mount?: string;
  /** Root of the cgroup2 hierarchy visible at v2Mount. */
  v2Root?: string;
  /** Controllers available in the cgroup2 hierarchy (its root cgroup.controllers). */
  v2Controllers: string[];
}

export interface CgroupRecord {
  driver: "cgroupfs" | "systemd";
  mode: CgroupMode;
  /** linux.cgroupsPath as given (after the systemd transform: the cgroupfs path). */
  path: string;
  /** v1 controller → absolute directory of the container's cgroup. */
  v1: Record<string, string>;
  /** Absolute directory of the container's cgroup in the cgroup2 hierarchy (v2 and hybrid). */
  v2?: string;
  /** Directories moat created, parents before children; only these are removed. */
  created: string[];
  /** The resources applied, updated by `update`. */
  resources?: Resources;
}

export class CgroupError extends Error {}
