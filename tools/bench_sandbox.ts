// What the sandbox costs (issue 10 item 8), moat beside runc in the same run: syscalls inside a
// container that moat does not mediate (getppid, uname with virtualize off, open/close of a
// file), a mediated uname round trip, 1000 loopback connects under an egress policy, and the
// sentry's PSS while the container makes 100 mediated calls a second. tools/c/syscall_bench.c
// does the timing inside the container.
import { buildStaticTool } from "./bench_util.ts";

// deno-lint-ignore no-explicit-any
type SpecObject = Record<string, any>;

export interface SandboxBench {
  /** ns per call: mode → runtime label → value */
  calls: Record<string, Record<string, number>>;
  pss?: number;
}

function bundleFor(
  base: string,
  work: string,
  name: string,
  script: string,
  annotations: Record<string, string>,
  bin: string,
): string {
  const dir = `${work}/sb-${name}`;
  Deno.mkdirSync(dir, { recursive: true });
  const c = JSON.parse(Deno.readTextFileSync(`${base}/config.json`)) as SpecObject;
  c.root.path = `${base}/rootfs`;
  c.process.args = ["sh", "-c", script];
  for (const set of ["bounding", "effective", "permitted"]) {
    c.process.capabilities[set].push("CAP_NET_ADMIN");
  }
  c.mounts.push({ destination: "/b", type: "bind", source: bin, options: ["rbind", "ro"] });
  c.annotations = annotations;
  Deno.writeTextFileSync(`${dir}/config.json`, JSON.stringify(c));
  return dir;
}

async function runIn(argv: string[], root: string, bundle: string, id: string): Promise<string> {
  const r = await new Deno.Command(argv[0], {
    args: [...argv.slice(1), "--root", root, "run", "--bundle", bundle, id],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) throw new Error(`${id}: ${new TextDecoder().decode(r.stderr).trim()}`);
  return new TextDecoder().decode(r.stdout);
}

const MODES = "ip link set lo up; /b getppid 200000; /b uname 100000; /b open 50000; " +
  "/b sysinfo 20000; /b connect 1000 7000";

function parse(out: string): Record<string, number> {
  return Object.fromEntries(
    out.trim().split("\n").map((l) => l.split(" ")).filter((f) => f.length === 2)
      .map(([k, v]) => [k, Number(v)]),
  );
}

export async function benchSandbox(
  work: string,
  base: string,
  moatArgv: string[],
  runcArgv?: string[],
): Promise<SandboxBench> {
  const bin = buildStaticTool(work, "syscall_bench");
  const calls: SandboxBench["calls"] = {};
  const put = (label: string, vals: Record<string, number>) => {
    for (const [mode, v] of Object.entries(vals)) (calls[mode] ??= {})[label] = v;
  };
  const n = `${Deno.pid}`;
  const plain = bundleFor(base, work, "plain", MODES, {}, bin);
  if (runcArgv) put("runc", parse(await runIn(runcArgv, `${work}/root-runc`, plain, `sbr-${n}`)));
  // nothing mediated: only the BPF surface filter on top of the profile
  const quiet = bundleFor(base, work, "quiet", MODES, {
    "dev.moat.virtualize": "off",
    "dev.moat.egress.deny": "",
  }, bin);
  put(
    "moat, nothing mediated",
    parse(await runIn(moatArgv, `${work}/root-moat`, quiet, `sbq-${n}`)),
  );
  // the defaults: uname, sysinfo, sched_getaffinity and connect/sendto/sendmsg mediated
  put("moat, defaults", parse(await runIn(moatArgv, `${work}/root-moat`, plain, `sbd-${n}`)));
  // the sentry's memory while the workload makes 100 mediated calls a second
  const paced = bundleFor(base, work, "paced", "/b paced 5 100", {}, bin);
  const id = `sbp-${n}`;
  const child = new Deno.Command(moatArgv[0], {
    args: [...moatArgv.slice(1), "--root", `${work}/root-moat`, "run", "--bundle", paced, id],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let pss: number | undefined;
  const end = Date.now() + 10_000;
  while (Date.now() < end && pss === undefined) {
    await new Promise((r) => setTimeout(r, 2500));
    try {
      const { sentryPid } = JSON.parse(
        Deno.readTextFileSync(`${work}/root-moat/${id}/state.json`),
      );
      const smaps = Deno.readTextFileSync(`/proc/${sentryPid}/smaps_rollup`);
      pss = Number(/^Pss:\s+(\d+)/m.exec(smaps)![1]);
    } catch { /* not up yet */ }
  }
  await child.status;
  return { calls, pss };
}
