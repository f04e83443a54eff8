// `run`: create + start; in the foreground, forward signals, wait, delete, and return the
// container's exit status (128+signal when it was killed by one), as runc does.
import { sentryRequest } from "../sentry/client.ts";
import type { RuntimeContext } from "./context.ts";
import { create, type CreateOptions } from "./create.ts";
import { deleteContainer } from "./delete.ts";
import { killSentry } from "./destroy.ts";
import { parseSignal } from "./signals.ts";
import { start } from "./start.ts";

export interface RunOptions extends CreateOptions {
  detach?: boolean;
  keep?: boolean;
}

const FORWARDED: Deno.Signal[] = [
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGTERM",
  "SIGUSR1",
  "SIGUSR2",
  "SIGWINCH",
  "SIGCONT",
  "SIGALRM",
];

export async function run(ctx: RuntimeContext, opts: RunOptions): Promise<number> {
  const { record, sentry } = await create(ctx, opts);
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
  const handlers = FORWARDED.map((sig) => {
    const h = () => {
      sentryRequest(record.controlSocket, `kill ${parseSignal(sig)} 0`).catch(() => {});
    };
    Deno.addSignalListener(sig, h);
    return () => Deno.removeSignalListener(sig, h);
  });
  ctx.log.debug(`run ${record.id}: started (${performance.now().toFixed(1)} ms)`);
  const st = await sentry.status;
  ctx.log.debug(`run ${record.id}: exited (${performance.now().toFixed(1)} ms)`);
  for (const off of handlers) off();
  if (!opts.keep) await deleteContainer(ctx, record.id, true);
  ctx.log.debug(`run ${record.id}: deleted (${performance.now().toFixed(1)} ms)`);
  // The sentry mirrors the init's wait status: its exit code, or the same fatal signal.
  if (st.signal) return 128 + parseSignal(st.signal);
  return st.code;
}
