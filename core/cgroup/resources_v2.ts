// linux.resources → cgroup v2 files (RUNSC.md §4.5, runc libcontainer/cgroups/fs2). Devices are
// not files on v2: they become a BPF program (devices_bpf.ts) attached by the manager.
import type { Resources } from "../spec/types.ts";
import {
  blkioWeightToIoWeight,
  cpuMax,
  hugepageSizeBytes,
  sharesToWeight,
  swapToV2,
  v2Limit,
} from "./convert.ts";
import type { PlanOutput } from "./resources_v1.ts";
import { unifiedWrite } from "./resources_v1.ts";
import type { CgroupLayout } from "./types.ts";
import { CgroupError } from "./types.ts";
import { w } from "./write.ts";

export interface V2Options {
  /** io.bfq.weight exists in the cgroup (BFQ): weights are written raw there. */
  bfq?: boolean;
  /** The host has swap accounting (memory.swap.max exists). */
  swapFile?: boolean;
}

export function planV2(res: Resources, layout: CgroupLayout, opts: V2Options = {}): PlanOutput {
  const out: PlanOutput = { writes: [], ignored: [] };
  const push = (c: string, file: string, value: string | number | undefined, field: string) => {
    if (value === undefined) return;
    if (!layout.v2Controllers.includes(c)) {
      throw new CgroupError(
        `linux.resources.${field}: the ${c} controller is not available in ${layout.v2Mount}/cgroup.controllers`,
      );
    }
    out.writes.push(w("", file, String(value), `linux.resources.${field}`));
  };
  const m = res.memory;
  if (m) {
    push("memory", "memory.low", v2Limit(m.reservation), "memory.reservation");
    push("memory", "memory.max", v2Limit(m.limit), "memory.limit");
    const swap = swapToV2(m.swap, m.limit);
    if (swap !== undefined) {
      if (opts.swapFile === false) {
        throw new CgroupError(
          "linux.resources.memory.swap: swap accounting is not enabled on this host",
        );
      }
      push("memory", "memory.swap.max", swap, "memory.swap");
    }
    if (m.kernel) out.ignored.push("memory.kernel");
    if (m.kernelTCP) out.ignored.push("memory.kernelTCP");
    // cgroup v2 has no per-cgroup swappiness: say so instead of dropping it.
    if (m.swappiness !== undefined) {
      throw new CgroupError(
        "linux.resources.memory.swappiness: cgroup v2 has no memory.swappiness",
      );
    }
    if (m.disableOOMKiller === true) {
      // memory.oom.group is not the same thing; runc ignores disableOOMKiller on v2 as well.
      out.ignored.push("memory.disableOOMKiller");
    }
  }
  const c = res.cpu;
  if (c) {
    if (c.shares) push("cpu", "cpu.weight", sharesToWeight(c.shares), "cpu.shares");
    push("cpu", "cpu.max", cpuMax(c.quota, c.period), "cpu.quota");
    if (c.burst !== undefined) push("cpu", "cpu.max.burst", c.burst, "cpu.burst");
    if (c.idle !== undefined) push("cpu", "cpu.idle", c.idle, "cpu.idle");
    if (c.realtimeRuntime || c.realtimePeriod) {
      throw new CgroupError(
        "linux.resources.cpu.realtimeRuntime: realtime scheduling is not supported by cgroup v2",
      );
    }
    if (c.cpus) push("cpuset", "cpuset.cpus", c.cpus, "cpu.cpus");
    if (c.mems) push("cpuset", "cpuset.mems", c.mems, "cpu.mems");
  }
  if (res.pids?.limit !== undefined && res.pids.limit !== 0) {
    push("pids", "pids.max", res.pids.limit > 0 ? res.pids.limit : "max", "pids.limit");
  }
  const b = res.blockIO;
  if (b) {
    if (b.weight) {
      push(
        "io",
        opts.bfq ? "io.bfq.weight" : "io.weight",
        opts.bfq ? b.weight : blkioWeightToIoWeight(b.weight),
        "blockIO.weight",
      );
    }
    if (b.leafWeight) out.ignored.push("blockIO.leafWeight");
    (b.weightDevice ?? []).forEach((d, i) => {
      if (d.weight) {
        if (!opts.bfq) {
          throw new CgroupError(
            `linux.resources.blockIO.weightDevice[${i}]: per-device weights need the BFQ scheduler (io.bfq.weight)`,
          );
        }
        push(
          "io",
          "io.bfq.weight",
          `${d.major}:${d.minor} ${d.weight}`,
          `blockIO.weightDevice[${i}]`,
        );
      }
    });
    const keys: Array<[string, string]> = [
      ["throttleReadBpsDevice", "rbps"],
      ["throttleWriteBpsDevice", "wbps"],
      ["throttleReadIOPSDevice", "riops"],
      ["throttleWriteIOPSDevice", "wiops"],
    ];
    for (const [key, name] of keys) {
      const list = ((b as Record<string, unknown>)[key] ?? []) as Array<
        { major: number; minor: number; rate: number }
      >;
      list.forEach((d, i) =>
        push("io", "io.max", `${d.major}:${d.minor} ${name}=${d.rate}`, `blockIO.${key}[${i}]`)
      );
    }
  }
  (res.hugepageLimits ?? []).forEach((h, i) => {
    hugepageSizeBytes(h.pageSize);
    push("hugetlb", `hugetlb.${h.pageSize}.max`, h.limit, `hugepageLimits[${i}]`);
  });
  if (
    res.network && (res.network.classID !== undefined || (res.network.priorities ?? []).length > 0)
  ) {
    throw new CgroupError("linux.resources.network: net_cls/net_prio do not exist on cgroup v2");
  }
  for (const [dev, l] of Object.entries(res.rdma ?? {})) {
    const parts = [dev];
    if (l.hcaHandles !== undefined) parts.push(`hca_handle=${l.hcaHandles}`);
    if (l.hcaObjects !== undefined) parts.push(`hca_object=${l.hcaObjects}`);
    push("rdma", "rdma.max", parts.join(" "), `rdma.${dev}`);
  }
  // Written last: unified keys override the fields above (runc).
  for (const [key, value] of Object.entries(res.unified ?? {})) {
    out.writes.push(unifiedWrite(key, value, layout));
  }
  return out;
}
