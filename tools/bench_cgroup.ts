// Cost of cgroup setup: `create` of the bench bundle without linux.resources and with a typical
// set (memory, cpu, pids, devices), moat beside runc. Each sample times `create` only; the
// container is deleted (untimed) before the next one.
import { median, runQuiet as run } from "./bench_util.ts";

export interface CgroupBench {
  rows: Array<{ name: string; plain: number; resources: number }>;
}

const RESOURCES = {
  devices: [{ allow: false, access: "rwm" }],
  memory: { limit: 256 * 1024 * 1024, reservation: 128 * 1024 * 1024 },
  cpu: { shares: 512, quota: 50000, period: 100000, cpus: "0" },
  pids: { limit: 256 },
};

export async function benchCgroupCreate(
  runs: number,
  work: string,
  runtimes: Array<{ name: string; argv: string[] }>,
  bundle: string,
): Promise<CgroupBench> {
  const config = JSON.parse(Deno.readTextFileSync(`${bundle}/config.json`));
  config.root.path = `${bundle}/rootfs`;
  const withRes = `${work}/bundle-cgroup`;
  Deno.mkdirSync(withRes, { recursive: true });
  config.linux.resources = RESOURCES;
  Deno.writeTextFileSync(`${withRes}/config.json`, JSON.stringify(config));
  const rows: CgroupBench["rows"] = [];
  for (const rt of runtimes) {
    const base = [...rt.argv, "--root", `${work}/root-cg-${rt.name}`];
    let n = 0;
    const sample = async (b: string) => {
      const id = `bench-cg-${rt.name}-${Deno.pid}-${++n}`;
      const t0 = performance.now();
      await run([...base, "create", "--bundle", b, id], true);
      const t = performance.now() - t0;
      await run([...base, "delete", "--force", id]);
      return t;
    };
    try {
      for (let i = 0; i < 3; i++) await sample(bundle);
      const plain: number[] = [];
      const res: number[] = [];
      for (let i = 0; i < runs; i++) {
        plain.push(await sample(bundle));
        res.push(await sample(withRes));
      }
      rows.push({ name: rt.name, plain: median(plain), resources: median(res) });
    } catch (e) {
      console.log(`cgroup bench ${rt.name}: skipped (${(e as Error).message.split("\n")[0]})`);
    }
  }
  return { rows };
}
