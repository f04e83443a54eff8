import { start } from "../../core/container/start.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";

const command: Command = {
  flags: {},
  async run(ctx, args) {
    // the CLI exits right after: the init may exec then (core/container/start.ts)
    await start(ctx, requireId(args, "start"), true);
    return 0;
  },
};
export default command;
