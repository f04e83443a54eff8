// The seccomp tests' syscall probe (syscall_probe.c), built once per test run with
// `musl-gcc -static` and bind-mounted read-only into a container at /probe.
import { buildStatic } from "./cbuild.ts";
import type { SpecObject } from "./bundle.ts";

export function probeBinary(): string {
  return buildStatic("syscall_probe");
}

/** Adds the probe at /probe (a read-only bind of the host binary). */
export function withProbe(spec: SpecObject): void {
  spec.mounts.push({
    destination: "/probe",
    type: "bind",
    source: probeBinary(),
    options: ["rbind", "ro"],
  });
}

/** x86_64 syscall numbers the tests use (and their i386 numbers where they differ). */
export const NR = {
  getpid: 39,
  getppid: 110,
  personality: 135,
  getuid: 102,
  umask: 95,
  sched_yield: 24,
  uname: 63,
  i386: { getpid: 20, getppid: 64, personality: 136 },
} as const;

/** Parses the probe's output into label → return value or `errno N`. */
export function probeResults(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^(\S+) = (.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}
