import { start } from "../../core/container/start.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";

const command: Command = {
  flags: {},
  async run(ctx, args) {
    await start(ctx, requireId(args, "start"));
    return 0;
  },
};
export default command;
