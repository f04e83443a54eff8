// linux.resources → cgroup v1 files (RUNSC.md §4.4, runc libcontainer/cgroups/fs). Controllers the
// host lacks are an error naming the field, never silence, except where runc ignores the field too
// (memory.kernel since runc 1.0.2; memory.useHierarchy/checkBeforeUpdate).
import type { Resources } from "../spec/types.ts";
import { hugepageSizeBytes } from "./convert.ts";
import { v1DeviceWrites } from "./devices.ts";
import type { CgroupLayout } from "./types.ts";
import { CgroupError } from "./types.ts";
import { type CgroupWrite, w } from "./write.ts";

export interface PlanOutput {
  writes: CgroupWrite[];
  /** Fields accepted but not enforced because runc ignores them too. */
  ignored: string[];
}

function need(layout: CgroupLayout, controller: string, field: string): void {
  if (layout.v1[controller] === undefined) {
    throw new CgroupError(`${field}: the ${controller} controller is not mounted`);
  }
}

export function planV1(res: Resources, layout: CgroupLayout, devices: boolean): PlanOutput {
  const out: PlanOutput = { writes: [], ignored: [] };
  const push = (c: string, file: string, value: string | number, field: string) => {
    need(layout, c, `linux.resources.${field}`);
    out.writes.push(w(c, file, String(value), `linux.resources.${field}`));
  };
  const m = res.memory;
  if (m) {
    // Reservation first, then the limit before memsw: memsw must stay ≥ the limit.
    if (m.reservation !== undefined && m.reservation !== 0) {
      push("memory", "memory.soft_limit_in_bytes", m.reservation, "memory.reservation");
    }
    if (m.limit !== undefined && m.limit !== 0) {
      push("memory", "memory.limit_in_bytes", m.limit, "memory.limit");
    }
    if (m.swap !== undefined && m.swap !== 0) {
      push("memory", "memory.memsw.limit_in_bytes", m.swap, "memory.swap");
    } else if (m.limit === -1) {
      // runc: an unlimited memory limit without a swap setting also lifts memsw.
      push("memory", "memory.memsw.limit_in_bytes", -1, "memory.swap");
    }
    if (m.kernel !== undefined && m.kernel !== 0) out.ignored.push("memory.kernel");
    if (m.kernelTCP !== undefined && m.kernelTCP !== 0) {
      push("memory", "memory.kmem.tcp.limit_in_bytes", m.kernelTCP, "memory.kernelTCP");
    }
    if (m.swappiness !== undefined) {
      push("memory", "memory.swappiness", m.swappiness, "memory.swappiness");
    }
    if (m.disableOOMKiller === true) {
      push("memory", "memory.oom_control", 1, "memory.disableOOMKiller");
    }
  }
  const c = res.cpu;
  if (c) {
    if (c.shares) push("cpu", "cpu.shares", c.shares, "cpu.shares");
    // The period first: a quota is checked against the current period.
    if (c.period) push("cpu", "cpu.cfs_period_us", c.period, "cpu.period");
    if (c.quota !== undefined && c.quota !== 0) {
      push("cpu", "cpu.cfs_quota_us", c.quota, "cpu.quota");
    }
    if (c.burst !== undefined) push("cpu", "cpu.cfs_burst_us", c.burst, "cpu.burst");
    if (c.realtimePeriod) push("cpu", "cpu.rt_period_us", c.realtimePeriod, "cpu.realtimePeriod");
    if (c.realtimeRuntime !== undefined && c.realtimeRuntime !== 0) {
      push("cpu", "cpu.rt_runtime_us", c.realtimeRuntime, "cpu.realtimeRuntime");
    }
    if (c.idle !== undefined && c.idle !== 0) push("cpu", "cpu.idle", c.idle, "cpu.idle");
    if (c.cpus) push("cpuset", "cpuset.cpus", c.cpus, "cpu.cpus");
    if (c.mems) push("cpuset", "cpuset.mems", c.mems, "cpu.mems");
  }
  if (res.pids?.limit !== undefined && res.pids.limit !== 0) {
    push("pids", "pids.max", res.pids.limit > 0 ? res.pids.limit : "max", "pids.limit");
  }
  const b = res.blockIO;
  if (b) {
    if (b.weight) push("blkio", "blkio.weight", b.weight, "blockIO.weight");
    if (b.leafWeight) push("blkio", "blkio.leaf_weight", b.leafWeight, "blockIO.leafWeight");
    (b.weightDevice ?? []).forEach((d, i) => {
      if (d.weight) {
        push(
          "blkio",
          "blkio.weight_device",
          `${d.major}:${d.minor} ${d.weight}`,
          `blockIO.weightDevice[${i}].weight`,
        );
      }
      if (d.leafWeight) {
        push(
          "blkio",
          "blkio.leaf_weight_device",
          `${d.major}:${d.minor} ${d.leafWeight}`,
          `blockIO.weightDevice[${i}].leafWeight`,
        );
      }
    });
    const throttles: Array<[keyof typeof b, string]> = [
      ["throttleReadBpsDevice", "blkio.throttle.read_bps_device"],
      ["throttleWriteBpsDevice", "blkio.throttle.write_bps_device"],
      ["throttleReadIOPSDevice", "blkio.throttle.read_iops_device"],
      ["throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"],
    ];
    for (const [key, file] of throttles) {
      const list = (b[key] ?? []) as Array<{ major: number; minor: number; rate: number }>;
      list.forEach((d, i) =>
        push("blkio", file, `${d.major}:${d.minor} ${d.rate}`, `blockIO.${key}[${i}]`)
      );
    }
  }
  (res.hugepageLimits ?? []).forEach((h, i) => {
    hugepageSizeBytes(h.pageSize);
    const field = `linux.resources.hugepageLimits[${i}]`;
    if (layout.v1.hugetlb !== undefined) {
      out.writes.push(w("hugetlb", `hugetlb.${h.pageSize}.limit_in_bytes`, String(h.limit), field));
    } else if (layout.mode === "hybrid" && layout.v2Controllers.includes("hugetlb")) {
      // Hybrid: hugetlb lives in unified/ (these machines), where the v2 file name applies.
      out.writes.push(w("", `hugetlb.${h.pageSize}.max`, String(h.limit), field));
    } else {
      throw new CgroupError(`${field}: the hugetlb controller is not mounted`);
    }
  });
  const n = res.network;
  if (n && (n.classID !== undefined || (n.priorities ?? []).length > 0)) {
    const missing = [
      n.classID !== undefined && layout.v1.net_cls === undefined ? "net_cls" : "",
      (n.priorities ?? []).length > 0 && layout.v1.net_prio === undefined ? "net_prio" : "",
    ].filter((x) => x !== "");
    if (missing.length > 0) {
      const both = layout.v1.net_cls === undefined && layout.v1.net_prio === undefined;
      throw new CgroupError(
        `linux.resources.network: ${
          both ? "net_cls/net_prio controllers are" : `the ${missing[0]} controller is`
        } not mounted`,
      );
    }
    if (n.classID !== undefined) push("net_cls", "net_cls.classid", n.classID, "network.classID");
    for (const p of n.priorities ?? []) {
      push("net_prio", "net_prio.ifpriomap", `${p.name} ${p.priority}`, "network.priorities");
    }
  }
  for (const [dev, l] of Object.entries(res.rdma ?? {})) {
    const parts = [dev];
    if (l.hcaHandles !== undefined) parts.push(`hca_handle=${l.hcaHandles}`);
    if (l.hcaObjects !== undefined) parts.push(`hca_object=${l.hcaObjects}`);
    if (layout.v1.rdma !== undefined) push("rdma", "rdma.max", parts.join(" "), `rdma.${dev}`);
    else if (layout.mode === "hybrid" && layout.v2Controllers.includes("rdma")) {
      out.writes.push(w("", "rdma.max", parts.join(" "), `linux.resources.rdma.${dev}`));
    } else throw new CgroupError(`linux.resources.rdma: the rdma controller is not mounted`);
  }
  for (const [key, value] of Object.entries(res.unified ?? {})) {
    out.writes.push(unifiedWrite(key, value, layout));
  }
  if (devices && res.devices !== undefined) {
    need(layout, "devices", "linux.resources.devices");
    out.writes.push(...v1DeviceWrites(res.devices));
  }
  return out;
}

/** A `unified` key: on v1 only on a hybrid host whose cgroup2 tree has that controller. */
export function unifiedWrite(key: string, value: string, layout: CgroupLayout): CgroupWrite {
  const field = `linux.resources.unified["${key}"]`;
  if (key.includes("/") || key === "" || key === "." || key === "..") {
    throw new CgroupError(`${field}: invalid key`);
  }
  const controller = key.slice(0, key.indexOf("."));
  if (layout.v2Mount === undefined) {
    throw new CgroupError(`${field}: invalid configuration: cannot use unified on cgroup v1`);
  }
  if (controller !== "cgroup" && !layout.v2Controllers.includes(controller)) {
    const where = layout.mode === "hybrid"
      ? `the cgroup2 hierarchy at ${layout.v2Mount} of this hybrid host`
      : `${layout.v2Mount}/cgroup.controllers`;
    throw new CgroupError(`${field}: controller "${controller}" is not available in ${where}`);
  }
  return w("", key, value, field);
}
