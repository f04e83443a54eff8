import { kill } from "../../core/container/kill.ts";
import { parseSignal } from "../../core/container/signals.ts";
import { flagBool, flagString, UsageError } from "../args.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";

const command: Command = {
  flags: { all: { alias: "a" }, pid: { value: true } },
  async run(ctx, args) {
    const id = requireId(args, "kill");
    const signal = parseSignal(args.positionals[1] ?? "TERM");
    const all = flagBool(args, "all");
    const pidFlag = flagString(args, "pid");
    // runsc's --pid: one process of the container, by the host pid `ps` shows
    if (pidFlag !== undefined && !/^[1-9]\d*$/.test(pidFlag)) {
      throw new UsageError(`invalid value "${pidFlag}" for flag -pid: parse error`);
    }
    if (pidFlag !== undefined && all) {
      throw new UsageError("--all and --pid are mutually exclusive");
    }
    await kill(ctx, id, signal, { all, pid: pidFlag === undefined ? undefined : Number(pidFlag) });
    return 0;
  },
};
export default command;
