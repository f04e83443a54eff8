// `trace`: a running container's mediation events as JSON lines (sentry/trace.h), live, until
// the container ends. Each container's sentry streams its events on its control socket; the
// trace of a pod's sandbox follows every container of the pod (joining those created later),
// each line naming its container ("id").
import { readLine } from "../sentry/client.ts";
import { RuntimeError } from "../state/errors.ts";
import type { ContainerRecord } from "../state/types.ts";
import type { RuntimeContext } from "./context.ts";
import { currentStatus } from "./status.ts";

async function openStream(ctx: RuntimeContext, r: ContainerRecord): Promise<Deno.UnixConn> {
  const short = (await ctx.procs()).socketPath(r.controlSocket);
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path: short.path });
  } catch {
    throw new RuntimeError(`container ${r.id}: its sentry is gone, nothing is traced`);
  } finally {
    short.release();
  }
  await conn.write(new TextEncoder().encode("trace\n"));
  // the reply line, then the events: read the reply byte by byte, the rest as a stream
  const reply = await readLine(conn, 256, true);
  if (reply !== "ok") {
    conn.close();
    throw new RuntimeError(reply.replace(/^error /, "") || "the sentry refused the trace");
  }
  return conn;
}

/** Copies whole lines only, so the lines of several containers never mix within a line. */
async function pumpLines(conn: Deno.UnixConn, write: (b: Uint8Array) => Promise<void>) {
  let rest = new Uint8Array(0);
  for await (const chunk of conn.readable) {
    const buf = new Uint8Array(rest.length + chunk.length);
    buf.set(rest);
    buf.set(chunk, rest.length);
    const end = buf.lastIndexOf(10) + 1;
    if (end > 0) await write(buf.subarray(0, end));
    rest = buf.slice(end);
  }
}

export async function trace(
  ctx: RuntimeContext,
  idOrPrefix: string,
  out: WritableStream<Uint8Array>,
): Promise<void> {
  const r = ctx.store.read(ctx.store.lookup(idOrPrefix));
  const status = currentStatus(r);
  if (status === "stopped" || status === "creating") {
    throw new RuntimeError(`container ${r.id} is not running`);
  }
  const writer = out.getWriter();
  let chain = Promise.resolve();
  const write = (b: Uint8Array) => (chain = chain.then(() => writer.write(b)));
  const pumps: Promise<void>[] = [];
  const followed = new Set<string>();
  const follow = async (c: ContainerRecord) => {
    followed.add(c.id);
    try {
      const conn = await openStream(ctx, c);
      pumps.push(pumpLines(conn, write).catch(() => {}));
    } catch (e) {
      if (c.id === r.id) throw e; // the pod's other containers may mediate nothing
    }
  };
  await follow(r);
  if (r.pod?.type === "sandbox") {
    // the pod's containers, also those created while we follow, until the sandbox ends
    while (currentStatus(ctx.store.read(r.id)) !== "stopped") {
      for (const id of ctx.store.list()) {
        if (followed.has(id)) continue;
        try {
          const c = ctx.store.read(id);
          if (c.pod?.sandboxId === r.id && currentStatus(c) === "running") await follow(c);
        } catch { /* gone meanwhile */ }
      }
      await new Promise((res) => setTimeout(res, 250));
    }
  }
  await pumps[0];
  await Promise.allSettled(pumps);
  await chain;
  writer.releaseLock();
}
