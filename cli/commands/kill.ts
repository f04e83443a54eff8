import { kill } from "../../core/container/kill.ts";
import { parseSignal } from "../../core/container/signals.ts";
import { flagBool } from "../args.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";

const command: Command = {
  flags: { all: { alias: "a" }, pid: { value: true } },
  async run(ctx, args) {
    const id = requireId(args, "kill");
    const signal = parseSignal(args.positionals[1] ?? "TERM");
    await kill(ctx, id, signal, flagBool(args, "all"));
    return 0;
  },
};
export default command;
