// `deno task bench`: moat side by side with runc and crun (when installed) in the same run.
// Reports medians and ratios to runc for `run true` and create+start+delete, and the sentry's
// memory per sandbox (RSS and PSS from smaps_rollup).
//
// crun refuses hybrid cgroup hosts whose unified hierarchy has controllers; it runs here inside a
// private mount namespace where that controller list is hidden (nothing on the host changes).
import { busyboxRootfsAt } from "./busybox_rootfs.ts";
import { defaultSpec } from "../core/bundle/default_spec.ts";
import { median } from "./bench_util.ts";

// deno-lint-ignore no-explicit-any
type SpecObject = Record<string, any>;

const top = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const work = `${top}/.cache/bench`;
const runs = Number(Deno.env.get("BENCH_RUNS") ?? "40");

interface Runtime {
  name: string;
  argv: string[];
}

function findRuntimes(): Runtime[] {
  const out: Runtime[] = [];
  const exists = (p: string) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  };
  for (const p of ["/usr/sbin/runc", "/usr/bin/runc"]) {
    if (exists(p)) {
      out.push({ name: "runc", argv: [p] });
      break;
    }
  }
  if (exists("/usr/bin/crun")) {
    const controllers = (() => {
      try {
        return Deno.readTextFileSync("/sys/fs/cgroup/unified/cgroup.controllers").trim();
      } catch {
        return "";
      }
    })();
    out.push({
      name: "crun",
      argv: controllers
        ? [
          "unshare",
          "--mount",
          "--propagation",
          "private",
          "sh",
          "-c",
          'mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers && exec /usr/bin/crun "$@"',
          "crun",
        ]
        : ["/usr/bin/crun"],
    });
  }
  out.push({ name: "moat", argv: [`${top}/bin/moat`] });
  return out;
}

function makeBundle(): string {
  const bundle = `${work}/bundle`;
  Deno.mkdirSync(bundle, { recursive: true });
  busyboxRootfsAt(`${bundle}/rootfs`);
  // The starter config of `moat spec` (runc spec's container) for every runtime alike, without a
  // terminal, running `true`.
  const config = defaultSpec() as SpecObject;
  config.process.terminal = false;
  config.process.args = ["true"];
  config.hostname = "bench";
  // crun 1.8.1 refuses spec versions it does not know; every runtime here knows 1.0.2.
  config.ociVersion = "1.0.2";
  Deno.writeTextFileSync(`${bundle}/config.json`, JSON.stringify(config, null, 2));
  return bundle;
}

