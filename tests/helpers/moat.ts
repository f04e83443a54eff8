// Runs bin/moat as engines do and captures what they would see.
import { makeBundle, MOAT, type SpecObject, uniqueId, WORK } from "./bundle.ts";

export const ROOT = `${WORK}/state`;

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export async function moat(
  args: string[],
  opts: { stdin?: string; root?: string } = {},
): Promise<Result> {
  const cmd = new Deno.Command(MOAT, {
    args: ["--root", opts.root ?? ROOT, ...args],
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** `moat run` of a bundle; the container's output and exit status. */
export function runBundle(bundle: string, id: string): Promise<Result> {
  return moat(["run", "--bundle", bundle, id]);
}

export function mountsMentioning(text: string): string[] {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").filter((l) => l.includes(text));
}

/** Pids of host processes whose command line mentions `needle`. */
export function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).replaceAll("\0", " ");
      if (cmdline.includes(needle)) out.push(Number(e.name));
    } catch { /* exited */ }
  }
  return out;
}

/**
 * Runs a command whose container keeps create's stdio (create, run -d): stdio goes to a file, as
 * engines hand in files or fifos, so the test does not wait for the container to close a pipe.
 */
export async function moatToFile(args: string[], outFile: string, root = ROOT): Promise<Result> {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const line = [MOAT, "--root", root, ...args].map(q).join(" ");
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", `exec ${line} </dev/null >>${q(outFile)} 2>>${q(outFile)}.err`],
    stdout: "null",
    stderr: "null",
  }).output();
  const read = (p: string) => {
    try {
      return Deno.readTextFileSync(p);
    } catch {
      return "";
    }
  };
  return { code: out.code, stdout: read(outFile), stderr: read(`${outFile}.err`) };
}

export async function waitFor(pred: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Bad input must fail `create` with `msg` in the error, exit 1, and leave no state and no
 * process behind: checked for each case on a fresh bundle.
 */
export async function assertCreateRefused(
  cases: Array<[(spec: SpecObject) => void, string]>,
): Promise<void> {
  for (const [edit, msg] of cases) {
    const bundle = makeBundle(["true"], edit);
    const id = uniqueId("refuse");
    const r = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/o`);
    if (r.code !== 1 || !r.stderr.includes(msg)) {
      throw new Error(`expected exit 1 with "${msg}", got ${r.code}: ${r.stderr}`);
    }
    if ((await moat(["state", id])).code !== 1) throw new Error(`${id}: state left behind`);
    if (processesMentioning(id).length) throw new Error(`${id}: processes left behind`);
  }
}
