// What every lifecycle verb needs: where state lives and how to reach the host.
import type { HostFacts } from "../plan/host.ts";
import { StateStore } from "../state/store.ts";

/** Starts the sentry program; implemented by ffi/ (sealed memfd) and by fakes in tests. */
export interface SentryLauncher {
  spawn(planPath: string): Deno.ChildProcess;
}

export interface Logger {
  debug(msg: string): void;
  warn(msg: string): void;
}

export interface RuntimeContext {
  store: StateStore;
  host: HostFacts;
  launcher: () => Promise<SentryLauncher>;
  log: Logger;
  /** The --log file, also given to the sentry for its own messages. */
  logPath?: string;
}
