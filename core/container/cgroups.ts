// The lifecycle's use of core/cgroup: create places the container in its cgroups (journaled in
// cgroup.json before any directory exists, so a create killed half-way is still cleaned up by
// `delete --force`), destroy removes them, and the cgroup commands find them in the record.
import { hostLayout } from "../cgroup/detect.ts";
import { type CgroupFs, realFs } from "../cgroup/fs.ts";
import { type CgroupEnv, placement, planRecord, remove, setup } from "../cgroup/manager.ts";
import type { ContainerCgroupDirs } from "../plan/cgroup_mount.ts";
import type { CgroupRecord } from "../cgroup/types.ts";
import { CgroupError } from "../cgroup/types.ts";
import type { LaunchPlan } from "../plan/types.ts";
import type { Spec } from "../spec/types.ts";
import { RuntimeError } from "../state/errors.ts";
import type { ContainerRecord } from "../state/types.ts";
import type { RuntimeContext } from "./context.ts";
import { detectLayout } from "../cgroup/detect.ts";

export function cgroupFs(ctx: RuntimeContext): CgroupFs {
  return ctx.cgroupFs ?? realFs;
}

export async function cgroupEnv(ctx: RuntimeContext, withBpf: boolean): Promise<CgroupEnv> {
  const fs = cgroupFs(ctx);
  const layout = ctx.cgroupFs ? detectLayout(ctx.host.cgroupMounts(), fs) : hostLayout(fs);
  let bpf;
  if (withBpf && layout.v2Mount !== undefined && ctx.deviceBpf) bpf = await ctx.deviceBpf();
  return {
    fs,
    layout,
    own: ctx.host.ownCgroups(),
    bpf,
    warn: (m) => ctx.log.warn(m),
  };
}

/**
 * The directories setupContainerCgroups will create, known before anything exists (a `cgroup`
 * mount binds them); undefined when the container may end up without cgroups of its own.
 */
export async function plannedCgroups(
  ctx: RuntimeContext,
  spec: Spec,
  id: string,
): Promise<CgroupRecord | undefined> {
  if (ctx.noCgroups || ctx.rootless) return undefined;
  if (!spec.mounts?.some((m) => m.type === "cgroup")) return undefined;
  return planRecord(await cgroupEnv(ctx, false), setupInput(ctx, spec, id));
}

/** What a `cgroup` mount of the plan binds. */
export function cgroupDirs(rec: CgroupRecord | undefined): ContainerCgroupDirs | undefined {
  return rec && { v1: rec.v1, v2: rec.v2 };
}

function setupInput(ctx: RuntimeContext, spec: Spec, id: string) {
  return {
    id,
    cgroupsPath: spec.linux?.cgroupsPath,
    systemd: ctx.systemdCgroup === true,
    resources: spec.linux?.resources,
    linuxDevices: spec.linux?.devices,
  };
}

/** Creates and configures the cgroups, fills the plan's placement tags and the record. */
export async function setupContainerCgroups(
  ctx: RuntimeContext,
  spec: Spec,
  plan: LaunchPlan,
  record: ContainerRecord,
  dir: string,
  /** plannedCgroups' record, when the plan already used it (not planned twice) */
  planned?: CgroupRecord,
): Promise<void> {
  if (ctx.noCgroups) return;
  const env = await cgroupEnv(ctx, true);
  env.journal = (r) =>
    Deno.writeTextFileSync(`${dir}/cgroup.json`, JSON.stringify(r), { mode: 0o600 });
  let rec: CgroupRecord;
  try {
    rec = setup(env, setupInput(ctx, spec, record.id), planned);
  } catch (e) {
    // runc in rootless mode ignores cgroups it may not create; so do we, loudly in the log.
    if (
      ctx.rootless && e instanceof CgroupError &&
      /permission denied|operation not permitted|read-only/i.test(e.message)
    ) {
      ctx.log.warn(`rootless: running without cgroups (${e.message})`);
      return;
    }
    if (e instanceof CgroupError) throw new RuntimeError(e.message);
    throw e;
  }
  record.cgroup = rec;
  const where = placement(rec);
  plan.cgroupProcs = where.procs;
  plan.cgroupV2Dir = where.v2Dir;
}

/** The container's cgroup record: from state.json, else the journal of an interrupted create. */
export function readCgroupRecord(ctx: RuntimeContext, id: string): CgroupRecord | undefined {
  try {
    const r = ctx.store.read(id);
    if (r.cgroup) return r.cgroup;
  } catch { /* no state yet */ }
  try {
    return JSON.parse(Deno.readTextFileSync(`${ctx.store.dir(id)}/cgroup.json`));
  } catch {
    return undefined;
  }
}

export function removeContainerCgroups(ctx: RuntimeContext, id: string): void {
  let rec: CgroupRecord | undefined;
  try {
    rec = readCgroupRecord(ctx, id);
  } catch {
    return;
  }
  if (!rec) return;
  const left = remove(cgroupFs(ctx), rec);
  if (left.length > 0) ctx.log.warn(`cgroups not removed (still busy): ${left.join(", ")}`);
}

/** The record's cgroups, or runc's error for a container without any. */
export function requireCgroup(r: ContainerRecord): CgroupRecord {
  if (!r.cgroup) throw new RuntimeError(`container ${r.id} has no cgroup`);
  return r.cgroup;
}

/** Plan fields that put an exec'd process (and its sentry) into the container's cgroups. */
export function execPlacement(rec: CgroupRecord): { cgroupProcs: string[]; cgroupV2Dir?: string } {
  const where = placement(rec);
  return { cgroupProcs: where.procs, cgroupV2Dir: where.v2Dir };
}
