/* Internal interfaces between the sentry's files (not exported by libmoat). */
#ifndef MOAT_SENTRY_H
#define MOAT_SENTRY_H

#include <stddef.h>
#include <sys/types.h>
#include "plan.h"

#define MOAT_VERSION "0.1.0"

/* init.c: the container init, run in the clone3 child; never returns. */
_Noreturn void init_main(const struct plan *p, int start_rd, int err_wr);
/* Report an init setup error on the error pipe as "E<text>" and exit 1. */
_Noreturn void init_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* mounts.c: everything in the container's mount namespace, up to and after pivot_root. */
void mounts_setup(const struct plan *p);

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

/* util.c */
const char *errstr(int e);          /* strerror, lower-case like Go's (runc's) wording */
int fds_close_from(int from);       /* close every fd >= from */
int fds_cloexec_from(int from);     /* mark every fd >= from close-on-exec */

#endif
