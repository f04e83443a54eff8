// A `cgroup` mount in config.json means "show the container its own cgroups here". On v1 and
// hybrid hosts a cgroupfs cannot simply be mounted again with other options, so (like runc) we
// build a tmpfs with a bind mount of the container's directory in every hierarchy.
import { MS } from "../linux/consts.ts";
import type { HostCgroupMount, HostFacts } from "./host.ts";
import type { PlanMount, PlanSymlink } from "./types.ts";

export interface ExpandedCgroupMount {
  mounts: PlanMount[];
  symlinks: PlanSymlink[];
  /** Paths to make read-only once everything inside them exists. */
  readonly: string[];
}

/** The container's own cgroup directories (absolute host paths), as create will make them. */
export interface ContainerCgroupDirs {
  /** v1 controller (or `name=…`) → directory. */
  v1: Record<string, string>;
  v2?: string;
}

export function expandCgroupMount(
  dest: string,
  flags: number,
  newCgroupNs: boolean,
  host: HostFacts,
  dirs?: ContainerCgroupDirs,
): ExpandedCgroupMount {
  const ro = (flags & MS.RDONLY) !== 0;
  const base = flags & ~(MS.RDONLY | MS.BIND | MS.REC | MS.REMOUNT);
  const hierarchies = host.cgroupMounts();
  const own = host.ownCgroups();
  const v2Only = hierarchies.length > 0 && hierarchies.every((h) => h.fsType === "cgroup2") &&
    hierarchies.some((h) => h.mountPoint === "/sys/fs/cgroup");

  if (v2Only && newCgroupNs) {
    // In a new cgroup namespace the kernel itself shows the container's subtree as the root.
    return {
      mounts: [mount("cgroup", dest, "cgroup2", base | (ro ? MS.RDONLY : 0), "", 0)],
      symlinks: [],
      readonly: [],
    };
  }
  const result: ExpandedCgroupMount = { mounts: [], symlinks: [], readonly: ro ? [dest] : [] };
  if (!v2Only) result.mounts.push(mount("tmpfs", dest, "tmpfs", base, "mode=755", 0));
  for (const h of hierarchies) {
    const source = dirs ? containerDir(h, dirs) : callerDir(h, own);
    // a hierarchy the container has no cgroup in shows nothing (no other cgroup is visible)
    if (source === undefined) continue;
    const name = h.mountPoint.slice(h.mountPoint.lastIndexOf("/") + 1);
    const target = v2Only ? dest : joinPath(dest, name);
    const remount = base | (ro ? MS.RDONLY : 0);
    result.mounts.push(mount(source, target, "", MS.BIND | MS.REC, "", remount));
    if (h.fsType === "cgroup" && h.controllers.length > 1) {
      for (const c of h.controllers) {
        if (c !== name && !c.startsWith("name=")) {
          result.symlinks.push({ target: name, path: joinPath(dest, c) });
        }
      }
    }
  }
  return result;
}

/** The container's directory in hierarchy `h` (runc binds exactly these). */
function containerDir(h: HostCgroupMount, dirs: ContainerCgroupDirs): string | undefined {
  if (h.fsType === "cgroup2") return dirs.v2;
  for (const c of h.controllers) {
    const d = dirs.v1[c];
    if (d !== undefined && (d === h.mountPoint || d.startsWith(h.mountPoint + "/"))) return d;
  }
  return undefined;
}

/** Without cgroups of its own (rootless, --no-cgroups) a container sees its caller's. */
function callerDir(h: HostCgroupMount, own: Map<string, string>): string | undefined {
  const path = own.get(h.fsType === "cgroup2" ? "" : h.controllers.join(","));
  if (path === undefined) return undefined;
  const rel = path.startsWith(h.root) ? path.slice(h.root.length) : path;
  return joinPath(h.mountPoint, rel);
}

function mount(
  source: string,
  destination: string,
  type: string,
  flags: number,
  data: string,
  remountFlags: number,
): PlanMount {
  return {
    source,
    destination,
    type,
    flags,
    data,
    propagation: 0,
    remountFlags,
    createFile: false,
  };
}

function joinPath(a: string, b: string): string {
  const s = `${a}/${b}`.replace(/\/+/g, "/");
  return s.length > 1 && s.endsWith("/") ? s.slice(0, -1) : s;
}
