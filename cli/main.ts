// moat's command line: runc-compatible global flags, one module per command, loaded lazily so
// that cheap calls (`state`, `kill`) do not pay for what `create` needs.
import { mark, report } from "../core/timing.ts";
mark("modules of main loaded (Deno start before)");
import { flagBool, flagString, type FlagTable, parseArgs, UsageError } from "./args.ts";
import { CliLogger, type LogFormat } from "./log.ts";
import type { Command } from "./commands/command.ts";
import { lazyImport } from "../core/lazy.ts";

export const VERSION = "0.1.0";
export const SPEC_VERSION = "1.3.0";

export const GLOBAL_FLAGS: FlagTable = {
  root: { value: true },
  log: { value: true },
  "log-format": { value: true },
  debug: { value: false },
  "systemd-cgroup": { value: false },
  rootless: { value: true },
  criu: { value: true },
  policy: { value: true },
  overlay2: { value: true },
  help: { alias: "h" },
  version: { alias: "v" },
};

export const COMMAND_NAMES = [
  "create",
  "start",
  "state",
  "kill",
  "delete",
  "run",
  "list",
  "spec",
  "exec",
  "update",
  "pause",
  "resume",
  "ps",
  "events",
  "features",
  "trace",
  "tar",
  "checkpoint",
  "restore",
];
// a computed specifier each (core/lazy.ts): `state` does not load `create`'s module graph
const COMMANDS: Record<string, () => Promise<{ default: Command }>> = Object.fromEntries(
  COMMAND_NAMES.map((n) => [n, () => lazyImport<{ default: Command }>(`cli/commands/${n}.ts`)]),
);

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
    const name = argv[cmdAt];
    if (cmdAt < 0 || flagBool(g, "help")) return await help(undefined);
    if (name === "help" || name === "h") return await help(argv[cmdAt + 1]);
    const loader = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!loader) return await help(name); // throws runc's "No help topic for 'X'", exit 3
    const cmd = (await loader()).default;
    mark(`command module ${name} loaded`);
    const flags = { ...cmd.flags, help: { alias: "h" } };
    const parsed = parseArgs(argv.slice(cmdAt + 1), flags, cmd.stopAtPositional ?? false);
    if (flagBool(parsed, "help")) return await help(name);
    // absolute: the sentry and hooks run from "/", and every path in a plan is absolute
    const given = flagString(g, "root") ?? defaultRoot();
    const root = given.startsWith("/") ? given : `${Deno.cwd()}/${given}`;
    const { makeContext } = await lazyImport<typeof import("./context.ts")>("cli/context.ts");
    const ctx = makeContext(root, logger);
    ctx.systemdCgroup = flagBool(g, "systemd-cgroup");
    ctx.policyFile = flagString(g, "policy");
    ctx.overlay2 = flagString(g, "overlay2");
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

/** Help texts (cli/usage.ts) are loaded only when asked for. */
async function help(topic: string | undefined): Promise<number> {
  return (await lazyImport<typeof import("./usage.ts")>("cli/usage.ts")).printHelp(
    topic,
    VERSION,
    SPEC_VERSION,
  );
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
  // the built sentry's own answer (sentry/Makefile): loading libmoat would cost ~5 ms
  const { default: sentry } = await import("../sentry/build/sentry-version.txt", {
    with: { type: "text" },
  });
  console.log(`moat version ${VERSION}`);
  console.log(`commit: ${Deno.env.get("MOAT_COMMIT") ?? "source"}`);
  console.log(`spec: ${SPEC_VERSION}`);
  console.log(`sentry: ${sentry.trim()}`);
  console.log(`deno: ${Deno.version.deno}`);
}

/**
 * Runs the process's command line and exits: here when this file is the main module, else from
 * cli/bundle.ts (in a one-file bundle both are the main module: this one, reached first, exits).
 */
export async function runEntry(): Promise<never> {
  Deno.exit(await main(Deno.args));
}

if (import.meta.main) await runEntry();
