// `kill`: deliver a signal to the container through the sentry's pidfd (no pid-reuse race).
import { parseReply, SentryGone, sentryRequest } from "../sentry/client.ts";
import { ERR_NOT_RUNNING, RuntimeError } from "../state/errors.ts";
import type { RuntimeContext } from "./context.ts";
import { currentStatus } from "./status.ts";
import { signalPaused } from "./cgroup_ops.ts";

export async function kill(
  ctx: RuntimeContext,
  idOrPrefix: string,
  signal: number,
  all = false,
): Promise<void> {
  const id = ctx.store.lookup(idOrPrefix);
  const record = ctx.store.read(id);
  const status = currentStatus(record);
  // runc: with --all a stopped container is not an error (engines send it during cleanup).
  if (status === "stopped" || status === "creating") {
    if (all) return;
    throw new RuntimeError(ERR_NOT_RUNNING);
  }
  if (status === "paused") {
    // The sentry is frozen with the container: signal directly (core/container/cgroup_ops.ts).
    signalPaused(ctx, record, signal, all);
    return;
  }
  let reply: string;
  try {
    reply = await sentryRequest(record.controlSocket, `kill ${signal} ${all ? 1 : 0}`);
  } catch (e) {
    if (e instanceof SentryGone) {
      if (all) return;
      throw new RuntimeError(ERR_NOT_RUNNING);
    }
    throw e;
  }
  const { ok, rest } = parseReply(reply);
  if (!ok) {
    if (/no such process/i.test(rest)) {
      if (all) return;
      throw new RuntimeError(ERR_NOT_RUNNING);
    }
    throw new RuntimeError(rest);
  }
}
