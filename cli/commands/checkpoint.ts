// `moat checkpoint` with runc's flags (core/criu/checkpoint.ts).
import { checkpoint } from "../../core/criu/checkpoint.ts";
import {
  absolute,
  emptyNamespaces,
  manageCgroupsMode,
  pageServer,
  statusFd,
} from "../../core/criu/options.ts";
import { flagBool, flagString } from "../args.ts";
import type { Command } from "./command.ts";
import { requireId } from "./command.ts";

const command: Command = {
  flags: {
    "image-path": { value: true },
    "work-path": { value: true },
    "parent-path": { value: true },
    "leave-running": {},
    "tcp-established": {},
    "ext-unix-sk": {},
    "shell-job": {},
    "lazy-pages": {},
    "status-fd": { value: true },
    "page-server": { value: true },
    "file-locks": {},
    "pre-dump": {},
    "manage-cgroups-mode": { value: true },
    "empty-ns": { value: true, multi: true },
    "auto-dedup": {},
  },
  async run(ctx, args) {
    const id = requireId(args, "checkpoint");
    // runc: the image directory defaults to ./checkpoint, the work directory to the image's
    const imagePath = absolute(flagString(args, "image-path") || "checkpoint");
    const work = flagString(args, "work-path");
    await checkpoint(ctx, id, {
      imagePath,
      workPath: work ? absolute(work) : imagePath,
      parentPath: flagString(args, "parent-path") || undefined,
      leaveRunning: flagBool(args, "leave-running"),
      tcpEstablished: flagBool(args, "tcp-established"),
      extUnixSk: flagBool(args, "ext-unix-sk"),
      shellJob: flagBool(args, "shell-job"),
      lazyPages: flagBool(args, "lazy-pages"),
      statusFd: statusFd(flagString(args, "status-fd")),
      pageServer: pageServer(flagString(args, "page-server")),
      fileLocks: flagBool(args, "file-locks"),
      preDump: flagBool(args, "pre-dump"),
      manageCgroupsMode: manageCgroupsMode(flagString(args, "manage-cgroups-mode")),
      emptyNs: emptyNamespaces(args.flags.get("empty-ns") ?? []),
      autoDedup: flagBool(args, "auto-dedup"),
    }, ctx.criu);
    return 0;
  },
};
export default command;
