// Each engine call on its own (issue 14), moat beside runc and crun in the same run: `--version`,
// `create`, `start`, `state`, `kill`, `delete` alone against the same run's `deno run` of a
// hello-world file (what any Deno program pays to start), 50 `run`s 8 at a time, and the embedded
// API (mod.ts) running create+start+wait+delete in this one process against the kernel floor
// (tools/c/floor.c: clone into the namespaces, chroot, exec, wait; no runtime at all).
import { openRuntime } from "../mod.ts";
import { buildStaticTool, median, runQuiet as sh } from "./bench_util.ts";

export interface Runtime {
  name: string;
  argv: string[];
}

const top = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** `deno run` of a file that prints one line, with bin/moat's flags. */
export async function helloWorld(work: string, runs: number): Promise<number> {
  const file = `${work}/hello.ts`;
  Deno.writeTextFileSync(file, 'console.log("hello");\n');
  const deno = `${top}/.deno/bin/deno`;
  const argv = [deno, "run", "--allow-all", "--no-prompt", "--quiet", "--no-lock", "--no-config"];
  const env = { DENO_DIR: `${top}/.cache/deno` };
  const once = () =>
    new Deno.Command(deno, { args: [...argv.slice(1), file], env, stdout: "null" }).output()
      .then(() => {});
  for (let i = 0; i < 3; i++) await once();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await timed(once));
  return median(xs);
}

export interface CallTimes {
  version: number;
  create: number;
  start: number;
  state: number;
  kill: number;
  delete: number;
}

/** Each lifecycle call alone, a sleeping container per round (kill has something to kill). */
export async function callTimes(
  rt: Runtime,
  work: string,
  sleepBundle: string,
  runs: number,
): Promise<CallTimes> {
  const base = [...rt.argv, "--root", `${work}/calls-${rt.name}`];
  const t: Record<keyof CallTimes, number[]> = {
    version: [],
    create: [],
    start: [],
    state: [],
    kill: [],
    delete: [],
  };
  for (let i = 0; i < runs + 2; i++) {
    const id = `call-${rt.name}-${Deno.pid}-${i}`;
    const keep = i >= 2; // two warm-up rounds
    const step = async (k: keyof CallTimes, argv: string[]) => {
      const ms = await timed(() => sh([...base, ...argv], k === "create"));
      if (keep) t[k].push(ms);
    };
    await step("version", ["--version"]);
    await step("create", ["create", "--bundle", sleepBundle, id]);
    await step("start", ["start", id]);
    await step("state", ["state", id]);
    await step("kill", ["kill", id, "KILL"]);
    // the init is gone before delete (as when an engine deletes after the exit it reaped)
    for (let w = 0; w < 200; w++) {
      const r = await new Deno.Command(base[0], {
        args: [...base.slice(1), "state", id],
        stdout: "piped",
        stderr: "null",
      }).output();
      if (new TextDecoder().decode(r.stdout).includes('"stopped"')) break;
      await new Promise((res) => setTimeout(res, 5));
    }
    await step("delete", ["delete", id]);
  }
  const out = {} as CallTimes;
  for (const k of Object.keys(t) as Array<keyof CallTimes>) out[k] = median(t[k]);
  return out;
}

/** 50 `run`s of `true`, 8 at a time: containers per second. */
export async function parallelRuns(rt: Runtime, work: string, bundle: string): Promise<number> {
  const base = [...rt.argv, "--root", `${work}/par-${rt.name}`];
  let next = 0;
  const total = 50;
  const worker = async () => {
    while (next < total) {
      const id = `par-${rt.name}-${Deno.pid}-${next++}`;
      await sh([...base, "run", "--bundle", bundle, id]);
    }
  };
  const ms = await timed(() => Promise.all(Array.from({ length: 8 }, worker)).then(() => {}));
  return total / (ms / 1000);
}

/** create+start+wait+delete through mod.ts in this process, and the kernel floor beside it. */
export async function embeddedLoop(
  work: string,
  bundle: string,
  rootfs: string,
  runs: number,
): Promise<{ embedded: number; floor: number }> {
  const rt = openRuntime({ root: `${work}/embedded` });
  const xs: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const id = `emb-${Deno.pid}-${i}`;
    const ms = await timed(async () => {
      await rt.create({ id, bundle });
      await rt.start(id);
      await rt.wait(id);
      await rt.delete(id);
    });
    if (i >= 3) xs.push(ms);
  }
  const floorBin = buildStaticTool(work, "floor");
  const f = new Deno.Command(floorBin, { args: [String(runs), rootfs, "/bin/true"] }).outputSync();
  if (!f.success) throw new Error(`floor: ${new TextDecoder().decode(f.stderr)}`);
  return { embedded: median(xs), floor: Number(new TextDecoder().decode(f.stdout)) / 1000 };
}
