/* libmoat: load a cgroup BPF program TypeScript compiled (the device filter of
 * core/cgroup/devices_bpf.ts, the egress guard of core/sandbox/egress_bpf.ts) and attach it to a
 * cgroup2 directory. C decides nothing about the rules: it checks sizes, loads, attaches
 * (BPF_F_ALLOW_MULTI: a parent's program still applies) and returns the program fd. */
#include "kabi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MOAT_API __attribute__((visibility("default")))
#define BPF_INSN_SIZE 8u
#define BPF_MAX_INSNS 4096u

/* Returns the program fd (the caller closes it; the attachment keeps the program alive) or
 * -errno; on a verifier rejection the kernel's log is copied to log. */
static int32_t cgroup_attach(const char *cgroup_dir, uint32_t prog_type, uint32_t attach_type,
			     const char *name, const uint8_t *insns, uint64_t len, char *log,
			     uint64_t loglen);

MOAT_API int32_t moat_bpf_cgroup_device_attach(const char *cgroup_dir, const uint8_t *insns,
					       uint64_t len, char *log, uint64_t loglen)
{
	return cgroup_attach(cgroup_dir, MOAT_BPF_PROG_TYPE_CGROUP_DEVICE, MOAT_BPF_CGROUP_DEVICE,
			     "moat_devices", insns, len, log, loglen);
}

/* BPF_PROG_TYPE_CGROUP_SOCK_ADDR (18) at one of the connect/sendmsg hooks: INET4_CONNECT 10,
 * INET6_CONNECT 11, UDP4_SENDMSG 14, UDP6_SENDMSG 15 (nothing else is accepted). */
MOAT_API int32_t moat_bpf_cgroup_sock_addr_attach(const char *cgroup_dir, uint32_t attach_type,
						  const uint8_t *insns, uint64_t len, char *log,
						  uint64_t loglen)
{
	if (attach_type != 10 && attach_type != 11 && attach_type != 14 && attach_type != 15)
		return -EINVAL;
	return cgroup_attach(cgroup_dir, 18, attach_type, "moat_egress", insns, len, log, loglen);
}

static int32_t cgroup_attach(const char *cgroup_dir, uint32_t prog_type, uint32_t attach_type,
			     const char *name, const uint8_t *insns, uint64_t len, char *log,
			     uint64_t loglen)
{
	if (log && loglen)
		log[0] = 0;
	if (!cgroup_dir || !insns || len == 0 || len % BPF_INSN_SIZE != 0 ||
	    len / BPF_INSN_SIZE > BPF_MAX_INSNS)
		return -EINVAL;
	if (loglen > UINT32_MAX)
		loglen = UINT32_MAX;
	int cg = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return -errno;

	static const char license[] = "Apache";
	struct moat_bpf_prog_load load;
	union {
		struct moat_bpf_prog_load l;
		uint8_t pad[128]; /* the kernel reads the attr size we pass; the rest must be 0 */
	} attr;
	memset(&attr, 0, sizeof attr);
	memset(&load, 0, sizeof load);
	load.prog_type = prog_type;
	load.insn_cnt = (uint32_t)(len / BPF_INSN_SIZE);
	load.insns = (uint64_t)(uintptr_t)insns;
	load.license = (uint64_t)(uintptr_t)license;
	load.expected_attach_type = attach_type;
	snprintf(load.prog_name, sizeof load.prog_name, "%s", name);
	attr.l = load;
	int prog = (int)syscall(SYS_bpf, MOAT_BPF_PROG_LOAD, &attr, sizeof attr);
	if (prog < 0 && errno == EACCES && log && loglen > 1) {
		/* verifier rejection: load again with the log for the message */
		attr.l.log_level = 1;
		attr.l.log_size = (uint32_t)loglen;
		attr.l.log_buf = (uint64_t)(uintptr_t)log;
		prog = (int)syscall(SYS_bpf, MOAT_BPF_PROG_LOAD, &attr, sizeof attr);
		if (prog >= 0) {
			log[0] = 0;
		}
	}
	if (prog < 0) {
		int e = errno;
		close(cg);
		return -e;
	}
	union {
		struct moat_bpf_prog_attach a;
		uint8_t pad[128];
	} at;
	memset(&at, 0, sizeof at);
	at.a.target_fd = (uint32_t)cg;
	at.a.attach_bpf_fd = (uint32_t)prog;
	at.a.attach_type = attach_type;
	at.a.attach_flags = MOAT_BPF_F_ALLOW_MULTI;
	if (syscall(SYS_bpf, MOAT_BPF_PROG_ATTACH, &at, sizeof at) != 0) {
		int e = errno;
		close(prog);
		close(cg);
		return -e;
	}
	close(cg);
	return prog;
}
