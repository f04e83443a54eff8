// The egress guard: a cgroup sock_addr program on the container's cgroup2 leaf that lets IPv4
// and IPv6 connect and UDP sendmsg through only when the container's sentry makes the call.
// The sentry already decides and performs every such call the workload makes (seccomp
// notification on its duplicate of the socket); the guard closes what seccomp cannot see: a
// call the sentry let the kernel run (a unix socket's connect, CONTINUE) whose fd another
// thread swapped for an IP socket in between. The kernel runs the program for the socket's
// cgroup (the container's, where it was created) with the calling task current.
import { encodeInsns, type Insn } from "../cgroup/devices_bpf.ts";

const CALL = 0x85, RSH64K = 0x77, JEQK = 0x15, MOV32K = 0xb4, EXIT = 0x95;
const GET_CURRENT_PID_TGID = 14;

/** BPF_CGROUP_INET4_CONNECT, INET6_CONNECT, UDP4_SENDMSG, UDP6_SENDMSG */
export const GUARDED_HOOKS = [10, 11, 14, 15];

const i = (code: number, dst: number, off: number, imm: number): Insn => ({
  code,
  dst,
  src: 0,
  off,
  imm,
});

/** Allow (1) when the current thread group is the sentry's, deny (0: EPERM) otherwise. */
export function egressGuard(sentryPid: number): Uint8Array {
  return encodeInsns([
    i(CALL, 0, 0, GET_CURRENT_PID_TGID),
    i(RSH64K, 0, 0, 32),
    i(JEQK, 0, 2, sentryPid),
    i(MOV32K, 0, 0, 0),
    i(EXIT, 0, 0, 0),
    i(MOV32K, 0, 0, 1),
    i(EXIT, 0, 0, 0),
  ]);
}
