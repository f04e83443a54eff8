import { pause } from "../../core/container/cgroup_ops.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";

const command: Command = {
  flags: {},
  run(ctx, args) {
    pause(ctx, requireId(args, "pause"));
    return Promise.resolve(0);
  },
};
export default command;
