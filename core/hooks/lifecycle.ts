// Where the runtime-namespace hooks sit in moat's lifecycle (runtime-spec runtime.md
// "Lifecycle"; config.md "POSIX-platform Hooks"):
//
//   create: init set up up to pivot_root → prestart, createRuntime (here) → createContainer
//           (in the init, sentry/hooks.c) → init ready
//   start:  startContainer (in the init) → execve → poststart (here; a failure is fatal in
//           runtime-spec 1.3: the container is killed and `start` fails)
//   delete: teardown → poststop (here; best effort, each failure a warning)
//
// A failing hook at create or start stops the container and continues the lifecycle at
// "destroy" (runtime.md steps 12-13): everything create made is removed and poststop runs.
//
// state.pid for these hooks is the sentry's pid (moat's state.pid, DESIGN §3): it is in the
// container's network, UTS and IPC namespaces (the sentry joins them before prestart runs),
// not in its mount or pid namespace. Container-side hooks get the init's own pid instead.
import type { Hook, Spec } from "../spec/types.ts";
import type { ContainerRecord } from "../state/types.ts";
import type { RuntimeContext } from "../container/context.ts";
import { destroy, killContainer } from "../container/destroy.ts";
import { type HookState, runHook, type RunHookOptions, runHooks } from "./run.ts";

/** What the record keeps for the hooks that run after create (state/types.ts). */
export interface RecordedHooks {
  poststart?: Hook[];
  poststop?: Hook[];
}

export function recordedHooks(spec: Spec): RecordedHooks | undefined {
  const h = spec.hooks;
  if (!h?.poststart?.length && !h?.poststop?.length) return undefined;
  return {
    ...(h.poststart?.length ? { poststart: h.poststart } : {}),
    ...(h.poststop?.length ? { poststop: h.poststop } : {}),
  };
}

export function stateFor(r: ContainerRecord, status: HookState["status"]): HookState {
  return {
    ociVersion: r.ociVersion,
    id: r.id,
    status,
    pid: status === "stopped" ? undefined : r.pid,
    bundle: r.bundle,
    annotations: r.annotations,
  };
}

async function options(ctx: RuntimeContext, cwd: string): Promise<RunHookOptions> {
  let execPath: string | undefined;
  try {
    execPath = (await ctx.launcher()).execPath;
  } catch { /* no libmoat (a fake context): argv[0] is the path */ }
  let dir = "/";
  try {
    if (Deno.statSync(cwd).isDirectory) dir = cwd;
  } catch { /* the bundle is gone (delete after the engine removed it) */ }
  return { execPath, cwd: dir };
}

/** prestart then createRuntime, while the init waits before pivot_root; throws on failure. */
export async function runCreateHooks(
  ctx: RuntimeContext,
  spec: Spec,
  record: ContainerRecord,
): Promise<void> {
  const opts = await options(ctx, record.bundle);
  const state = stateFor(record, "creating");
  for (const kind of ["prestart", "createRuntime"] as const) {
    ctx.log.debug(`${record.id}: ${kind} hooks`);
    await runHooks(kind, spec.hooks?.[kind], state, opts);
  }
}

export async function runPoststart(ctx: RuntimeContext, record: ContainerRecord): Promise<void> {
  const hooks = record.hooks?.poststart;
  if (!hooks?.length) return;
  await runHooks(
    "poststart",
    hooks,
    stateFor(record, "running"),
    await options(ctx, record.bundle),
  );
}

/** Best effort: every poststop hook runs; a failure is a warning (runtime-spec). */
export async function runPoststop(ctx: RuntimeContext, record: ContainerRecord): Promise<void> {
  const hooks = record.hooks?.poststop;
  if (!hooks?.length) return;
  const opts = await options(ctx, record.bundle);
  const state = stateFor(record, "stopped");
  for (const [i, h] of hooks.entries()) {
    try {
      await runHook("poststop", i, h, state, opts);
    } catch (e) {
      ctx.log.warn((e as Error).message);
    }
  }
}

/**
 * A hook failed at start (startContainer, poststart): the container is stopped and the
 * lifecycle continues at destroy and poststop (runtime.md steps 12-13), so nothing is left.
 */
export async function abandonContainer(
  ctx: RuntimeContext,
  record: ContainerRecord,
): Promise<void> {
  try {
    await killContainer(ctx, record);
  } catch (e) {
    ctx.log.warn(`${record.id}: ${(e as Error).message}`);
  }
  destroy(ctx, record.id);
  await runPoststop(ctx, record);
}
