// Facts about the host the plan depends on, behind an interface so planning is testable without
// root or a particular machine.

export interface HostCgroupMount {
  /** Where the hierarchy is mounted on the host, e.g. /sys/fs/cgroup/cpu,cpuacct. */
  mountPoint: string;
  /** "cgroup" (v1) or "cgroup2". */
  fsType: string;
  /** v1 controllers of the hierarchy (from the super options), e.g. ["cpu","cpuacct"]; [] for v2. */
  controllers: string[];
  /** The root of the hierarchy visible at the mount point (mountinfo field 4). */
  root: string;
}

export interface HostFacts {
  capLast(): number;
  /** Every cgroup hierarchy mounted on the host. */
  cgroupMounts(): HostCgroupMount[];
  /** The calling process's cgroup per hierarchy key ("" for v2, else the controller list). */
  ownCgroups(): Map<string, string>;
  /** "dir", "file" or "missing" for a host path (following symlinks, as bind mounts do). */
  kind(path: string): "dir" | "file" | "missing";
}

export function parseMountinfoCgroups(text: string): HostCgroupMount[] {
  const out: HostCgroupMount[] = [];
  for (const line of text.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const [fsType, , superOpts = ""] = line.slice(sep + 3).split(" ");
    if (fsType !== "cgroup" && fsType !== "cgroup2") continue;
    const known = new Set([
      "cpu",
      "cpuacct",
      "cpuset",
      "memory",
      "devices",
      "freezer",
      "blkio",
      "pids",
      "hugetlb",
      "net_cls",
      "net_prio",
      "perf_event",
      "rdma",
      "misc",
    ]);
    const controllers = fsType === "cgroup"
      ? superOpts.split(",").filter((o) => known.has(o) || o.startsWith("name="))
      : [];
    out.push({
      mountPoint: unescapeMountinfo(left[4]),
      fsType,
      controllers,
      root: unescapeMountinfo(left[3]),
    });
  }
  return out;
}

export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

export const realHost: HostFacts = {
  capLast: () => parseInt(Deno.readTextFileSync("/proc/sys/kernel/cap_last_cap").trim(), 10),
  cgroupMounts: () => parseMountinfoCgroups(Deno.readTextFileSync("/proc/self/mountinfo")),
  ownCgroups: () => parseProcCgroup(Deno.readTextFileSync("/proc/self/cgroup")),
  kind(path) {
    try {
      return Deno.statSync(path).isDirectory ? "dir" : "file";
    } catch {
      return "missing";
    }
  },
};
