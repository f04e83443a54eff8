// Starting a sentry for a plan and waiting for its one-line report (sentry/PROTOCOL.md §3):
// shared by `create` (a container's init) and `exec` (a process in a running container).
import { mark } from "../timing.ts";
import { encodePlan } from "../plan/encode.ts";
import type { LaunchPlan } from "../plan/types.ts";
import { readLine } from "../sentry/client.ts";
import { RuntimeError } from "../state/errors.ts";
import type { RuntimeContext } from "./context.ts";
import { killSentry } from "./destroy.ts";

export interface Launched {
  sentry: Deno.ChildProcess;
  /**
   * Host pid of the process the sentry cloned (the init, or the exec'd process): a child of
   * this process (CLONE_PARENT), blocked before its execve until `start`.
   */
  childPid: number;
}

export async function launchSentry(
  ctx: RuntimeContext,
  plan: LaunchPlan,
  planPath: string,
  timeoutMs: number,
  onSpawn: (sentry: Deno.ChildProcess) => void,
  /**
   * The init paused before pivot_root for prestart/createRuntime (PROTOCOL.md §8); its host pid
   * (the hooks' state.pid).
   */
  onHooks?: (childPid: number) => Promise<void>,
): Promise<Launched> {
  Deno.writeFileSync(planPath, encodePlan(plan), { mode: 0o600 });
  mark("plan encoded and written");
  const port = await ctx.procs();
  let listener: Deno.UnixListener | undefined;
  let sentry: Deno.ChildProcess | undefined;
  // a state directory can be longer than sun_path allows (Docker's): bind through its fd
  const notify = port.socketPath(plan.notifySocket);
  try {
    listener = Deno.listen({ transport: "unix", path: notify.path });
    const launcher = await ctx.launcher();
    mark("launcher loaded (libmoat, sentry memfd)");
    sentry = launcher.spawn(planPath);
    mark("sentry spawned");
    ctx.log.debug(
      `${plan.containerId}: sentry ${sentry.pid} spawned (${performance.now().toFixed(1)} ms)`,
    );
    onSpawn(sentry);
    const reply = await awaitReport(listener, sentry, timeoutMs, onHooks);
    mark("sentry report received");
    ctx.log.debug(`${plan.containerId}: sentry reported (${performance.now().toFixed(1)} ms)`);
    // "ok <sentry> <child> <intermediate>" or "error <child> <intermediate> <message>"
    const m = /^(ok|error) (\d+) (\d+) ?(.*)$/.exec(reply);
    if (!m) throw new RuntimeError(reply === "" ? "sentry closed the connection" : reply);
    // a user namespace joined by path went through a short-lived intermediate: our child too
    const intermediate = Number(m[1] === "ok" ? m[4] : m[3]);
    if (intermediate > 0) await port.waitChild(intermediate).catch(() => {});
    if (m[1] === "error") {
      // the sentry SIGKILLed the process it cloned; it is our child: reap it
      const child = Number(m[2]);
      if (child > 0) await port.waitChild(child).catch(() => {});
      throw new RuntimeError(m[4] || "sentry reported an error");
    }
    return { sentry, childPid: Number(m[3]) };
  } catch (e) {
    if (sentry) await killSentry(sentry);
    throw e;
  } finally {
    listener?.close();
    notify.release();
    for (const p of [plan.notifySocket, planPath]) {
      try {
        Deno.removeSync(p);
      } catch { /* gone with its directory */ }
    }
  }
}

/** The sentry's one-line report, or an error if it dies or times out first. */
async function awaitReport(
  listener: Deno.UnixListener,
  sentry: Deno.ChildProcess,
  timeoutMs: number,
  onHooks?: (childPid: number) => Promise<void>,
): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expire: (e: Error) => void = () => {};
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => expire(new RuntimeError(`sentry did not report within ${timeoutMs} ms`)),
      timeoutMs,
    );
  };
  const timeout = new Promise<never>((_, reject) => {
    expire = reject;
  });
  arm();
  const report = (async () => {
    for (;;) {
      const conn = await listener.accept();
      try {
        const line = await readLine(conn);
        if (!(onHooks && line.startsWith("hooks "))) return line;
        // "hooks <sentry> <init>": run prestart/createRuntime (they have their own timeouts,
        // so the report timer waits), answer "continue", then the final report follows
        clearTimeout(timer);
        await onHooks(Number(line.split(" ")[2]));
        arm();
        await conn.write(new TextEncoder().encode("continue\n"));
      } finally {
        conn.close();
      }
    }
  })();
  const died = sentry.status.then(async (st) => {
    // The sentry reports before exiting: give a report already queued a moment to be read.
    const grace = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new RuntimeError(`sentry exited before reporting (${describeStatus(st)})`)),
        500,
      )
    );
    return await Promise.race([report, grace]);
  });
  try {
    return await Promise.race([report, died, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describeStatus(st: Deno.CommandStatus): string {
  return st.signal ? `signal ${st.signal}` : `exit status ${st.code}`;
}
