// Tearing a container down: stop its processes, then remove everything create made.
import { sentryRequest } from "../sentry/client.ts";
import { isAlive } from "../state/liveness.ts";
import type { ContainerRecord } from "../state/types.ts";
import type { RuntimeContext } from "./context.ts";
import { removeContainerCgroups } from "./cgroups.ts";

/** Kills a sentry we started ourselves and reaps it, so no process outlives a failed create. */
export async function killSentry(sentry: Deno.ChildProcess): Promise<void> {
  try {
    sentry.kill("SIGKILL");
  } catch { /* already exited */ }
  await sentry.status;
}

/**
 * SIGKILLs the container (through the sentry, which holds a pidfd) and waits for the sentry to
 * go; the init dies with it (PR_SET_PDEATHSIG), so killing the sentry is the fallback.
 */
export async function killContainer(r: ContainerRecord, timeoutMs = 10_000): Promise<void> {
  if (!isAlive(r.pid, r.pidStartTime)) return;
  try {
    await sentryRequest(r.controlSocket, "kill 9 1");
  } catch { /* the sentry may be mid-exit; fall through to the direct kill */ }
  const deadline = Date.now() + timeoutMs;
  let killedSentry = false;
  while (isAlive(r.pid, r.pidStartTime)) {
    if (!killedSentry && Date.now() > deadline - timeoutMs / 2) {
      try {
        Deno.kill(r.pid, "SIGKILL");
      } catch { /* gone */ }
      killedSentry = true;
    }
    if (Date.now() > deadline) throw new Error(`sentry ${r.pid} did not exit after SIGKILL`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

/** Removes the container's state directory (and with it the socket, plan and logs). */
export function destroy(ctx: RuntimeContext, id: string): void {
  // Cgroups first: their record lives in the state directory (state.json, or cgroup.json when
  // create was killed before it wrote any state).
  removeContainerCgroups(ctx, id);
  ctx.store.remove(id);
}
