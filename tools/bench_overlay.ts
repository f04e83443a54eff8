// The rootfs overlay's cost (issue 11 item 7): a small-file workload (create+write, stat, unlink
// of 5000 files, tools/c/smallfile_bench.c timing itself inside the container) on the rootfs with
// --overlay2 none, root:memory and root:self, beside runc in the same run.
import { buildStaticTool, median } from "./bench_util.ts";

// deno-lint-ignore no-explicit-any
type SpecObject = Record<string, any>;

export interface OverlayBench {
  files: number;
  /** label → median µs per phase (create, stat, unlink, total) */
  rows: Array<{ label: string; phases: Record<string, number> }>;
}

const PHASES = ["create", "stat", "unlink", "total"];

export async function benchOverlay(
  samples: number,
  work: string,
  bundle: string,
  moatArgv: string[],
  runcArgv: string[] | undefined,
  files = 5000,
): Promise<OverlayBench> {
  const bin = buildStaticTool(work, "smallfile_bench");
  const dir = `${work}/overlay-bench`;
  Deno.mkdirSync(dir, { recursive: true });
  const c = JSON.parse(Deno.readTextFileSync(`${bundle}/config.json`)) as SpecObject;
  c.root.path = `${bundle}/rootfs`;
  c.root.readonly = false;
  c.process.args = ["/b", "/smallfile-bench", String(files)];
  c.mounts.push({ destination: "/b", type: "bind", source: bin, options: ["bind", "ro"] });
  Deno.writeTextFileSync(`${dir}/config.json`, JSON.stringify(c));
  const setups: Array<[string, string[] | undefined]> = [
    ["runc", runcArgv],
    ["moat --overlay2 none", [...moatArgv, "--overlay2", "none"]],
    ["moat --overlay2 root:memory", [...moatArgv, "--overlay2", "root:memory"]],
    ["moat --overlay2 root:self", [...moatArgv, "--overlay2", "root:self"]],
  ];
  // round robin, one sample of each setup in turn, so a change in the machine's load (the
  // disk's above all) weighs on every setup alike; the first round warms up
  const active = setups.filter((x): x is [string, string[]] => x[1] !== undefined);
  const got = new Map<string, Record<string, number[]>>(active.map(([l]) => [l, {}]));
  let n = 0;
  for (let i = 0; i < samples + 1; i++) {
    for (const [label, argv] of active) {
      const r = await new Deno.Command(argv[0], {
        args: [
          ...argv.slice(1),
          "--root",
          `${work}/root-overlay`,
          "run",
          "--bundle",
          dir,
          `ov-${Deno.pid}-${++n}`,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!r.success) throw new Error(`${label}: ${new TextDecoder().decode(r.stderr).trim()}`);
      if (i === 0) continue;
      for (const line of new TextDecoder().decode(r.stdout).trim().split("\n")) {
        const [k, v] = line.split(" ");
        (got.get(label)![k] ??= []).push(Number(v));
      }
    }
  }
  const rows = active.map(([label]) => ({
    label,
    phases: Object.fromEntries(PHASES.map((p) => [p, median(got.get(label)![p] ?? [])])),
  }));
  return { files, rows };
}
