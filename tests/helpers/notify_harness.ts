// The seccomp notification harness (notify_harness.c), built once per test run with
// `musl-gcc -static` together with the sentry's notify, egress and trace sources.
import { WORK } from "./bundle.ts";

const TOP = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const SOURCES = [
  "tests/helpers/notify_harness.c",
  "sentry/notify.c",
  "sentry/notify_net.c",
  "sentry/notify_observe.c",
  "sentry/notify_target.c",
  "sentry/egress.c",
  "sentry/trace.c",
  "sentry/util.c",
  "sentry/log.c",
];
let built: string | undefined;

export function harnessBinary(): string {
  if (built) return built;
  const out = `${WORK}/notify_harness`;
  Deno.mkdirSync(WORK, { recursive: true });
  const r = new Deno.Command("musl-gcc", {
    args: [
      "-static",
      "-O2",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-D_GNU_SOURCE",
      `-I${TOP}/sentry`,
      "-o",
      `${out}.tmp`,
      ...SOURCES.map((s) => `${TOP}/${s}`),
    ],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!r.success) {
    throw new Error(`building the notify harness failed: ${new TextDecoder().decode(r.stderr)}`);
  }
  Deno.renameSync(`${out}.tmp`, out);
  built = out;
  return out;
}

export interface HarnessRun {
  code: number;
  stdout: string;
  stderr: string;
  /** label → value of every "label = value" line */
  res: Record<string, string>;
}

/** Runs one mode; a run that hangs is killed after `timeoutMs`. */
export async function runHarness(args: string[], timeoutMs = 120_000): Promise<HarnessRun> {
  const r = await new Deno.Command(harnessBinary(), {
    args,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const stdout = new TextDecoder().decode(r.stdout);
  const res: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^(.*?) = (.*)$/.exec(line);
    if (m) res[m[1]] = m[2];
  }
  return { code: r.code, stdout, stderr: new TextDecoder().decode(r.stderr), res };
}

/** The values of `keys` in a run, for one assertEquals against the expected object. */
export function pick(res: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, res[k]]));
}
