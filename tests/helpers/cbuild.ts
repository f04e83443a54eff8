// Test programs in C (probes, harnesses), built once per test run with `musl-gcc -static` under
// tests/.work so they also run inside busybox containers.
import { WORK } from "./bundle.ts";

const built = new Map<string, string>();

/** Builds tests/helpers/<name>.c (plus `extra` sources, relative to the repo) into WORK/<name>. */
export function buildStatic(name: string, extra: string[] = []): string {
  const have = built.get(name);
  if (have) return have;
  const top = new URL("../..", import.meta.url).pathname;
  const src = new URL(`./${name}.c`, import.meta.url).pathname;
  const out = `${WORK}/${name}`;
  Deno.mkdirSync(WORK, { recursive: true });
  const r = new Deno.Command("musl-gcc", {
    args: [
      "-static",
      "-O1",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-D_GNU_SOURCE",
      "-o",
      `${out}.tmp`,
      src,
      ...extra.map((f) => `${top}${f}`),
    ],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!r.success) {
    throw new Error(`building ${name} failed: ${new TextDecoder().decode(r.stderr)}`);
  }
  Deno.renameSync(`${out}.tmp`, out);
  built.set(name, out);
  return out;
}
