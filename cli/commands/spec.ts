import { defaultSpec, rootlessSpec } from "../../core/bundle/default_spec.ts";
import { flagBool, flagString } from "../args.ts";
import { defaultSeccompProfile } from "../../core/seccomp/default_profile.ts";
import type { Command } from "./command.ts";

const command: Command = {
  // --seccomp=false: no linux.seccomp (runc's spec has none; moat writes its default profile)
  flags: { bundle: { value: true, alias: "b" }, rootless: {}, seccomp: {} },
  run(_ctx, args) {
    const bundle = flagString(args, "bundle") ?? ".";
    const path = `${bundle}/config.json`;
    try {
      Deno.statSync(path);
      throw new Error(`File ${path} exists. Remove it first`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const spec = flagBool(args, "rootless")
      ? rootlessSpec(Deno.uid() ?? 0, Deno.gid() ?? 0)
      : defaultSpec();
    if (!args.flags.has("seccomp") || flagBool(args, "seccomp")) {
      (spec.linux as Record<string, unknown>).seccomp = defaultSeccompProfile();
    }
    Deno.writeTextFileSync(path, JSON.stringify(spec, null, "\t") + "\n", { mode: 0o666 });
    return Promise.resolve(0);
  },
};
export default command;
