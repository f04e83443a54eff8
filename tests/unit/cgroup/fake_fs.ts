// An in-memory cgroup tree: directories and files, mkdir/rmdir/busy like cgroupfs, every write
// logged, so v1, v2 and hybrid logic is tested without root (and v2 on these hybrid machines).
import type { CgroupFs } from "../../../core/cgroup/fs.ts";
import type { HostCgroupMount } from "../../../core/plan/host.ts";

export class FakeFs implements CgroupFs {
  files = new Map<string, string>();
  dirs = new Set<string>();
  writes: Array<[string, string]> = [];
  busy = new Map<string, number>();
  /** Files every new directory gets (by mount point prefix). */
  templates = new Map<string, Record<string, string>>();

  addDir(path: string, files: Record<string, string> = {}): void {
    this.dirs.add(path);
    for (const [k, v] of Object.entries(files)) this.files.set(`${path}/${k}`, v);
  }
  read(p: string): string {
    const v = this.files.get(p);
    if (v === undefined) throw new Deno.errors.NotFound(p);
    return v;
  }
  write(p: string, data: string): void {
    if (!this.files.has(p)) throw new Deno.errors.NotFound(p);
    this.writes.push([p, data]);
    this.files.set(p, data);
  }
  exists(p: string): boolean {
    return this.dirs.has(p) || this.files.has(p);
  }
  mkdir(p: string): void {
    if (this.dirs.has(p)) throw new Deno.errors.AlreadyExists(p);
    const parent = p.slice(0, p.lastIndexOf("/"));
    if (!this.dirs.has(parent)) throw new Deno.errors.NotFound(parent);
    this.dirs.add(p);
    for (const [prefix, files] of this.templates) {
      if (p.startsWith(prefix + "/")) {
        for (const [k, v] of Object.entries(files)) this.files.set(`${p}/${k}`, v);
      }
    }
  }
  rmdir(p: string): void {
    if (!this.dirs.has(p)) throw new Deno.errors.NotFound(p);
    const n = this.busy.get(p) ?? 0;
    if (n > 0) {
      this.busy.set(p, n - 1);
      throw new Deno.errors.Busy(p);
    }
    if (this.children(p).length > 0) throw new Deno.errors.Busy(p);
    this.dirs.delete(p);
    for (const k of [...this.files.keys()]) if (k.startsWith(p + "/")) this.files.delete(k);
  }
  children(p: string): string[] {
    return [...this.dirs].filter((d) =>
      d.startsWith(p + "/") && !d.slice(p.length + 1).includes("/")
    )
      .map((d) => d.slice(p.length + 1));
  }
}

const V1_FILES: Record<string, Record<string, string>> = {
  cpu: {
    "cpu.shares": "1024",
    "cpu.cfs_period_us": "100000",
    "cpu.cfs_quota_us": "-1",
    "cpu.cfs_burst_us": "0",
    "cpu.rt_period_us": "1000000",
    "cpu.rt_runtime_us": "0",
    "cpu.idle": "0",
    "cpu.stat": "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n",
  },
  cpuacct: {
    "cpuacct.usage": "0",
    "cpuacct.usage_percpu": "0 0",
    "cpuacct.stat": "user 0\nsystem 0",
  },
  cpuset: { "cpuset.cpus": "", "cpuset.mems": "" },
  memory: {
    "memory.limit_in_bytes": "9223372036854771712",
    "memory.soft_limit_in_bytes": "9223372036854771712",
    "memory.memsw.limit_in_bytes": "9223372036854771712",
    "memory.kmem.tcp.limit_in_bytes": "9223372036854771712",
    "memory.swappiness": "60",
    "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
    "memory.usage_in_bytes": "4096",
    "memory.max_usage_in_bytes": "8192",
    "memory.failcnt": "0",
    "memory.stat": "cache 0\nrss 4096\n",
  },
  devices: { "devices.allow": "", "devices.deny": "", "devices.list": "a *:* rwm" },
  freezer: { "freezer.state": "THAWED" },
  blkio: {
    "blkio.throttle.read_bps_device": "",
    "blkio.throttle.write_bps_device": "",
    "blkio.throttle.read_iops_device": "",
    "blkio.throttle.write_iops_device": "",
  },
  pids: { "pids.max": "max", "pids.current": "0" },
};

