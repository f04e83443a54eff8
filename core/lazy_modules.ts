// The literal imports behind every lazyImport key (core/lazy.ts), for the prebuilt command line
// (cli/bundle.ts, with cli/lazy_commands.ts) and embedders (mod.ts): a bundler sees and carries them. A unit test holds this
// table to the keys the sources use.
import { registerModules } from "./lazy.ts";

export const LAZY_MODULES: Record<string, () => Promise<unknown>> = {
  "core/container/sentries.ts": () => import("../core/container/sentries.ts"),
  "core/hooks/lifecycle.ts": () => import("../core/hooks/lifecycle.ts"),
  "core/sandbox/egress_bpf.ts": () => import("../core/sandbox/egress_bpf.ts"),
  "core/seccomp/attach.ts": () => import("../core/seccomp/attach.ts"),
  "ffi/bpf.ts": () => import("../ffi/bpf.ts"),
  "ffi/launcher.ts": () => import("../ffi/launcher.ts"),
  "ffi/libmoat.ts": () => import("../ffi/libmoat.ts"),
  "ffi/proc.ts": () => import("../ffi/proc.ts"),
};

export function registerLazyModules(): void {
  registerModules(LAZY_MODULES);
}
