// `delete`: runc semantics: stopped and created containers go; running ones need --force; with
// --force a missing id is not an error.
import { ERR_NOT_EXIST, RuntimeError } from "../state/errors.ts";
import { validateId } from "../state/store.ts";
import type { RuntimeContext } from "./context.ts";
import { destroy, killContainer } from "./destroy.ts";
import { currentStatus } from "./status.ts";
import { lazyImport } from "../lazy.ts";

type Hooks = typeof import("../hooks/lifecycle.ts");

export async function deleteContainer(
  ctx: RuntimeContext,
  idOrPrefix: string,
  force = false,
): Promise<void> {
  let id: string;
  try {
    id = ctx.store.lookup(idOrPrefix);
  } catch (e) {
    if (force && e instanceof RuntimeError && e.message === ERR_NOT_EXIST) {
      // A half-created container may have a directory but no state yet: remove it anyway.
      try {
        validateId(idOrPrefix);
        destroy(ctx, idOrPrefix);
      } catch { /* not even a valid id: nothing to remove */ }
      return;
    }
    throw e;
  }
  const lock = ctx.store.lock(id);
  try {
    const record = ctx.store.read(id);
    const status = currentStatus(record);
    if ((status === "running" || status === "paused") && !force) {
      throw new RuntimeError(`cannot delete container ${id} that is not stopped: ${status}`);
    }
    await killContainer(ctx, record);
    destroy(ctx, id);
    // after teardown, once: the record is gone, so a retried delete finds nothing to rerun
    if (record.hooks?.poststop?.length) {
      await (await lazyImport<Hooks>("core/hooks/lifecycle.ts")).runPoststop(ctx, record);
    }
  } finally {
    lock.release();
  }
}