function procs(): Record<string, string> {
  return { "cgroup.procs": "" };
}

/** These machines: v1 controllers + an empty cgroup2 (hugetlb only) at unified/. */
export function hybridHost(fs = new FakeFs()): { fs: FakeFs; mounts: HostCgroupMount[] } {
  const mounts: HostCgroupMount[] = [];
  fs.addDir("/sys/fs/cgroup");
  for (const c of Object.keys(V1_FILES)) {
    const mp = `/sys/fs/cgroup/${c}`;
    fs.addDir(mp, {
      ...V1_FILES[c],
      ...procs(),
      ...(c === "cpuset" ? { "cpuset.cpus": "0-1", "cpuset.mems": "0" } : {}),
    });
    fs.templates.set(mp, { ...V1_FILES[c], ...procs() });
    mounts.push({ mountPoint: mp, fsType: "cgroup", controllers: [c], root: "/" });
  }
  fs.addDir("/sys/fs/cgroup/systemd", procs());
  fs.templates.set("/sys/fs/cgroup/systemd", procs());
  mounts.push({
    mountPoint: "/sys/fs/cgroup/systemd",
    fsType: "cgroup",
    controllers: ["name=systemd"],
    root: "/",
  });
  const u = "/sys/fs/cgroup/unified";
  fs.addDir(u, { "cgroup.controllers": "hugetlb", "cgroup.subtree_control": "", ...procs() });
  fs.templates.set(u, {
    "cgroup.controllers": "",
    "cgroup.subtree_control": "",
    "cgroup.freeze": "0",
    "cgroup.events": "populated 0\nfrozen 0\n",
    "hugetlb.2MB.max": "max",
    "hugetlb.2MB.current": "0",
    "hugetlb.1GB.max": "max",
    ...procs(),
  });
  mounts.push({ mountPoint: u, fsType: "cgroup2", controllers: [], root: "/" });
  return { fs, mounts };
}

/** A pure cgroup2 host with the usual controllers. */
export function v2Host(fs = new FakeFs()): { fs: FakeFs; mounts: HostCgroupMount[] } {
  const m = "/sys/fs/cgroup";
  fs.addDir(m, {
    "cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma",
    "cgroup.subtree_control": "",
    "memory.swap.max": "max",
    ...procs(),
  });
  fs.templates.set(m, {
    "cgroup.controllers": "",
    "cgroup.subtree_control": "",
    "cgroup.freeze": "0",
    "cgroup.events": "populated 0\nfrozen 0\n",
    "cpu.weight": "100",
    "cpu.max": "max 100000",
    "cpu.max.burst": "0",
    "cpu.idle": "0",
    "cpu.stat":
      "usage_usec 5\nuser_usec 3\nsystem_usec 2\nnr_periods 4\nnr_throttled 2\nthrottled_usec 7\n",
    "cpuset.cpus": "",
    "cpuset.mems": "",
    "memory.max": "max",
    "memory.low": "0",
    "memory.swap.max": "max",
    "memory.current": "4096",
    "memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
    "memory.stat": "file 100\nanon 200\n",
    "io.weight": "default 100",
    "io.max": "",
    "pids.max": "max",
    "pids.current": "2",
    "hugetlb.2MB.max": "max",
    "rdma.max": "",
    ...procs(),
  });
  return { fs, mounts: [{ mountPoint: m, fsType: "cgroup2", controllers: [], root: "/" }] };
}

/** A pure v1 host (no cgroup2 mount at all). */
export function v1Host(): { fs: FakeFs; mounts: HostCgroupMount[] } {
  const h = hybridHost();
  return { fs: h.fs, mounts: h.mounts.filter((m) => m.fsType !== "cgroup2") };
}
