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
	 * 80-89 terminals. Each feature defines its own T_* values in its range. */
	T_MAX_TOP = 95
};

/* 50-59: seccomp (PROTOCOL.md §7) */
enum { T_SECCOMP_BPF = 50, T_SECCOMP_FLAGS, T_SECCOMP_NOTIFY, T_SECCOMP_LISTENER_PATH,
       T_SECCOMP_LISTENER_STATE, T_SECCOMP_EARLY };
#define PLAN_SECCOMP_MAX_INSNS 4096u

/* 80-89: terminals */
enum { T_TERMINAL = 80, T_CONSOLE_SOCKET, T_CONSOLE_ROWS, T_CONSOLE_COLS, T_CONSOLE_RELAY,
	/* 85: `exec` into an existing container (namespaces joined by path, no mounts) */
	T_EXEC };

#define PLAN_MAX_NS 16
#define PLAN_MAX_RLIMITS 16

struct plan_ns {
	uint64_t type;  /* one CLONE_NEW* flag */
	char *path;     /* NULL: create a new namespace */
};

struct plan_mount {
	char *source, *dest, *type, *data;
	uint64_t flags, propagation, remount_flags, create, mode;
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

	/* seccomp: a classic BPF program (struct sock_filter[]) compiled by libmoat */
	uint8_t *seccomp_bpf;
	size_t seccomp_bpf_len;          /* bytes, a multiple of 8 */
	uint64_t seccomp_flags;          /* SECCOMP_FILTER_FLAG_* other than NEW_LISTENER */
	uint64_t seccomp_notify;         /* 1: load with NEW_LISTENER, hand the fd to the agent */
	uint64_t seccomp_early;          /* 1: load before the credential change */
	char *seccomp_listener_path;
	char *seccomp_listener_state;    /* JSON with \x01 where the init's pid goes */
};

/* Decode buf into a freshly allocated plan. Returns 0 and sets *out, or -1 with a
 * NUL-terminated message in err (never crashes on arbitrary input). */
int plan_decode(const uint8_t *buf, size_t len, struct plan **out, char *err, size_t errlen);
void plan_free(struct plan *p);

/* Lookup helpers used by the sentry and the init. */
const struct plan_ns *plan_ns_find(const struct plan *p, uint64_t type);

#endif
