// Builds the runtime context for a command: state store, host facts, and the sentry launcher
// (which loads libmoat only when a command actually starts a sentry).
import type { RuntimeContext } from "../core/container/context.ts";
import { realHost } from "../core/plan/host.ts";
import { StateStore } from "../core/state/store.ts";
import type { CliLogger } from "./log.ts";

export function makeContext(root: string, log: CliLogger): RuntimeContext {
  return {
    store: new StateStore(root),
    host: realHost,
    launcher: async () => {
      const { runningSentries } = await import("../core/container/sentries.ts");
      const store = new StateStore(root);
      return (await import("../ffi/launcher.ts")).sentryLauncher(() => runningSentries(store));
    },
    procs: async () => (await import("../ffi/proc.ts")).processPort(),
    seccompCompiler: async () => (await import("../ffi/libmoat.ts")).seccompCompiler(),
    deviceBpf: async () => (await import("../ffi/bpf.ts")).deviceBpfLoader(),
    egressGuard: async () => (await import("../ffi/bpf.ts")).egressGuardLoader(),
    log,
    logPath: log.path,
  };
}
