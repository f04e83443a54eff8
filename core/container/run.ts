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
  const raw = relaysTerminal && Deno.stdin.isTerminal();
  if (raw) Deno.stdin.setRaw(true);
  const resize = () => {
    try {
      const { rows, columns } = Deno.consoleSize();
      sentryRequest(record.controlSocket, `resize ${rows} ${columns}`).catch(() => {});
    } catch { /* stdout is not a terminal */ }
  };
  if (raw) resize();
  const handlers = FORWARDED.map((sig) => {
    const h = () => {
      // A terminal's size changes are the container's too; other signals are forwarded.
      if (sig === "SIGWINCH" && relaysTerminal) return resize();
      sentryRequest(record.controlSocket, `kill ${parseSignal(sig)} 0`).catch(() => {});
    };
    Deno.addSignalListener(sig, h);
    return () => Deno.removeSignalListener(sig, h);
  });
  ctx.log.debug(`run ${record.id}: started (${performance.now().toFixed(1)} ms)`);
  const st = await sentry.status;
  ctx.log.debug(`run ${record.id}: exited (${performance.now().toFixed(1)} ms)`);
  for (const off of handlers) off();
  if (raw) Deno.stdin.setRaw(false);
  if (!opts.keep) await deleteContainer(ctx, record.id, true);
  ctx.log.debug(`run ${record.id}: deleted (${performance.now().toFixed(1)} ms)`);
  // The sentry mirrors the init's wait status: its exit code, or the same fatal signal.
  if (st.signal) return 128 + parseSignal(st.signal);
  return st.code;
}
