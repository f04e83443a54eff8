// linux.memoryPolicy → set_mempolicy(2) arguments: the mode with its MPOL_F_* flags, and the
// node list as a bitmask of 64-bit words (the kernel's nodemask layout).
import { MEMORY_POLICY_FLAGS, MEMORY_POLICY_MODES } from "../spec/tables.ts";
import type { MemoryPolicy } from "../spec/types.ts";
import { PlanError } from "./errors.ts";

export const MAX_NUMA_NODES = 1024;

export interface PlanMemoryPolicy {
  mode: number;
  nodes: Uint8Array;
}

export function planMemoryPolicy(mp: MemoryPolicy | undefined): PlanMemoryPolicy | undefined {
  if (!mp) return undefined;
  let mode = MEMORY_POLICY_MODES[mp.mode];
  for (const f of mp.flags ?? []) mode |= MEMORY_POLICY_FLAGS[f];
  const nodes: number[] = [];
  for (const range of (mp.nodes ?? "").split(",").filter((r) => r !== "")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(range.trim());
    if (!m) throw new PlanError(`linux.memoryPolicy.nodes: invalid node range "${range}"`);
    const lo = Number(m[1]), hi = Number(m[2] ?? m[1]);
    if (hi < lo || hi >= MAX_NUMA_NODES) {
      throw new PlanError(
        `linux.memoryPolicy.nodes: node range "${range}" outside 0-${MAX_NUMA_NODES - 1}`,
      );
    }
    for (let n = lo; n <= hi; n++) nodes.push(n);
  }
  // The kernel's own rules, said before a container exists: these modes need nodes, these none.
  const needsNodes = [
    "MPOL_BIND",
    "MPOL_INTERLEAVE",
    "MPOL_PREFERRED_MANY",
    "MPOL_WEIGHTED_INTERLEAVE",
  ];
  if (needsNodes.includes(mp.mode) && nodes.length === 0) {
    throw new PlanError(`linux.memoryPolicy.nodes: ${mp.mode} needs at least one node`);
  }
  if ((mp.mode === "MPOL_DEFAULT" || mp.mode === "MPOL_LOCAL") && nodes.length > 0) {
    throw new PlanError(`linux.memoryPolicy.nodes: ${mp.mode} takes no nodes`);
  }
  const bytes = new Uint8Array(nodes.length ? Math.ceil((Math.max(...nodes) + 1) / 64) * 8 : 0);
  for (const n of nodes) bytes[n >> 3] |= 1 << (n & 7);
  return { mode, nodes: bytes };
}
