// Starts the sentry from the sealed memfd libmoat fills with its embedded image. Deno.Command
// uses posix_spawn, the only safe way to start a process from the multi-threaded Deno
// (DESIGN §3); stdio is inherited so create's fds 0-2 reach the container init unchanged.
import type { SentryLauncher } from "../core/container/context.ts";
import { loadLibmoat } from "./libmoat.ts";

let memfd: number | undefined;

/**
 * `running`: pids of sentries that run now. Started from the same sealed memfd, every sentry
 * shares one copy of its text (a fresh memfd per create would cost each sandbox ~130 KiB more).
 */
export function sentryLauncher(running: () => number[] = () => []): SentryLauncher {
  if (memfd === undefined) {
    const lib = loadLibmoat();
    for (const pid of running()) {
      const fd = lib.sentryAdopt(pid);
      if (fd >= 0) {
        memfd = fd;
        break;
      }
    }
    memfd ??= lib.sentryMemfd();
  }
  const path = `/proc/self/fd/${memfd}`;
  return {
    execPath: path,
    spawn(planPath: string): Deno.ChildProcess {
      return new Deno.Command(path, {
        args: [planPath],
        stdin: "inherit",
        stdout: "inherit",
        stderr: "inherit",
        clearEnv: true,
        env: {},
      }).spawn();
    },
  };
}
