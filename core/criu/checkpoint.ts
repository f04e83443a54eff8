// `checkpoint` (runc's): CRIU dumps the container's process tree into the image directory. Every
// refusal (state, sandbox, flags, CRIU unusable) comes before anything is frozen or created; a
// dump without --leave-running ends the tree (CRIU kills it), so the container is stopped and
// `state` says so, as with runc; the engine deletes it afterwards.
import type { RuntimeContext } from "../container/context.ts";
import { currentStatus } from "../container/status.ts";
import type { Spec } from "../spec/types.ts";
import { ERR_NOT_RUNNING, RuntimeError } from "../state/errors.ts";
import { dumpArgs, externalNamespaces, maskedFiles } from "./describe.ts";
import type { CheckpointOptions } from "./options.ts";
import { checkParent, refuseLazyPages } from "./options.ts";
import { probeCriu } from "./probe.ts";
import { checkpointRefusal } from "./refusal.ts";
import { runCriu } from "./run.ts";

/** The spec as create kept it in the state directory (later edits of config.json do not count). */
export function recordedSpec(ctx: RuntimeContext, id: string, bundle: string): Spec {
  for (const p of [`${ctx.store.dir(id)}/config.json`, `${bundle}/config.json`]) {
    try {
      return JSON.parse(Deno.readTextFileSync(p)) as Spec;
    } catch { /* next */ }
  }
  throw new RuntimeError(`checkpoint: the container's config.json is gone (${bundle})`);
}

/** An image directory: created (0700) if absent, its parent must exist. */
function prepareDir(flag: string, path: string): boolean {
  try {
    const st = Deno.statSync(path);
    if (!st.isDirectory) throw new RuntimeError(`invalid ${flag} ${path}: not a directory`);
    return false;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  try {
    Deno.mkdirSync(path, { mode: 0o700 });
  } catch (e) {
    throw new RuntimeError(`invalid ${flag} ${path}: ${(e as Error).message}`);
  }
  return true;
}

export async function checkpoint(
  ctx: RuntimeContext,
  idOrPrefix: string,
  opts: CheckpointOptions,
  criuBinary = "criu",
): Promise<void> {
  refuseLazyPages(opts.lazyPages, "checkpoint");
  const id = ctx.store.lookup(idOrPrefix);
  const lock = ctx.store.lock(id);
  const made: string[] = [];
  try {
    const r = ctx.store.read(id);
    const status = currentStatus(r);
    if (status !== "running" && status !== "paused") {
      throw new RuntimeError(`checkpoint: ${ERR_NOT_RUNNING} (${status})`);
    }
    const spec = recordedSpec(ctx, id, r.bundle);
    const refusal = checkpointRefusal(r, spec);
    if (refusal) throw new RuntimeError(`checkpoint: ${refusal}`);
    for (const ns of spec.linux?.namespaces ?? []) {
      if (ns.path && ns.type === "pid") {
        throw new RuntimeError(
          `checkpoint: the container joins the pid namespace ${ns.path}: CRIU restores a ` +
            "process tree into a pid namespace of its own only",
        );
      }
    }
    const criu = await probeCriu(criuBinary);
    if (!criu.available) throw new RuntimeError(`checkpoint: ${criu.reason}`);
    // the image directory's parent must exist (runc: mkdir, not mkdir -p)
    if (prepareDir("--image-path", opts.imagePath)) made.push(opts.imagePath);
    if (opts.workPath !== opts.imagePath && prepareDir("--work-path", opts.workPath)) {
      made.push(opts.workPath);
    }
    checkParent(opts.imagePath, opts.parentPath);
    writeDescriptors(r.pid, opts.imagePath);
    const args = dumpArgs({
      spec,
      record: r,
      opts,
      // the container's own view: /proc of the rootfs is empty, its masked files are in procfs
      maskedFiles: maskedFiles(spec, `/proc/${r.pid}/root`),
      externalNs: externalNamespaces(spec, (p) => Deno.statSync(p).ino ?? 0),
    });
    ctx.log.debug(`checkpoint ${id}: ${criuBinary} ${args.join(" ")}`);
    const logName = opts.preDump ? "pre-dump.log" : "dump.log";
    await runCriu("checkpoint", {
      binary: criuBinary,
      args,
      logPath: `${opts.workPath}/${logName}`,
    });
    made.length = 0; // a finished image stays
  } catch (e) {
    // what this call created goes again (a failed dump's partial image is of no use)
    for (const p of made.reverse()) {
      try {
        Deno.removeSync(p, { recursive: true });
      } catch { /* already gone */ }
    }
    throw e;
  } finally {
    lock.release();
  }
}

/**
 * descriptors.json (runc's name and format): what the init's stdio were, so that a restore can
 * hand the engine's new pipes in their place (`--inherit-fd fd[N]:pipe:[inode]`).
 */
function writeDescriptors(pid: number, imagePath: string): void {
  const fds: string[] = [];
  for (let fd = 0; fd < 3; fd++) {
    try {
      fds.push(Deno.readLinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      fds.push("/dev/null");
    }
  }
  Deno.writeTextFileSync(`${imagePath}/descriptors.json`, JSON.stringify(fds), { mode: 0o600 });
}
