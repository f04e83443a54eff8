/* Seccomp user notifications: receive one, dispatch by ABI and syscall number, answer.
 * uname and sysinfo are answered here; egress calls in notify_net.c; observation-only
 * events in notify_observe.c.
 *
 * Only the x86_64 ABI is served in full. i386 (int 0x80) uname and sysinfo are served (the
 * utsname layout is the same, sysinfo gets the kernel's compat layout); every other i386 or
 * x32 notification is refused with ENOSYS: its numbers mean other calls and its structs
 * other layouts, and a call the sentry does not understand is never let through. */
#include "notify_int.h"
#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(struct moat_seccomp_notif) == 80, "struct seccomp_notif");
_Static_assert(sizeof(struct moat_seccomp_notif_resp) == 24, "struct seccomp_notif_resp");
_Static_assert(sizeof(struct moat_new_utsname) == 390, "struct new_utsname");
_Static_assert(sizeof(struct moat_ksysinfo) == 112, "struct sysinfo");
_Static_assert(sizeof(struct moat_compat_sysinfo) == 64, "struct compat_sysinfo");
_Static_assert(sizeof(struct moat_kmsghdr) == 56, "struct user_msghdr");
_Static_assert(sizeof(struct moat_kmmsghdr) == 64, "struct mmsghdr");

enum call {
	C_NONE, C_UNAME, C_SYSINFO, C_SYSINFO32, C_CONNECT, C_SENDTO, C_SENDMSG, C_SENDMMSG,
	C_BIND, C_EXECVE, C_EXECVEAT, C_OPEN, C_SETID, C_MOUNT, C_PTRACE, C_GETAFFINITY,
	C_PERSONALITY,
};

static enum call classify(const struct moat_seccomp_data *d)
{
	if (d->arch == MOAT_AUDIT_ARCH_I386)
		return d->nr == 122 ? C_UNAME : d->nr == 116 ? C_SYSINFO32 : d->nr == 136 ? C_PERSONALITY
											 : C_NONE;
	if (d->arch != MOAT_AUDIT_ARCH_X86_64 || (d->nr & MOAT_X32_SYSCALL_BIT))
		return C_NONE;
	switch (d->nr) {
	case 63: return C_UNAME;
	case 99: return C_SYSINFO;
	case 42: return C_CONNECT;
	case 44: return C_SENDTO;
	case 46: return C_SENDMSG;
	case 307: return C_SENDMMSG;
	case 49: return C_BIND;
	case 59: return C_EXECVE;
	case 322: return C_EXECVEAT;
	case 2: case 85: case 257: case 437: return C_OPEN; /* open, creat, openat, openat2 */
	case 105: case 106: case 113: case 114: case 116: case 117: case 119: case 122: case 123:
		return C_SETID;
	case 165: case 166: case 429: return C_MOUNT; /* mount, umount2, move_mount */
	case 101: return C_PTRACE;
	case 204: return C_GETAFFINITY;
	case 135: return C_PERSONALITY;
	}
	return C_NONE;
}

