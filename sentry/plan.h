/* The launch plan (PROTOCOL.md §1): what TypeScript decided, decoded into C structs.
 * C decides nothing: every path, flag and number here was resolved by core/plan/. */
#ifndef MOAT_PLAN_H
#define MOAT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define PLAN_VERSION 1

/* top-level tags */
enum {
	T_ROOTFS = 1, T_ROOTFS_READONLY, T_ROOT_PROPAGATION, T_NO_PIVOT, T_HOSTNAME,
	T_DOMAINNAME, T_NAMESPACE, T_MOUNT, T_DEVICE, T_SYMLINK, T_MASKED_PATH,
	T_READONLY_PATH, T_ARG, T_ENV, T_CWD, T_UID, T_GID, T_ADDITIONAL_GID, T_UMASK,
	T_CAP_BOUNDING, T_CAP_EFFECTIVE, T_CAP_INHERITABLE, T_CAP_PERMITTED, T_CAP_AMBIENT,
	T_CAP_LAST, T_RLIMIT, T_NO_NEW_PRIVS, T_OOM_SCORE_ADJ, T_NOTIFY_SOCKET,
	T_CONTROL_SOCKET, T_LOG_PATH, T_PRESERVE_FDS, T_PATH_DIR, T_NO_NEW_KEYRING,
	T_SESSION_KEYRING_NAME, T_CONTAINER_ID,
	/* Reserved ranges, so features can be added side by side (PROTOCOL.md §1):
	 * 40-49 cgroups, 50-59 seccomp, 60-79 hooks and process attributes,
	 * 80-89 terminals, 90-99 process and exec additions, 100-119 the sandbox (mediation),
	 * 120-129 rootfs overlay and filestores, 130-139 pods, 140-149 checkpoint/restore.
	 * Each feature defines its own T_* values in its range. */
	T_MAX_TOP = 159
};

/* 40-49: cgroups (PROTOCOL.md §1, cgroups) */
enum { T_CGROUP_PROCS = 40, T_CGROUP_V2_DIR };
#define PLAN_MAX_CGROUP_PROCS 16

/* 50-59: seccomp (PROTOCOL.md §7) */
enum { T_SECCOMP_BPF = 50, T_SECCOMP_FLAGS, T_SECCOMP_NOTIFY, T_SECCOMP_LISTENER_PATH,
       T_SECCOMP_LISTENER_STATE, T_SECCOMP_EARLY };
#define PLAN_SECCOMP_MAX_INSNS 4096u

/* 80-89: terminals */
enum { T_TERMINAL = 80, T_CONSOLE_SOCKET, T_CONSOLE_ROWS, T_CONSOLE_COLS, T_CONSOLE_RELAY,
	/* 85: `exec` into an existing container (namespaces joined by path, no mounts) */
	T_EXEC,
	/* 86-88: a new user namespace's id maps, written by the sentry */
	T_UID_MAP, T_GID_MAP, T_SETGROUPS_DENY,
	/* 89: exec's target, pid and start time: namespace files opened by path are checked
	 * against it after opening, so a recycled pid is never joined */
	T_EXEC_TARGET,
	/* 90-91: linux.memoryPolicy, set_mempolicy(mode|flags, nodes) before execve */
	T_MEMPOLICY_MODE = 90, T_MEMPOLICY_NODES,
	/* 92: linux.netDevices, one nest per device: ND_NAME (host), ND_NEWNAME (optional) */
	T_NET_DEVICE,
	/* 93: exec --detach: the process execs only once the CLI that started the sentry exited */
	T_EXEC_RELEASE,
	/* 94: --pidfd-socket: a pidfd of the init is sent there before the report */
	T_PIDFD_SOCKET };

/* 100-119: the sandbox (PROTOCOL.md §11): moat's own filter and what the sentry mediates */
enum { T_SANDBOX_BPF = 100, T_SANDBOX_NOTIFY, T_SANDBOX_EARLY, T_UNAME_RELEASE, T_UNAME_VERSION,
       T_VIRT_SYSINFO, T_VIRT_FILES, T_EGRESS_DEFAULT, T_EGRESS_RULE, T_TRACE, T_TRACE_FILE,
       T_DENIAL, T_ADOPT_SOCKET, T_VPROC_DIR, T_VPROC_V2, T_SANDBOX_FIRST,
       T_POD_EGRESS_DEFAULT };
/* 140-159: checkpoint/restore. 140: `restore`: no init is cloned, the sentry attaches to the
 * tree CRIU restored (u64 pid, u64 start time) and supervises it as a sidecar */
