// The rootfs overlay's filestores in the lifecycle (core/plan/overlay.ts plans them): create
// journals every filestore directory and memory medium in overlay.json before it makes any
// (as cgroup.json for cgroups), so a create that failed or was killed at any point is cleaned
// up by destroy; the state record keeps the layers (checkpoint and `tar rootfs-upper` read the
// upper's path there).
import {
  applyOverlays,
  overlayChoice,
  type OverlayLayer,
  type OverlayMedium,
  planOverlays,
} from "../plan/overlay.ts";
import { PlanError } from "../plan/errors.ts";
import type { LaunchPlan } from "../plan/types.ts";
import type { Spec } from "../spec/types.ts";
import { RuntimeError } from "../state/errors.ts";
import type { ContainerRecord } from "../state/types.ts";
import type { RuntimeContext } from "./context.ts";
import { umountDetach } from "../../ffi/umount.ts";

/** What the state record says of the overlay (record.overlay). */
export interface OverlayRecord {
  /** The --overlay2 value in force, and where it came from (flag or annotation). */
  value: string;
  from: string;
  layers: Array<
    Pick<OverlayLayer, "destination" | "lower" | "upper" | "work" | "tmpfs"> & {
      medium: OverlayMedium;
    }
  >;
}

/** overlay.json: everything create made (or was about to make) that destroy removes. */
interface OverlayJournal {
  /** Filestore directories this container created (removed whole). */
  filestores: string[];
  /** Mount points of memory media (unmounted). */
  tmpfs: string[];
}

const JOURNAL = "overlay.json";

function writeJournal(dir: string, j: OverlayJournal): void {
  Deno.writeTextFileSync(`${dir}/${JOURNAL}`, JSON.stringify(j), { mode: 0o600 });
}

/**
 * Plans the overlay of a container (annotation dev.moat.overlay2 over `ctx.overlay2`), journals
 * it, makes the filestore directories and the memory media's mount points, and rewrites the
 * plan. Nothing when the overlay is `none`.
 */
export function prepareOverlay(
  ctx: RuntimeContext,
  spec: Spec,
  plan: LaunchPlan,
  record: ContainerRecord,
  dir: string,
  inherited: Record<string, string> = {},
): void {
  let planned;
  try {
    const choice = overlayChoice({ ...inherited, ...spec.annotations }, ctx.overlay2);
    if (!choice) return;
    const limit = spec.linux?.resources?.memory?.limit;
    planned = planOverlays(
      choice,
      plan,
      { id: record.id, stateDir: dir, memoryLimit: typeof limit === "number" ? limit : undefined },
      ctx.host,
    );
  } catch (e) {
    if (e instanceof PlanError) throw new RuntimeError(e.message);
    throw e;
  }
  for (const w of planned.warnings) ctx.log.warn(w);
  if (!planned.layers.length) return;
  // journal first: whatever exists from here on is listed
  const journal: OverlayJournal = { filestores: [...planned.filestores], tmpfs: planned.tmpfsDirs };
  writeJournal(dir, journal);
  const where = planned.choice.where;
  planned.filestores.forEach((fs, i) => {
    try {
      // exclusively: a filestore already there belongs to someone else, never reuse it
      Deno.mkdirSync(fs, { mode: 0o700 });
    } catch (e) {
      // not ours: keep it out of what destroy removes
      writeJournal(dir, { ...journal, filestores: planned.filestores.slice(0, i) });
      const why = e instanceof Deno.errors.AlreadyExists ? "already exists" : (e as Error).message;
      throw new RuntimeError(`${where}: filestore ${fs}: ${why}`);
    }
  });
  for (const l of planned.layers) {
    if (l.tmpfs) Deno.mkdirSync(l.tmpfs, { recursive: true, mode: 0o700 });
    else Deno.mkdirSync(l.upper.slice(0, l.upper.lastIndexOf("/")), { mode: 0o700 });
  }
  applyOverlays(plan, planned);
  record.overlay = {
    value: planned.choice.text,
    from: where,
    layers: planned.layers.map((l) => ({
      destination: l.destination,
      medium: l.medium,
      lower: l.lower,
      upper: l.upper,
      work: l.work,
      ...(l.tmpfs ? { tmpfs: l.tmpfs } : {}),
    })),
  };
}

/** Unmounts the memory media and removes the filestores of a container (best effort). */
export function removeOverlay(ctx: RuntimeContext, id: string): void {
  let j: OverlayJournal;
  try {
    j = JSON.parse(Deno.readTextFileSync(`${ctx.store.dir(id)}/${JOURNAL}`));
  } catch {
    return;
  }
  for (const t of j.tmpfs ?? []) {
    try {
      umountDetach(t);
    } catch (e) {
      ctx.log.warn(`overlay: ${(e as Error).message}`);
    }
  }
  for (const fs of j.filestores ?? []) {
    try {
      Deno.removeSync(fs, { recursive: true });
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        ctx.log.warn(`overlay: filestore ${fs} not removed: ${(e as Error).message}`);
      }
    }
  }
}
