// `start`: release the init blocked before execve; the sentry reports whether execve worked.
import { parseReply, SentryGone, sentryRequest } from "../sentry/client.ts";
import { RuntimeError } from "../state/errors.ts";
import type { RuntimeContext } from "./context.ts";
import { currentStatus } from "./status.ts";
import { lazyImport } from "../lazy.ts";

type Hooks = typeof import("../hooks/lifecycle.ts");

/**
 * `releaseOnExit`: the caller (a short-lived CLI) exits right after this returns; where nothing
 * can fail after the release, the init execs only then, as runc's does microseconds after runc
 * exits, so an engine's bookkeeping after `start` returns (containerd arms its OOM watch and
 * stamps StartedAt) comes first. Not for a long-lived caller (mod.ts).
 */
export async function start(
  ctx: RuntimeContext,
  idOrPrefix: string,
  releaseOnExit = false,
): Promise<void> {
  const id = ctx.store.lookup(idOrPrefix);
  const lock = ctx.store.lock(id);
  try {
    const record = ctx.store.read(id);
    const status = currentStatus(record);
    if (status === "stopped") throw new RuntimeError("cannot start a container that has stopped");
    if (status === "running") throw new RuntimeError("cannot start an already running container");
    if (status !== "created") {
      throw new RuntimeError(`cannot start a container in the ${status} state`);
    }
    let reply: string;
    try {
      const request = releaseOnExit && record.startAfterExit ? "start after-exit" : "start";
      reply = await sentryRequest(ctx, record.controlSocket, request);
    } catch (e) {
      if (e instanceof SentryGone) {
        throw new RuntimeError("cannot start a container that has stopped");
      }
      throw e;
    }
    const { ok, rest } = parseReply(reply);
    if (!ok) {
      // a failed startContainer hook stops the container and destroys it (runtime-spec)
      if (rest.startsWith("error running startContainer hook")) {
        await (await lazyImport<Hooks>("core/hooks/lifecycle.ts")).abandonContainer(ctx, record);
      }
      throw new RuntimeError(rest);
    }
    record.status = "running";
    ctx.store.write(record);
    // poststart hooks were recorded at create; containers without them load no hook code
    if (record.hooks?.poststart?.length) {
      const hooks = await lazyImport<Hooks>("core/hooks/lifecycle.ts");
      try {
        await hooks.runPoststart(ctx, record);
      } catch (e) {
        // runtime-spec 1.3: a poststart failure is fatal; runc SIGKILLs the container
        await hooks.abandonContainer(ctx, record);
        throw new RuntimeError((e as Error).message);
      }
    }
  } finally {
    lock.release();
  }
}
