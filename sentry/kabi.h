/* Kernel ABI the sentry needs, defined here rather than taken from <linux/...>:
 * musl-gcc does not see the kernel UAPI headers, and Debian's are older than the
 * kernels we run on. Everything is guarded so a libc that already defines a name wins. */
#ifndef MOAT_KABI_H
#define MOAT_KABI_H

#include <stdint.h>

/* syscall numbers (x86_64; musl 1.2.3 already has them, older headers may not) */
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* clone3 */
struct moat_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWNS
#define CLONE_NEWNS 0x00020000
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWUTS
#define CLONE_NEWUTS 0x04000000
#endif
#ifndef CLONE_NEWIPC
#define CLONE_NEWIPC 0x08000000
#endif
#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif
#ifndef CLONE_NEWPID
#define CLONE_NEWPID 0x20000000
#endif
#ifndef CLONE_NEWNET
#define CLONE_NEWNET 0x40000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* waitid on a pidfd (idtype; some libcs have it as an enum) */
#define MOAT_P_PIDFD 3

/* openat2 */
struct moat_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#ifndef RESOLVE_NO_XDEV
#define RESOLVE_NO_XDEV 0x01
#endif
#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_MAGICLINKS 0x02
#endif
#ifndef RESOLVE_NO_SYMLINKS
#define RESOLVE_NO_SYMLINKS 0x04
#endif
#ifndef RESOLVE_BENEATH
#define RESOLVE_BENEATH 0x08
#endif
#ifndef RESOLVE_IN_ROOT
#define RESOLVE_IN_ROOT 0x10
#endif

/* close_range */
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* capabilities (v3: two 32-bit words per set) */
#define MOAT_CAP_V3 0x20080522
struct moat_cap_header {
	uint32_t version;
	int pid;
};
struct moat_cap_data {
	uint32_t effective;
	uint32_t permitted;
	uint32_t inheritable;
};
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef PR_SET_NO_NEW_PRIVS
#define PR_SET_NO_NEW_PRIVS 38
#endif

/* keyctl */
#define MOAT_KEYCTL_JOIN_SESSION_KEYRING 1

/* rt_sigaction as the kernel sees it (not libc's struct sigaction) */
struct moat_ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* statfs f_flags (ST_*) */
#define MOAT_ST_RDONLY 0x0001
#define MOAT_ST_NOSUID 0x0002
#define MOAT_ST_NODEV 0x0004
#define MOAT_ST_NOEXEC 0x0008
#define MOAT_ST_NOATIME 0x0400
#define MOAT_ST_NODIRATIME 0x0800
#define MOAT_ST_RELATIME 0x1000

/* bpf(2) for the cgroup device program (libmoat only; cgroup_bpf.c) */
#ifndef SYS_bpf
#define SYS_bpf 321
#endif
#define MOAT_BPF_PROG_LOAD 5
#define MOAT_BPF_PROG_ATTACH 8
#define MOAT_BPF_PROG_TYPE_CGROUP_DEVICE 15
#define MOAT_BPF_CGROUP_DEVICE 6
#define MOAT_BPF_F_ALLOW_MULTI 2u
/* the BPF_PROG_LOAD part of union bpf_attr (fields in kernel order, up to expected_attach_type) */
struct moat_bpf_prog_load {
	uint32_t prog_type;
	uint32_t insn_cnt;
	uint64_t insns;
	uint64_t license;
	uint32_t log_level;
	uint32_t log_size;
	uint64_t log_buf;
	uint32_t kern_version;
	uint32_t prog_flags;
	char prog_name[16];
	uint32_t prog_ifindex;
	uint32_t expected_attach_type;
};
/* the BPF_PROG_ATTACH part of union bpf_attr */
struct moat_bpf_prog_attach {
	uint32_t target_fd;
	uint32_t attach_bpf_fd;
	uint32_t attach_type;
	uint32_t attach_flags;
	uint32_t replace_bpf_fd;
};

/* hooks and process attributes (hooks.c, process_attrs.c) */
#ifndef SYS_ioprio_set
#define SYS_ioprio_set 251
#endif
#ifndef SYS_sched_setattr
#define SYS_sched_setattr 314
#endif
#ifndef SYS_execveat
#define SYS_execveat 322
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#define MOAT_OPEN_TREE_CLONE 1
#define MOAT_MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOAT_MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#define MOAT_MOUNT_ATTR_IDMAP 0x00100000

/* mount_setattr(2) */
struct moat_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

/* sched_setattr(2), SCHED_ATTR_SIZE_VER0 (no utilization clamps) */
struct moat_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

#define MOAT_IOPRIO_WHO_PROCESS 1

#endif
