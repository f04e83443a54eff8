/* The sentry's mediation (sandbox.c; PROTOCOL.md §11). */
#ifndef MOAT_SANDBOX_H
#define MOAT_SANDBOX_H

#include <poll.h>
#include <stddef.h>

#include "notify.h"
#include "plan.h"

/* The policy of the plan: egress rules, trace pipe and file. proc_fd: the host's /proc. */
int sandbox_init(const struct plan *p, int proc_fd, char *err, size_t errlen);
/* Where sysinfo(2) answers come from (the virtual views), before listeners are added. */
void sandbox_set_sysinfo(notify_sysinfo_fn fn, void *arg);
/* The workload runs: the trace starts (the init's own setup is not traced). */
void sandbox_started(void);
/* pidfd_getfd of a listener the init reported ("L<fd>"). */
int sandbox_take(int pidfd, long remote_fd, int *fd_out, char *err, size_t errlen);
/* Serve this listener from now on (it is ours to close). */
int sandbox_add_listener(int fd, char *err, size_t errlen);
/* fd is a seccomp listener (for one that came over the control socket). */
int sandbox_is_listener(int fd);
/* The loop's poll slots: fill before poll, serve after (same slots). */
size_t sandbox_fill(struct pollfd *pfd, size_t max);
void sandbox_serve(const struct pollfd *pfd, size_t n);
int sandbox_timeout_ms(void); /* -1: none */
/* A `moat trace` client: trace lines go to it until the container ends. -1: no trace here. */
int sandbox_add_trace_client(int fd);
/* The container ended: flush the trace, close everything (held calls fail with ENOSYS). */
void sandbox_finish(void);
/* In the init right after clone3: none of the sentry's fds stay with the container. */
void sandbox_close_in_child(void);

#endif
