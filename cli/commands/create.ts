import { create } from "../../core/container/create.ts";
import { flagBool, flagInt, flagString, type Parsed } from "../args.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";
import type { RuntimeContext } from "../../core/container/context.ts";

export const createFlags = {
  bundle: { value: true, alias: "b" },
  "pid-file": { value: true },
  "console-socket": { value: true },
  "pidfd-socket": { value: true },
  "no-pivot": {},
  "no-new-keyring": {},
  "preserve-fds": { value: true },
};

export function createOptions(args: Parsed, id: string) {
  return {
    id,
    bundle: flagString(args, "bundle") ?? ".",
    pidFile: flagString(args, "pid-file"),
    noPivot: flagBool(args, "no-pivot"),
    noNewKeyring: flagBool(args, "no-new-keyring"),
    preserveFds: flagInt(args, "preserve-fds", 0),
    consoleSocket: flagString(args, "console-socket"),
    pidfdSocket: flagString(args, "pidfd-socket"),
  };
}

const command: Command = {
  flags: createFlags,
  async run(ctx: RuntimeContext, args: Parsed) {
    const id = requireId(args, "create");
    const { sentry } = await create(ctx, createOptions(args, id));
    // The sentry outlives us: it is re-parented to the caller's subreaper (shim, conmon).
    sentry.unref();
    return 0;
  },
};
export default command;
