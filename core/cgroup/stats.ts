// Usage from the cgroup files in runc's `events` format (runc types/events.go): the field names,
// and Go's omitempty (zero numbers and empty lists left out) where runc has it.
import type { CgroupFs } from "./fs.ts";
import { hugepageDirToSize } from "./convert.ts";
import type { CgroupRecord } from "./types.ts";

type Obj = Record<string, unknown>;
const MAX = 2n ** 64n - 1n;

/** A counter from a cgroup file: a number, or a bigint above 2^53 (printed exactly, as Go). */
export type Num = number | bigint;

function num(s: string | undefined): Num {
  if (s === undefined) return 0;
  const t = s.trim();
  if (t === "max") return MAX;
  if (!/^-?\d+$/.test(t)) return 0;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : BigInt(t);
}

const N = (v: Num | undefined) => Number(v ?? 0);

function readOr(fs: CgroupFs, path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return fs.read(path);
  } catch {
    return undefined;
  }
}

/** "key value" lines → map. */
export function parseKeyed(text: string | undefined): Record<string, Num> {
  const out: Record<string, Num> = {};
  for (const line of (text ?? "").split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = num(v);
  }
  return out;
}

/** Go's omitempty for numbers: drop zero-valued keys listed in `keys`. */
function omit(o: Obj, keys: string[]): Obj {
  for (const k of keys) {
    const v = o[k];
    if (v === 0 || v === 0n || v === undefined || (Array.isArray(v) && v.length === 0)) delete o[k];
  }
  return o;
}

function memEntry(limit: Num, usage: Num, max: Num, failcnt: Num): Obj {
  return omit({ limit, usage, max, failcnt }, ["usage", "max"]);
}

