import { list } from "../../core/container/query.ts";
import { flagBool, flagString } from "../args.ts";
import type { Command } from "./command.ts";

const command: Command = {
  flags: { format: { value: true, alias: "f" }, quiet: { alias: "q" }, sandbox: {} },
  run(ctx, args) {
    // --sandbox (runsc): only the pods' sandboxes, and containers outside any pod
    const items = list(ctx).filter((s) => !flagBool(args, "sandbox") || s.sandbox === s.id);
    const format = flagString(args, "format") ?? "table";
    if (flagBool(args, "quiet")) {
      for (const s of items) console.log(s.id);
    } else if (format === "json") {
      console.log(JSON.stringify(items));
    } else if (format === "table" || format === "text") {
      const rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER", "SANDBOX"]];
      for (const s of items) {
        rows.push([s.id, s.pid, s.status, s.bundle, s.created, s.owner, s.sandbox].map(String));
      }
      const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
      for (const r of rows) {
        console.log(r.map((v, c) => v.padEnd(widths[c] + 3)).join("").trimEnd());
      }
    } else {
      throw new Error(`invalid format option "${format}"`);
    }
    return Promise.resolve(0);
  },
};
export default command;
