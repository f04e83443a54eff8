/* Seccomp in the sentry (PROTOCOL.md §7): the init loads the BPF that libmoat compiled, and
 * with SCMP_ACT_NOTIFY rules hands the listener to the sentry, which sends it to the agent at
 * listenerPath with the container process state (runtime-spec config-linux.md, "seccomp").
 *
 * Handover, without a deadlock: after seccomp() the init makes exactly two syscalls before it
 * goes on, write("F<fd>\n") on the error pipe and read(ack) on the start pipe, and create
 * refuses profiles that NOTIFY write or read (runc refuses write for the same reason). The
 * sentry takes the fd with pidfd_getfd, so the init never sends it itself. */
#include "kabi.h"
#include "log.h"
#include "pipe_msgs.h"
#include "sentry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SYS_seccomp
#define SYS_seccomp 317
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#define MOAT_SECCOMP_SET_MODE_FILTER 1
#define MOAT_SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#define MOAT_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)

struct moat_sock_fprog {
	unsigned short len;
	void *filter;
};

static void seccomp_load_engine(const struct plan *p, int start_rd, int err_wr);

/* Reports a listener on the error pipe and blocks until the sentry took it (MSG_ACK). From
 * the load to here only write and read run (create refuses NOTIFY for them, and moat's own
 * filter never notifies them). */
static void hand_over(long fd, char kind, int start_rd, int err_wr)
{
	char line[32];
	int n = snprintf(line, sizeof line, "%c%ld\n", kind, fd);
	write_all(err_wr, line, (size_t)n);
	char c;
	ssize_t r;
	do
		r = read(start_rd, &c, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1 || c != MSG_ACK)
		_exit(1); /* the sentry could not take the listener; it reports why */
	/* the listener is close-on-exec: execve drops the init's copy, so the workload can never
	 * answer its own notifications */
}

/* In the init: load linux.seccomp's filter, then moat's own (PROTOCOL.md §11), in that order:
 * among equal answers the later filter's wins, so a refusal shows moat's errno. */
