// `tar rootfs-upper --file F ID`: the container's rootfs overlay upper layer as an OCI layer tar
// (runsc's `tar rootfs-upper`).
import { tarRootfsUpper } from "../../core/overlay/tar_upper.ts";
import { flagString, UsageError } from "../args.ts";
import type { Command } from "./command.ts";

const command: Command = {
  flags: { file: { value: true } },
  run(ctx, args) {
    const [what, id] = args.positionals;
    if (what !== "rootfs-upper") {
      throw new UsageError(
        `tar: unknown subcommand ${JSON.stringify(what ?? "")}: want rootfs-upper`,
      );
    }
    if (!id) throw new UsageError("tar rootfs-upper: requires exactly 1 argument(s): container id");
    const file = flagString(args, "file");
    if (!file) throw new UsageError("tar rootfs-upper: --file is required");
    tarRootfsUpper(ctx, id, file);
    return Promise.resolve(0);
  },
};
export default command;
