/* The sentry's side of seccomp user notification (DESIGN §4.2-4.4): virtualised uname and
 * sysinfo, the egress policy on connect/sendto/sendmsg/sendmmsg, and trace events.
 *
 * The loop polls notify_listener_fd() and notify_pending_fd() for POLLIN with
 * notify_timeout_ms() as (the bound of) its timeout, and calls notify_serve() after every
 * wake-up. notify_serve never blocks: it takes at most one new notification, and finishes
 * the calls it holds (blocking connects and sends) that became ready or reached their
 * deadline. The listener is polled directly, not through epoll, because only a direct
 * poll keeps the SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP same-CPU hand-over.
 *
 * The sentry answers from its own uts namespace (uname) and must therefore live in the
 * container's (sentry.c joins it). pids in notifications are in the sentry's pid namespace:
 * proc_fd must be that namespace's /proc, not the container's. */
#ifndef MOAT_NOTIFY_H
#define MOAT_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "egress.h"
#include "kabi.h"
#include "trace.h"

/* sysinfo(2) values for the caller (vproc_sysinfo behind it): 0, or a negative errno that
 * the call fails with. */
typedef int (*notify_sysinfo_fn)(void *arg, struct moat_ksysinfo *out);
/* The host CPU ids the container sees (sched_getaffinity answers are cut to them): the count. */
typedef unsigned (*notify_cpus_fn)(void *arg, uint16_t *ids, unsigned cap);

/* A syscall moat's surface filter refuses, answered by the sentry so the trace can name it
 * (dev.moat.trace "denied"); x86_64 numbers. */
struct notify_denial {
	int nr;
	int err;          /* positive errno */
	const char *name; /* for the trace */
};

struct notify_config {
	int listener;              /* the seccomp listener (borrowed: notify_close leaves it open) */
	int proc_fd;               /* the sentry's /proc (an O_DIRECTORY fd) */
	const char *uname_release; /* NULL: the host's */
	const char *uname_version; /* NULL: the host's */
	notify_sysinfo_fn sysinfo; /* NULL: sysinfo notifications are refused (ENOSYS) */
	void *sysinfo_arg;
	notify_cpus_fn cpus;       /* NULL: sched_getaffinity runs as it is (CONTINUE) */
	/* Set (shared by every listener) once a process of the container may have a personality
	 * other than the default (the plan set one, or one called personality(2), which is then
	 * notified): only then does uname read the caller's, which costs three syscalls. NULL:
	 * always read it. */
	int *personality_seen;
	/* NULL: connect/sendto/sendmsg/sendmmsg are only traced (CONTINUE); else each call on an
	 * IP socket is decided and performed by the sentry. Must outlive the notify. */
	const struct egress_policy *egress;
	struct trace *trace;       /* NULL: no trace */
	const struct notify_denial *denials; /* refused here, with their errno */
	size_t n_denials;
	int no_sync_wakeup;        /* measurements only: leave SYNC_WAKE_UP off */
};

struct notify_stats {
	uint64_t received;  /* notifications taken */
	uint64_t continued; /* observation only: the kernel ran the call */
	uint64_t performed; /* egress calls the sentry made on its duplicate of the socket */
	uint64_t denied;    /* refused by the egress policy */
	uint64_t refused;   /* could not be answered (unknown call, unreadable memory, other ABI) */
	uint64_t gone;      /* the caller left before the answer (signal, kill) */
	uint64_t held;      /* calls held until their socket was ready (blocking connect/send) */
	int sync_wakeup;    /* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP is on */
};

struct notify;

/* NULL with a message in err on failure (the listener is left alone). */
struct notify *notify_open(const struct notify_config *cfg, char *err, size_t errlen);
int notify_listener_fd(const struct notify *n);
int notify_pending_fd(const struct notify *n);
int notify_timeout_ms(const struct notify *n);
/* listener_revents: what poll said about the listener (0 if it was not polled).
 * 1: keep going; 0: the listener hung up (every task of the filter is gone);
 * -1: the listener failed (errno). */
int notify_serve(struct notify *n, short listener_revents);
const struct notify_stats *notify_stats(const struct notify *n);
/* Frees everything but the listener. Held calls are not answered: once the listener is
 * closed the kernel fails them, like every later notified call, with ENOSYS. */
void notify_close(struct notify *n);

#endif
