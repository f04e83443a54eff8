// Builds the runtime context for a command: state store, host facts, and the sentry launcher
// (which loads libmoat only when a command actually starts a sentry).
import type { RuntimeContext } from "../core/container/context.ts";
import { realHost } from "../core/plan/host.ts";
import { StateStore } from "../core/state/store.ts";
import type { CliLogger } from "./log.ts";
import { lazyImport } from "../core/lazy.ts";

type Sentries = typeof import("../core/container/sentries.ts");
type Launcher = typeof import("../ffi/launcher.ts");
type Proc = typeof import("../ffi/proc.ts");
type Lib = typeof import("../ffi/libmoat.ts");
type Bpf = typeof import("../ffi/bpf.ts");

export function makeContext(root: string, log: CliLogger): RuntimeContext {
  return {
    store: new StateStore(root),
    host: realHost,
    launcher: async () => {
      const { runningSentries } = await lazyImport<Sentries>("core/container/sentries.ts");
      const store = new StateStore(root);
      return (await lazyImport<Launcher>("ffi/launcher.ts")).sentryLauncher(() =>
        runningSentries(store)
      );
    },
    procs: async () => (await lazyImport<Proc>("ffi/proc.ts")).processPort(),
    seccompCompiler: async () => (await lazyImport<Lib>("ffi/libmoat.ts")).seccompCompiler(),
    deviceBpf: async () => (await lazyImport<Bpf>("ffi/bpf.ts")).deviceBpfLoader(),
    egressGuard: async () => (await lazyImport<Bpf>("ffi/bpf.ts")).egressGuardLoader(),
    log,
    logPath: log.path,
  };
}