enum { T_ATTACH = 140 };
#define PLAN_MAX_EGRESS_RULES 1024
#define PLAN_MAX_DENIALS 256
#define PLAN_MAX_VPROC_DIRS 8
/* VPROC_DIR kinds: the container's cgroup directory per controller the views read */
enum { VPROC_MEMORY = 1, VPROC_CPU, VPROC_CPUACCT, VPROC_CPUSET, VPROC_BLKIO, VPROC_PIDS,
       VPROC_MAX = VPROC_PIDS };

/* 120-129: the rootfs overlay and filestores (PROTOCOL.md §12) */
enum { T_OVERLAY = 120 };
#define PLAN_MAX_OVERLAYS 64

/* One overlay: the sentry mounts tmpfs (if any, in its own mount namespace, before clone3),
 * makes upper, work and target and creates the overlayfs as a detached mount; the init
 * attaches it at target (the rootfs), or the MOUNT whose source is target takes it.
 * file: the lower is a file, copied to target by the sentry (no overlayfs). */
struct plan_overlay {
	char *lower, *upper, *work, *target, *tmpfs, *tmpfs_data;
	uint64_t file;
	int tree; /* the rootfs overlay's detached mount, made by the sentry (-1: none) */
};

struct plan_egress_rule {
	uint64_t family, prefix, port, deny;
	uint64_t pod; /* 1: the pod's policy (POD_EGRESS_DEFAULT), 0: the container's */
	uint8_t addr[16];
};

struct plan_denial {
	uint64_t nr, err;
	char *name;
};

struct plan_sandbox {
	uint8_t *bpf;
	size_t bpf_len;
	uint64_t notify, early, first, sysinfo, trace, vproc_v2;
	uint64_t files; /* bits of vfs_proc_files (vfs_fuse.c order) */
	char *uname_release, *uname_version, *trace_file, *adopt_socket;
	int has_egress, has_pod_egress;
	uint64_t egress_default_deny, pod_egress_default_deny;
	struct plan_egress_rule *egress;
	size_t n_egress;
	struct plan_denial *denials;
	size_t n_denials;
	char *vproc_dirs[VPROC_MAX + 1]; /* by kind */
};

#define PLAN_MAX_NET_DEVICES 32

struct plan_netdev {
	char *name, *newname;
};

#define PLAN_MAX_MEMPOLICY_NODES_BYTES 128 /* 1024 NUMA nodes */

#define PLAN_MAX_IDMAPS 340 /* the kernel's limit per map */

struct plan_idmap {
	uint64_t container, host, size;
};

#define PLAN_MAX_NS 16
#define PLAN_MAX_RLIMITS 16

struct plan_ns {
	uint64_t type;  /* one CLONE_NEW* flag */
	char *path;     /* NULL: create a new namespace */
};

struct plan_mount {
	char *source, *dest, *type, *data;
	uint64_t flags, propagation, remount_flags, create, mode;
	uint64_t rattr_set, rattr_clr; /* M_RATTR_SET/CLR: mount_setattr(AT_RECURSIVE) */
	uint64_t copyup;               /* M_COPYUP: tmpcopyup, the old content copied in */
	/* idmapped bind mount (M_UIDMAP/M_GIDMAP): the sentry makes a user namespace with these
	 * maps before clone3 and the init attaches it with mount_setattr(MOUNT_ATTR_IDMAP) */
	struct plan_idmap *uid_maps, *gid_maps;
	size_t n_uid_maps, n_gid_maps;
	uint64_t idmap_recursive;
	int idmap_tree; /* the idmapped clone of the source, made by the sentry (-1: none) */
};

/* 60-79: hooks and process attributes (PROTOCOL.md §8) */
enum { T_HOOK = 60, T_HOOK_PAUSE, T_SYSCTL, T_PERSONALITY, T_SCHEDULER, T_IOPRIO,
       T_CPU_AFFINITY_INITIAL, T_CPU_AFFINITY_FINAL, T_TIME_OFFSET };
#define PLAN_MAX_HOOKS 256
#define PLAN_MAX_SYSCTLS 256
#define PLAN_CPUSET_MAX 1024u /* bytes of a CPU mask: 8192 CPUs */
enum { HOOK_CREATE_CONTAINER = 1, HOOK_START_CONTAINER = 2 };

struct plan_hook {
	uint64_t kind, index, timeout; /* timeout in seconds, 0 = none */
	char *path;
	char **argv; size_t argc;      /* NULL-terminated, argv[0] as given */
	char **envp; size_t envc;      /* NULL-terminated or NULL: exactly the hook's env */
	char *state_head, *state_tail; /* state JSON = head + decimal pid + tail */
};

struct plan_sysctl {
	char *key, *path, *value;      /* path relative to /proc/sys */
};

struct plan_sched {
	uint64_t policy, flags, priority, runtime, deadline, period;
	int64_t nice;
};

struct plan_time_offset {
	uint64_t clock;                /* CLOCK_MONOTONIC (1) or CLOCK_BOOTTIME (7) */
	int64_t secs;
	uint64_t nsecs;
};

