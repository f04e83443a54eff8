// A command run with a deadline, for end-to-end tests: one that is still running after the
// deadline is killed and fails the test (a hung engine call must not hang the suite).

export interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with a deadline: a command still running after `timeoutMs` fails the test. */
export async function capture(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<Out> {
  const child = new Deno.Command(cmd, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* exited meanwhile */ }
  }, timeoutMs);
  const r = await child.output();
  clearTimeout(timer);
  const d = new TextDecoder();
  const out = { code: r.code, stdout: d.decode(r.stdout), stderr: d.decode(r.stderr) };
  if (timedOut) {
    throw new Error(
      `${cmd} ${args.join(" ")}: no answer in ${timeoutMs} ms ${JSON.stringify(out)}`,
    );
  }
  return out;
}
