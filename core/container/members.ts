// The host processes that belong to a container, and signals to them. The container's cgroup is
// the authority (runc's kill --all and ps use it); without one, the members of the init's own
// pid namespace; without that, the init alone. Every signal goes through a pidfd checked against
// the process's start time (ProcessPort.signal), so a recycled pid is never signalled.
import { pids } from "../cgroup/manager.ts";
import { readProcStat } from "../state/liveness.ts";
import type { ContainerRecord } from "../state/types.ts";
import { cgroupFs } from "./cgroups.ts";
import type { ProcessPort, RuntimeContext } from "./context.ts";

export function containerPids(ctx: RuntimeContext, r: ContainerRecord): number[] {
  if (r.cgroup) {
    try {
      return pids(cgroupFs(ctx), r.cgroup);
    } catch { /* removed already: fall back to the namespace */ }
  }
  if (ownPidNamespace(r.pid)) return pidNamespaceMembers(r.pid);
  return readProcStat(r.pid) ? [r.pid] : [];
}

function nsId(pid: number | "self"): string | undefined {
  try {
    const st = Deno.statSync(`/proc/${pid}/ns/pid`);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** The init's pid namespace is not ours (enumerating ours would mean the whole host). */
function ownPidNamespace(initPid: number): boolean {
  const ns = nsId(initPid);
  return ns !== undefined && ns !== nsId("self");
}

function pidNamespaceMembers(initPid: number): number[] {
  const ns = nsId(initPid);
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const pid = Number(e.name);
    if (nsId(pid) === ns) out.push(pid);
  }
  return out.sort((a, b) => a - b);
}

/**
 * Signals every member but `skip`. Start times are read before the members are listed a second
 * time: a process that is in both lists and still has its start time when the pidfd is open is
 * the member we listed, never a newcomer that took a dead member's pid.
 */
export function signalMembers(
  ctx: RuntimeContext,
  port: ProcessPort,
  r: ContainerRecord,
  sig: number,
  skip?: number,
): number {
  const starts = new Map<number, number>();
  for (const pid of containerPids(ctx, r)) {
    const st = readProcStat(pid);
    if (st && pid !== skip) starts.set(pid, st.startTime);
  }
  let sent = 0;
  for (const pid of containerPids(ctx, r)) {
    const start = starts.get(pid);
    if (start !== undefined && port.signal(pid, start, sig)) sent++;
  }
  return sent;
}

/** Whether host pid `pid` is one of the container's processes right now; its start time. */
export function memberStart(
  ctx: RuntimeContext,
  r: ContainerRecord,
  pid: number,
): number | undefined {
  const st = readProcStat(pid);
  if (!st || st.state === "Z") return undefined;
  return containerPids(ctx, r).includes(pid) ? st.startTime : undefined;
}
