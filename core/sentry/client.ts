// Client side of the sentry's control socket (sentry/PROTOCOL.md §4): one line out, one line back.
import type { RuntimeContext } from "../container/context.ts";

export class SentryGone extends Error {}

export async function sentryRequest(
  ctx: RuntimeContext,
  socketPath: string,
  line: string,
): Promise<string> {
  let conn: Deno.UnixConn;
  // a state directory can be longer than sun_path allows (Docker's): connect through its fd
  const short = (await ctx.procs()).socketPath(socketPath);
  try {
    conn = await Deno.connect({ transport: "unix", path: short.path });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.ConnectionRefused) {
      throw new SentryGone(`sentry is not listening at ${socketPath}`);
    }
    throw e;
  } finally {
    short.release();
  }
  try {
    await conn.write(new TextEncoder().encode(line + "\n"));
    return await readLine(conn);
  } finally {
    conn.close();
  }
}

/**
 * Reads up to the first newline (or EOF); replies are short, so a small cap keeps it bounded.
 * `exact`: byte by byte, so nothing after the newline is consumed (a stream follows it).
 */
export async function readLine(conn: Deno.Conn, max = 65536, exact = false): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(exact ? 1 : 4096);
  while (total < max) {
    const n = await conn.read(buf);
    if (n === null) break;
    const nl = buf.subarray(0, n).indexOf(10);
    if (nl >= 0) {
      chunks.push(buf.slice(0, nl));
      total += nl;
      break;
    }
    chunks.push(buf.slice(0, n));
    total += n;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return new TextDecoder().decode(out);
}

/** Splits "ok rest" / "error message" replies. */
export function parseReply(reply: string): { ok: boolean; rest: string } {
  const sp = reply.indexOf(" ");
  const word = sp < 0 ? reply : reply.slice(0, sp);
  const rest = sp < 0 ? "" : reply.slice(sp + 1);
  if (word === "ok") return { ok: true, rest };
  if (word === "error") return { ok: false, rest: rest || "sentry reported an error" };
  return {
    ok: false,
    rest: reply === "" ? "sentry closed the connection" : `unexpected reply: ${reply}`,
  };
}
