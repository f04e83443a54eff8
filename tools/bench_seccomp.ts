// Seccomp part of `deno task bench`: compiling a large allowlist (a Docker-like default profile,
// tools/seccomp_docker_like.ts) in process, cold and from the cache, and
// `moat run true` with that profile, cold cache vs cached, beside runc with the same profile.
import { compileCached } from "../core/seccomp/cache.ts";
import { encodeRules } from "../core/seccomp/encode.ts";
import { translateSeccomp } from "../core/seccomp/translate.ts";
import { seccompCompiler } from "../ffi/libmoat.ts";
import { dockerLikeSeccompProfile } from "./seccomp_docker_like.ts";
import { median } from "./bench_util.ts";

export interface SeccompBench {
  insns: number;
  rules: number;
  compileCold: number;
  compileCached: number;
  runCold?: number;
  runCached?: number;
  runcRun?: number;
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** In process: translate + encode + compile (cold) vs translate + encode + cache hit. */
export async function benchSeccompCompile(runs: number, work: string): Promise<SeccompBench> {
  const profile = dockerLikeSeccompProfile();
  const compiler = seccompCompiler();
  const dir = `${work}/seccomp-cache-bench`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const cold: number[] = [];
  const cached: number[] = [];
  let insns = 0, rules = 0;
  for (let i = 0; i < runs + 2; i++) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    const c = await timed(async () => {
      const t = translateSeccomp(profile);
      rules = t.rules.rules.length;
      insns = (await compileCached(encodeRules(t.rules), compiler, dir)).bpf.length / 8;
    });
    const h = await timed(async () => {
      const r = await compileCached(encodeRules(translateSeccomp(profile).rules), compiler, dir);
      if (!r.hit) throw new Error("seccomp cache missed");
    });
    if (i >= 2) { // the first two warm up V8 and the page cache
      cold.push(c);
      cached.push(h);
    }
  }
  return { insns, rules, compileCold: median(cold), compileCached: median(cached) };
}

/** End to end: `run true` with the profile; the cold samples remove the cache first. */
export async function benchSeccompRun(
  runs: number,
  work: string,
  moatArgv: string[],
  runcArgv: string[] | undefined,
  baseBundle: string,
): Promise<Pick<SeccompBench, "runCold" | "runCached" | "runcRun">> {
  const bundle = `${work}/bundle-seccomp`;
  Deno.mkdirSync(bundle, { recursive: true });
  const config = JSON.parse(Deno.readTextFileSync(`${baseBundle}/config.json`));
  config.root.path = config.root.path.startsWith("/")
    ? config.root.path
    : `${baseBundle}/${config.root.path}`;
  config.linux.seccomp = dockerLikeSeccompProfile();
  Deno.writeTextFileSync(`${bundle}/config.json`, JSON.stringify(config, null, 2));
  const root = `${work}/root-moat-seccomp`;
  let n = 0;
  const run = async (argv: string[], r: string) => {
    const out = await new Deno.Command(argv[0], {
      args: [...argv.slice(1), "--root", r, "run", "--bundle", bundle, `sc-${Deno.pid}-${++n}`],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr).trim());
  };
  const cold: number[] = [];
  const cached: number[] = [];
  const runc: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    await Deno.remove(`${root}/.seccomp-cache`, { recursive: true }).catch(() => {});
    const c = await timed(() => run(moatArgv, root));
    const h = await timed(() => run(moatArgv, root));
    const rc = runcArgv ? await timed(() => run(runcArgv, `${work}/root-runc-seccomp`)) : 0;
    if (i >= 2) {
      cold.push(c);
      cached.push(h);
      runc.push(rc);
    }
  }
  return {
    runCold: median(cold),
    runCached: median(cached),
    runcRun: runcArgv ? median(runc) : undefined,
  };
}
