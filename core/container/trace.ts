// `trace`: a running container's mediation events as JSON lines (sentry/trace.h), live, until
// the container ends. The container's sentry streams them on its control socket.
import { readLine } from "../sentry/client.ts";
import { RuntimeError } from "../state/errors.ts";
import type { RuntimeContext } from "./context.ts";
import { currentStatus } from "./status.ts";

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
  await conn.readable.pipeTo(out, { preventClose: true });
}
