// `run`: create + start; in the foreground, forward signals, wait, delete, and return the
// container's exit status (128+signal when it was killed by one), as runc does.
import type { RuntimeContext } from "./context.ts";
import { create, type CreateOptions } from "./create.ts";
import { deleteContainer } from "./delete.ts";
import { killSentry } from "./destroy.ts";
import { start } from "./start.ts";
import { waitForeground } from "./foreground.ts";

export interface RunOptions extends CreateOptions {
  detach?: boolean;
  keep?: boolean;
  /**
   * runc's --no-subreaper: by default a foreground run becomes a child subreaper, so processes
   * the container orphans outside its own pid namespace are reparented to it, not to the host.
   */
  noSubreaper?: boolean;
}

export async function run(ctx: RuntimeContext, opts: RunOptions): Promise<number> {
  if (!opts.detach && !opts.noSubreaper) (await ctx.procs()).setChildSubreaper();
  const { record, sentry, relaysTerminal } = await create(ctx, {
    ...opts,
    consoleRelay: !opts.detach,
  });
  try {
    await start(ctx, record.id);
  } catch (e) {
    await killSentry(sentry);
    await deleteContainer(ctx, record.id, true).catch(() => {});
    // the init is our child: reap it, whatever state the failed start left it in
    await (await ctx.procs()).waitChild(record.pid).catch(() => {});
    throw e;
  }
  if (opts.detach) {
    sentry.unref();
    return 0;
  }
  ctx.log.debug(`run ${record.id}: started (${performance.now().toFixed(1)} ms)`);
  const status = await waitForeground(ctx, {
    pid: record.pid,
    sentry,
    controlSocket: record.controlSocket,
    relaysTerminal,
  });
  ctx.log.debug(`run ${record.id}: exited (${performance.now().toFixed(1)} ms)`);
  if (!opts.keep) await deleteContainer(ctx, record.id, true);
  return status;
}
