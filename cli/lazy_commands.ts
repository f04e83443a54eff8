// The command modules (and the CLI context) behind cli/main.ts's lazyImport keys, as literal
// imports for the prebuilt command line (cli/bundle.ts); core/lazy_modules.ts has the rest.
import { registerModules } from "../core/lazy.ts";

export const LAZY_COMMANDS: Record<string, () => Promise<unknown>> = {
  "cli/commands/checkpoint.ts": () => import("./commands/checkpoint.ts"),
  "cli/commands/create.ts": () => import("./commands/create.ts"),
  "cli/commands/delete.ts": () => import("./commands/delete.ts"),
  "cli/commands/events.ts": () => import("./commands/events.ts"),
  "cli/commands/exec.ts": () => import("./commands/exec.ts"),
  "cli/commands/features.ts": () => import("./commands/features.ts"),
  "cli/commands/kill.ts": () => import("./commands/kill.ts"),
  "cli/commands/list.ts": () => import("./commands/list.ts"),
  "cli/commands/pause.ts": () => import("./commands/pause.ts"),
  "cli/commands/ps.ts": () => import("./commands/ps.ts"),
  "cli/commands/restore.ts": () => import("./commands/restore.ts"),
  "cli/commands/resume.ts": () => import("./commands/resume.ts"),
  "cli/commands/run.ts": () => import("./commands/run.ts"),
  "cli/commands/spec.ts": () => import("./commands/spec.ts"),
  "cli/commands/start.ts": () => import("./commands/start.ts"),
  "cli/commands/state.ts": () => import("./commands/state.ts"),
  "cli/commands/trace.ts": () => import("./commands/trace.ts"),
  "cli/commands/tar.ts": () => import("./commands/tar.ts"),
  "cli/commands/update.ts": () => import("./commands/update.ts"),
  "cli/context.ts": () => import("./context.ts"),
  "cli/usage.ts": () => import("./usage.ts"),
};

export function registerLazyCommands(): void {
  registerModules(LAZY_COMMANDS);
}
