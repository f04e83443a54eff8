// A Docker-like default seccomp profile, the fixture of the seccomp tests and of
// `deno task bench`: moat's own default profile (core/seccomp/default_profile.ts) widened by the
// calls Docker's default profile also allows unconditionally on a recent kernel (io_uring,
// modify_ldt, the old epoll calls, fanotify_mark, clock_adjtime, remap_file_pages, and ptrace with
// process_vm_* since Linux 4.8). The shape is what matters for a benchmark and a compile test:
// one large allowlist rule, a few argument-filtered rules (personality, clone), an ERRNO rule.
import { defaultSeccompProfile } from "../core/seccomp/default_profile.ts";
import type { Seccomp } from "../core/spec/types.ts";

const DOCKER_EXTRAS = [
  "clock_adjtime",
  "epoll_ctl_old",
  "epoll_wait_old",
  "fanotify_mark",
  "io_uring_enter",
  "io_uring_register",
  "io_uring_setup",
  "modify_ldt",
  "process_vm_readv",
  "process_vm_writev",
  "ptrace",
  "remap_file_pages",
];

export function dockerLikeSeccompProfile(): Seccomp {
  const p = defaultSeccompProfile();
  const [allow, ...rest] = p.syscalls!;
  const names = [...new Set([...allow.names, ...DOCKER_EXTRAS])].sort();
  return { ...p, syscalls: [{ ...allow, names }, ...rest] };
}

if (import.meta.main) console.log(JSON.stringify(dockerLikeSeccompProfile(), null, 2));
