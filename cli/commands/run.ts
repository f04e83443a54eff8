import { run } from "../../core/container/run.ts";
import { flagBool } from "../args.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";
import { createFlags, createOptions } from "./create.ts";

const command: Command = {
  flags: { ...createFlags, detach: { alias: "d" }, keep: {}, "no-subreaper": {} },
  run(ctx, args) {
    const id = requireId(args, "run");
    return run(ctx, {
      ...createOptions(args, id),
      detach: flagBool(args, "detach"),
      keep: flagBool(args, "keep"),
      noSubreaper: flagBool(args, "no-subreaper"),
    });
  },
};
export default command;
