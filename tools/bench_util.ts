// What the benchmark sections share: medians, and their C programs built static with musl (so
// they also run inside the busybox containers).
const top = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Builds tools/c/<name>.c into <work>/<name>. */
export function buildStaticTool(work: string, name: string): string {
  const out = `${work}/${name}`;
  const r = new Deno.Command("musl-gcc", {
    args: ["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", out, `${top}/tools/c/${name}.c`],
    stderr: "piped",
  }).outputSync();
  if (!r.success) throw new Error(new TextDecoder().decode(r.stderr));
  return out;
}

/** Runs a command that must succeed. `detached`: `create` hands its stdio to the container, so it
 * gets no pipe to hold open. */
export async function runQuiet(argv: string[], detached = false): Promise<void> {
  const r = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: detached ? "null" : "piped",
  }).output();
  if (!r.success) {
    throw new Error(`${argv.slice(-3).join(" ")}: ${new TextDecoder().decode(r.stderr).trim()}`);
  }
}
