// The virtual-file harness (vfs_harness.c), built once per test run with `musl-gcc -static`
// from the sentry's own vfs_fuse.c and vproc.c, and the fake trees its render mode reads.
import { WORK } from "./bundle.ts";

const HERE = new URL(".", import.meta.url).pathname;
const SENTRY = new URL("../../sentry/", import.meta.url).pathname;
let built: string | undefined;

export function harnessBinary(): string {
  if (built) return built;
  const out = `${WORK}/vfs_harness`;
  Deno.mkdirSync(WORK, { recursive: true });
  const tmp = `${out}.${Deno.pid}.tmp`;
  const r = new Deno.Command("musl-gcc", {
    args: [
      "-static",
      "-O2",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-D_GNU_SOURCE",
      `-I${SENTRY}`,
      "-o",
      tmp,
      `${HERE}vfs_harness.c`,
      `${SENTRY}vfs_fuse.c`,
      `${SENTRY}vproc.c`,
      `${SENTRY}util.c`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!r.success) {
    throw new Error(`building the vfs harness failed: ${new TextDecoder().decode(r.stderr)}`);
  }
  Deno.renameSync(tmp, out);
  built = out;
  return out;
}

export interface HarnessResult {
  code: number;
  stdout: string;
  stderr: string;
  /** serve only: cgroup directories the harness left behind (then removed by serve) */
  leftover?: string[];
}

export async function harness(args: string[]): Promise<HarnessResult> {
  const out = await new Deno.Command(harnessBinary(), { args, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const trees: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const t of trees) Deno.removeSync(t, { recursive: true });
});

/** A temporary directory holding `files` (relative path → content), removed at exit. */
export function fakeTree(files: Record<string, string>): string {
  const root = Deno.makeTempDirSync({ prefix: "moat-vproc-" });
  trees.push(root);
  for (const [path, content] of Object.entries(files)) {
    const full = `${root}/${path}`;
    Deno.mkdirSync(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    Deno.writeTextFileSync(full, content);
  }
  return root;
}

/** `render` on a fake tree: each requested file's content (or sysinfo's key=value line). */
export async function render(
  root: string,
  names: string[],
  opts: { v2?: boolean; uptime?: number } = {},
): Promise<Record<string, string>> {
  const args = ["render"];
  if (opts.v2) args.push("--v2");
  if (opts.uptime !== undefined) args.push("--uptime", String(opts.uptime));
  const r = await harness([...args, root, ...names]);
  if (r.code !== 0) throw new Error(`render ${names.join(" ")}: ${r.stderr}`);
  const out: Record<string, string> = {};
  for (const part of r.stdout.split(/^==> /m).slice(1)) {
    const nl = part.indexOf("\n");
    out[part.slice(0, nl)] = part.slice(nl + 1);
  }
  return out;
}

export const CONTROLLERS = ["memory", "cpu", "cpuacct", "cpuset", "blkio", "pids"];

/** Cgroup directories of `name` that still exist (the harness removes them on every path). */
export function leftoverCgroups(name: string): string[] {
  return CONTROLLERS.map((c) => `/sys/fs/cgroup/${c}/${name}`).filter((p) => {
    try {
      Deno.statSync(p);
      return true;
    } catch {
      return false;
    }
  });
}

/** `serve`: a real v1 cgroup, the FUSE server, and `script` run by busybox sh in the workload.
 * The harness makes and removes the cgroup; whatever it left is reported, then removed. */
export async function serve(
  cgroup: string,
  options: string[],
  script: string,
): Promise<HarnessResult> {
  try {
    const r = await harness([
      "serve",
      "--cgroup",
      cgroup,
      ...options,
      "--",
      "busybox",
      "sh",
      "-c",
      script,
    ]);
    return { ...r, leftover: leftoverCgroups(cgroup) };
  } finally {
    for (const p of leftoverCgroups(cgroup)) {
      try {
        Deno.removeSync(p);
      } catch { /* still busy: the test fails on r.leftover */ }
    }
  }
}