/** "0-3,5" → [0,1,2,3,5]. */
export function parseCpuList(s: string | undefined): number[] {
  const out: number[] = [];
  for (const part of (s ?? "").trim().split(",")) {
    if (part === "") continue;
    const [a, b] = part.split("-").map(Number);
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/** blkio "maj:min Op value" lines (v1) → runc BlkioEntry list. */
function blkioEntries(text: string | undefined): Obj[] {
  const out: Obj[] = [];
  for (const line of (text ?? "").split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length === 3 && f[0].includes(":")) {
      const [major, minor] = f[0].split(":").map(Number);
      out.push(omit({ major, minor, op: f[1], value: num(f[2]) }, ["major", "minor", "value"]));
    } else if (f.length === 2 && f[0].includes(":")) {
      const [major, minor] = f[0].split(":").map(Number);
      out.push(omit({ major, minor, op: "", value: num(f[1]) }, ["major", "minor", "value"]));
    }
  }
  return out;
}

export function hugepageSizes(): string[] {
  try {
    return [...Deno.readDirSync("/sys/kernel/mm/hugepages")].map((e) => hugepageDirToSize(e.name))
      .filter((s): s is string => s !== undefined).sort();
  } catch {
    return [];
  }
}

export function collectStats(fs: CgroupFs, rec: CgroupRecord, sizes: string[]): Obj {
  const v2 = rec.mode === "v2";
  const d = (c: string) => (v2 ? rec.v2 : rec.v1[c]);
  const r = (c: string, f: string) => readOr(fs, d(c) ? `${d(c)}/${f}` : undefined);

  // cpu
  const cpu: Obj = {};
  const throttling: Obj = {};
  if (v2) {
    const st = parseKeyed(r("cpu", "cpu.stat"));
    cpu.usage = omit({
      total: N(st.usage_usec) * 1000,
      kernel: N(st.system_usec) * 1000,
      user: N(st.user_usec) * 1000,
    }, ["total"]);
    Object.assign(throttling, {
      periods: st.nr_periods ?? 0,
      throttledPeriods: st.nr_throttled ?? 0,
      throttledTime: N(st.throttled_usec) * 1000,
    });
  } else {
    const percpu = (r("cpuacct", "cpuacct.usage_percpu") ?? "").trim().split(/\s+/).filter((x) =>
      x !== ""
    ).map(Number);
    const stat = parseKeyed(r("cpuacct", "cpuacct.stat"));
    const tick = 1e9 / 100; // USER_HZ
    const all = (r("cpuacct", "cpuacct.usage_all") ?? "").split("\n").slice(1)
      .map((l) => l.trim().split(/\s+/).map(Number)).filter((x) => x.length === 3);
    cpu.usage = omit({
      total: num(r("cpuacct", "cpuacct.usage")),
      percpu,
      percpu_kernel: all.map((x) => x[2]),
      percpu_user: all.map((x) => x[1]),
      kernel: N(stat.system) * tick,
      user: N(stat.user) * tick,
    }, ["total", "percpu", "percpu_kernel", "percpu_user"]);
    const st = parseKeyed(r("cpu", "cpu.stat"));
    Object.assign(throttling, {
      periods: st.nr_periods ?? 0,
      throttledPeriods: st.nr_throttled ?? 0,
      throttledTime: st.throttled_time ?? 0,
    });
  }
  cpu.throttling = omit(throttling, ["periods", "throttledPeriods", "throttledTime"]);

  // cpuset
  const cpuset: Obj = v2
    ? omit({
      cpus: parseCpuList(r("cpuset", "cpuset.cpus.effective")),
      mems: parseCpuList(r("cpuset", "cpuset.mems.effective")),
    }, ["cpus", "mems"])
    : omit({
      cpus: parseCpuList(r("cpuset", "cpuset.cpus")),
      cpu_exclusive: num(r("cpuset", "cpuset.cpu_exclusive")),
      mems: parseCpuList(r("cpuset", "cpuset.mems")),
      mem_hardwall: num(r("cpuset", "cpuset.mem_hardwall")),
      mem_exclusive: num(r("cpuset", "cpuset.mem_exclusive")),
      memory_migrate: num(r("cpuset", "cpuset.memory_migrate")),
      memory_spread_page: num(r("cpuset", "cpuset.memory_spread_page")),
      memory_spread_slab: num(r("cpuset", "cpuset.memory_spread_slab")),
      memory_pressure: num(r("cpuset", "cpuset.memory_pressure")),
      sched_load_balance: num(r("cpuset", "cpuset.sched_load_balance")),
      sched_relax_domain_level: num(r("cpuset", "cpuset.sched_relax_domain_level")),
    }, ["cpus", "mems"]);

  // memory
  let memory: Obj;
  if (v2) {
    const raw = parseKeyed(r("memory", "memory.stat"));
    const events = parseKeyed(r("memory", "memory.events"));
    const usage = num(r("memory", "memory.current"));
    const swapUsage = num(r("memory", "memory.swap.current"));
    memory = {
      cache: raw.file ?? 0,
      usage: memEntry(
        num(r("memory", "memory.max") ?? "max"),
        usage,
        num(r("memory", "memory.peak")),
        events.max ?? 0,
      ),
      swap: memEntry(
        num(r("memory", "memory.swap.max") ?? "max"),
        swapUsage,
        num(r("memory", "memory.swap.peak")),
        0,
      ),
      kernel: memEntry(0, 0, 0, 0),
      kernelTCP: memEntry(0, 0, 0, 0),
      raw,
    };
  } else {
    const raw = parseKeyed(r("memory", "memory.stat"));
    const e = (prefix: string) =>
      memEntry(
        num(r("memory", `${prefix}.limit_in_bytes`)),
        num(r("memory", `${prefix}.usage_in_bytes`)),
        num(r("memory", `${prefix}.max_usage_in_bytes`)),
        num(r("memory", `${prefix}.failcnt`)),
      );
    memory = {
      cache: raw.total_cache ?? raw.cache ?? 0,
      usage: e("memory"),
      swap: e("memory.memsw"),
      kernel: e("memory.kmem"),
      kernelTCP: e("memory.kmem.tcp"),
      raw,
    };
  }
  omit(memory, ["cache", "raw"]);
  if (memory.raw && Object.keys(memory.raw as Obj).length === 0) delete memory.raw;

  // pids
  const pids = omit({
    current: num(r("pids", "pids.current")),
    limit: r("pids", "pids.max")?.trim() === "max" ? 0 : num(r("pids", "pids.max")),
  }, ["current", "limit"]);

  // blkio
  let blkio: Obj;
  if (v2) {
    const bytes: Obj[] = [];
    const ios: Obj[] = [];
    for (const line of (r("io", "io.stat") ?? "").split("\n")) {
      const f = line.trim().split(/\s+/);
      if (!f[0]?.includes(":")) continue;
      const [major, minor] = f[0].split(":").map(Number);
      const kv = Object.fromEntries(f.slice(1).map((x) => x.split("=")));
      const add = (list: Obj[], op: string, key: string) =>
        list.push(omit({ major, minor, op, value: num(kv[key]) }, ["major", "minor", "value"]));
      add(bytes, "Read", "rbytes");
      add(bytes, "Write", "wbytes");
      add(ios, "Read", "rios");
      add(ios, "Write", "wios");
    }
    blkio = omit({ ioServiceBytesRecursive: bytes, ioServicedRecursive: ios }, [
      "ioServiceBytesRecursive",
      "ioServicedRecursive",
    ]);
  } else {
    const pick = (a: string, b: string) => {
      const x = blkioEntries(r("blkio", a));
      return x.length ? x : blkioEntries(r("blkio", b));
    };
    blkio = omit({
      ioServiceBytesRecursive: pick(
        "blkio.io_service_bytes_recursive",
        "blkio.throttle.io_service_bytes_recursive",
      ),
      ioServicedRecursive: pick(
        "blkio.io_serviced_recursive",
        "blkio.throttle.io_serviced_recursive",
      ),
      ioQueueRecursive: blkioEntries(r("blkio", "blkio.io_queued_recursive")),
      ioServiceTimeRecursive: blkioEntries(r("blkio", "blkio.io_service_time_recursive")),
      ioWaitTimeRecursive: blkioEntries(r("blkio", "blkio.io_wait_time_recursive")),
      ioMergedRecursive: blkioEntries(r("blkio", "blkio.io_merged_recursive")),
      ioTimeRecursive: blkioEntries(r("blkio", "blkio.time_recursive")),
      sectorsRecursive: blkioEntries(r("blkio", "blkio.sectors_recursive")),
    }, [
      "ioServiceBytesRecursive",
      "ioServicedRecursive",
      "ioQueueRecursive",
      "ioServiceTimeRecursive",
      "ioWaitTimeRecursive",
      "ioMergedRecursive",
      "ioTimeRecursive",
      "sectorsRecursive",
    ]);
  }

  // hugetlb: v1 controller, or the cgroup2 directory (v2, and hybrid hosts like these)
  const hugetlb: Obj = {};
  const hv1 = rec.mode !== "v2" && rec.v1.hugetlb;
  for (const size of sizes) {
    if (hv1) {
      const base = `${rec.v1.hugetlb}/hugetlb.${size}`;
      hugetlb[size] = omit({
        usage: num(readOr(fs, `${base}.usage_in_bytes`)),
        max: num(readOr(fs, `${base}.max_usage_in_bytes`)),
        failcnt: num(readOr(fs, `${base}.failcnt`)),
      }, ["usage", "max"]);
    } else if (rec.v2) {
      const base = `${rec.v2}/hugetlb.${size}`;
      const cur = readOr(fs, `${base}.current`);
      if (cur === undefined) continue;
      hugetlb[size] = omit({
        usage: num(cur),
        max: num(readOr(fs, `${base}.max_usage_in_bytes`)),
        failcnt: parseKeyed(readOr(fs, `${base}.events`)).max ?? 0,
      }, ["usage", "max"]);
    }
  }

  return {
    cpu,
    cpuset,
    memory,
    pids,
    blkio,
    hugetlb,
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** The kernel's count of OOM kills in the container's memory cgroup (v1 oom_control, v2 events). */
export function oomKills(fs: CgroupFs, rec: CgroupRecord): number {
  if (rec.mode === "v2") {
    const ev = parseKeyed(readOr(fs, rec.v2 ? `${rec.v2}/memory.events` : undefined));
    return N(ev.oom_kill);
  }
  const oc = parseKeyed(
    readOr(fs, rec.v1.memory ? `${rec.v1.memory}/memory.oom_control` : undefined),
  );
  return N(oc.oom_kill);
}

/** JSON with bigints written as plain digits (Go prints uint64 exactly). */
export function toJson(v: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(v, (_k, x) => {
    if (typeof x !== "bigint") return x;
    marks.push(x.toString());
    return `\u0000big${marks.length - 1}`;
  });
  return text.replace(/"\\u0000big(\d+)"/g, (_m, i) => marks[Number(i)]);
}
