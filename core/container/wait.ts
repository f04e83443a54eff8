// `wait` for the embedding API (mod.ts): the container's init is a child of the process that
// created it (DESIGN §3), so that process, and only it, can wait for its exit status.
import { RuntimeError } from "../state/errors.ts";
import { readProcStat } from "../state/liveness.ts";
import type { ExitStatus, RuntimeContext } from "./context.ts";

export async function wait(ctx: RuntimeContext, idOrPrefix: string): Promise<ExitStatus> {
  const r = ctx.store.read(ctx.store.lookup(idOrPrefix));
  const st = r.pid > 0 ? readProcStat(r.pid) : null;
  if (!st || st.startTime !== r.pidStartTime) {
    throw new RuntimeError(`container ${r.id}: exit status is unavailable (already reaped)`);
  }
  if (st.ppid !== Deno.pid) {
    throw new RuntimeError(
      `container ${r.id}: only the process that created it can wait for it (its parent, pid ${st.ppid})`,
    );
  }
  return await (await ctx.procs()).waitChild(r.pid);
}
