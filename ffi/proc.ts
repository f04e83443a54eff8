// core/container's ProcessPort on top of libc: pidfds (a signal never reaches a recycled pid),
// waiting for the container processes this process is the parent of (CLONE_PARENT, DESIGN §3),
// unix socket paths of any length, the child-subreaper flag.
import type { ExitStatus, ProcessPort } from "../core/container/context.ts";
import { readProcStat } from "../core/state/liveness.ts";
import { openLibc } from "./libc.ts";

const SYS_PIDFD_SEND_SIGNAL = 424n;
const SYS_PIDFD_OPEN = 434n;
const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;
const O_PATH = 0o10000000;
const P_PID = 1;
const WEXITED = 4;
const PR_SET_CHILD_SUBREAPER = 36;
const CLD_EXITED = 1;
const ESRCH = 3;
const SUN_PATH_MAX = 108;

function errno(): number {
  const p = openLibc().__errno_location();
  return p ? new Deno.UnsafePointerView(p).getInt32() : 0;
}

function cstr(s: string): Uint8Array {
  return new TextEncoder().encode(s + "\0");
}

export function processPort(): ProcessPort {
  // libc is bound on first use: a short socket path (most calls) needs none of it
  let lib: ReturnType<typeof openLibc> | undefined;
  const libc = () => (lib ??= openLibc());
  return {
    signal(pid, startTime, sig) {
      const fd = Number(libc().syscall(SYS_PIDFD_OPEN, BigInt(pid), 0n, 0n, 0n));
      if (fd < 0) return false;
      try {
        // the pidfd pins the process: if the start time still matches, it is the one we mean
        if (readProcStat(pid)?.startTime !== startTime) return false;
        if (libc().syscall(SYS_PIDFD_SEND_SIGNAL, BigInt(fd), BigInt(sig), 0n, 0n) === 0n) {
          return true;
        }
        const e = errno();
        if (e === ESRCH) return false;
        throw new Error(`signal ${sig} to pid ${pid}: errno ${e}`);
      } finally {
        libc().close(fd);
      }
    },
    async waitChild(pid): Promise<ExitStatus> {
      const info = new Uint8Array(128);
      // errno is per thread and the call ran on another: retry only while the process is there
      // (an EINTR); a process that is gone or not our child is an error
      for (let tries = 0; (await libc().waitid(P_PID, pid, info, WEXITED)) !== 0; tries++) {
        if (tries > 100 || readProcStat(pid) === null) {
          throw new Error(`waitid ${pid}: not a child of this process`);
        }
      }
      // siginfo_t: si_code at 8, si_status at 24 (x86_64)
      const v = new DataView(info.buffer);
      const code = v.getInt32(8, true), status = v.getInt32(24, true);
      return code === CLD_EXITED ? { code: status } : { code: 128 + status, signal: status };
    },
    socketPath(path) {
      if (new TextEncoder().encode(path).length < SUN_PATH_MAX) {
        return { path, release() {} };
      }
      // sun_path holds 108 bytes; a state directory alone can take that (Docker's)
      const slash = path.lastIndexOf("/");
      const fd = libc().open(
        cstr(path.slice(0, slash) || "/"),
        O_PATH | O_DIRECTORY | O_CLOEXEC,
        0,
      );
      if (fd < 0) throw new Error(`open ${path.slice(0, slash)}: errno ${errno()}`);
      return {
        path: `/proc/self/fd/${fd}/${path.slice(slash + 1)}`,
        release: () => libc().close(fd),
      };
    },
    setChildSubreaper() {
      libc().prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n);
    },
  };
}
