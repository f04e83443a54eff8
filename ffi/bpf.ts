// core/cgroup's DeviceBpfLoader on top of libmoat: load + attach, then close our program fd (the
// attachment keeps the program alive until the cgroup goes).
import type { DeviceBpfLoader } from "../core/cgroup/manager.ts";
import type { EgressGuardLoader } from "../core/container/context.ts";
import { openLibc } from "./libc.ts";
import { loadLibmoat } from "./libmoat.ts";

const ERRNO: Record<number, string> = {
  1: "operation not permitted",
  2: "no such file or directory",
  7: "argument list too long",
  13: "permission denied",
  20: "not a directory",
  22: "invalid argument",
  38: "function not implemented",
  95: "operation not supported",
};

export function deviceBpfLoader(): DeviceBpfLoader {
  const lib = loadLibmoat();
  return {
    attach(cgroupDir: string, insns: Uint8Array): void {
      const { fd, log } = lib.bpfCgroupDeviceAttach(cgroupDir, insns);
      if (fd < 0) {
        const text = ERRNO[-fd] ?? `errno ${-fd}`;
        throw new Error(log ? `${text}: ${log.trim().split("\n").slice(-3).join("; ")}` : text);
      }
      openLibc().close(fd);
    },
  };
}

/** core/container's EgressGuardLoader: attach the guard at every hook it names. */
export function egressGuardLoader(): EgressGuardLoader {
  const lib = loadLibmoat();
  return {
    attach(cgroupDir: string, hooks: number[], insns: Uint8Array): void {
      for (const hook of hooks) {
        const { fd, log } = lib.bpfCgroupSockAddrAttach(cgroupDir, hook, insns);
        if (fd < 0) {
          const text = ERRNO[-fd] ?? `errno ${-fd}`;
          throw new Error(log ? `${text}: ${log.trim().split("\n").slice(-3).join("; ")}` : text);
        }
        openLibc().close(fd);
      }
    },
  };
}