void seccomp_install(const struct plan *p, int start_rd, int err_wr)
{
	if (p->seccomp_bpf)
		seccomp_load_engine(p, start_rd, err_wr);
	const struct plan_sandbox *s = &p->sandbox;
	if (!s->bpf)
		return;
	struct moat_sock_fprog prog = {.len = (unsigned short)(s->bpf_len / 8), .filter = s->bpf};
	unsigned long flags = s->notify ? MOAT_SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
	long fd = syscall(SYS_seccomp, MOAT_SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (fd < 0)
		init_die("seccomp: load the sandbox filter: %s", errstr(errno));
	if (s->notify)
		hand_over(fd, MSG_OWN_LISTENER, start_rd, err_wr);
}

/* linux.seccomp's filter; with a listener, wait until the sentry handed it to the agent. */
static void seccomp_load_engine(const struct plan *p, int start_rd, int err_wr)
{
	struct moat_sock_fprog prog = {
		.len = (unsigned short)(p->seccomp_bpf_len / 8),
		.filter = p->seccomp_bpf,
	};
	unsigned long flags = (unsigned long)p->seccomp_flags;
	if (p->seccomp_notify)
		flags |= MOAT_SECCOMP_FILTER_FLAG_NEW_LISTENER;
	long fd = syscall(SYS_seccomp, MOAT_SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (fd < 0 && errno == EINVAL && (flags & MOAT_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)) {
		/* a kernel before 5.19: the flag is honoured "where the kernel has it" */
		flags &= ~MOAT_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		fd = syscall(SYS_seccomp, MOAT_SECCOMP_SET_MODE_FILTER, flags, &prog);
	}
	if (fd < 0)
		init_die("seccomp: load the filter: %s", errstr(errno));
	if (p->seccomp_notify)
		hand_over(fd, MSG_LISTENER, start_rd, err_wr);
}

/* The container process state the agent receives: TS rendered it with \x01 for the pid. */
static char *render_state(const char *tmpl, pid_t pid)
{
	char num[16];
	int nl = snprintf(num, sizeof num, "%d", (int)pid);
	size_t holes = 0, len = strlen(tmpl);
	for (const char *c = tmpl; *c; c++)
		holes += *c == '\x01';
	char *out = malloc(len + holes * (size_t)nl + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *c = tmpl; *c; c++) {
		if (*c == '\x01') {
			memcpy(o, num, (size_t)nl);
			o += nl;
		} else {
			*o++ = *c;
		}
	}
	*o = 0;
	return out;
}

static int send_to_agent(const struct plan *p, int lfd, pid_t pid, char *err, size_t errlen)
{
	int s = unix_connect(p->seccomp_listener_path);
	if (s < 0) {
		snprintf(err, errlen, "seccomp: connect to the listener %s: %s",
			 p->seccomp_listener_path, errstr(errno));
		return -1;
	}
	char *json = render_state(p->seccomp_listener_state, pid);
	if (!json) {
		snprintf(err, errlen, "seccomp: out of memory");
		close(s);
		return -1;
	}
	size_t len = strlen(json), off = 0;
	/* the fd travels in SCM_RIGHTS of the first sendmsg, as the spec says */
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	memset(&cm, 0, sizeof cm);
	struct iovec iov = {.iov_base = json, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			   .msg_controllen = sizeof cm.buf};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &lfd, sizeof(int));
	ssize_t w;
	do
		w = sendmsg(s, &m, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w > 0)
		off = (size_t)w;
	while (w > 0 && off < len) {
		w = send(s, json + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR) {
			w = 1;
			continue;
		}
		if (w > 0)
			off += (size_t)w;
	}
	int e = errno;
	free(json);
	close(s);
	if (off != len) {
		snprintf(err, errlen, "seccomp: send the listener to %s: %s", p->seccomp_listener_path,
			 errstr(e));
		return -1;
	}
	return 0;
}

/* In the sentry: read "F<fd>\n" from the init, take the listener, give it to the agent and
 * let the init go on. f_read: the 'F' was read by the caller. Returns 0, or -1 with a message in err (the caller kills the init). */
int seccomp_handover(const struct plan *p, int pidfd, pid_t pid, int err_rd, int ack_wr, char *err,
		     size_t errlen, int f_read)
{
	char line[4100];
	size_t got = 0;
	if (f_read) /* the caller consumed the 'F' already */
		line[got++] = MSG_LISTENER;
	/* byte by byte up to the newline: what follows on the pipe belongs to the caller */
	while (got < sizeof line - 1) {
		ssize_t r = read(err_rd, line + got, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (line[got++] == '\n' && line[0] == MSG_LISTENER)
			break;
	}
	line[got] = 0;
	if (got == 0 || line[0] != MSG_LISTENER) {
		if (got && line[0] == MSG_ERROR)
			snprintf(err, errlen, "%s", line + 1);
		else
			snprintf(err, errlen, "container init exited before it loaded seccomp");
		return -1;
	}
	char *end;
	long n = strtol(line + 1, &end, 10);
	if (end == line + 1 || *end != '\n' || n < 0 || n > 1 << 20) {
		snprintf(err, errlen, "seccomp: bad listener report from the init");
		return -1;
	}
	int lfd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)n, 0);
	if (lfd < 0) {
		snprintf(err, errlen, "seccomp: take the listener from the init: %s", errstr(errno));
		return -1;
	}
	int rc = send_to_agent(p, lfd, pid, err, errlen);
	/* the agent owns the listener now: if it goes away, notified syscalls fail (ENOSYS)
	 * instead of hanging, and the sentry never answers for it */
	close(lfd);
	if (rc != 0)
		return -1;
	ssize_t w;
	do
		w = write(ack_wr, &(char){MSG_ACK}, 1);
	while (w < 0 && errno == EINTR);
	if (w != 1) {
		snprintf(err, errlen, "seccomp: release the init: %s", errstr(errno));
		return -1;
	}
	log_msg("info", "seccomp listener handed to %s", p->seccomp_listener_path);
	return 0;
}
