// `events [--interval 5s] [--stats] ID`: runc's event stream (one JSON object per line): stats
// every interval and `oom` when the container's memory cgroup OOM-kills, until it stops.
import { eventsTarget, statsEvent, streamEvents } from "../../core/container/cgroup_ops.ts";
import { parseInterval } from "../../core/cgroup/convert.ts";
import { toJson } from "../../core/cgroup/stats.ts";
import { flagBool, flagString } from "../args.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";

const enc = new TextEncoder();

const command: Command = {
  flags: { interval: { value: true }, stats: {} },
  async run(ctx, args) {
    const id = requireId(args, "events");
    const interval = parseInterval(flagString(args, "interval") ?? "5s");
    const r = eventsTarget(ctx, id);
    const emit = (e: unknown) => Deno.stdout.writeSync(enc.encode(toJson(e) + "\n"));
    if (flagBool(args, "stats")) {
      emit(statsEvent(ctx, r));
      return 0;
    }
    await streamEvents(ctx, r, interval, emit);
    return 0;
  },
};
export default command;
