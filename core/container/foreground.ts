// A container process waited on in the foreground (`run`, `exec` without --detach): it is our
// child (the sentry cloned it with CLONE_PARENT), so we forward our signals to it, keep a relayed
// terminal raw and sized like ours, and return its status the way runc reports it (its exit
// code, or 128+signal).
import { sentryRequest } from "../sentry/client.ts";
import type { RuntimeContext } from "./context.ts";

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

export interface Foreground {
  /** The container process, a child of ours. */
  pid: number;
  /** Its sentry: relays a terminal until the process is done. */
  sentry: Deno.ChildProcess;
  controlSocket: string;
  relaysTerminal: boolean;
}

export async function waitForeground(ctx: RuntimeContext, fg: Foreground): Promise<number> {
  const port = await ctx.procs();
  const raw = fg.relaysTerminal && Deno.stdin.isTerminal();
  if (raw) Deno.stdin.setRaw(true);
  const resize = () => {
    try {
      const { rows, columns } = Deno.consoleSize();
      sentryRequest(ctx, fg.controlSocket, `resize ${rows} ${columns}`).catch(() => {});
    } catch { /* stdout is not a terminal */ }
  };
  if (raw) resize();
  let exited = false;
  const handlers = FORWARDED.map((sig) => {
    const h = () => {
      // A terminal's size changes are the container's too; other signals are forwarded.
      if (sig === "SIGWINCH" && fg.relaysTerminal) return resize();
      // our child cannot be replaced by another process before we reap it: a plain kill is safe
      if (!exited) {
        try {
          Deno.kill(fg.pid, sig);
        } catch { /* exiting */ }
      }
    };
    Deno.addSignalListener(sig, h);
    return () => Deno.removeSignalListener(sig, h);
  });
  try {
    const st = await port.waitChild(fg.pid);
    exited = true;
    // the sentry flushes the last terminal output and exits right after the process
    await fg.sentry.status;
    return st.code;
  } finally {
    for (const off of handlers) off();
    if (raw) Deno.stdin.setRaw(false);
  }
}
