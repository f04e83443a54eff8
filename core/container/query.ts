// `state` and `list`.
import type { RuntimeContext } from "./context.ts";
import { currentStatus, stateObject } from "./status.ts";

export function state(ctx: RuntimeContext, idOrPrefix: string): Record<string, unknown> {
  const id = ctx.store.lookup(idOrPrefix);
  const record = ctx.store.read(id);
  return stateObject(record, currentStatus(record));
}

export function list(ctx: RuntimeContext): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const id of ctx.store.list()) {
    try {
      const record = ctx.store.read(id);
      out.push({
        ...stateObject(record, currentStatus(record), ownerOf(ctx.store.dir(id))),
        // the pod it belongs to (a container outside a pod is its own sandbox)
        sandbox: record.pod?.sandboxId ?? record.id,
      });
    } catch { /* removed while listing */ }
  }
  return out;
}

function ownerOf(path: string): string {
  const uid = Deno.statSync(path).uid ?? 0;
  try {
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const f = line.split(":");
      if (f[2] === String(uid)) return f[0];
    }
  } catch { /* no passwd: fall back to the number */ }
  return `#${uid}`;
}
