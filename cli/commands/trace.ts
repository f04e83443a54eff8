// `trace ID`: follow a container's mediation events (dev.moat.trace) as JSON lines on stdout
// until it ends.
import { trace } from "../../core/container/trace.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";

const command: Command = {
  flags: {},
  async run(ctx, args) {
    await trace(ctx, requireId(args, "trace"), Deno.stdout.writable);
    return 0;
  },
};
export default command;
