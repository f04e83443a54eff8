// v1, v2 or hybrid, from the mount table: v1 controllers mounted → v1, plus a cgroup2 mount →
// hybrid; only cgroup2 → v2. (runsc treats hybrid as v1 and ignores unified/; runc and moat use
// unified/ too: moat attaches the device program and the hugetlb limits there.)
import { type HostCgroupMount, parseMountinfoCgroups } from "../plan/host.ts";
import type { CgroupFs } from "./fs.ts";
import type { CgroupLayout } from "./types.ts";

export function detectLayout(mounts: HostCgroupMount[], fs: CgroupFs): CgroupLayout {
  const layout: CgroupLayout = { mode: "v1", v1: {}, v1Keys: {}, v1Roots: {}, v2Controllers: [] };
  for (const m of mounts) {
    if (m.fsType === "cgroup2") {
      // The first cgroup2 mount wins (a container may see it twice).
      if (layout.v2Mount === undefined) {
        layout.v2Mount = m.mountPoint;
        layout.v2Root = m.root;
      }
      continue;
    }
    if (m.controllers.length === 0) continue;
    const key = m.controllers.join(",");
    for (const c of m.controllers) {
      if (layout.v1[c] !== undefined) continue;
      layout.v1[c] = m.mountPoint;
      layout.v1Keys[c] = key;
    }
    layout.v1Roots[m.mountPoint] = m.root;
  }
  const hasV1 = Object.keys(layout.v1).some((c) => !c.startsWith("name="));
  if (layout.v2Mount !== undefined) {
    layout.mode = hasV1 ? "hybrid" : "v2";
    try {
      layout.v2Controllers = fs.read(`${layout.v2Mount}/cgroup.controllers`).trim().split(/\s+/)
        .filter((c) => c !== "");
    } catch {
      layout.v2Controllers = [];
    }
  } else if (!hasV1) {
    layout.mode = "v1";
  }
  return layout;
}

/** The host's layout, read once per process. */
let cached: CgroupLayout | undefined;
export function hostLayout(fs: CgroupFs): CgroupLayout {
  cached ??= detectLayout(parseMountinfoCgroups(Deno.readTextFileSync("/proc/self/mountinfo")), fs);
  return cached;
}

/** Controllers this host can enforce, and where: for messages and `features`. */
export function hasController(layout: CgroupLayout, c: string): "v1" | "v2" | false {
  if (layout.mode !== "v2" && layout.v1[c] !== undefined) return "v1";
  if (layout.v2Mount !== undefined && layout.v2Controllers.includes(c)) return "v2";
  return false;
}