int64_t notify_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct notify *notify_open(const struct notify_config *cfg, char *err, size_t errlen)
{
	struct moat_seccomp_notif_sizes sz;
	if (syscall(SYS_seccomp, MOAT_SECCOMP_GET_NOTIF_SIZES, 0, &sz) != 0) {
		snprintf(err, errlen, "seccomp: notification sizes: %s", errstr(errno));
		return NULL;
	}
	/* a kernel with larger structs still fills ours in its layout's prefix; a smaller one
	 * would be a different ABI */
	if (sz.notif < sizeof(struct moat_seccomp_notif) ||
	    sz.resp < sizeof(struct moat_seccomp_notif_resp) ||
	    sz.data < sizeof(struct moat_seccomp_data)) {
		snprintf(err, errlen, "seccomp: the kernel's notification structs (%u, %u, %u bytes) "
			 "are smaller than this sentry's", sz.notif, sz.resp, sz.data);
		return NULL;
	}
	struct notify *n = calloc(1, sizeof *n);
	if (!n) {
		snprintf(err, errlen, "seccomp: out of memory");
		return NULL;
	}
	n->cfg = *cfg;
	n->req_size = sz.notif;
	n->resp_size = sz.resp;
	n->req = calloc(1, n->req_size);
	n->resp = calloc(1, n->resp_size);
	n->sendbuf = malloc(NOTIFY_SEND_MAX);
	n->ep = epoll_create1(EPOLL_CLOEXEC);
	if (!n->req || !n->resp || !n->sendbuf || n->ep < 0) {
		snprintf(err, errlen, "seccomp: notification buffers: %s", errstr(errno ? errno : ENOMEM));
		notify_close(n);
		return NULL;
	}
	/* Linux >= 6.6: the caller and the sentry hand over on one CPU (DESIGN §4.4, 12-50 µs
	 * down to 4-6 µs); older kernels say EINVAL and we go on without */
	if (!cfg->no_sync_wakeup && ioctl(cfg->listener, MOAT_SECCOMP_IOCTL_NOTIF_SET_FLAGS,
					  MOAT_SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0)
		n->stats.sync_wakeup = 1;
	return n;
}

int notify_listener_fd(const struct notify *n)
{
	return n->cfg.listener;
}

int notify_pending_fd(const struct notify *n)
{
	return n->ep;
}

int notify_timeout_ms(const struct notify *n)
{
	return held_timeout_ms(n);
}

const struct notify_stats *notify_stats(const struct notify *n)
{
	return &n->stats;
}

void notify_close(struct notify *n)
{
	if (!n)
		return;
	held_drop_all(n);
	if (n->ep >= 0)
		close(n->ep);
	free(n->req);
	free(n->resp);
	free(n->sendbuf);
	free(n);
}

int notify_reply(struct notify *n, uint64_t id, const struct answer *a)
{
	struct moat_seccomp_notif_resp *r = n->resp;
	memset(r, 0, n->resp_size);
	r->id = id;
	if (a->kind == A_VALUE)
		r->val = a->val;
	else if (a->kind == A_ERROR)
		r->error = -a->err;
	else
		r->flags = MOAT_SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	if (ioctl(n->cfg.listener, MOAT_SECCOMP_IOCTL_NOTIF_SEND, r) == 0)
		return 0;
	n->stats.gone++; /* ENOENT: interrupted by a signal, or killed */
	return -1;
}

int notify_traced(const struct notify *n, unsigned families)
{
	return n->cfg.trace && (n->cfg.trace->families & families);
}

struct trace_event *notify_event(struct notify *n, unsigned families, const char *event, pid_t tid)
{
	if (!notify_traced(n, families))
		return NULL;
	tev_begin(&n->ev, n->cfg.trace, event, tid);
	n->ev_open = 1;
	n->ev_decision = "allow";
	return &n->ev;
}

static void copy_field(char *dst, const char *src)
{
	size_t len = strnlen(src, MOAT_UTS_LEN - 1);
	memcpy(dst, src, len);
	dst[len] = 0;
}

#define PER_LINUX32 0x0008
#define UNAME26 0x0020000

/* The caller's personality(2) (from /proc), which changes what uname says; 0 if unknown. */
static unsigned long personality_of(const struct notify *n, pid_t tid)
{
	char path[48], buf[32];
	snprintf(path, sizeof path, "%d/personality", (int)tid);
	int fd = openat(n->cfg.proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t r = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[r > 0 ? r : 0] = 0;
	return strtoul(buf, NULL, 16);
}

/* The real uname of the sentry's uts namespace (the container's), release and version as
 * the policy says, and the caller's personality applied as the kernel does (linux32: i686;
 * UNAME26: a 2.6.x release). */
static void on_uname(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
		     struct answer *a)
{
	struct utsname u;
	if (uname(&u) != 0) {
		*a = (struct answer){A_ERROR, 0, errno};
		return;
	}
	struct moat_new_utsname k;
	memset(&k, 0, sizeof k);
	unsigned long pers =
		!n->cfg.personality_seen || *n->cfg.personality_seen ? personality_of(n, t->tid) : 0;
	copy_field(k.sysname, u.sysname);
	copy_field(k.nodename, u.nodename);
	copy_field(k.release, n->cfg.uname_release ? n->cfg.uname_release : u.release);
	copy_field(k.version, n->cfg.uname_version ? n->cfg.uname_version : u.version);
	copy_field(k.machine, (pers & 0xff) == PER_LINUX32 ? "i686" : u.machine);
	copy_field(k.domainname, u.domainname);
	if (pers & UNAME26) {
		/* the kernel's override_release: "2.6.<60 + minor>" and the release's suffix */
		unsigned major = 0, minor = 0;
		const char *rest = k.release;
		int dots = 0;
		while (*rest && (*rest == '.' || (*rest >= '0' && *rest <= '9'))) {
			if (*rest == '.' && ++dots >= 3)
				break;
			rest++;
		}
		char out[2 * MOAT_UTS_LEN]; /* copy_field cuts it to the field */
		if (sscanf(k.release, "%u.%u", &major, &minor) == 2) {
			snprintf(out, sizeof out, "2.6.%u%s", 60 + minor, rest);
			copy_field(k.release, out);
		}
	}
	int r = tgt_write(t, d->args[0] & (d->arch == MOAT_AUDIT_ARCH_I386 ? 0xffffffffu : ~0ull),
			  &k, sizeof k);
	*a = r ? (struct answer){A_ERROR, 0, -r} : (struct answer){A_VALUE, 0, 0};
}

/* i386's struct sysinfo has 32-bit fields: scale memory as the kernel does (compat
 * do_sysinfo) when a value does not fit */
static void to_compat(const struct moat_ksysinfo *s, struct moat_compat_sysinfo *c)
{
	struct moat_ksysinfo v = *s;
	if ((v.totalram >> 32) || (v.totalswap >> 32)) {
		unsigned shift = 0;
		while (v.mem_unit < 4096) {
			v.mem_unit <<= 1;
			shift++;
		}
		v.totalram >>= shift, v.freeram >>= shift, v.sharedram >>= shift;
		v.bufferram >>= shift, v.totalswap >>= shift, v.freeswap >>= shift;
		v.totalhigh >>= shift, v.freehigh >>= shift;
	}
	memset(c, 0, sizeof *c);
	c->uptime = (int32_t)v.uptime;
	for (int i = 0; i < 3; i++)
		c->loads[i] = (uint32_t)v.loads[i];
	c->totalram = (uint32_t)v.totalram, c->freeram = (uint32_t)v.freeram;
	c->sharedram = (uint32_t)v.sharedram, c->bufferram = (uint32_t)v.bufferram;
	c->totalswap = (uint32_t)v.totalswap, c->freeswap = (uint32_t)v.freeswap;
	c->procs = v.procs;
	c->totalhigh = (uint32_t)v.totalhigh, c->freehigh = (uint32_t)v.freehigh;
	c->mem_unit = v.mem_unit;
}

static void on_sysinfo(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
		       struct answer *a, int compat)
{
	if (!n->cfg.sysinfo) {
		*a = (struct answer){A_ERROR, 0, ENOSYS};
		n->stats.refused++;
		return;
	}
	struct moat_ksysinfo s;
	memset(&s, 0, sizeof s);
	int r = n->cfg.sysinfo(n->cfg.sysinfo_arg, &s);
	if (r < 0) {
		*a = (struct answer){A_ERROR, 0, -r};
		return;
	}
	if (compat) {
		struct moat_compat_sysinfo c;
		to_compat(&s, &c);
		r = tgt_write(t, d->args[0] & 0xffffffffu, &c, sizeof c);
	} else {
		r = tgt_write(t, d->args[0], &s, sizeof s);
	}
	*a = r ? (struct answer){A_ERROR, 0, -r} : (struct answer){A_VALUE, 0, 0};
}

/* A surface refusal the trace should see: its errno, and a "denied" event. */
static int on_denial(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
		     struct answer *a)
{
	if (d->arch != MOAT_AUDIT_ARCH_X86_64 || (d->nr & MOAT_X32_SYSCALL_BIT))
		return 0;
	for (size_t i = 0; i < n->cfg.n_denials; i++) {
		const struct notify_denial *x = &n->cfg.denials[i];
		if (x->nr != d->nr)
			continue;
		*a = (struct answer){A_ERROR, 0, x->err};
		n->stats.denied++;
		struct trace_event *e = notify_event(n, TRACE_DENIED, "denied", t->tid);
		if (e) {
			tev_str(e, "call", x->name, strlen(x->name));
			tev_int(e, "errno", x->err);
			n->ev_decision = "deny";
		}
		return 1;
	}
	return 0;
}

/* sched_getaffinity(0, len, mask): the caller's CPUs as the container sees them (busybox
 * nproc, Go's and the JVM's thread pools size themselves by it). Another pid's: as it is. */
#define AFFINITY_MAX 1024 /* bytes of mask: 8192 CPUs */
static void on_getaffinity(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
			   struct answer *a)
{
	if (!n->cfg.cpus || d->args[0] != 0) {
		*a = (struct answer){A_CONTINUE, 0, 0};
		return;
	}
	uint8_t mask[AFFINITY_MAX];
	size_t len = d->args[1] < sizeof mask ? (size_t)d->args[1] : sizeof mask;
	long r = syscall(SYS_sched_getaffinity, t->tid, len, mask);
	if (r < 0) {
		*a = (struct answer){A_ERROR, 0, errno};
		return;
	}
	uint16_t ids[AFFINITY_MAX * 8 < 4096 ? AFFINITY_MAX * 8 : 4096];
	unsigned nid = n->cfg.cpus(n->cfg.sysinfo_arg, ids, sizeof ids / sizeof ids[0]);
	uint8_t cut[AFFINITY_MAX];
	memset(cut, 0, sizeof cut);
	int any = 0;
	for (unsigned i = 0; i < nid; i++) {
		unsigned c = ids[i];
		if (c / 8 < (size_t)r && (mask[c / 8] & (1u << (c % 8)))) {
			cut[c / 8] |= (uint8_t)(1u << (c % 8));
			any = 1;
		}
	}
	/* pinned to CPUs outside the view: its own mask is the truth */
	int w = tgt_write(t, d->args[2], any ? cut : mask, (size_t)r);
	*a = w ? (struct answer){A_ERROR, 0, -w} : (struct answer){A_VALUE, r, 0};
}

static void dispatch(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
		     struct answer *a)
{
	if (n->cfg.n_denials && on_denial(n, t, d, a))
		return;
	switch (classify(d)) {
	case C_UNAME: on_uname(n, t, d, a); break;
	case C_SYSINFO: on_sysinfo(n, t, d, a, 0); break;
	case C_SYSINFO32: on_sysinfo(n, t, d, a, 1); break;
	case C_CONNECT: net_connect(n, t, d, a); break;
	case C_SENDTO: net_sendto(n, t, d, a); break;
	case C_SENDMSG: net_sendmsg(n, t, d, a, 0); break;
	case C_SENDMMSG: net_sendmsg(n, t, d, a, 1); break;
	case C_BIND: obs_bind(n, t, d, a); break;
	case C_EXECVE: obs_exec(n, t, d, a, 0); break;
	case C_EXECVEAT: obs_exec(n, t, d, a, 1); break;
	case C_OPEN: obs_open(n, t, d, a); break;
	case C_SETID: obs_setid(n, t, d, a); break;
	case C_MOUNT: obs_mount(n, t, d, a); break;
	case C_PTRACE: obs_ptrace(n, t, d, a); break;
	case C_GETAFFINITY: on_getaffinity(n, t, d, a); break;
	case C_PERSONALITY:
		/* observation: from now on uname looks at the caller's personality */
		if (n->cfg.personality_seen)
			*n->cfg.personality_seen = 1;
		*a = (struct answer){A_CONTINUE, 0, 0};
		break;
	case C_NONE:
		*a = (struct answer){A_ERROR, 0, ENOSYS};
		n->stats.refused++;
		break;
	}
}

static int serve_one(struct notify *n)
{
	memset(n->req, 0, n->req_size); /* RECV insists on a zeroed buffer */
	if (ioctl(n->cfg.listener, MOAT_SECCOMP_IOCTL_NOTIF_RECV, n->req) != 0) {
		/* ENOENT: the caller left between poll and here */
		if (errno == EINTR || errno == ENOENT)
			return 1;
		return -1;
	}
	const struct moat_seccomp_notif *q = n->req;
	n->stats.received++;
	struct target t = {.n = n, .id = q->id, .tid = (pid_t)q->pid, .mem = -1, .pidfd = -1};
	struct answer a = {A_ERROR, 0, ENOSYS};
	n->ev_open = 0;
	dispatch(n, &t, &q->data, &a);
	tgt_close(&t);
	if (a.kind == A_CONTINUE)
		n->stats.continued++;
	if (a.kind != A_HELD)
		notify_reply(n, t.id, &a);
	if (n->ev_open) /* after the reply: the caller does not wait for the trace */
		trace_emit(n->cfg.trace, &n->ev, n->ev_decision);
	n->ev_open = 0;
	return 1;
}

int notify_serve(struct notify *n, short listener_revents)
{
	if (n->nheld)
		held_service(n);
	if (listener_revents & POLLNVAL) {
		errno = EBADF;
		return -1;
	}
	if (listener_revents & POLLIN)
		return serve_one(n);
	if (listener_revents & (POLLHUP | POLLERR))
		return 0;
	return 1;
}
