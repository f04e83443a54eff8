// Starts the sentry from the sealed memfd libmoat fills with its embedded image. Deno.Command
// uses posix_spawn, the only safe way to start a process from the multi-threaded Deno
// (DESIGN §3); stdio is inherited so create's fds 0-2 reach the container init unchanged.
import type { SentryLauncher } from "../core/container/context.ts";
import { loadLibmoat } from "./libmoat.ts";

let memfd: number | undefined;

export function sentryLauncher(): SentryLauncher {
  memfd ??= loadLibmoat().sentryMemfd();
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
