// moat's command line: runc-compatible global flags, one module per command, loaded lazily so
// that cheap calls (`state`, `kill`) do not pay for what `create` needs.
import { mark, report } from "../core/timing.ts";
mark("modules of main loaded (Deno start before)");
import { flagBool, flagString, type FlagTable, parseArgs, UsageError } from "./args.ts";
import { CliLogger, type LogFormat } from "./log.ts";
import type { Command } from "./commands/command.ts";

export const VERSION = "0.1.0";
export const SPEC_VERSION = "1.3.0";

const GLOBAL_FLAGS: FlagTable = {
  root: { value: true },
  log: { value: true },
  "log-format": { value: true },
  debug: { value: false },
  "systemd-cgroup": { value: false },
  rootless: { value: true },
  criu: { value: true },
  policy: { value: true },
  help: { alias: "h" },
  version: { alias: "v" },
};

const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  create: () => import("./commands/create.ts"),
  start: () => import("./commands/start.ts"),
  state: () => import("./commands/state.ts"),
  kill: () => import("./commands/kill.ts"),
  delete: () => import("./commands/delete.ts"),
  run: () => import("./commands/run.ts"),
  list: () => import("./commands/list.ts"),
  spec: () => import("./commands/spec.ts"),
  exec: () => import("./commands/exec.ts"),
  update: () => import("./commands/update.ts"),
  pause: () => import("./commands/pause.ts"),
  resume: () => import("./commands/resume.ts"),
  ps: () => import("./commands/ps.ts"),
  events: () => import("./commands/events.ts"),
  features: () => import("./commands/features.ts"),
  trace: () => import("./commands/trace.ts"),
  checkpoint: () => import("./commands/checkpoint.ts"),
  restore: () => import("./commands/restore.ts"),
};

const USAGE = `moat: a sandboxing OCI container runtime (runc-compatible command line)

usage: moat [global options] command [command options] <container-id> [arguments...]

commands: ${Object.keys(COMMANDS).join(", ")}

global options:
   --root value        root directory for container state (default: "/run/moat")
   --log value         log file (default: stderr)
   --log-format value  text or json (default: "text")
   --debug             debug logging
   --systemd-cgroup    accepted for engine compatibility
   --rootless value    accepted for engine compatibility (true|false|auto)
   --criu value        the CRIU binary of checkpoint and restore (default: "criu")
   --version, -v       print the version
`;

export async function main(argv: string[]): Promise<number> {
  // Global flags come before the command name (every engine sends them so).
  const cmdAt = argv.findIndex((a, i) => !a.startsWith("-") && !takesValue(argv[i - 1]));
  const globalArgv = cmdAt < 0 ? argv : argv.slice(0, cmdAt);
  let logger = new CliLogger(undefined, "text", false);
  try {
    const g = parseArgs(globalArgv, GLOBAL_FLAGS, false);
    const format = flagString(g, "log-format") ?? "text";
    if (format !== "text" && format !== "json") {
      throw new UsageError(`invalid log format "${format}": must be text or json`);
    }
    logger = new CliLogger(flagString(g, "log"), format as LogFormat, flagBool(g, "debug"));
    if (flagBool(g, "version")) {
      await printVersion();
      return 0;
    }
    if (cmdAt < 0 || flagBool(g, "help")) {
      console.log(USAGE);
      return cmdAt < 0 && !flagBool(g, "help") ? 1 : 0;
    }
    const name = argv[cmdAt];
    const loader = COMMANDS[name];
    if (!loader) throw new UsageError(`No help topic for '${name}'`);
    const cmd = (await loader()).default;
    mark(`command module ${name} loaded`);
    const parsed = parseArgs(argv.slice(cmdAt + 1), cmd.flags, cmd.stopAtPositional ?? false);
    // absolute: the sentry and hooks run from "/", and every path in a plan is absolute
    const given = flagString(g, "root") ?? defaultRoot();
    const root = given.startsWith("/") ? given : `${Deno.cwd()}/${given}`;
    const { makeContext } = await import("./context.ts");
    const ctx = makeContext(root, logger);
    ctx.systemdCgroup = flagBool(g, "systemd-cgroup");
    ctx.policyFile = flagString(g, "policy");
    ctx.criu = flagString(g, "criu");
    // runc: --rootless auto (the default) means rootless when not running as root.
    const rootless = flagString(g, "rootless") ?? "auto";
    if (!["true", "false", "auto"].includes(rootless)) {
      throw new UsageError(`invalid --rootless value "${rootless}": must be true, false or auto`);
    }
    ctx.rootless = rootless === "auto" ? Deno.uid() !== 0 : rootless === "true";
    mark("context made");
    const code = await cmd.run(ctx, parsed);
    mark(`${name} done`);
    return code;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    logger.error(msg);
    const code = (e as { exitCode?: number }).exitCode;
    return typeof code === "number" ? code : 1;
  } finally {
    logger.close();
    report();
  }
}

function takesValue(prev: string | undefined): boolean {
  if (!prev || !prev.startsWith("-") || prev.includes("=")) return false;
  const name = prev.replace(/^--?/, "");
  return GLOBAL_FLAGS[name]?.value === true;
}

function defaultRoot(): string {
  const xdg = Deno.env.get("XDG_RUNTIME_DIR");
  if (Deno.uid() !== 0 && xdg) return `${xdg}/moat`;
  return "/run/moat";
}

async function printVersion(): Promise<void> {
  const { loadLibmoat } = await import("../ffi/libmoat.ts");
  console.log(`moat version ${VERSION}`);
  console.log(`commit: ${Deno.env.get("MOAT_COMMIT") ?? "source"}`);
  console.log(`spec: ${SPEC_VERSION}`);
  console.log(`sentry: ${loadLibmoat().version()}`);
  console.log(`deno: ${Deno.version.deno}`);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
