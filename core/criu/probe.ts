// Whether CRIU can checkpoint on this host, and why not: `criu --version` and `criu check`, run
// the way checkpoint and restore will run it. `features` reports the answer; checkpoint and
// restore refuse with it before they touch the container or create anything.

export interface CriuProbe {
  /** The binary as given (the global --criu, runc's flag) or found in PATH. */
  binary: string;
  available: boolean;
  /** "3.17.1" when `criu --version` answered. */
  version?: string;
  /** Why not, in one sentence with CRIU's own error lines. */
  reason?: string;
}

/** What the error lines of `criu check` mean, for the known incompatibilities. */
const KNOWN_CAUSES: Array<[RegExp, string]> = [
  [
    /Unexpected rt vDSO area bounds/,
    "this kernel maps [vvar_vclock] between [vvar] and [vdso] (Linux 6.13 split the vDSO data " +
    "pages), which CRIU before 4.1 rejects while probing its own address space, so no dump " +
    "or restore can start",
  ],
];

async function output(binary: string, args: string[]): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(binary, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

export async function probeCriu(binary = "criu"): Promise<CriuProbe> {
  let version: string | undefined;
  try {
    const v = await output(binary, ["--version"]);
    version = /Version:\s*(\S+)/.exec(v.text)?.[1];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
      return {
        binary,
        available: false,
        reason: `CRIU not found: ${binary} (install Debian's criu, or name it with --criu PATH)`,
      };
    }
    return { binary, available: false, reason: `${binary}: ${(e as Error).message}` };
  }
  const check = await output(binary, ["check"]);
  if (check.code === 0) return { binary, available: true, ...(version ? { version } : {}) };
  const lines = check.text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  const errors = lines.filter((l) => /Error|error/.test(l)).slice(0, 4);
  const shown = (errors.length > 0 ? errors : lines.slice(-3)).join("; ");
  const cause = KNOWN_CAUSES.find(([re]) => re.test(check.text))?.[1];
  const who = `CRIU${version ? ` ${version}` : ""}`;
  const kernel = Deno.osRelease();
  return {
    binary,
    available: false,
    ...(version ? { version } : {}),
    reason: `${who} cannot work on this kernel (${kernel}): \`${binary} check\` failed` +
      (cause ? `: ${cause}` : "") + (shown ? ` (${shown})` : ""),
  };
}
