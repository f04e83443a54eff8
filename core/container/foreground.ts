// A sentry waited on in the foreground (`run`, `exec` without --detach): forward our signals
// to its process, keep a relayed terminal raw and sized like ours, and return the process's
// status the way runc reports it (its exit code, or 128+signal).
import { sentryRequest } from "../sentry/client.ts";
import { parseSignal } from "./signals.ts";

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

export async function waitForeground(
  controlSocket: string,
  sentry: Deno.ChildProcess,
  relaysTerminal: boolean,
): Promise<number> {
  const raw = relaysTerminal && Deno.stdin.isTerminal();
  if (raw) Deno.stdin.setRaw(true);
  const resize = () => {
    try {
      const { rows, columns } = Deno.consoleSize();
      sentryRequest(controlSocket, `resize ${rows} ${columns}`).catch(() => {});
    } catch { /* stdout is not a terminal */ }
  };
  if (raw) resize();
  const handlers = FORWARDED.map((sig) => {
    const h = () => {
      // A terminal's size changes are the container's too; other signals are forwarded.
      if (sig === "SIGWINCH" && relaysTerminal) return resize();
      sentryRequest(controlSocket, `kill ${parseSignal(sig)} 0`).catch(() => {});
    };
    Deno.addSignalListener(sig, h);
    return () => Deno.removeSignalListener(sig, h);
  });
  try {
    const st = await sentry.status;
    // The sentry mirrors its process's wait status: its exit code, or the same fatal signal.
    return st.signal ? 128 + parseSignal(st.signal) : st.code;
  } finally {
    for (const off of handlers) off();
    if (raw) Deno.stdin.setRaw(false);
  }
}
