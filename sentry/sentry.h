/* Internal interfaces between the sentry's files (not exported by libmoat). */
#ifndef MOAT_SENTRY_H
#define MOAT_SENTRY_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include "plan.h"

#define MOAT_VERSION "0.1.0"

/* init.c: the container init, run in the clone3 child; never returns. */
_Noreturn void init_main(const struct plan *p, int start_rd, int err_wr);
/* Report an init setup error on the error pipe as "E<text>" and exit 1. */
_Noreturn void init_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* mounts.c: everything in the container's mount namespace, up to and after pivot_root. */
void mounts_setup(const struct plan *p);

/* overlay.c: the rootfs overlay; prepare in the sentry before clone3, mount in the init. */
int overlay_prepare(struct plan *p, char *err, size_t len);
void overlay_release(struct plan *p); /* after clone3: the init holds its copies */
void overlay_mount(const struct plan *p);

/* creds.c: resource limits, then identity and capabilities (in that order in init.c). */
void creds_rlimits(const struct plan *p);
void creds_apply(const struct plan *p);

/* console.c: process.terminal. init_console_fd is the init's end of the socketpair the
 * pty master travels over (set in the clone3 child before init_main). */
extern int init_console_fd;
void console_setup_init(const struct plan *p, int sock);
int console_receive(int sock);
int console_send(const char *path, int master);
void console_resize(int master, unsigned rows, unsigned cols);
int console_pump(int from, int to);

/* seccomp_load.c: the init loads the filter (and with a listener waits for the sentry to
 * take it); the sentry takes the listener and sends it to the agent (PROTOCOL.md §7). */
void seccomp_install(const struct plan *p, int start_rd, int err_wr);
int seccomp_handover(const struct plan *p, int pidfd, pid_t pid, int err_rd, int ack_wr, char *err,
		     size_t errlen, int f_read);

/* copyup.c: copy a directory's content (fd-relative, no symlink followed) into another. */
int copyup_tree(int src_dir, int dst_dir);

/* hooks.c: createContainer/startContainer hooks in the init, and the pause before pivot_root
 * for the runtime-namespace hooks (PROTOCOL.md §8). */
void hooks_init(const struct plan *p, int start_rd, int err_wr);
void hooks_before_pivot(const struct plan *p);
void hooks_start_container(const struct plan *p);
int hooks_sentry_pause(const struct plan *p, pid_t init_pid, int start_wr, char *err, size_t errlen);

/* process_attrs.c: sysctl, personality, scheduler, I/O priority, CPU affinity, time
 * namespace offsets, recursive mount attributes. */
void attrs_sysctls(const struct plan *p);
void attrs_apply(const struct plan *p);
int attrs_after_exec(const struct plan *p, pid_t pid, char *err, size_t errlen);
int attrs_timens(const struct plan *p, char *err, size_t errlen);
void attrs_mount(int rootfd, const struct plan_mount *m);

/* userns.c: id maps of a new user namespace (sentry side) and becoming its root (init side). */
int userns_write_maps(pid_t pid, const struct plan *p, char *err, size_t errlen);
void userns_become_root(void);
int userns_for_maps(const struct plan_idmap *uid, size_t nuid, const struct plan_idmap *gid,
		    size_t ngid, char *err, size_t errlen);

/* netdev.c: linux.netDevices, moved into the container's network namespace by the sentry. */
int netdev_move(const char *name, const char *newname, int netns_fd, char *err, size_t errlen);

/* util.c */
const char *errstr(int e);          /* strerror, lower-case like Go's (runc's) wording */
int fds_close_from(int from);       /* close every fd >= from */
int fds_cloexec_from(int from);     /* mark every fd >= from close-on-exec */
void write_all(int fd, const char *buf, size_t len); /* retry short writes and EINTR */
int copy_fd(int in, int out);                         /* read to EOF, write all; 0 or -1 */
int proc_is(uint64_t pid, uint64_t start); /* /proc/<pid> started at `start` (no pid reuse) */
int proc_exit_code(uint64_t pid);  /* wait status of a zombie, -1 if not one */
int fd_on_procfs(int fd);           /* 1 if the fd is a file of a procfs (fstatfs magic) */
/* open a procfs file; -1 with EXDEV when the path leads anywhere but a procfs */
int proc_open(const char *path, int flags);
struct sockaddr_un;
/* unix socket address of a path of any length (via /proc/self/fd/N of its directory when it
 * does not fit sun_path): the address length, or 0 with errno; close *dirfd (if >= 0) after */
socklen_t unix_addr(const char *path, struct sockaddr_un *a, int *dirfd);
int unix_connect(const char *path); /* a connected SOCK_STREAM socket, or -1 with errno */
int fd_send(int sock, int fd, const void *data, size_t len); /* one fd in SCM_RIGHTS; 0 or -1 */
int fd_recv(int sock, char *buf, size_t cap, size_t *got);  /* the fd received, or -1 */
/* set in the intermediate that joined a user namespace by path before cloning the init */
extern int init_userns_joined;
/* the sandbox's detached FUSE mount (sandbox.c) the init binds the virtual files from, or -1,
 * and which of them */
struct vfs_file;
extern int init_vfs_mnt;
extern const struct vfs_file *init_vfs_files;
extern size_t init_vfs_nfiles;

#endif
