import { state } from "../../core/container/query.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";

const command: Command = {
  flags: {},
  run(ctx, args) {
    // runc prints the state indented and without a trailing newline.
    const text = JSON.stringify(state(ctx, requireId(args, "state")), null, "  ");
    Deno.stdout.writeSync(new TextEncoder().encode(text));
    return Promise.resolve(0);
  },
};
export default command;
