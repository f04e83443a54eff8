// Running the `criu` binary and turning its failure into an error a user can act on: CRIU's own
// error lines from its log, and where the whole log is.
import { RuntimeError } from "../state/errors.ts";

export interface CriuRun {
  binary: string;
  args: string[];
  /** Where CRIU writes --log-file (the work directory) and its name. */
  logPath: string;
  /** CRIU's stdio is ours (restore: the restored tree inherits the engine's pipes). */
  inheritStdio?: boolean;
  /**
   * Files opened as these fds of CRIU (a namespace handed over with --inherit-fd): CRIU starts
   * through /bin/sh, which opens them and execs it.
   */
  openFds?: Array<{ fd: number; path: string }>;
}

export async function runCriu(verb: string, r: CriuRun): Promise<void> {
  let program = r.binary;
  let args = r.args;
  if (r.openFds && r.openFds.length > 0) {
    const redirs = r.openFds.map((o, i) => `${o.fd}<"$${i + 1}"`).join(" ");
    const n = r.openFds.length;
    args = [
      "-c",
      `exec ${redirs} && shift ${n} && exec "$@"`,
      "sh",
      ...r.openFds.map((o) => o.path),
      r.binary,
      ...r.args,
    ];
    program = "/bin/sh";
  }
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(program, {
      args,
      stdin: r.inheritStdio ? "inherit" : "null",
      stdout: r.inheritStdio ? "inherit" : "piped",
      // restore: the restored tree must not hold a pipe of ours (output() would wait for it)
      stderr: r.inheritStdio ? "inherit" : "piped",
    }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new RuntimeError(`${verb}: CRIU not found: ${r.binary}`);
    }
    throw e;
  }
  if (out.code === 0) return;
  let log = "";
  try {
    log = Deno.readTextFileSync(r.logPath);
  } catch { /* CRIU failed before opening its log */ }
  const errors = log.split("\n").filter((l) => /Error|error/.test(l)).map((l) =>
    l.replace(/^\(\d+\.\d+\)\s*/, "").trim()
  ).slice(0, 5);
  const stderr = r.inheritStdio
    ? ""
    : new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join("; ");
  const why = errors.length > 0 ? errors.join("; ") : stderr || `exit status ${out.code}`;
  throw new RuntimeError(
    `${verb}: criu ${r.args[0]} failed (exit status ${out.code}): ${why}; see ${r.logPath}`,
  );
}
