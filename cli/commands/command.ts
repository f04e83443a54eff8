import type { FlagTable, Parsed } from "../args.ts";
import type { RuntimeContext } from "../../core/container/context.ts";

export interface Command {
  flags: FlagTable;
  /** Everything after the first positional is an argument (exec, ps). */
  stopAtPositional?: boolean;
  run(ctx: RuntimeContext, args: Parsed): Promise<number>;
}

export function requireId(args: Parsed, usage: string): string {
  const id = args.positionals[0];
  if (!id) {
    const e = new Error(`${usage}: requires exactly 1 argument(s): container id`);
    throw e;
  }
  return id;
}
