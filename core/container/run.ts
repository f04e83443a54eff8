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
}

export async function run(ctx: RuntimeContext, opts: RunOptions): Promise<number> {
  const { record, sentry, relaysTerminal } = await create(ctx, {
    ...opts,
    consoleRelay: !opts.detach,
  });
  try {
    await start(ctx, record.id);
  } catch (e) {
    await killSentry(sentry);
    await deleteContainer(ctx, record.id, true).catch(() => {});
    throw e;
  }
  if (opts.detach) {
    sentry.unref();
    return 0;
  }
  ctx.log.debug(`run ${record.id}: started (${performance.now().toFixed(1)} ms)`);
  const status = await waitForeground(record.controlSocket, sentry, relaysTerminal);
  ctx.log.debug(`run ${record.id}: exited (${performance.now().toFixed(1)} ms)`);
  if (!opts.keep) await deleteContainer(ctx, record.id, true);
  return status;
}
