// moat as a library: the same lifecycle as the command line, for a long-lived Deno process (an
// edge appliance) that should not spawn `moat` per call.
//
//   import { openRuntime } from "moat/mod.ts";
//   const rt = openRuntime({ root: "/run/moat" });
//   await rt.create({ id: "web", bundle: "/srv/bundles/web" });
//   await rt.start("web");
//   console.log(rt.state("web").status);
import type { RuntimeContext } from "./core/container/context.ts";
import { create, type CreateOptions } from "./core/container/create.ts";
import { deleteContainer } from "./core/container/delete.ts";
import { kill } from "./core/container/kill.ts";
import { list, state } from "./core/container/query.ts";
import { run, type RunOptions } from "./core/container/run.ts";
import { parseSignal } from "./core/container/signals.ts";
import { start } from "./core/container/start.ts";
import { wait } from "./core/container/wait.ts";
import { exec, type ExecOptions } from "./core/container/exec.ts";
import {
  eventsTarget,
  pause,
  processes,
  resume,
  type StatsEvent,
  statsEvent,
  streamEvents,
  update,
} from "./core/container/cgroup_ops.ts";
import { trace } from "./core/container/trace.ts";
import type { Resources } from "./core/spec/types.ts";
import { realHost } from "./core/plan/host.ts";
import { StateStore } from "./core/state/store.ts";
import { registerLazyModules } from "./core/lazy_modules.ts";

// an embedder's bundler must see the modules core/ loads lazily (core/lazy.ts)
registerLazyModules();

export { defaultSpec, rootlessSpec } from "./core/bundle/default_spec.ts";
export { buildPlan, PlanError } from "./core/plan/resolve.ts";
export { encodePlan } from "./core/plan/encode.ts";
export { decodePlan } from "./core/plan/decode.ts";
export type { LaunchPlan } from "./core/plan/types.ts";
export { parseSpec, requireProcess, SpecError } from "./core/spec/mod.ts";
export type { Spec } from "./core/spec/types.ts";
export { RuntimeError } from "./core/state/errors.ts";
export type { ContainerRecord, Status } from "./core/state/types.ts";
export type { CreateOptions, ExecOptions, Resources, RunOptions, StatsEvent };

export interface RuntimeOptions {
  /** State directory (the CLI's --root); default /run/moat. */
  root?: string;
  /** The rootfs overlay (the CLI's --overlay2): none, root:MEDIUM or all:MEDIUM. */
  overlay2?: string;
  /** Receives debug and warning messages. */
  log?: (level: "debug" | "warning", msg: string) => void;
}

export function openRuntime(opts: RuntimeOptions = {}) {
  const log = opts.log ?? (() => {});
  const ctx: RuntimeContext = {
    store: new StateStore(opts.root ?? "/run/moat"),
    host: realHost,
    launcher: async () => {
      const { runningSentries } = await import("./core/container/sentries.ts");
      return (await import("./ffi/launcher.ts")).sentryLauncher(() => runningSentries(ctx.store));
    },
    procs: async () => (await import("./ffi/proc.ts")).processPort(),
    seccompCompiler: async () => (await import("./ffi/libmoat.ts")).seccompCompiler(),
    deviceBpf: async () => (await import("./ffi/bpf.ts")).deviceBpfLoader(),
    egressGuard: async () => (await import("./ffi/bpf.ts")).egressGuardLoader(),
    log: { debug: (m) => log("debug", m), warn: (m) => log("warning", m) },
    ...(opts.overlay2 ? { overlay2: opts.overlay2 } : {}),
  };
  return {
    /**
     * Creates a container. Its init is a child of this process (as a container init is of
     * runc's caller): `wait` for it, or `delete` it, so it is reaped.
     */
    create: async (o: CreateOptions) => (await create(ctx, o)).record,
    start: (id: string) => start(ctx, id),
    kill: (id: string, signal: string | number = "TERM", all = false) =>
      kill(ctx, id, typeof signal === "number" ? signal : parseSignal(signal), { all }),
    delete: (id: string, force = false) => deleteContainer(ctx, id, force),
    /** The exit status of a started container: its exit code, or 128+signal. */
    wait: (id: string) => wait(ctx, id),
    state: (id: string) => state(ctx, id),
    list: () => list(ctx),
    /** create + start + wait + delete; resolves to the exit status (128+signal if killed). */
    run: (o: RunOptions) => run(ctx, o),
    /**
     * Runs a process in a running container (`moat exec`): its exit status, or with `detach`
     * 0 once it runs. The process is a child of this one (as with runc's caller).
     */
    exec: (id: string, o: ExecOptions) => exec(ctx, id, o),
    pause: (id: string) => pause(ctx, id),
    resume: (id: string) => resume(ctx, id),
    /** Changes linux.resources of a running container (`moat update --resources`). */
    update: (id: string, resources: Resources) => update(ctx, id, resources),
    /** Host pids of the container's processes (`moat ps`). */
    ps: (id: string) => processes(ctx, id),
    /** One stats event (`moat events --stats`). */
    stats: (id: string) => statsEvent(ctx, eventsTarget(ctx, id)),
    /** Stats every `intervalMs` and OOM events until the container stops or `signal` aborts. */
    events: (
      id: string,
      intervalMs: number,
      emit: (e: StatsEvent) => void,
      signal?: AbortSignal,
    ) => streamEvents(ctx, eventsTarget(ctx, id), intervalMs, emit, signal),
    /** The sandbox's mediation events as JSON lines until the container ends (`moat trace`). */
    trace: (id: string, out: WritableStream<Uint8Array>) => trace(ctx, id, out),
  };
}
