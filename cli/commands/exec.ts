// `exec`: --process FILE (a full OCI Process, as containerd and conmon send) or the command after
// the id with runc's per-field flags (defaults from the container's own process).
import { exec, recordedSpec } from "../../core/container/exec.ts";
import { checkProcess } from "../../core/spec/validate_process.ts";
import type { Process } from "../../core/spec/types.ts";
import { RuntimeError } from "../../core/state/errors.ts";
import { flagBool, flagInt, flagString, type Parsed } from "../args.ts";
import type { RuntimeContext } from "../../core/container/context.ts";
import type { Command } from "./command.ts";

/** runc's per-field flags: with --process the file gives the whole process (runc ignores them). */
const PROCESS_FIELD_FLAGS = [
  "cwd",
  "env",
  "user",
  "additional-gids",
  "cap",
  "no-new-privs",
  "apparmor",
  "process-label",
];

/** Flags moat cannot honour: refused, naming the flag, rather than silently ignored. */
function refuseUnsupported(args: Parsed): void {
  if (flagString(args, "process")) {
    for (const f of PROCESS_FIELD_FLAGS) {
      if (args.flags.has(f)) {
        throw new Error(
          `exec: --${f} cannot be combined with --process (the process file gives the whole process)`,
        );
      }
    }
  }
  // no LSM is applied by moat (features: apparmor and selinux disabled); "" means none
  if (flagString(args, "apparmor")) {
    throw new Error("exec: --apparmor is not supported: moat applies no AppArmor profile");
  }
  if (flagString(args, "process-label")) {
    throw new Error("exec: --process-label is not supported: moat applies no SELinux label");
  }
}

function processFromFile(path: string): Process {
  const text = path === "-"
    ? new TextDecoder().decode(Deno.readFileSync("/dev/stdin"))
    : Deno.readTextFileSync(path);
  const raw = JSON.parse(text);
  checkProcess(raw, "process");
  return raw as Process;
}

function processFromArgs(ctx: RuntimeContext, id: string, args: Parsed): Process {
  const base = recordedSpec(ctx, ctx.store.lookup(id)).process!;
  const p: Process = structuredClone(base);
  p.args = args.positionals.slice(1);
  if (p.args.length === 0) {
    throw new Error("exec: requires at least 2 argument(s): container id and command");
  }
  p.terminal = flagBool(args, "tty");
  const cwd = flagString(args, "cwd");
  if (cwd) p.cwd = cwd;
  // runc adds --env entries to the container's environment (crun replaces it).
  for (const e of args.flags.get("env") ?? []) {
    const key = e.split("=")[0];
    p.env = [...(p.env ?? []).filter((x) => x.split("=")[0] !== key), e];
  }
  const user = flagString(args, "user");
  if (user) {
    const [uid, gid] = user.split(":");
    if (!/^\d+$/.test(uid) || (gid !== undefined && !/^\d+$/.test(gid))) {
      throw new Error(`invalid --user "${user}": must be uid[:gid] (numeric)`);
    }
    p.user = { ...p.user, uid: Number(uid), gid: gid === undefined ? 0 : Number(gid) };
  }
  const gids = args.flags.get("additional-gids") ?? [];
  if (gids.length) {
    p.user = {
      ...p.user!,
      additionalGids: gids.flatMap((g) => g.split(",")).map(Number),
    };
  }
  const caps = args.flags.get("cap") ?? [];
  if (caps.length) {
    const add = (set: string[] | undefined) => [...new Set([...(set ?? []), ...caps])];
    const c = p.capabilities ?? {};
    p.capabilities = {
      bounding: add(c.bounding),
      effective: add(c.effective),
      permitted: add(c.permitted),
      inheritable: add(c.inheritable),
      ambient: add(c.ambient),
    };
  }
  if (flagBool(args, "no-new-privs")) p.noNewPrivileges = true;
  checkProcess(p, "process");
  return p;
}

const command: Command = {
  stopAtPositional: true,
  flags: {
    process: { value: true, alias: "p" },
    tty: { alias: "t" },
    "console-socket": { value: true },
    "pidfd-socket": { value: true },
    detach: { alias: "d" },
    "pid-file": { value: true },
    cwd: { value: true },
    env: { value: true, alias: "e", multi: true },
    user: { value: true, alias: "u" },
    "additional-gids": { value: true, alias: "g", multi: true },
    cap: { value: true, alias: "c", multi: true },
    "no-new-privs": {},
    "preserve-fds": { value: true },
    "ignore-paused": {},
    "process-label": { value: true },
    apparmor: { value: true },
    cgroup: { value: true, multi: true },
  },
  async run(ctx, args) {
    try {
      const id = args.positionals[0];
      if (!id) throw new Error("exec: requires at least 1 argument(s): container id");
      refuseUnsupported(args);
      const file = flagString(args, "process");
      const process = file ? processFromFile(file) : processFromArgs(ctx, id, args);
      if (file && flagBool(args, "tty") && process.terminal !== true) {
        throw new Error("exec: --tty conflicts with the process file's terminal (not true)");
      }
      const pidFile = flagString(args, "pid-file");
      return await exec(ctx, id, {
        process,
        detach: flagBool(args, "detach"),
        pidFile: pidFile && !pidFile.startsWith("/") ? `${Deno.cwd()}/${pidFile}` : pidFile,
        consoleSocket: flagString(args, "console-socket"),
        pidfdSocket: absolute(flagString(args, "pidfd-socket")),
        preserveFds: flagInt(args, "preserve-fds", 0),
        ignorePaused: flagBool(args, "ignore-paused"),
        subCgroups: args.flags.get("cgroup") ?? [],
        // the CLI exits right after the pid file: the process may start then (ExecOptions)
        releaseOnExit: true,
      });
    } catch (e) {
      // The runtime's own failure exits 255: the process's status is never that ambiguous.
      const err = e instanceof RuntimeError ? e : new RuntimeError((e as Error).message, 255);
      throw new RuntimeError(err.message, 255);
    }
  },
};
export default command;

function absolute(p: string | undefined): string | undefined {
  return p && !p.startsWith("/") ? `${Deno.cwd()}/${p}` : p;
}