async function sh(
  argv: string[],
  stdout: "null" | "piped" = "null",
  stderr: "null" | "piped" = "piped",
): Promise<Deno.CommandOutput> {
  return await new Deno.Command(argv[0], { args: argv.slice(1), stdin: "null", stdout, stderr })
    .output();
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** `create` and `run -d` hand their stdio to the container: give them nothing to hold open. */
async function mustSucceed(argv: string[], detached = false): Promise<void> {
  if (Deno.env.get("BENCH_TRACE")) console.error(argv.slice(-3).join(" "));
  const r = await sh(argv, "null", detached ? "null" : "piped");
  if (!r.success) {
    throw new Error(`${argv.join(" ")} failed: ${new TextDecoder().decode(r.stderr).trim()}`);
  }
}

async function benchRuntime(rt: Runtime, bundle: string) {
  const root = `${work}/root-${rt.name}`;
  const base = [...rt.argv, "--root", root];
  let n = 0;
  const id = () => `bench-${rt.name}-${Deno.pid}-${++n}`;
  // Warm up caches (Deno's code cache, page cache) before timing.
  for (let i = 0; i < 3; i++) await mustSucceed([...base, "run", "--bundle", bundle, id()]);
  const runTimes: number[] = [];
  const lifecycle: number[] = [];
  for (let i = 0; i < runs; i++) {
    runTimes.push(await timeIt(() => mustSucceed([...base, "run", "--bundle", bundle, id()])));
    const cid = id();
    lifecycle.push(
      await timeIt(async () => {
        await mustSucceed([...base, "create", "--bundle", bundle, cid], true);
        await mustSucceed([...base, "start", cid]);
        await mustSucceed([...base, "delete", "--force", cid]);
      }),
    );
  }
  return { run: median(runTimes), lifecycle: median(lifecycle) };
}

async function sentryMemory(bundle: string): Promise<{ rss: number; pss: number; n: number }> {
  const root = `${work}/root-mem`;
  const sleepBundle = `${work}/bundle-sleep`;
  Deno.mkdirSync(sleepBundle, { recursive: true });
  const config = JSON.parse(Deno.readTextFileSync(`${bundle}/config.json`));
  config.root.path = `${bundle}/rootfs`;
  config.process.args = ["sleep", "60"];
  Deno.writeTextFileSync(`${sleepBundle}/config.json`, JSON.stringify(config));
  const ids = Array.from({ length: 10 }, (_, i) => `mem-${Deno.pid}-${i}`);
  const rss: number[] = [];
  const pss: number[] = [];
  try {
    for (const cid of ids) {
      await mustSucceed([
        `${top}/bin/moat`,
        "--root",
        root,
        "run",
        "-d",
        "--bundle",
        sleepBundle,
        cid,
      ], true);
    }
    for (const cid of ids) {
      // state.pid is the container's init; the sentry beside it is in the state record
      const { sentryPid } = JSON.parse(Deno.readTextFileSync(`${root}/${cid}/state.json`));
      try {
        const smaps = Deno.readTextFileSync(`/proc/${sentryPid}/smaps_rollup`);
        rss.push(Number(/^Rss:\s+(\d+)/m.exec(smaps)![1]));
        pss.push(Number(/^Pss:\s+(\d+)/m.exec(smaps)![1]));
      } catch (e) {
        console.error(`sentry of ${cid} (pid ${sentryPid}): ${(e as Error).message}`);
      }
    }
  } finally {
    for (const cid of ids) await sh([`${top}/bin/moat`, "--root", root, "delete", "--force", cid]);
  }
  return { rss: median(rss), pss: median(pss), n: ids.length };
}

if (Deno.uid() !== 0) {
  console.error("bench: run as root");
  Deno.exit(1);
}
const bundle = makeBundle();
const runtimes = findRuntimes();
console.log(
  `moat benchmark: ${runs} samples per measurement, medians (ms); ratio = runtime / runc`,
);
const results = new Map<string, { run: number; lifecycle: number }>();
for (const rt of runtimes) {
  try {
    results.set(rt.name, await benchRuntime(rt, bundle));
  } catch (e) {
    console.log(`${rt.name}: skipped (${(e as Error).message.split("\n")[0]})`);
  }
}
const ref = results.get("runc");
const fmt = (v: number) => v.toFixed(1);
const ratio = (v: number, r?: number) => (r ? (v / r).toFixed(2) : "-");
console.log("\n| runtime | run true (ms) | ratio | create+start+delete (ms) | ratio |");
console.log("|---|---:|---:|---:|---:|");
for (const [name, r] of results) {
  console.log(
    `| ${name} | ${fmt(r.run)} | ${ratio(r.run, ref?.run)} | ${fmt(r.lifecycle)} | ${
      ratio(r.lifecycle, ref?.lifecycle)
    } |`,
  );
}
// Each call alone, parallel runs, the embedded API and the floor (tools/bench_calls.ts).
{
  const calls = await import("./bench_calls.ts");
  const n = Math.min(runs, 20);
  const sleepBundle = `${work}/bundle-calls`;
  Deno.mkdirSync(sleepBundle, { recursive: true });
  const config = JSON.parse(Deno.readTextFileSync(`${bundle}/config.json`));
  config.root.path = `${bundle}/rootfs`;
  config.process.args = ["sleep", "60"];
  Deno.writeTextFileSync(`${sleepBundle}/config.json`, JSON.stringify(config));
  const hello = await calls.helloWorld(work, n);
  const rows: Array<[string, Awaited<ReturnType<typeof calls.callTimes>>, number]> = [];
  for (const rt of runtimes) {
    try {
      rows.push([
        rt.name,
        await calls.callTimes(rt, work, sleepBundle, n),
        await calls
          .parallelRuns(rt, work, bundle),
      ]);
    } catch (e) {
      console.log(`${rt.name} calls: skipped (${(e as Error).message.split("\n")[0]})`);
    }
  }
  const keys = ["version", "create", "start", "state", "kill", "delete"] as const;
  const runcRow = rows.find((r) => r[0] === "runc");
  console.log(
    `\ndeno run of a hello-world file: ${fmt(hello)} ms (the floor of any CLI call in Deno)`,
  );
  console.log(
    `| calls alone (ms) | ${keys.join(" | ")} | 50 runs, 8 parallel (ctr/s) |\n|---|${
      keys.map(() => "---:").join("|")
    }|---:|`,
  );
  for (const [name, t, par] of rows) {
    console.log(`| ${name} | ${keys.map((k) => fmt(t[k])).join(" | ")} | ${par.toFixed(1)} |`);
  }
  if (runcRow) {
    for (const [name, t, par] of rows.filter((r) => r[0] !== "runc")) {
      console.log(
        `| ${name} / runc | ${keys.map((k) => ratio(t[k], runcRow[1][k])).join(" | ")} | ${
          ratio(par, runcRow[2])
        } |`,
      );
    }
  }
  const moatRow = rows.find((r) => r[0] === "moat");
  if (moatRow) {
    console.log(
      `| moat − hello-world | ${keys.map((k) => fmt(moatRow[1][k] - hello)).join(" | ")} | |`,
    );
  }
  const emb = await calls.embeddedLoop(work, bundle, `${bundle}/rootfs`, n);
  const cli = results.get("moat")?.lifecycle;
  console.log(
    `\nembedded (mod.ts) create+start+wait+delete: ${
      fmt(emb.embedded)
    } ms; CLI create+start+delete ${
      cli ? fmt(cli) : "-"
    } ms; kernel floor (clone into the namespaces, chroot, exec true, wait) ${
      emb.floor.toFixed(2)
    } ms; embedded / floor ${ratio(emb.embedded, emb.floor)}`,
  );
}

const mem = await sentryMemory(bundle);
console.log(
  `\nsentry per sandbox (median of ${mem.n} running containers): RSS ${mem.rss} KiB, PSS ${mem.pss} KiB`,
);

// Cgroups: `create` without and with linux.resources (tools/bench_cgroup.ts), moat beside runc.
{
  const { benchCgroupCreate } = await import("./bench_cgroup.ts");
  const cg = await benchCgroupCreate(
    Math.min(runs, 20),
    work,
    runtimes.filter((r) => r.name === "moat" || r.name === "runc"),
    bundle,
  );
  const runcRow = cg.rows.find((r) => r.name === "runc");
  console.log(
    "\n| cgroups: create (ms) | no resources | ratio | memory+cpu+pids+devices | ratio | cost of resources |",
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const r of cg.rows) {
    console.log(
      `| ${r.name} | ${fmt(r.plain)} | ${ratio(r.plain, runcRow?.plain)} | ${fmt(r.resources)} | ${
        ratio(r.resources, runcRow?.resources)
      } | ${fmt(r.resources - r.plain)} |`,
    );
  }
}

// The rootfs overlay: a small-file workload on the rootfs per --overlay2 medium (bench_overlay.ts).
{
  const { benchOverlay } = await import("./bench_overlay.ts");
  const moatRt = runtimes.find((r) => r.name === "moat")!;
  const runcRt = runtimes.find((r) => r.name === "runc");
  const ov = await benchOverlay(Math.min(runs, 7), work, bundle, moatRt.argv, runcRt?.argv);
  const base = ov.rows.find((r) => r.label === "runc")?.phases;
  console.log(
    `\n| overlay: ${ov.files} small files on the rootfs (ms) | create+write | stat | unlink | total | ratio to runc |`,
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const r of ov.rows) {
    const p = r.phases;
    const ms = (us: number) => (us / 1000).toFixed(1);
    console.log(
      `| ${r.label} | ${ms(p.create)} | ${ms(p.stat)} | ${ms(p.unlink)} | ${ms(p.total)} | ${
        ratio(p.total, base?.total)
      } |`,
    );
  }
}

// Seccomp: a Docker-like allowlist compiled cold and from the cache (tools/bench_seccomp.ts).
{
  const { benchSeccompCompile, benchSeccompRun } = await import("./bench_seccomp.ts");
  const c = await benchSeccompCompile(runs, work);
  const moatRt = runtimes.find((r) => r.name === "moat")!;
  const runcRt = runtimes.find((r) => r.name === "runc");
  const e = await benchSeccompRun(Math.min(runs, 20), work, moatRt.argv, runcRt?.argv, bundle)
    .catch((err) => (console.log(`seccomp run: skipped (${(err as Error).message})`), {}));
  console.log(
    `\nseccomp (Docker-like profile: ${c.rules} rules, ${c.insns} BPF instructions): ` +
      `compile cold ${fmt(c.compileCold)} ms, cached ${fmt(c.compileCached)} ms (in process)`,
  );
  if ("runCold" in e && e.runCold !== undefined) {
    console.log(
      `| seccomp profile | moat run, cold cache (ms) | moat run, cached (ms) | runc run (ms) |\n` +
        `|---|---:|---:|---:|\n| docker-like | ${fmt(e.runCold)} | ${fmt(e.runCached!)} | ${
          e.runcRun !== undefined ? fmt(e.runcRun) : "-"
        } |`,
    );
  }
}

// The sandbox: syscall costs inside a container beside runc (tools/bench_sandbox.ts).
{
  const { benchSandbox } = await import("./bench_sandbox.ts");
  const moatRt = runtimes.find((r) => r.name === "moat")!;
  const runcRt = runtimes.find((r) => r.name === "runc");
  const sb = await benchSandbox(work, bundle, moatRt.argv, runcRt?.argv);
  const labels = ["runc", "moat, nothing mediated", "moat, defaults"];
  const what: Record<string, string> = {
    getppid: "getppid (never mediated)",
    uname: "uname (mediated with the defaults)",
    open: "open+close of a file (never mediated)",
    sysinfo: "sysinfo (mediated with the defaults)",
    connect: "loopback connect (mediated with the defaults: egress)",
  };
  console.log(`\n| sandbox: ns per call | ${labels.join(" | ")} | ratios to runc |`);
  console.log(`|---|${labels.map(() => "---:").join("|")}|---|`);
  for (const [mode, row] of Object.entries(sb.calls)) {
    const r = row.runc;
    console.log(
      `| ${what[mode] ?? mode} | ${labels.map((l) => row[l]?.toFixed(1) ?? "-").join(" | ")} | ${
        labels.slice(1).map((l) => ratio(row[l], r)).join(", ")
      } |`,
    );
  }
  if (sb.pss !== undefined) {
    console.log(`sentry PSS with 100 mediated calls per second under way: ${sb.pss} KiB`);
  }
}
