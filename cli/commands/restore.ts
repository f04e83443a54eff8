// `moat restore` with runc's flags (core/criu/restore.ts).
import { absolute, emptyNamespaces, manageCgroupsMode } from "../../core/criu/options.ts";
import { restore } from "../../core/criu/restore.ts";
import { validateId } from "../../core/state/store.ts";
import { flagBool, flagString } from "../args.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";

const command: Command = {
  flags: {
    "image-path": { value: true },
    "work-path": { value: true },
    bundle: { value: true, alias: "b" },
    detach: { alias: "d" },
    "pid-file": { value: true },
    "console-socket": { value: true },
    "no-pivot": {},
    "no-subreaper": {},
    "tcp-established": {},
    "ext-unix-sk": {},
    "shell-job": {},
    "file-locks": {},
    "manage-cgroups-mode": { value: true },
    "lsm-profile": { value: true },
    "lsm-mount-context": { value: true },
    "empty-ns": { value: true, multi: true },
    "auto-dedup": {},
    "lazy-pages": {},
  },
  run(ctx, args) {
    const id = requireId(args, "restore");
    validateId(id); // a bad id is refused before anything else
    const imagePath = absolute(flagString(args, "image-path") || "checkpoint");
    const work = flagString(args, "work-path");
    const pidFile = flagString(args, "pid-file");
    return restore(ctx, id, {
      imagePath,
      workPath: work ? absolute(work) : imagePath,
      bundle: absolute(flagString(args, "bundle") || ".").replace(/\/\.?$/, ""),
      detach: flagBool(args, "detach"),
      pidFile: pidFile ? absolute(pidFile) : undefined,
      consoleSocket: flagString(args, "console-socket") || undefined,
      noPivot: flagBool(args, "no-pivot"),
      noSubreaper: flagBool(args, "no-subreaper"),
      tcpEstablished: flagBool(args, "tcp-established"),
      extUnixSk: flagBool(args, "ext-unix-sk"),
      shellJob: flagBool(args, "shell-job"),
      fileLocks: flagBool(args, "file-locks"),
      manageCgroupsMode: manageCgroupsMode(flagString(args, "manage-cgroups-mode")),
      lsmProfile: flagString(args, "lsm-profile") || undefined,
      lsmMountContext: flagString(args, "lsm-mount-context") || undefined,
      emptyNs: emptyNamespaces(args.flags.get("empty-ns") ?? []),
      autoDedup: flagBool(args, "auto-dedup"),
      lazyPages: flagBool(args, "lazy-pages"),
    }, ctx.criu);
  },
};
export default command;
