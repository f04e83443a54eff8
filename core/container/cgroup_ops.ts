// The cgroup commands: update, pause/resume, ps, events. They use the driver and paths recorded
// at create, never re-derive them (CRI-O's update omits --systemd-cgroup).
import { collectStats, hugepageSizes, oomKills } from "../cgroup/stats.ts";
import { mergeResources, setFreezer, update as applyUpdate } from "../cgroup/manager.ts";
import { CgroupError, type CgroupRecord } from "../cgroup/types.ts";
import { checkResources } from "../spec/validate_resources.ts";
import { SpecError } from "../spec/errors.ts";
import type { Resources } from "../spec/types.ts";
import { ERR_NOT_RUNNING, RuntimeError } from "../state/errors.ts";
import { isAlive } from "../state/liveness.ts";
import type { ContainerRecord } from "../state/types.ts";
import { cgroupEnv, cgroupFs, requireCgroup } from "./cgroups.ts";
import type { RuntimeContext } from "./context.ts";
import { currentStatus } from "./status.ts";
import { containerPids } from "./members.ts";

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CgroupError || e instanceof SpecError) throw new RuntimeError(e.message);
    throw e;
  }
}

// ---- pause / resume ----

export function pause(ctx: RuntimeContext, idOrPrefix: string): void {
  const id = ctx.store.lookup(idOrPrefix);
  const lock = ctx.store.lock(id);
  try {
    const r = ctx.store.read(id);
    const status = currentStatus(r);
    if (status !== "running" && status !== "created" && status !== "paused") {
      throw new RuntimeError(ERR_NOT_RUNNING);
    }
    const cg = requireCgroup(r);
    wrap(() => setFreezer(cgroupFs(ctx), cg, "FROZEN"));
    r.paused = true;
    ctx.store.write(r);
  } finally {
    lock.release();
  }
}

export function resume(ctx: RuntimeContext, idOrPrefix: string): void {
  const id = ctx.store.lookup(idOrPrefix);
  const lock = ctx.store.lock(id);
  try {
    const r = ctx.store.read(id);
    const status = currentStatus(r);
    if (status === "stopped") throw new RuntimeError(ERR_NOT_RUNNING);
    if (status !== "paused") throw new RuntimeError("container not paused");
    wrap(() => setFreezer(cgroupFs(ctx), requireCgroup(r), "THAWED"));
    r.paused = false;
    ctx.store.write(r);
  } finally {
    lock.release();
  }
}

/** SIGKILL was sent to a paused container: thaw it so its processes can die (runc does too). */
export function thawAfterKill(ctx: RuntimeContext, r: ContainerRecord): void {
  if (!r.cgroup) return;
  wrap(() => setFreezer(cgroupFs(ctx), r.cgroup!, "THAWED"));
  r.paused = false;
  ctx.store.write(r);
}

// ---- ps ----

export function processes(ctx: RuntimeContext, idOrPrefix: string): number[] {
  const r = ctx.store.read(ctx.store.lookup(idOrPrefix));
  return currentStatus(r) === "stopped" ? [] : containerPids(ctx, r);
}

/** Keeps the header and the rows of `ps` output whose PID column is one of `pids` (runc ps). */
export function filterPsTable(text: string, pidList: number[]): string {
  const lines = text.split("\n");
  const header = lines[0] ?? "";
  const col = header.trim().split(/\s+/).indexOf("PID");
  if (col < 0) throw new RuntimeError("couldn't find PID field in ps output");
  const want = new Set(pidList);
  const rows = lines.slice(1).filter((l) => {
    const f = l.trim().split(/\s+/);
    return l.trim() !== "" && want.has(Number(f[col]));
  });
  return [header, ...rows].join("\n") + "\n";
}

// ---- update ----

/** runc's units.RAMInBytes: "64m", "1g", "512k", "100b" or plain bytes; "-1" = unlimited. */
export function parseBytes(s: string, flag: string): number {
  if (s === "-1") return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(s.trim());
  if (!m) throw new RuntimeError(`invalid value "${s}" for flag --${flag}: invalid size`);
  const mult =
    { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 }[m[2].toLowerCase() as ""];
  return Math.trunc(Number(m[1]) * mult);
}

export function update(ctx: RuntimeContext, idOrPrefix: string, res: Resources): Promise<void> {
  return (async () => {
    wrap(() => checkResources(res, "linux.resources"));
    const id = ctx.store.lookup(idOrPrefix);
    const lock = ctx.store.lock(id);
    try {
      const r = ctx.store.read(id);
      if (currentStatus(r) === "stopped") throw new RuntimeError(ERR_NOT_RUNNING);
      const cg: CgroupRecord = requireCgroup(r);
      const env = await cgroupEnv(ctx, false);
      // The merged set is applied (runc re-applies its whole config): memory+swap pairs stay
      // consistent when only one of them is given.
      const merged = mergeResources(cg.resources, res);
      wrap(() => applyUpdate(env, cg, { ...merged, devices: undefined }));
      cg.resources = merged;
      ctx.store.write(r);
    } finally {
      lock.release();
    }
  })();
}

// ---- events ----

export interface StatsEvent {
  type: "stats" | "oom";
  id: string;
  data?: Record<string, unknown>;
}

export function statsEvent(ctx: RuntimeContext, r: ContainerRecord): StatsEvent {
  return {
    type: "stats",
    id: r.id,
    data: collectStats(cgroupFs(ctx), requireCgroup(r), hugepageSizes()),
  };
}

/** The record of a container that `events` may watch (runc's error for a stopped one). */
export function eventsTarget(ctx: RuntimeContext, idOrPrefix: string): ContainerRecord {
  const r = ctx.store.read(ctx.store.lookup(idOrPrefix));
  if (currentStatus(r) === "stopped") {
    throw new RuntimeError(`container with id ${r.id} is not running`);
  }
  requireCgroup(r);
  return r;
}

/**
 * Stats every `intervalMs` and an `oom` event whenever the kernel's OOM-kill count of the
 * container's memory cgroup grows (polled every 100 ms), until the container stops.
 */
export async function streamEvents(
  ctx: RuntimeContext,
  r: ContainerRecord,
  intervalMs: number,
  emit: (e: StatsEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const fs = cgroupFs(ctx);
  const cg = requireCgroup(r);
  let ooms = oomKills(fs, cg);
  let nextStats = Date.now();
  while (!signal?.aborted) {
    const now = Date.now();
    const n = oomKills(fs, cg);
    if (n > ooms) emit({ type: "oom", id: r.id });
    ooms = Math.max(ooms, n);
    if (!isAlive(r.pid, r.pidStartTime)) return;
    if (now >= nextStats) {
      emit(statsEvent(ctx, r));
      nextStats = now + intervalMs;
    }
    await new Promise((res) => setTimeout(res, Math.min(100, Math.max(1, nextStats - Date.now()))));
  }
}
