import { deleteContainer } from "../../core/container/delete.ts";
import { flagBool } from "../args.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";

const command: Command = {
  flags: { force: { alias: "f" } },
  async run(ctx, args) {
    await deleteContainer(ctx, requireId(args, "delete"), flagBool(args, "force"));
    return 0;
  },
};
export default command;