struct plan_attrs {
	struct plan_hook *hooks;
	size_t n_hooks;
	uint64_t hook_pause;           /* 1: stop before pivot_root for the runtime hooks */
	struct plan_sysctl *sysctls;
	size_t n_sysctls;
	int has_personality, has_sched, has_ioprio;
	uint64_t personality, ioprio;
	struct plan_sched sched;
	uint8_t *cpus_initial, *cpus_final;
	size_t cpus_initial_len, cpus_final_len;
	struct plan_time_offset time_offsets[2];
	size_t n_time_offsets;
};

struct plan_device {
	char *path;
	uint64_t mode, major, minor, uid, gid, bind;
	char *host_path;
};

struct plan_symlink {
	char *target, *path;
};

struct plan_rlimit {
	uint64_t type, soft, hard;
};

struct plan {
	char *rootfs;
	uint64_t rootfs_readonly, root_propagation, no_pivot;
	char *hostname, *domainname;

	struct plan_ns ns[PLAN_MAX_NS];
	size_t n_ns;
	struct plan_mount *mounts;
	size_t n_mounts;
	struct plan_overlay overlays[PLAN_MAX_OVERLAYS];
	size_t n_overlays;
	struct plan_device *devices;
	size_t n_devices;
	struct plan_symlink *symlinks;
	size_t n_symlinks;
	char **masked;
	size_t n_masked;
	char **readonly;
	size_t n_readonly;

	char **argv;    /* NULL-terminated */
	size_t argc;
	char **envp;    /* NULL-terminated */
	size_t envc;
	char *cwd;

	uint64_t uid, gid;
	uint64_t *gids; /* ADDITIONAL_GID */
	size_t n_gids;
	uint64_t umask;
	uint64_t cap_bounding, cap_effective, cap_inheritable, cap_permitted, cap_ambient;
	uint64_t cap_last;
	struct plan_rlimit rlimits[PLAN_MAX_RLIMITS];
	size_t n_rlimits;
	uint64_t no_new_privs;
	int has_oom_score_adj;
	int64_t oom_score_adj;

	char *notify_socket, *control_socket, *log_path;
	uint64_t preserve_fds;
	char **path_dirs;
	size_t n_path_dirs;
	uint64_t no_new_keyring;
	char *session_keyring_name;
	char *container_id;

	/* terminals */
	uint64_t terminal, console_rows, console_cols, console_relay;
	char *console_socket;
	uint64_t exec;
	struct plan_idmap *uid_maps, *gid_maps;
	size_t n_uid_maps, n_gid_maps;
	uint64_t setgroups_deny;
	uint64_t exec_target_pid, exec_target_start;
	uint64_t attach_pid, attach_start; /* T_ATTACH (restore) */
	uint64_t exec_release;
	char *pidfd_socket;
	struct plan_netdev netdevs[PLAN_MAX_NET_DEVICES];
	size_t n_netdevs;
	int has_mempolicy;
	uint64_t mempolicy_mode;           /* MPOL_* | MPOL_F_* flags */
	uint8_t mempolicy_nodes[PLAN_MAX_MEMPOLICY_NODES_BYTES];
	size_t mempolicy_nodes_len;

	/* cgroups: cgroup.procs files the sentry writes its own pid to before clone3, and a
	 * cgroup2 directory the init is cloned into (CLONE_INTO_CGROUP) */
	char *cgroup_procs[PLAN_MAX_CGROUP_PROCS];
	size_t n_cgroup_procs;
	char *cgroup_v2_dir;

	/* seccomp: a classic BPF program (struct sock_filter[]) compiled by libmoat */
	uint8_t *seccomp_bpf;
	size_t seccomp_bpf_len;          /* bytes, a multiple of 8 */
	uint64_t seccomp_flags;          /* SECCOMP_FILTER_FLAG_* other than NEW_LISTENER */
	uint64_t seccomp_notify;         /* 1: load with NEW_LISTENER, hand the fd to the agent */
	uint64_t seccomp_early;          /* 1: load before the credential change */
	char *seccomp_listener_path;
	char *seccomp_listener_state;    /* JSON with \x01 where the init's pid goes */

	/* hooks and process attributes (tags 60-79) */
	struct plan_attrs attrs;

	/* the sandbox (tags 100-119) */
	struct plan_sandbox sandbox;
};

/* Decode buf into a freshly allocated plan. Returns 0 and sets *out, or -1 with a
 * NUL-terminated message in err (never crashes on arbitrary input). */
int plan_decode(const uint8_t *buf, size_t len, struct plan **out, char *err, size_t errlen);
void plan_free(struct plan *p);

/* Lookup helpers used by the sentry and the init. */
const struct plan_ns *plan_ns_find(const struct plan *p, uint64_t type);

#endif
