// Tearing a container down: stop its processes, then remove everything create made.
import { isAlive, readProcStat } from "../state/liveness.ts";
import type { ContainerRecord } from "../state/types.ts";
import type { RuntimeContext } from "./context.ts";
import { removeContainerCgroups } from "./cgroups.ts";
import { thawAfterKill } from "./cgroup_ops.ts";
import { containerPids, signalMembers } from "./members.ts";
import { removeOverlay } from "./filestore.ts";

/** Kills a sentry we started ourselves and reaps it, so no process outlives a failed create. */
export async function killSentry(sentry: Deno.ChildProcess): Promise<void> {
  try {
    sentry.kill("SIGKILL");
  } catch { /* already exited */ }
  await sentry.status;
}

/**
 * SIGKILLs every process of the container and its sentry and waits until they are gone. The
 * init is not our child (its parent reaps it): a zombie counts as gone.
 */
export async function killContainer(
  ctx: RuntimeContext,
  r: ContainerRecord,
  timeoutMs = 10_000,
): Promise<void> {
  const initAlive = () => r.pid > 0 && isAlive(r.pid, r.pidStartTime);
  const sentryAlive = () => r.sentryPid > 0 && isAlive(r.sentryPid, r.sentryStartTime);
  // the usual delete (an engine's, after the init exited) finds nothing to signal: binding libc
  // for pidfds would cost it ~2 ms
  const others = r.pid > 0 ? containerPids(ctx, r).some((p) => p !== r.pid) : false;
  if (initAlive() || others || sentryAlive()) {
    const port = await ctx.procs();
    if (initAlive()) port.signal(r.pid, r.pidStartTime, 9);
    // and whatever else is left in the container (runc's delete does the same)
    if (others) signalMembers(ctx, port, r, 9, r.pid);
    if (sentryAlive()) port.signal(r.sentryPid, r.sentryStartTime, 9);
  }
  if (r.paused) thawAfterKill(ctx, r);
  const deadline = Date.now() + timeoutMs;
  while (initAlive() || sentryAlive()) {
    if (Date.now() > deadline) {
      throw new Error(`container ${r.id}: process ${r.pid} did not exit after SIGKILL`);
    }
    await new Promise((res) => setTimeout(res, 2));
  }
  // a container this process created and never waited for (mod.ts, a failed run): its init is
  // our zombie, reap it
  const st = r.pid > 0 ? readProcStat(r.pid) : null;
  if (st && st.ppid === Deno.pid && st.startTime === r.pidStartTime) {
    await (await ctx.procs()).waitChild(r.pid).catch(() => {});
  }
}

/** Removes the container's state directory (and with it the socket, plan and logs). */
export function destroy(ctx: RuntimeContext, id: string): void {
  // Before the state directory goes: the overlay (overlay.json) and the cgroups (state.json, or
  // cgroup.json when create was killed before it wrote any state) are recorded there. The
  // overlay's memory media first: their pages are charged to the container's memory cgroup.
  removeOverlay(ctx, id);
  removeContainerCgroups(ctx, id);
  ctx.store.remove(id);
}
