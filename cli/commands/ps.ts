// `ps [--format table|json] ID [ps-args…]`: json = the host pids of the container's cgroup;
// table = the host's `ps` (default -ef) filtered to those pids (runc ps).
import { filterPsTable, processes } from "../../core/container/cgroup_ops.ts";
import { flagString } from "../args.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";

const command: Command = {
  flags: { format: { value: true, alias: "f" } },
  stopAtPositional: true,
  async run(ctx, args) {
    const id = requireId(args, "ps");
    const format = flagString(args, "format") ?? "table";
    if (format !== "table" && format !== "json") {
      throw new Error(`invalid format option "${format}"`);
    }
    const pids = processes(ctx, id);
    if (format === "json") {
      console.log(JSON.stringify(pids));
      return 0;
    }
    const psArgs = args.positionals.length > 1 ? args.positionals.slice(1) : ["-ef"];
    const out = await new Deno.Command("ps", { args: psArgs, stdout: "piped", stderr: "piped" })
      .output();
    if (!out.success) {
      throw new Error(
        `ps: ${new TextDecoder().decode(out.stderr).trim() || `exit status ${out.code}`}`,
      );
    }
    Deno.stdout.writeSync(
      new TextEncoder().encode(filterPsTable(new TextDecoder().decode(out.stdout), pids)),
    );
    return 0;
  },
};
export default command;
