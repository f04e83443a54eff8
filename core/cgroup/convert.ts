// The OCI → cgroup value conversions (runc's libcontainer/cgroups/utils.go and fs2), pure
// functions so each one is unit-tested on its own.
import { CgroupError } from "./types.ts";

/** cpu.shares [2, 262144] → cpu.weight [1, 10000]; 0 (unset) → 0 (not written). */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

/** cpu.weight [1, 10000] → cpu.shares [2, 262144] (for stats and `update` read-back). */
export function weightToShares(weight: number): number {
  if (weight === 0) return 0;
  return Math.floor(2 + ((weight - 1) * 262142) / 9999);
}

/** blkio.weight [10, 1000] → io.weight [1, 10000]. */
export function blkioWeightToIoWeight(w: number): number {
  if (w === 0) return 0;
  return Math.floor(1 + ((w - 10) * 9999) / 990);
}

/** v2 `cpu.max`: "<quota|max> <period>"; quota ≤ 0 or unset → max; period unset → 100000. */
export function cpuMax(quota: number | undefined, period: number | undefined): string | undefined {
  if (quota === undefined && !period) return undefined;
  const q = quota === undefined || quota <= 0 ? "max" : String(quota);
  return `${q} ${period ? period : 100000}`;
}

/** A v2 limit: -1 → "max", 0/unset → not written. */
export function v2Limit(v: number | undefined): string | undefined {
  if (v === undefined || v === 0) return undefined;
  return v === -1 ? "max" : String(v);
}

/**
 * OCI memory.swap is memory+swap (the v1 memsw meaning); v2 memory.swap.max is swap only:
 * runc's ConvertMemorySwapToCgroupV2Value.
 */
export function swapToV2(swap: number | undefined, limit: number | undefined): string | undefined {
  if (swap === undefined || swap === 0) {
    // With no swap setting but a limit, runc leaves memory.swap.max alone.
    return undefined;
  }
  if (swap === -1) return "max";
  if (limit === undefined || limit === 0) {
    throw new CgroupError(
      "linux.resources.memory.swap: unable to set swap limit without memory limit",
    );
  }
  if (limit === -1) {
    throw new CgroupError(
      "linux.resources.memory.swap: invalid memory value: memory limit is unlimited but swap is set",
    );
  }
  if (swap < limit) {
    throw new CgroupError(
      `linux.resources.memory.swap: memory+swap limit (${swap}) should be greater than memory limit (${limit})`,
    );
  }
  return String(swap - limit);
}

/** v2 memory.swap.max back to the OCI meaning (for `update` records and stats). */
export function swapFromV2(swapMax: string, limit: string): number {
  if (swapMax === "max" || limit === "max") return -1;
  return Number(swapMax) + Number(limit);
}

/** "2MB" / "1GB" / "64KB" (OCI hugepage size) → bytes; the sysfs directory uses kB. */
export function hugepageSizeBytes(size: string): number {
  const m = /^(\d+)(KB|MB|GB)$/.exec(size);
  if (!m) throw new CgroupError(`invalid hugepage size "${size}" (expected e.g. "2MB" or "1GB")`);
  const unit = { KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[m[2] as "KB" | "MB" | "GB"];
  return Number(m[1]) * unit;
}

/** `/sys/kernel/mm/hugepages/hugepages-2048kB` → "2MB" (the name cgroup files use). */
export function hugepageDirToSize(dir: string): string | undefined {
  const m = /hugepages-(\d+)kB$/.exec(dir);
  if (!m) return undefined;
  let kb = Number(m[1]);
  for (const unit of ["KB", "MB", "GB"]) {
    if (kb < 1024 || kb % 1024 !== 0) return `${kb}${unit}`;
    kb /= 1024;
  }
  return `${kb}TB`;
}

/** A Go duration ("5s", "100ms", "1m30s") or plain integer seconds → milliseconds. */
export function parseInterval(s: string): number {
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    "µs": 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * units[m[2]];
    at = re.lastIndex;
  }
  if (s === "" || at !== s.length) throw new CgroupError(`time: invalid duration "${s}"`);
  if (total <= 0) throw new CgroupError("duration interval must be greater than 0");
  return total;
}
