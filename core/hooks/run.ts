// Runs the runtime-namespace OCI hooks (prestart, createRuntime, poststart, poststop) from Deno
// with runc's semantics (libcontainer/configs/config.go Command.Run): the state JSON on stdin,
// exactly the hook's own env, `args` as argv (args[0] is argv[0]), `timeout` enforced with
// SIGKILL, and the hook's output in the error. The container-side hooks (createContainer,
// startContainer) run in the init with the same rules (sentry/hooks.c).
import type { Hook } from "../spec/types.ts";

export type HookKind =
  | "prestart"
  | "createRuntime"
  | "createContainer"
  | "startContainer"
  | "poststart"
  | "poststop";

/** runtime-spec state (runtime.md "State"), in runc's field order. */
export interface HookState {
  ociVersion: string;
  id: string;
  status: "creating" | "created" | "running" | "stopped";
  /** Omitted when 0, as runc does. */
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export class HookError extends Error {}

/** Each of stdout and stderr is kept up to this many bytes in an error message. */
export const HOOK_OUTPUT_CAP = 1400;

export interface RunHookOptions {
  /** The sentry image (`--exec` trampoline) for hooks whose argv[0] is not their path. */
  execPath?: string;
  cwd?: string;
}

export function stateJson(s: HookState): string {
  const o: Record<string, unknown> = {
    ociVersion: s.ociVersion,
    id: s.id,
    status: s.status,
  };
  if (s.pid) o.pid = s.pid;
  o.bundle = s.bundle;
  if (s.annotations && Object.keys(s.annotations).length > 0) o.annotations = s.annotations;
  return JSON.stringify(o);
}

/** `KEY=value` entries as Deno.Command wants them (the last of a repeated key wins, as execve). */
function envRecord(env: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    const eq = e.indexOf("=");
    if (eq > 0) out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}

/** Reads a stream, keeping the first `cap` bytes; stops when `stop` resolves. */
async function capture(stream: ReadableStream<Uint8Array>, stop: Promise<void>): Promise<string> {
  const reader = stream.getReader();
  const kept = new Uint8Array(HOOK_OUTPUT_CAP);
  let len = 0;
  let stopped = false;
  const halt = stop.then(() => {
    stopped = true;
    // a daemon the hook left behind may hold the pipe open: do not wait for its EOF
    reader.cancel().catch(() => {});
  });
  try {
    while (!stopped) {
      const r = await reader.read();
      if (r.done) break;
      const take = Math.min(r.value.length, HOOK_OUTPUT_CAP - len);
      kept.set(r.value.subarray(0, take), len);
      len += take;
    }
  } catch { /* cancelled */ }
  void halt;
  return new TextDecoder().decode(kept.subarray(0, len)).trimEnd();
}

function describeExit(st: Deno.CommandStatus): string {
  if (st.signal) {
    const names: Record<string, string> = {
      SIGKILL: "killed",
      SIGTERM: "terminated",
      SIGSEGV: "segmentation fault",
      SIGABRT: "aborted",
      SIGINT: "interrupt",
      SIGPIPE: "broken pipe",
    };
    return `signal: ${names[st.signal] ?? st.signal}`;
  }
  return `exit status ${st.code}`;
}

/** runc: `error running <kind> hook #<i>: <reason>, stdout: …, stderr: …` (plus the path). */
export function hookErrorText(
  kind: HookKind,
  index: number,
  path: string,
  reason: string,
  stdout = "",
  stderr = "",
): string {
  let msg = `error running ${kind} hook #${index} (${path}): ${reason}`;
  if (stdout) msg += `, stdout: ${stdout}`;
  if (stderr) msg += `, stderr: ${stderr}`;
  return msg;
}

export async function runHook(
  kind: HookKind,
  index: number,
  hook: Hook,
  state: HookState,
  opts: RunHookOptions = {},
): Promise<void> {
  const argv = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
  const trampoline = argv[0] !== hook.path && opts.execPath !== undefined;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(trampoline ? opts.execPath! : hook.path, {
      args: trampoline ? ["--exec", hook.path, ...argv] : argv.slice(1),
      clearEnv: true,
      env: envRecord(hook.env),
      cwd: opts.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    const err = e as Error;
    const why = err instanceof Deno.errors.NotFound
      ? "no such file or directory"
      : err instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : err.message;
    throw new HookError(hookErrorText(kind, index, hook.path, `exec ${hook.path}: ${why}`));
  }

  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (hook.timeout) {
    timer = setTimeout(() => {
      timedOut = true;
      try {
        child.kill("SIGKILL");
      } catch { /* exited just now */ }
    }, hook.timeout * 1000);
  }
  const exited = child.status.then(() => {});
  // stdout/stderr: what the hook wrote until it exited, plus a moment for the pipe to drain
  const stop = exited.then(() => new Promise<void>((r) => setTimeout(r, 50)));
  const out = capture(child.stdout, stop);
  const err = capture(child.stderr, stop);
  const writer = child.stdin.getWriter();
  // a hook that does not read its stdin (or exits first) is not an error: ignore EPIPE
  writer.write(new TextEncoder().encode(stateJson(state))).then(() => writer.close()).catch(
    () => {},
  );
  const st = await child.status;
  clearTimeout(timer);
  const [stdout, stderr] = await Promise.all([out, err]);
  if (timedOut) {
    throw new HookError(hookErrorText(
      kind,
      index,
      hook.path,
      `hook ran past specified timeout of ${hook.timeout!.toFixed(1)}s`,
      stdout,
      stderr,
    ));
  }
  if (st.success) return;
  throw new HookError(hookErrorText(kind, index, hook.path, describeExit(st), stdout, stderr));
}

/** Runs a list in order; the first failure stops it (runc's Hooks.Run). */
export async function runHooks(
  kind: HookKind,
  hooks: Hook[] | undefined,
  state: HookState,
  opts: RunHookOptions = {},
): Promise<void> {
  for (const [i, h] of (hooks ?? []).entries()) await runHook(kind, i, h, state, opts);
}
