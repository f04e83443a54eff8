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
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
/* fsopen(2)/fsconfig(2)/fsmount(2) */
#define MOAT_FSOPEN_CLOEXEC 0x00000001
#define MOAT_FSCONFIG_SET_STRING 1
#define MOAT_FSCONFIG_CMD_CREATE 6
#define MOAT_FSMOUNT_CLOEXEC 0x00000001
#define MOAT_OPEN_TREE_CLONE 1
#define MOAT_OPEN_TREE_CLOEXEC 02000000 /* O_CLOEXEC */
#define MOAT_MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOAT_MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#define MOAT_MOUNT_ATTR_IDMAP 0x00100000

/* statfs(2) f_type of the filesystems the init checks an fd against */
#ifndef MOAT_PROC_SUPER_MAGIC
#define MOAT_PROC_SUPER_MAGIC 0x9fa0
#endif
#define MOAT_DEVPTS_SUPER_MAGIC 0x1cd1

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

/* seccomp user notification (seccomp_unotify(2)); notify*.c. Debian's UAPI headers predate
 * SECCOMP_IOCTL_NOTIF_SET_FLAGS (Linux 6.6), so all of it is spelled out here. */
#ifndef SYS_seccomp
#define SYS_seccomp 317
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#define MOAT_SECCOMP_GET_NOTIF_SIZES 3
#define MOAT_AUDIT_ARCH_X86_64 0xc000003eu
#define MOAT_AUDIT_ARCH_I386 0x40000003u
#define MOAT_X32_SYSCALL_BIT 0x40000000
struct moat_seccomp_data {
	int32_t nr;
	uint32_t arch;
	uint64_t instruction_pointer;
	uint64_t args[6];
};
struct moat_seccomp_notif {
	uint64_t id;
	uint32_t pid;
	uint32_t flags;
	struct moat_seccomp_data data;
};
struct moat_seccomp_notif_resp {
	uint64_t id;
	int64_t val;
	int32_t error;
	uint32_t flags;
};
struct moat_seccomp_notif_sizes {
	uint16_t notif, resp, data;
};
#define MOAT_SECCOMP_USER_NOTIF_FLAG_CONTINUE 1u
#define MOAT_SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1ull
/* _IOC(dir, '!', nr, size): dir 1 = write, 3 = read|write */
#define MOAT_SECCOMP_IOC(dir, nr, size) \
	((unsigned long)(dir) << 30 | (unsigned long)(size) << 16 | (unsigned long)'!' << 8 | (nr))
#define MOAT_SECCOMP_IOCTL_NOTIF_RECV MOAT_SECCOMP_IOC(3, 0, sizeof(struct moat_seccomp_notif))
#define MOAT_SECCOMP_IOCTL_NOTIF_SEND MOAT_SECCOMP_IOC(3, 1, sizeof(struct moat_seccomp_notif_resp))
#define MOAT_SECCOMP_IOCTL_NOTIF_ID_VALID MOAT_SECCOMP_IOC(1, 2, sizeof(uint64_t))
#define MOAT_SECCOMP_IOCTL_NOTIF_SET_FLAGS MOAT_SECCOMP_IOC(1, 4, sizeof(uint64_t))
/* pidfd_open(2) of a thread that is not the group leader (Linux 6.9) */
#define MOAT_PIDFD_THREAD 0x80

/* struct new_utsname (uname(2) on x86_64 and newuname on i386) */
#define MOAT_UTS_LEN 65
struct moat_new_utsname {
	char sysname[MOAT_UTS_LEN], nodename[MOAT_UTS_LEN], release[MOAT_UTS_LEN],
		version[MOAT_UTS_LEN], machine[MOAT_UTS_LEN], domainname[MOAT_UTS_LEN];
};

/* struct sysinfo as the x86_64 kernel writes it: 112 bytes (musl's is 368) */
#ifndef MOAT_KSYSINFO_DEFINED
#define MOAT_KSYSINFO_DEFINED
struct moat_ksysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint32_t pad2; /* the kernel's implicit alignment hole, spelled out so it is zeroed */
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	uint32_t pad3; /* _f[] is empty on 64-bit; the struct is padded to 112 */
};
#endif
/* struct compat_sysinfo (i386 sysinfo via int 0x80): 64 bytes */
struct moat_compat_sysinfo {
	int32_t uptime;
	uint32_t loads[3];
	uint32_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint32_t totalhigh, freehigh;
	uint32_t mem_unit;
	char f[8];
};

/* struct user_msghdr, iovec, mmsghdr and cmsghdr as an x86_64 target lays them out */
struct moat_kmsghdr {
	uint64_t name;
	int32_t namelen;
	uint32_t pad0;
	uint64_t iov;
	uint64_t iovlen;
	uint64_t control;
	uint64_t controllen;
	uint32_t flags;
	uint32_t pad1;
};
struct moat_kiovec {
	uint64_t base, len;
};
struct moat_kmmsghdr {
	struct moat_kmsghdr hdr;
	uint32_t len;
	uint32_t pad;
};
struct moat_kcmsghdr {
	uint64_t len;
	int32_t level, type;
};
/* struct open_how is moat_open_how above */

#endif
