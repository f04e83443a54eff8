// `kill`: a signal to the container's init (default), to every process of the container (--all),
// or to one of its processes (--pid, as runsc). Sent from here through pidfds, so it works
// whether or not the sentry is alive (DESIGN §3).
import { ERR_NOT_RUNNING, RuntimeError } from "../state/errors.ts";
import type { RuntimeContext } from "./context.ts";
import type { ContainerRecord } from "../state/types.ts";
import { parseReply, SentryGone, sentryRequest } from "../sentry/client.ts";
import { currentStatus } from "./status.ts";
import { thawAfterKill } from "./cgroup_ops.ts";
import { memberStart, signalMembers } from "./members.ts";

export interface KillOptions {
  all?: boolean;
  /** A host pid (as `ps` shows it) that must belong to the container. */
  pid?: number;
}

export async function kill(
  ctx: RuntimeContext,
  idOrPrefix: string,
  signal: number,
  opts: KillOptions = {},
): Promise<void> {
  const id = ctx.store.lookup(idOrPrefix);
  const record = ctx.store.read(id);
  const status = currentStatus(record);
  // runc: with --all a stopped container is not an error (engines send it during cleanup).
  if (status === "stopped" || status === "creating") {
    if (opts.all) return;
    throw new RuntimeError(ERR_NOT_RUNNING);
  }
  // the common call (an engine's kill of the init) goes through the sentry's pidfd
  if (opts.pid === undefined && !opts.all && await signalThroughSentry(ctx, record, signal)) {
    if (status === "paused" && signal === 9) thawAfterKill(ctx, record);
    return;
  }
  const port = await ctx.procs();
  if (opts.pid !== undefined) {
    const start = memberStart(ctx, record, opts.pid);
    if (start === undefined) {
      throw new RuntimeError(`process ${opts.pid} does not belong to container ${id}`);
    }
    if (!port.signal(opts.pid, start, signal)) throw new RuntimeError("no such process");
  } else {
    const sent = port.signal(record.pid, record.pidStartTime, signal);
    if (opts.all) signalMembers(ctx, port, record, signal, record.pid);
    else if (!sent) throw new RuntimeError(ERR_NOT_RUNNING);
  }
  // a frozen process cannot die: SIGKILL thaws a paused container (runc does the same)
  if (status === "paused" && signal === 9) thawAfterKill(ctx, record);
}

/** true once the sentry has signalled the init; false when there is no sentry to ask. */
async function signalThroughSentry(
  ctx: RuntimeContext,
  record: ContainerRecord,
  signal: number,
): Promise<boolean> {
  let reply: string;
  try {
    reply = await sentryRequest(ctx, record.controlSocket, `signal ${signal}`);
  } catch (e) {
    if (e instanceof SentryGone) return false;
    throw e;
  }
  const { ok, rest } = parseReply(reply);
  if (ok) return true;
  // the sentry closed without answering (it is exiting with the init): use a pidfd of our own
  if (reply === "") return false;
  throw new RuntimeError(rest.startsWith("signal: no such process") ? ERR_NOT_RUNNING : rest);
}
