// `update [--resources FILE|-] [per-resource flags] ID`: change the live limits and record them.
// With --resources no other flag may be given (runc ignores them; moat refuses).
import { parseBytes, update } from "../../core/container/cgroup_ops.ts";
import type { Resources } from "../../core/spec/types.ts";
import { flagString, type Parsed } from "../args.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";

const FLAGS = [
  "memory",
  "memory-swap",
  "memory-reservation",
  "kernel-memory",
  "kernel-memory-tcp",
  "cpu-quota",
  "cpu-period",
  "cpu-share",
  "cpu-burst",
  "cpu-idle",
  "cpuset-cpus",
  "cpuset-mems",
  "cpu-rt-runtime",
  "cpu-rt-period",
  "pids-limit",
  "blkio-weight",
  "l3-cache-schema",
  "mem-bw-schema",
];

async function readResources(src: string): Promise<Resources> {
  let text: string;
  if (src === "-") {
    const chunks: Uint8Array[] = [];
    for await (const c of Deno.stdin.readable) chunks.push(c);
    text = new TextDecoder().decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
  } else {
    try {
      text = Deno.readTextFileSync(src);
    } catch (e) {
      throw new Error(`open ${src}: ${(e as Error).message}`);
    }
  }
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
    return v as Resources;
  } catch (e) {
    throw new Error(`decode resources: ${(e as Error).message}`);
  }
}

function int(args: Parsed, name: string): number | undefined {
  const v = flagString(args, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new Error(`invalid value "${v}" for flag -${name}: parse error`);
  return Number(v);
}

export function resourcesFromFlags(args: Parsed): Resources {
  const res: Resources = {};
  const bytes = (name: string) => {
    const v = flagString(args, name);
    return v === undefined ? undefined : parseBytes(v, name);
  };
  const memory = {
    limit: bytes("memory"),
    swap: bytes("memory-swap"),
    reservation: bytes("memory-reservation"),
    kernel: bytes("kernel-memory"),
    kernelTCP: bytes("kernel-memory-tcp"),
  };
  const cpu = {
    quota: int(args, "cpu-quota"),
    period: int(args, "cpu-period"),
    shares: int(args, "cpu-share"),
    burst: int(args, "cpu-burst"),
    idle: int(args, "cpu-idle"),
    cpus: flagString(args, "cpuset-cpus"),
    mems: flagString(args, "cpuset-mems"),
    realtimeRuntime: int(args, "cpu-rt-runtime"),
    realtimePeriod: int(args, "cpu-rt-period"),
  };
  const clean = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  if (Object.values(memory).some((v) => v !== undefined)) res.memory = clean(memory);
  if (Object.values(cpu).some((v) => v !== undefined)) res.cpu = clean(cpu);
  const pids = int(args, "pids-limit");
  if (pids !== undefined) res.pids = { limit: pids };
  const weight = int(args, "blkio-weight");
  if (weight !== undefined) res.blockIO = { weight };
  if (
    flagString(args, "l3-cache-schema") !== undefined ||
    flagString(args, "mem-bw-schema") !== undefined
  ) {
    throw new Error("Intel RDT is not supported: linux.intelRdt was not set at create");
  }
  return res;
}

const command: Command = {
  flags: {
    resources: { value: true, alias: "r" },
    ...Object.fromEntries(FLAGS.map((f) => [f, { value: true }])),
  },
  async run(ctx, args) {
    const id = requireId(args, "update");
    const src = flagString(args, "resources");
    // runc ignores the other flags beside --resources; moat refuses them, naming the first
    const extra = src === undefined ? undefined : FLAGS.find((f) => args.flags.has(f));
    if (extra) throw new Error(`update: --${extra} cannot be combined with --resources`);
    const res = src !== undefined ? await readResources(src) : resourcesFromFlags(args);
    await update(ctx, id, res);
    return 0;
  },
};
export default command;
