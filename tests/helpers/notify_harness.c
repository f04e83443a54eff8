/* Test harness for the sentry's seccomp notification module (sentry/notify*.c), built by
 * tests/integration/notify_test.ts with musl-gcc -static together with those files.
 *
 * Every mode runs in a private network namespace (loopback only, fixed ports, nothing leaves
 * the machine). A "peer" process owns the listeners the workload talks to and counts what
 * reaches each of them. The workload is a child that installs a filter with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER; the harness takes the listener with pidfd_getfd and
 * serves it with notify_serve, the way the sentry's loop will. Output: "label = value" lines.
 *
 *   notify_harness probes              uname, sysinfo, egress decisions, ABIs, bad arguments
 *   notify_harness trace FILE FAMILIES trace events into FILE (a directory is made beside it)
 *   notify_harness race [continue]     a thread rewrites the sockaddr while connect runs
 *   notify_harness slow                a held blocking connect does not stall other callers
 *   notify_harness failclosed          the server is killed: mediated calls fail with ENOSYS
 *   notify_harness bench [nosync] [N]  costs (µs, medians)
 *   notify_harness noop ...            prints its pids and exits (the exec probe's program)
 *   notify_harness unit                rule parsing, decisions, JSON escaping (no root) */
#include "egress.h"
#include "kabi.h"
#include "notify.h"
#include "trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- small helpers ---- */

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "notify_harness: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (%s)\n", strerror(errno));
	va_end(ap);
	exit(2);
}

/* one "label = value" line, written whole */
static void out(const char *label, const char *fmt, ...)
{
	char v[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v, sizeof v, fmt, ap);
	va_end(ap);
	dprintf(1, "%s = %s\n", label, v);
}

static const char *errname(int e)
{
	static const struct {
		int e;
		const char *n;
	} t[] = {
		{EPERM, "EPERM"},	  {ENOENT, "ENOENT"},	    {ESRCH, "ESRCH"},
		{EBADF, "EBADF"},	  {EAGAIN, "EAGAIN"},	    {EFAULT, "EFAULT"},
		{EINVAL, "EINVAL"},	  {ENOSYS, "ENOSYS"},	    {ENOTSOCK, "ENOTSOCK"},
		{EMSGSIZE, "EMSGSIZE"},	  {EAFNOSUPPORT, "EAFNOSUPPORT"}, {ENETUNREACH, "ENETUNREACH"},
		{ECONNREFUSED, "ECONNREFUSED"}, {EINPROGRESS, "EINPROGRESS"}, {EALREADY, "EALREADY"},
		{ENOBUFS, "ENOBUFS"},	  {EISCONN, "EISCONN"},	    {ETIMEDOUT, "ETIMEDOUT"},
		{EOPNOTSUPP, "EOPNOTSUPP"}, {EDESTADDRREQ, "EDESTADDRREQ"},
	};
	static char buf[16];
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].e == e)
			return t[i].n;
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

/* a return value as the tests read it: the number, or the errno's name */
static void result(const char *label, long r)
{
	if (r < 0)
		out(label, "%s", errname(errno));
	else
		out(label, "%ld", r);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void write_byte(int fd, char c)
{
	while (write(fd, &c, 1) < 0 && errno == EINTR)
		;
}

static char read_byte(int fd)
{
	char c = 0;
	ssize_t r;
	do
		r = read(fd, &c, 1);
	while (r < 0 && errno == EINTR);
	return r == 1 ? c : 0;
}

static struct sockaddr_in sin4(const char *ip, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static struct sockaddr_in6 sin6(const char *ip, int port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

/* the container pid view of the caller: "NStgid: <host> [<inner>...]" */
static void print_nstgid(const char *label)
{
	char buf[2048];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	char *p = strstr(buf, "NStgid:");
	if (!p)
		return;
	p += 7;
	while (*p == '\t' || *p == ' ')
		p++;
	char *end = strchr(p, '\n');
	if (end)
		*end = 0;
	for (char *c = p; *c; c++)
		if (*c == '\t')
			*c = ' ';
	out(label, "%s", p);
}

/* ---- the network namespace ---- */

static void private_network(void)
{
	if (unshare(CLONE_NEWNET) != 0)
		die("unshare(CLONE_NEWNET)");
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		die("SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		die("bring lo up");
	close(s);
}

/* ---- the peer: listeners and what reached them ---- */

enum { HOLD_NONE, HOLD_UNTIL_DRAIN, HOLD_FOREVER };
struct lsn {
	const char *name;
	int family, type;
	const char *addr; /* "@name" for an abstract unix socket */
	int port, hold;
	int fd;
	long count; /* accepts, or datagrams */
	char got[256]; /* datagrams' payloads, comma-separated */
	long peer_pid;
};
static char unix_name[64], unix_dgram_name[64];
static struct lsn L[] = {
	{.name = "a1", .family = AF_INET, .type = SOCK_STREAM, .addr = "127.0.0.1", .port = 7001, .hold = 0},
	{.name = "d1", .family = AF_INET, .type = SOCK_STREAM, .addr = "127.0.0.2", .port = 7001, .hold = 0},
	{.name = "p2", .family = AF_INET, .type = SOCK_STREAM, .addr = "127.0.0.1", .port = 7002, .hold = 0},
	{.name = "a3", .family = AF_INET, .type = SOCK_STREAM, .addr = "127.0.0.2", .port = 7003, .hold = 0},
	{.name = "d3", .family = AF_INET, .type = SOCK_STREAM, .addr = "127.0.0.3", .port = 7001, .hold = 0},
	{.name = "v6", .family = AF_INET6, .type = SOCK_STREAM, .addr = "::1", .port = 7001, .hold = 0},
	{.name = "u1", .family = AF_INET, .type = SOCK_DGRAM, .addr = "127.0.0.1", .port = 7101, .hold = 0},
	{.name = "ud", .family = AF_INET, .type = SOCK_DGRAM, .addr = "127.0.0.2", .port = 7101, .hold = 0},
	{.name = "un", .family = AF_UNIX, .type = SOCK_STREAM, .addr = unix_name, .port = 0, .hold = 0},
	{.name = "ux", .family = AF_UNIX, .type = SOCK_DGRAM, .addr = unix_dgram_name, .port = 0, .hold = 0},
	{.name = "slow", .family = AF_INET, .type = SOCK_STREAM, .addr = "127.0.0.1", .port = 7200, .hold = HOLD_UNTIL_DRAIN},
	{.name = "full", .family = AF_INET, .type = SOCK_STREAM, .addr = "127.0.0.1", .port = 7201, .hold = HOLD_FOREVER},
};
#define NL (sizeof L / sizeof L[0])

static socklen_t lsn_addr(const struct lsn *l, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (l->family == AF_INET) {
		*(struct sockaddr_in *)ss = sin4(l->addr, l->port);
		return sizeof(struct sockaddr_in);
	}
	if (l->family == AF_INET6) {
		*(struct sockaddr_in6 *)ss = sin6(l->addr, l->port);
		return sizeof(struct sockaddr_in6);
	}
	struct sockaddr_un *u = (struct sockaddr_un *)ss;
	u->sun_family = AF_UNIX;
	size_t n = strlen(l->addr); /* abstract: a leading NUL instead of '@' */
	memcpy(u->sun_path, l->addr, n);
	u->sun_path[0] = 0;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

static void peer_report(void)
{
	for (size_t i = 0; i < NL; i++) {
		char label[64];
		snprintf(label, sizeof label, "peer.%s.%s", L[i].name,
			 L[i].type == SOCK_STREAM ? "accepts" : "datagrams");
		out(label, "%ld", L[i].count);
		if (L[i].got[0]) {
			snprintf(label, sizeof label, "peer.%s.got", L[i].name);
			out(label, "%s", L[i].got);
		}
		if (L[i].peer_pid) {
			snprintf(label, sizeof label, "peer.%s.pid", L[i].name);
			out(label, "%ld", L[i].peer_pid);
		}
	}
}

/* Serves until 'q' on cmd: echoes a stream's first message back ("echo:<data>"), counts,
 * keeps the last datagram (or, for the unix datagram socket, what an fd it was passed reads). */
static _Noreturn void peer_main(int cmd, int ready)
{
	enum { MAXC = 4096 };
	static struct pollfd p[NL + 1 + MAXC];
	static int conn_of[MAXC]; /* listener index of an accepted connection */
	int nconn = 0;
	for (size_t i = 0; i < NL; i++) {
		struct sockaddr_storage ss;
		socklen_t len = lsn_addr(&L[i], &ss);
		L[i].fd = socket(L[i].family, L[i].type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		int one = 1;
		setsockopt(L[i].fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (L[i].family == AF_INET6)
			setsockopt(L[i].fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		if (bind(L[i].fd, (struct sockaddr *)&ss, len) != 0)
			die("peer: bind %s", L[i].name);
		if (L[i].type == SOCK_STREAM && listen(L[i].fd, L[i].hold ? 0 : 1024) != 0)
			die("peer: listen %s", L[i].name);
		if (L[i].hold) { /* fill the accept queue (backlog 0): further SYNs are dropped */
			int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			connect(c, (struct sockaddr *)&ss, len);
			struct pollfd w = {c, POLLOUT, 0};
			poll(&w, 1, 2000);
		}
	}
	write_byte(ready, 'r');
	for (;;) {
		size_t n = 0;
		p[n++] = (struct pollfd){cmd, POLLIN, 0};
		for (size_t i = 0; i < NL; i++)
			p[n++] = (struct pollfd){L[i].fd, L[i].hold ? 0 : POLLIN, 0};
		for (int c = 0; c < nconn; c++)
			p[n + (size_t)c] = (struct pollfd){conn_of[c] >> 16, POLLIN, 0};
		if (poll(p, n + (size_t)nconn, -1) < 0 && errno != EINTR)
			die("peer: poll");
		if (p[0].revents) {
			char c = read_byte(cmd);
			if (c == 'd')
				for (size_t i = 0; i < NL; i++)
					if (L[i].hold == HOLD_UNTIL_DRAIN)
						L[i].hold = HOLD_NONE;
			if (c == 'q' || c == 0) {
				/* connects the workload completed may still sit in an accept queue:
				 * count them too (the listeners are non-blocking) */
				for (size_t i = 0; i < NL; i++) {
					if (L[i].type != SOCK_STREAM || L[i].hold)
						continue;
					for (int a; (a = accept4(L[i].fd, NULL, NULL, SOCK_CLOEXEC)) >= 0;) {
						L[i].count++;
						close(a);
					}
				}
				peer_report();
				_exit(0);
			}
		}
		for (size_t i = 0; i < NL; i++) {
			if (!(p[1 + i].revents & POLLIN))
				continue;
			if (L[i].type == SOCK_STREAM) {
				int c = accept4(L[i].fd, NULL, NULL, SOCK_CLOEXEC);
				if (c < 0)
					continue;
				L[i].count++;
				if (L[i].family == AF_UNIX) {
					struct ucred cr;
					socklen_t l = sizeof cr;
					if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0)
						L[i].peer_pid = cr.pid;
				}
				if (nconn < MAXC)
					conn_of[nconn++] = c << 16 | (int)i;
				else
					close(c);
				continue;
			}
			char buf[128], cbuf[CMSG_SPACE(sizeof(int))];
			struct iovec iov = {buf, sizeof buf - 1};
			struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
					   .msg_controllen = sizeof cbuf};
			ssize_t r = recvmsg(L[i].fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
			if (r < 0)
				continue;
			buf[r] = 0;
			L[i].count++;
			struct cmsghdr *h = CMSG_FIRSTHDR(&m);
			if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
				int fd;
				memcpy(&fd, CMSG_DATA(h), sizeof fd);
				char fdbuf[32];
				ssize_t k = read(fd, fdbuf, sizeof fdbuf - 1);
				fdbuf[k > 0 ? k : 0] = 0;
				snprintf(buf + r, sizeof buf - (size_t)r, "+fd:%s", fdbuf);
				close(fd);
			}
			size_t gl = strlen(L[i].got);
			snprintf(L[i].got + gl, sizeof L[i].got - gl, "%s%s", gl ? "," : "", buf);
		}
		for (int c = nconn; c-- > 0;) {
			if (!p[n + (size_t)c].revents)
				continue;
			int fd = conn_of[c] >> 16;
			char buf[64], reply[80];
			ssize_t r = read(fd, buf, sizeof buf - 1);
			if (r > 0) {
				buf[r] = 0;
				int k = snprintf(reply, sizeof reply, "echo:%s", buf);
				ssize_t w = write(fd, reply, (size_t)k);
				(void)w;
			}
			close(fd);
			conn_of[c] = conn_of[--nconn];
		}
	}
}

struct peer {
	pid_t pid;
	int cmd; /* 'd' drains the held listener, 'q' reports and quits */
};

static struct peer peer_start(void)
{
	snprintf(unix_name, sizeof unix_name, "@moat-notify-%d", (int)getpid());
	snprintf(unix_dgram_name, sizeof unix_dgram_name, "@moat-notify-dg-%d", (int)getpid());
	int cmd[2], ready[2];
	if (pipe2(cmd, O_CLOEXEC) || pipe2(ready, O_CLOEXEC))
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(cmd[1]);
		close(ready[0]);
		peer_main(cmd[0], ready[1]);
	}
	close(cmd[0]);
	close(ready[1]);
	if (read_byte(ready[0]) != 'r')
		die("the peer did not start");
	close(ready[0]);
	/* the workload inherits this end (to ask for a drain); it is not close-on-exec there */
	return (struct peer){pid, cmd[1]};
}

static void peer_stop(struct peer *p)
{
	write_byte(p->cmd, 'q');
	waitpid(p->pid, NULL, 0);
}

/* ---- the filter the workload installs ---- */

#define BPF_LD_W_ABS 0x20
#define BPF_JEQ_K 0x15
#define BPF_JGE_K 0x35
#define BPF_JSET_K 0x45
#define BPF_RET_K 0x06
#define RET_ALLOW 0x7fff0000u
#define RET_NOTIFY 0x7fc00000u
#define OFF_NR 0
#define OFF_ARCH 4
#define OFF_ARG_LO(i) (16 + 8 * (i))
#define OFF_ARG_HI(i) (20 + 8 * (i))

struct sock_filter_k {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};
static struct sock_filter_k prog[256];
static int np;

static void emit(uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	prog[np++] = (struct sock_filter_k){code, jt, jf, k};
}

static void notify_nr(uint32_t nr)
{
	emit(BPF_JEQ_K, 0, 1, nr);
	emit(BPF_RET_K, 0, 0, RET_NOTIFY);
}

/* nr whose int flags argument has a write bit (O_WRONLY|O_RDWR|O_CREAT|O_TRUNC) */
static void notify_open_write(uint32_t nr, int arg)
{
	emit(BPF_JEQ_K, 0, 4, nr);
	emit(BPF_LD_W_ABS, 0, 0, OFF_ARG_LO(arg));
	emit(BPF_JSET_K, 0, 1, 00001103);
	emit(BPF_RET_K, 0, 0, RET_NOTIFY);
	emit(BPF_RET_K, 0, 0, RET_ALLOW);
}

/* The rules the report asks the lead's libseccomp filter for (x86_64), plus i386 and x32
 * numbers and one call the sentry does not know, to test the refusals. */
static void build_filter(int trace)
{
	np = 0;
	emit(BPF_LD_W_ABS, 0, 0, OFF_ARCH);
	int j = np;
	emit(BPF_JEQ_K, 0, 0, MOAT_AUDIT_ARCH_I386);
	emit(BPF_LD_W_ABS, 0, 0, OFF_NR);
	notify_nr(122); /* newuname */
	notify_nr(116); /* sysinfo */
	notify_nr(102); /* socketcall */
	notify_nr(362); /* connect */
	emit(BPF_RET_K, 0, 0, RET_ALLOW);
	prog[j].jf = (uint8_t)(np - j - 1);
	emit(BPF_JEQ_K, 1, 0, MOAT_AUDIT_ARCH_X86_64);
	emit(BPF_RET_K, 0, 0, RET_ALLOW);
	emit(BPF_LD_W_ABS, 0, 0, OFF_NR);
	emit(BPF_JGE_K, 0, 1, MOAT_X32_SYSCALL_BIT);
	emit(BPF_RET_K, 0, 0, RET_NOTIFY);
	notify_nr(63);  /* uname */
	notify_nr(99);  /* sysinfo */
	notify_nr(42);  /* connect */
	notify_nr(46);  /* sendmsg */
	notify_nr(307); /* sendmmsg */
	notify_nr(79);  /* getcwd: unknown to the sentry, to test the refusal */
	/* sendto only with an address (arg 4 != NULL, both halves) */
	emit(BPF_JEQ_K, 0, 6, 44);
	emit(BPF_LD_W_ABS, 0, 0, OFF_ARG_LO(4));
	emit(BPF_JEQ_K, 0, 2, 0);
	emit(BPF_LD_W_ABS, 0, 0, OFF_ARG_HI(4));
	emit(BPF_JEQ_K, 1, 0, 0);
	emit(BPF_RET_K, 0, 0, RET_NOTIFY);
	emit(BPF_RET_K, 0, 0, RET_ALLOW);
	if (trace) {
		emit(BPF_LD_W_ABS, 0, 0, OFF_NR); /* the sendto block may have loaded an arg */
		static const uint32_t always[] = {59, 322, 85, 437, 49, 101, 165, 166, 429,
						  105, 106, 113, 114, 116, 117, 119, 122, 123};
		for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
			notify_nr(always[i]);
		notify_open_write(2, 1);   /* open(path, flags) */
		emit(BPF_LD_W_ABS, 0, 0, OFF_NR);
		notify_open_write(257, 2); /* openat(dirfd, path, flags) */
	}
	emit(BPF_RET_K, 0, 0, RET_ALLOW);
}

/* ---- the workload and the server ---- */

struct workload {
	pid_t pid;
	int fdnum; /* the listener's number in the workload */
	int ack;   /* write 'A' once the listener is taken */
};

/* Forks the workload (optionally in new pid, uts and mount namespaces: it is then pid 1 of
 * its own pid namespace, hostname "nfy-child"); it installs the filter and runs body. */
static struct workload spawn(int ns, int trace, void (*body)(void *), void *arg)
{
	int rep[2], ack[2];
	if (pipe2(rep, O_CLOEXEC) || pipe2(ack, O_CLOEXEC))
		die("pipe");
	build_filter(trace);
	unsigned long flags = SIGCHLD | (ns ? CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWNS : 0);
	long pid = syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	if (pid < 0)
		die("clone");
	if (pid == 0) {
		close(rep[0]);
		close(ack[1]);
		if (ns) {
			if (sethostname("nfy-child", 9) || setdomainname("nfy-domain", 10))
				die("sethostname");
			if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
				die("make / private");
		}
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			die("no_new_privs");
		struct {
			unsigned short len;
			void *filter;
		} fprog = {(unsigned short)np, prog};
		int fd = (int)syscall(SYS_seccomp, 1 /* SET_MODE_FILTER */, 1UL << 3 /* NEW_LISTENER */,
				      &fprog);
		if (fd < 0)
			die("seccomp");
		/* only write and read until the server holds the listener: they are not notified */
		ssize_t w = write(rep[1], &fd, sizeof fd);
		(void)w;
		if (read_byte(ack[0]) != 'A')
			_exit(3);
		close(fd);
		close(rep[1]);
		close(ack[0]);
		body(arg);
		_exit(0);
	}
	close(rep[1]);
	close(ack[0]);
	struct workload wl = {(pid_t)pid, -1, ack[1]};
	if (read(rep[0], &wl.fdnum, sizeof wl.fdnum) != sizeof wl.fdnum)
		die("the workload did not install its filter");
	close(rep[0]);
	return wl;
}

static int take_listener(const struct workload *wl)
{
	int pidfd = (int)syscall(SYS_pidfd_open, wl->pid, 0);
	int fd = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, wl->fdnum, 0);
	if (fd < 0)
		die("take the listener");
	close(pidfd);
	write_byte(wl->ack, 'A');
	close(wl->ack);
	return fd;
}

static int sysinfo_values(void *arg, struct moat_ksysinfo *s)
{
	(void)arg;
	s->uptime = 4242;
	s->loads[0] = 65536, s->loads[1] = 2 * 65536, s->loads[2] = 3 * 65536;
	s->totalram = 8ull << 30; /* over 32 bits: i386 gets it scaled */
	s->freeram = 6ull << 30;
	s->sharedram = 1 << 20;
	s->bufferram = 2 << 20;
	s->procs = 7;
	s->mem_unit = 1;
	return 0;
}

static struct egress_rule allow_rules[8], deny_rules[16];
static struct egress_policy policy;

static void rules(struct egress_rule *r, size_t *n, const char *const *text)
{
	for (*n = 0; text[*n]; (*n)++)
		if (egress_rule_parse(text[*n], &r[*n]) != 0)
			die("bad rule %s", text[*n]);
}

static const struct egress_policy *test_policy(void)
{
	static const char *const deny[] = {"169.254.169.254/32", "fd00:ec2::254/128", "127.0.0.2/32",
					   "127.0.0.0/8:7002", "2001:db8::/32", "::ffff:127.0.0.3/128",
					   NULL};
	static const char *const allow[] = {"127.0.0.2/32:7003", "2001:db8:1::/48", NULL};
	rules(deny_rules, &policy.n_deny, deny);
	rules(allow_rules, &policy.n_allow, allow);
	policy.deny = deny_rules;
	policy.allow = allow_rules;
	return &policy;
}

static struct notify_config server_config(void)
{
	static int proc = -1;
	if (proc < 0)
		proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return (struct notify_config){
		.proc_fd = proc,
		.uname_release = "5.15.0-moat",
		.uname_version = "#1 SMP moat",
		.sysinfo = sysinfo_values,
		.egress = test_policy(),
	};
}

/* The sentry's loop, reduced to the notify part. */
static void serve(int listener, struct notify_config cfg, int print_stats)
{
	char err[256];
	cfg.listener = listener;
	struct notify *n = notify_open(&cfg, err, sizeof err);
	if (!n) {
		fprintf(stderr, "notify_harness: %s\n", err);
		exit(2);
	}
	for (;;) {
		struct pollfd p[2] = {{listener, POLLIN, 0}, {notify_pending_fd(n), POLLIN, 0}};
		if (poll(p, 2, notify_timeout_ms(n)) < 0 && errno != EINTR)
			die("poll");
		int r = notify_serve(n, p[0].revents);
		if (r < 0)
			die("notify_serve");
		if (r == 0)
			break;
	}
	if (print_stats) {
		const struct notify_stats *s = notify_stats(n);
		out("server.sync_wakeup", "%d", s->sync_wakeup);
		out("server.denied", "%llu", (unsigned long long)s->denied);
		out("server.refused", "%llu", (unsigned long long)s->refused);
		out("server.held", "%llu", (unsigned long long)s->held);
	}
	notify_close(n);
	close(listener);
}

static int wait_exit(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- probes: what the workload runs ---- */

static int tcp_connect(int family, const void *sa, socklen_t len, int nonblock)
{
	int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (s < 0)
		die("socket");
	if (connect(s, sa, len) != 0) {
		int e = errno;
		close(s);
		errno = e;
		return -1;
	}
	return s;
}

/* connect, print the result, and for a connected socket what the peer echoes */
static void probe_connect(const char *label, int family, const void *sa, socklen_t len)
{
	int s = tcp_connect(family, sa, len, 0);
	result(label, s < 0 ? -1 : 0);
	if (s < 0)
		return;
	char buf[64], l2[64];
	if (write(s, "ping", 4) != 4)
		die("write");
	ssize_t n = read(s, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	snprintf(l2, sizeof l2, "%s.echo", label);
	out(l2, "%s", buf);
	close(s);
}

static long int80(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}

static long as_result(long kernel)
{
	if (kernel < 0 && kernel > -4096) {
		errno = (int)-kernel;
		return -1;
	}
	return kernel;
}

/* static buffers: below 4 GiB (non-PIE static binary), so int 0x80 can address them */
static struct moat_new_utsname u32buf;
static struct {
	struct moat_compat_sysinfo si;
	uint64_t canary;
} si32;
static uint32_t socketcall_args[3];
static struct sockaddr_in sc_addr;

static void probes_uname(void)
{
	struct utsname u;
	result("uname", uname(&u));
	out("uname.sysname", "%s", u.sysname);
	out("uname.nodename", "%s", u.nodename);
	out("uname.release", "%s", u.release);
	out("uname.version", "%s", u.version);
	out("uname.machine", "%s", u.machine);
	out("uname.domainname", "%s", u.domainname);
	result("uname.badptr", syscall(SYS_uname, (void *)8));
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	result("uname.readonly", syscall(SYS_uname, ro));
	result("uname.i386", as_result(int80(122, (long)(uintptr_t)&u32buf, 0, 0)));
	out("uname.i386.release", "%s", u32buf.release);
	out("uname.i386.nodename", "%s", u32buf.nodename);
	result("uname.x32", syscall(63 | MOAT_X32_SYSCALL_BIT, &u));
}

static void probes_sysinfo(void)
{
	struct {
		struct moat_ksysinfo si;
		uint64_t canary;
	} b;
	memset(&b, 0xa5, sizeof b);
	b.canary = 0x5a5a5a5a5a5a5a5aull;
	result("sysinfo", syscall(SYS_sysinfo, &b.si));
	out("sysinfo.uptime", "%lld", (long long)b.si.uptime);
	out("sysinfo.loads", "%llu %llu %llu", (unsigned long long)b.si.loads[0],
	    (unsigned long long)b.si.loads[1], (unsigned long long)b.si.loads[2]);
	out("sysinfo.totalram", "%llu", (unsigned long long)b.si.totalram);
	out("sysinfo.freeram", "%llu", (unsigned long long)b.si.freeram);
	out("sysinfo.procs", "%u", b.si.procs);
	out("sysinfo.mem_unit", "%u", b.si.mem_unit);
	out("sysinfo.canary", "%s", b.canary == 0x5a5a5a5a5a5a5a5aull ? "intact" : "overwritten");
	memset(&si32, 0xa5, sizeof si32);
	si32.canary = 0x5a5a5a5a5a5a5a5aull;
	result("sysinfo.i386", as_result(int80(116, (long)(uintptr_t)&si32.si, 0, 0)));
	out("sysinfo.i386.totalram_bytes", "%llu",
	    (unsigned long long)si32.si.totalram * si32.si.mem_unit);
	out("sysinfo.i386.mem_unit", "%u", si32.si.mem_unit);
	out("sysinfo.i386.procs", "%u", si32.si.procs);
	out("sysinfo.i386.uptime", "%d", si32.si.uptime);
	out("sysinfo.i386.canary", "%s",
	    si32.canary == 0x5a5a5a5a5a5a5a5aull ? "intact" : "overwritten");
}

static void probes_abi(void)
{
	char cwd[256];
	result("unknown.getcwd", syscall(SYS_getcwd, cwd, sizeof cwd));
	sc_addr = sin4("127.0.0.1", 7001);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	socketcall_args[0] = (uint32_t)s;
	socketcall_args[1] = (uint32_t)(uintptr_t)&sc_addr;
	socketcall_args[2] = sizeof sc_addr;
	result("i386.socketcall_connect",
	       as_result(int80(102, 3 /* SYS_CONNECT */, (long)(uintptr_t)socketcall_args, 0)));
	result("i386.connect", as_result(int80(362, s, (long)(uintptr_t)&sc_addr, sizeof sc_addr)));
	close(s);
}

static void probes_connect(void)
{
	struct sockaddr_in a;
	struct sockaddr_in6 a6;
	probe_connect("connect.allowed", AF_INET, (a = sin4("127.0.0.1", 7001), &a), sizeof a);
	probe_connect("connect.denied_addr", AF_INET, (a = sin4("127.0.0.2", 7001), &a), sizeof a);
	probe_connect("connect.denied_port", AF_INET, (a = sin4("127.0.0.1", 7002), &a), sizeof a);
	probe_connect("connect.port_allow", AF_INET, (a = sin4("127.0.0.2", 7003), &a), sizeof a);
	probe_connect("connect.any_addr", AF_INET, (a = sin4("0.0.0.0", 7002), &a), sizeof a);
	probe_connect("connect.mapped_rule", AF_INET, (a = sin4("127.0.0.3", 7001), &a), sizeof a);
	probe_connect("connect.metadata", AF_INET, (a = sin4("169.254.169.254", 80), &a), sizeof a);
	probe_connect("connect.unrouted", AF_INET, (a = sin4("10.1.2.3", 80), &a), sizeof a);
	probe_connect("connect.mapped_denied", AF_INET6,
		      (a6 = sin6("::ffff:127.0.0.2", 7001), &a6), sizeof a6);
	probe_connect("connect.mapped_allowed", AF_INET6,
		      (a6 = sin6("::ffff:127.0.0.1", 7001), &a6), sizeof a6);
	probe_connect("connect.v6_allowed", AF_INET6, (a6 = sin6("::1", 7001), &a6), sizeof a6);
	probe_connect("connect.v6_denied", AF_INET6, (a6 = sin6("2001:db8::1", 80), &a6), sizeof a6);
	probe_connect("connect.v6_longer_allow", AF_INET6, (a6 = sin6("2001:db8:1::1", 80), &a6),
		      sizeof a6);
	probe_connect("connect.metadata6", AF_INET6, (a6 = sin6("fd00:ec2::254", 80), &a6),
		      sizeof a6);

	/* non-blocking sockets keep their semantics */
	a = sin4("127.0.0.1", 7001);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	result("connect.nonblock", connect(s, (struct sockaddr *)&a, sizeof a));
	struct pollfd w = {s, POLLOUT, 0};
	poll(&w, 1, 5000);
	int e = -1;
	socklen_t l = sizeof e;
	getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &l);
	out("connect.nonblock.so_error", "%d", e);
	close(s);
	a = sin4("127.0.0.2", 7001);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	result("connect.nonblock_denied", connect(s, (struct sockaddr *)&a, sizeof a));
	close(s);
	/* a blocking socket stays blocking after a held connect */
	a = sin4("127.0.0.1", 7001);
	s = tcp_connect(AF_INET, &a, sizeof a, 0);
	out("connect.flags_after", "%s", fcntl(s, F_GETFL) & O_NONBLOCK ? "nonblocking" : "blocking");
	close(s);

	/* bad arguments get the kernel's errno */
	s = socket(AF_INET, SOCK_STREAM, 0);
	result("connect.short_len", connect(s, (struct sockaddr *)&a, 8));
	result("connect.long_len", connect(s, (struct sockaddr *)&a, 200));
	result("connect.badptr", connect(s, (struct sockaddr *)16, sizeof a));
	struct sockaddr_in odd = a;
	odd.sin_family = 5; /* AF_APPLETALK: not an address an IP socket takes */
	result("connect.family", connect(s, (struct sockaddr *)&odd, sizeof odd));
	close(s);
	result("connect.badfd", connect(999, (struct sockaddr *)&a, sizeof a));
	int pp[2];
	if (pipe(pp))
		die("pipe");
	result("connect.notsock", connect(pp[0], (struct sockaddr *)&a, sizeof a));
	close(pp[0]);
	close(pp[1]);

	/* unix sockets are let through: the peer sees this process, not the server */
	struct sockaddr_storage ss;
	socklen_t ul = lsn_addr(&L[8], &ss);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	result("connect.unix", connect(s, (struct sockaddr *)&ss, ul));
	char buf[64];
	if (write(s, "ping", 4) == 4) {
		ssize_t n = read(s, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = 0;
		out("connect.unix.echo", "%s", buf);
	}
	close(s);

	s = socket(AF_INET, SOCK_DGRAM, 0);
	a = sin4("127.0.0.2", 7101);
	result("connect.udp_denied", connect(s, (struct sockaddr *)&a, sizeof a));
	close(s);
}

static long raw_sendmsg(int s, struct msghdr *m, int flags)
{
	return syscall(SYS_sendmsg, s, m, flags);
}

static void probes_send(void)
{
	struct sockaddr_in a = sin4("127.0.0.1", 7101), d = sin4("127.0.0.2", 7101);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	result("sendto.allowed", sendto(s, "u-allowed", 9, 0, (struct sockaddr *)&a, sizeof a));
	result("sendto.denied", sendto(s, "u-denied", 8, 0, (struct sockaddr *)&d, sizeof d));
	result("sendto.badptr", sendto(s, (void *)16, 8, 0, (struct sockaddr *)&a, sizeof a));

	/* sendmsg: two iovecs arrive as one datagram */
	struct iovec iov[2] = {{"m-", 2}, {"allowed", 7}};
	struct msghdr m;
	memset(&m, 0, sizeof m);
	m.msg_iov = iov, m.msg_iovlen = 2, m.msg_name = &a, m.msg_namelen = sizeof a;
	result("sendmsg.allowed", raw_sendmsg(s, &m, 0));
	m.msg_name = &d;
	result("sendmsg.denied", raw_sendmsg(s, &m, 0));
	/* control data: a harmless option is carried, SCM_RIGHTS on a UDP socket is not */
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} c;
	memset(&c, 0, sizeof c);
	m.msg_name = &a;
	m.msg_control = c.buf, m.msg_controllen = sizeof c.buf;
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = IPPROTO_IP, h->cmsg_type = IP_TOS, h->cmsg_len = CMSG_LEN(sizeof(int));
	int tos = 0x10;
	memcpy(CMSG_DATA(h), &tos, sizeof tos);
	iov[1] = (struct iovec){"tos", 3};
	result("sendmsg.tos", raw_sendmsg(s, &m, 0));
	h->cmsg_level = SOL_SOCKET, h->cmsg_type = SCM_RIGHTS;
	int zero = 0;
	memcpy(CMSG_DATA(h), &zero, sizeof zero);
	result("sendmsg.rights_udp", raw_sendmsg(s, &m, 0));
	result("sendmsg.badptr", raw_sendmsg(s, (struct msghdr *)16, 0));
	close(s);

	/* a connected socket: sendmsg without an address is performed too (never CONTINUE) */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (connect(s, (struct sockaddr *)&a, sizeof a))
		die("connect udp");
	memset(&m, 0, sizeof m);
	iov[0] = (struct iovec){"m-connected", 11};
	m.msg_iov = iov, m.msg_iovlen = 1;
	result("sendmsg.connected", raw_sendmsg(s, &m, 0));
	result("send.connected", send(s, "x", 1, 0)); /* sendto(NULL): not notified */
	close(s);

	/* sendmmsg: the first message is sent, its msg_len written back */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	struct iovec i0 = {"mm-first", 8}, i1 = {"mm-second", 9};
	struct mmsghdr mm[2];
	memset(mm, 0, sizeof mm);
	mm[0].msg_hdr.msg_iov = &i0, mm[0].msg_hdr.msg_iovlen = 1;
	mm[0].msg_hdr.msg_name = &a, mm[0].msg_hdr.msg_namelen = sizeof a;
	mm[1].msg_hdr.msg_iov = &i1, mm[1].msg_hdr.msg_iovlen = 1;
	mm[1].msg_hdr.msg_name = &a, mm[1].msg_hdr.msg_namelen = sizeof a;
	mm[1].msg_len = 77;
	result("sendmmsg.allowed", syscall(SYS_sendmmsg, s, mm, 2, 0));
	out("sendmmsg.len0", "%u", mm[0].msg_len);
	out("sendmmsg.len1", "%u", mm[1].msg_len);
	mm[0].msg_hdr.msg_name = &d;
	result("sendmmsg.denied", syscall(SYS_sendmmsg, s, mm, 2, 0));
	close(s);

	/* a v6 socket sending to a v4-mapped denied address */
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 d6 = sin6("::ffff:127.0.0.2", 7101);
	result("sendto.mapped_denied", sendto(s, "x", 1, 0, (struct sockaddr *)&d6, sizeof d6));
	close(s);

	/* unix: SCM_RIGHTS passes the caller's own fd (let through) */
	struct sockaddr_storage ss;
	socklen_t ul = lsn_addr(&L[9], &ss);
	int pp[2];
	if (pipe(pp) || write(pp[1], "fdok", 4) != 4)
		die("pipe");
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(&m, 0, sizeof m);
	iov[0] = (struct iovec){"unix", 4};
	m.msg_iov = iov, m.msg_iovlen = 1, m.msg_name = &ss, m.msg_namelen = ul;
	m.msg_control = c.buf, m.msg_controllen = sizeof c.buf;
	h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET, h->cmsg_type = SCM_RIGHTS, h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &pp[0], sizeof(int));
	result("sendmsg.unix_rights", raw_sendmsg(s, &m, 0));
	close(s);
	close(pp[0]);
	close(pp[1]);
}

static void probes_body(void *arg)
{
	(void)arg;
	print_nstgid("workload.nstgid");
	probes_uname();
	probes_sysinfo();
	probes_abi();
	probes_connect();
	probes_send();
}

/* ---- trace: the events and their lines ---- */

struct trace_args {
	const char *dir;
};

static void trace_body(void *arg)
{
	const struct trace_args *ta = arg;
	print_nstgid("workload.nstgid");
	if (chdir(ta->dir))
		die("chdir %s", ta->dir);
	/* exec (a child runs "noop", which prints its own pids) */
	pid_t c = fork();
	if (c == 0) {
		char *argv[] = {"notify_harness", "noop", "q\"uote", "\xff\xfe-raw", "tab\t", NULL};
		execve("/proc/self/exe", argv, (char *[]){NULL});
		_exit(127);
	}
	out("exec.status", "%d", wait_exit(c));
	/* open for write (raw calls: the flags are exactly these) */
	int fd = (int)syscall(SYS_open, "w1", O_WRONLY | O_CREAT | O_TRUNC, 0640);
	close(fd);
	fd = (int)syscall(SYS_openat, AT_FDCWD, "w1", O_RDWR | O_APPEND);
	close(fd);
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	out("trace.dirfd", "%d", dfd);
	fd = (int)syscall(SYS_openat, dfd, "w2", O_WRONLY | O_CREAT | O_EXCL, 0600);
	close(fd);
	fd = (int)syscall(SYS_openat, AT_FDCWD, "w1", O_RDONLY); /* not notified */
	close(fd);
	struct moat_open_how how = {.flags = O_RDONLY};
	fd = (int)syscall(SYS_openat2, AT_FDCWD, "w1", &how, sizeof how); /* notified, no event */
	close(fd);
	how = (struct moat_open_how){.flags = O_WRONLY | O_CREAT, .mode = 0600};
	fd = (int)syscall(SYS_openat2, AT_FDCWD, "w3", &how, sizeof how);
	close(fd);
	fd = (int)syscall(SYS_creat, "w4", 0644);
	close(fd);
	fd = (int)syscall(SYS_open, "we\"ird\\\n\xff", O_WRONLY | O_CREAT, 0600);
	close(fd);
	/* the setuid family */
	syscall(SYS_setresuid, -1, -1, -1);
	gid_t groups[2] = {0, 1};
	syscall(SYS_setgroups, 2, groups);
	/* mount (in the workload's own mount namespace; both fail: no such directory) */
	result("trace.mount", syscall(SYS_mount, "none", "/nonexistent-moat", "tmpfs", 1, NULL));
	result("trace.umount2", syscall(SYS_umount2, "/nonexistent-moat", 2));
	result("trace.ptrace", syscall(SYS_ptrace, 2, 99999, 0, 0));
	/* bind, connect, send */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = sin4("127.0.0.1", 7300);
	bind(s, (struct sockaddr *)&a, sizeof a);
	struct sockaddr_in d = sin4("127.0.0.2", 7101);
	sendto(s, "x", 1, 0, (struct sockaddr *)&d, sizeof d);
	close(s);
	a = sin4("127.0.0.1", 7001);
	s = tcp_connect(AF_INET, &a, sizeof a, 0);
	close(s);
	d = sin4("127.0.0.2", 7001);
	tcp_connect(AF_INET, &d, sizeof d, 0);
	struct sockaddr_storage ss;
	socklen_t ul = lsn_addr(&L[8], &ss);
	out("trace.unix_name", "%s", L[8].addr + 1);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(s, (struct sockaddr *)&ss, ul);
	close(s);
}

/* ---- race: a thread rewrites the destination while connect runs ---- */

static struct sockaddr_in race_addr;
static volatile int race_stop;

static void *flipper(void *arg)
{
	(void)arg;
	struct in_addr ok, bad;
	inet_pton(AF_INET, "127.0.0.1", &ok);
	inet_pton(AF_INET, "127.0.0.2", &bad);
	volatile in_addr_t *p = &race_addr.sin_addr.s_addr;
	/* each value is held for a few dozen pauses (~0.1 µs): both are seen by the check, and
	 * they still change many times within one notification round trip */
	while (!race_stop) {
		*p = ok.s_addr;
		for (int k = 0; k < 32; k++)
			__builtin_ia32_pause();
		*p = bad.s_addr;
		for (int k = 0; k < 32; k++)
			__builtin_ia32_pause();
	}
	return NULL;
}

struct race_args {
	int tries, until_reached;
};

static void race_body(void *arg)
{
	const struct race_args *ra = arg;
	race_addr = sin4("127.0.0.1", 7001);
	pthread_t th;
	if (pthread_create(&th, NULL, flipper, NULL))
		die("pthread_create");
	int ok = 0, refused = 0, other = 0, reached = 0, i;
	for (i = 0; i < ra->tries && !(ra->until_reached && reached); i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&race_addr, sizeof race_addr) == 0) {
			ok++;
			struct sockaddr_in peer;
			socklen_t l = sizeof peer;
			getpeername(s, (struct sockaddr *)&peer, &l);
			reached += peer.sin_addr.s_addr == htonl(0x7f000002);
		} else if (errno == ECONNREFUSED) {
			refused++;
		} else {
			other++;
		}
		close(s);
	}
	race_stop = 1;
	pthread_join(th, NULL);
	out("race.tries", "%d", i);
	out("race.connected", "%d", ok);
	out("race.refused", "%d", refused);
	out("race.other", "%d", other);
	out("race.reached_denied", "%d", reached);
}

/* What a sentry that answered CONTINUE after checking would do (it reads the address,
 * decides, and lets the kernel read it again): the race test must catch it. */
static void serve_naive(int listener)
{
	struct moat_seccomp_notif req;
	struct moat_seccomp_notif_resp resp;
	const struct egress_policy *p = test_policy();
	for (;;) {
		memset(&req, 0, sizeof req);
		if (ioctl(listener, MOAT_SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		memset(&resp, 0, sizeof resp);
		resp.id = req.id;
		resp.flags = MOAT_SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		if (req.data.nr == 42) {
			char path[32];
			struct sockaddr_in a;
			snprintf(path, sizeof path, "/proc/%u/mem", req.pid);
			int mem = open(path, O_RDONLY);
			if (mem < 0 || pread(mem, &a, sizeof a, (off_t)req.data.args[1]) != sizeof a ||
			    egress_check(p, &a, sizeof a) != EGRESS_ALLOW) {
				resp.flags = 0;
				resp.error = -ECONNREFUSED;
			}
			if (mem >= 0)
				close(mem);
		}
		ioctl(listener, MOAT_SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

/* ---- slow: a held blocking connect and another process's calls ---- */

struct slow_args {
	int peer_cmd;
};

static long ms_since(double t0)
{
	return (long)((now_us() - t0) / 1000);
}

static void slow_body(void *arg)
{
	const struct slow_args *sa = arg;
	int go[2], done[2];
	if (pipe(go) || pipe(done))
		die("pipe");
	pid_t w2 = fork();
	if (w2 == 0) {
		/* the other caller: 200 unames while the first process's connect is held */
		read_byte(go[0]);
		usleep(100 * 1000);
		double worst = 0;
		struct utsname u;
		for (int i = 0; i < 200; i++) {
			double t = now_us();
			if (uname(&u) != 0)
				_exit(1);
			if (now_us() - t > worst)
				worst = now_us() - t;
		}
		out("slow.other_unames", "200");
		out("slow.other_worst_ms", "%ld", (long)(worst / 1000));
		write_byte(done[1], 'd');
		write_byte(sa->peer_cmd, 'd'); /* let the held connect through */
		_exit(0);
	}
	struct sockaddr_in a = sin4("127.0.0.1", 7200);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	write_byte(go[1], 'g');
	double t0 = now_us();
	result("slow.connect", connect(s, (struct sockaddr *)&a, sizeof a));
	out("slow.connect_ms_over_900", "%s", ms_since(t0) > 900 ? "yes" : "no");
	struct pollfd p = {done[0], POLLIN, 0};
	out("slow.others_done_first", "%s", poll(&p, 1, 0) == 1 ? "yes" : "no");
	out("slow.flags_after", "%s", fcntl(s, F_GETFL) & O_NONBLOCK ? "nonblocking" : "blocking");
	close(s);
	wait_exit(w2);
	/* SO_SNDTIMEO bounds a blocking connect: EINPROGRESS when it runs out, like the kernel */
	a = sin4("127.0.0.1", 7201);
	s = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = {0, 300 * 1000};
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	t0 = now_us();
	result("slow.sndtimeo", connect(s, (struct sockaddr *)&a, sizeof a));
	long ms = ms_since(t0);
	out("slow.sndtimeo_window", "%s", ms >= 250 && ms < 900 ? "yes" : "no");
	close(s);
}

/* ---- failclosed: the server dies ---- */

struct fc_args {
	int ready, kill_done;
};

static void failclosed_body(void *arg)
{
	const struct fc_args *fa = arg;
	struct utsname u;
	result("failclosed.before", uname(&u));
	out("failclosed.before.release", "%s", u.release);
	int held[2];
	if (pipe(held))
		die("pipe");
	pid_t w2 = fork();
	if (w2 == 0) { /* a blocking connect the server holds when it is killed */
		struct sockaddr_in a = sin4("127.0.0.1", 7201);
		int s = socket(AF_INET, SOCK_STREAM, 0);
		write_byte(held[1], 'h');
		result("failclosed.held_connect", connect(s, (struct sockaddr *)&a, sizeof a));
		_exit(0);
	}
	read_byte(held[0]);
	usleep(100 * 1000);
	write_byte(fa->ready, 'r');
	read_byte(fa->kill_done);
	result("failclosed.uname_after", uname(&u));
	struct sockaddr_in a = sin4("127.0.0.1", 7001);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	result("failclosed.connect_after", connect(s, (struct sockaddr *)&a, sizeof a));
	close(s);
	out("failclosed.getppid", "%s", getppid() > 0 ? "ok" : "failed");
	wait_exit(w2);
}

/* ---- bench ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* per-call µs of a cheap call: the median of batch means */
static double batch_us(long nr, int batches)
{
	static double v[4000];
	for (int b = 0; b < batches; b++) {
		double t = now_us();
		for (int i = 0; i < 100; i++)
			syscall(nr);
		v[b] = (now_us() - t) / 100;
	}
	return median(v, batches);
}

/* per-call µs of a slow call, each timed */
static double each_uname_us(int n)
{
	static double v[100000];
	struct utsname u;
	for (int i = 0; i < n; i++) {
		double t = now_us();
		uname(&u);
		v[i] = now_us() - t;
	}
	return median(v, n);
}

static double connect_us(int n)
{
	static double v[10000];
	struct sockaddr_in a = sin4("127.0.0.1", 7001);
	for (int i = 0; i < n; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		double t = now_us();
		if (connect(s, (struct sockaddr *)&a, sizeof a) != 0)
			die("bench connect");
		v[i] = now_us() - t;
		close(s);
	}
	return median(v, n);
}

/* sendmsg of a small datagram on a connected UDP socket and on a unix datagram pair */
static double sendmsg_us(int family, int n)
{
	static double v[100000];
	int s, r = -1;
	if (family == AF_UNIX) {
		int sv[2];
		socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
		s = sv[0], r = sv[1];
	} else {
		struct sockaddr_in a = sin4("127.0.0.1", 7101);
		s = socket(AF_INET, SOCK_DGRAM, 0);
		connect(s, (struct sockaddr *)&a, sizeof a);
	}
	struct iovec iov = {"bench", 5};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	char sink[16];
	for (int i = 0; i < n; i++) {
		double t = now_us();
		if (raw_sendmsg(s, &m, 0) != 5)
			die("bench sendmsg");
		v[i] = now_us() - t;
		if (r >= 0 && recv(r, sink, sizeof sink, 0) < 0)
			die("recv");
	}
	close(s);
	if (r >= 0)
		close(r);
	return median(v, n);
}

struct bench_args {
	int n;
	double getppid_bare, uname_bare, connect_bare, udp_bare, unix_bare;
};

static void bench_body(void *arg)
{
	struct bench_args *b = arg;
	out("bench.getppid_filtered_us", "%.3f", batch_us(SYS_getppid, 2000));
	out("bench.uname_mediated_us", "%.2f", each_uname_us(b->n));
	out("bench.connect_mediated_us", "%.1f", connect_us(1000));
	out("bench.sendmsg_udp_mediated_us", "%.2f", sendmsg_us(AF_INET, b->n / 4));
	out("bench.sendmsg_unix_continued_us", "%.2f", sendmsg_us(AF_UNIX, b->n / 4));
}

/* ---- unit: the parser, the decision and the JSON writer, without root ---- */

static void unit_parse(const char *text)
{
	struct egress_rule r;
	char label[128], addr[64];
	snprintf(label, sizeof label, "parse %s", text);
	if (egress_rule_parse(text, &r) != 0) {
		out(label, "invalid");
		return;
	}
	inet_ntop(r.family == 4 ? AF_INET : AF_INET6, r.addr, addr, sizeof addr);
	out(label, "v%d %s/%u port %u", r.family, addr, r.prefix, r.port);
}

static void unit_decide(const struct egress_policy *p, const char *name, int family,
			const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (family == AF_INET) {
		*(struct sockaddr_in *)&ss = sin4(ip, port);
		len = sizeof(struct sockaddr_in);
	} else {
		*(struct sockaddr_in6 *)&ss = sin6(ip, port);
		len = sizeof(struct sockaddr_in6);
	}
	char label[128];
	snprintf(label, sizeof label, "decide %s %s:%d", name, ip, port);
	int d = egress_check(p, &ss, len);
	out(label, "%s", d == EGRESS_ALLOW ? "allow" : d == EGRESS_DENY ? "deny" : errname(-d));
}

/* hex in, escaped JSON body out (and what a cap of `cap` bytes keeps) */
static void unit_json(const char *hex, size_t cap)
{
	unsigned char in[64];
	size_t n = 0;
	for (const char *h = hex; h[0] && h[1] && n < sizeof in; h += 2) {
		unsigned v;
		sscanf(h, "%2x", &v);
		in[n++] = (unsigned char)v;
	}
	char o[512], label[96];
	size_t used, len = json_escape(o, cap, in, n, &used);
	snprintf(label, sizeof label, "json %s cap %zu", hex, cap);
	out(label, "%.*s (%zu of %zu)", (int)len, o, used, n);
}

static void unit_body(void)
{
	static const char *const parse[] = {
		"10.0.0.0/8", "10.1.2.3", "10.0.0.0/8:443", "10.1.2.3:80", "10.255.1.1/8",
		"fd00:ec2::254/128", "fd00::/8:53", "[::1]:80", "[2001:db8::]/32:443", "::1",
		"::ffff:169.254.169.254/128", "::ffff:10.0.0.0/104:22", "0.0.0.0/0", "::/0",
		"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/8:", "10.0.0.0/8:0", "10.0.0.0/8:65536",
		"10.0.0.0/8:80x", "fd00::1:80x", "[::1", "[::1]x", "", "1.2.3", "host.example:80",
		"10.0.0.1 ", " 10.0.0.1", "10.0.0.0/-1", "[10.0.0.1]:80", NULL,
	};
	for (size_t i = 0; parse[i]; i++)
		unit_parse(parse[i]);
	const struct egress_policy *p = test_policy();
	unit_decide(p, "test", AF_INET, "127.0.0.1", 7001);
	unit_decide(p, "test", AF_INET, "127.0.0.2", 7001);
	unit_decide(p, "test", AF_INET, "127.0.0.2", 7003);
	unit_decide(p, "test", AF_INET, "127.9.9.9", 7002);
	unit_decide(p, "test", AF_INET, "0.0.0.0", 7002);
	unit_decide(p, "test", AF_INET, "127.0.0.3", 1);
	unit_decide(p, "test", AF_INET, "169.254.169.254", 80);
	unit_decide(p, "test", AF_INET, "169.254.169.253", 80);
	unit_decide(p, "test", AF_INET6, "::ffff:169.254.169.254", 80);
	unit_decide(p, "test", AF_INET6, "::ffff:0.0.0.0", 7002);
	unit_decide(p, "test", AF_INET6, "fd00:ec2::254", 80);
	unit_decide(p, "test", AF_INET6, "2001:db8:ffff::1", 80);
	unit_decide(p, "test", AF_INET6, "2001:db8:1::1", 80);
	unit_decide(p, "test", AF_INET6, "2001:db9::1", 80);
	unit_decide(p, "test", AF_INET6, "::", 1);
	/* a deny-by-default policy: the tie between an allow and a deny of equal rank is denied */
	static struct egress_rule a2[3], d2[2];
	static struct egress_policy p2 = {.default_deny = 1};
	static const char *const allow2[] = {"10.0.0.0/8", "10.1.0.0/16:443", "192.168.0.0/16", NULL};
	static const char *const deny2[] = {"10.1.0.0/16", "192.168.0.0/16", NULL};
	rules(a2, &p2.n_allow, allow2);
	rules(d2, &p2.n_deny, deny2);
	p2.allow = a2, p2.deny = d2;
	unit_decide(&p2, "strict", AF_INET, "10.2.3.4", 80);
	unit_decide(&p2, "strict", AF_INET, "10.1.3.4", 80);
	unit_decide(&p2, "strict", AF_INET, "10.1.3.4", 443);
	unit_decide(&p2, "strict", AF_INET, "192.168.1.1", 80);
	unit_decide(&p2, "strict", AF_INET, "8.8.8.8", 53);
	unit_decide(&p2, "strict", AF_INET6, "::1", 80);
	/* bad addresses */
	struct sockaddr_in short4 = sin4("10.0.0.1", 1);
	out("check short v4", "%s", errname(-egress_check(p, &short4, 8)));
	struct sockaddr_in6 short6 = sin6("::1", 1);
	out("check short v6", "%s", errname(-egress_check(p, &short6, 20)));
	out("check rfc2133 v6", "%d", egress_check(p, &short6, 24));
	out("check unspec", "%d", egress_check(p, &(sa_family_t){AF_UNSPEC}, 2));
	out("check unix", "%s", errname(-egress_check(p, &(sa_family_t){AF_UNIX}, 2)));
	out("check empty", "%s", errname(-egress_check(p, &short4, 0)));

	/* ASCII, escapes, valid 2/3/4-byte UTF-8, invalid: lone continuation, overlong, UTF-16
	 * surrogate, above U+10FFFF, cut sequence, 0xff; then caps that would split an escape */
	static const char *const js[] = {
		"616263", "225c0a0d091f7f", "c3a9", "e282ac", "f09f9880", "80", "c0af", "e0808f",
		"eda080", "f4908080", "e282", "ff", "c3", NULL,
	};
	for (size_t i = 0; js[i]; i++)
		unit_json(js[i], 512);
	unit_json("61ff", 6);
	unit_json("61ff", 7);
	unit_json("61e282ac", 3);
	unit_json("610a", 2);

	/* one trace line with far too much in it: cut, valid, at most TRACE_LINE_MAX bytes */
	int pp[2];
	if (pipe(pp))
		die("pipe");
	struct trace t;
	int proc = open("/proc", O_RDONLY | O_DIRECTORY);
	trace_init(&t, pp[1], proc, "ctr", TRACE_ALL);
	struct trace_event e;
	tev_begin(&e, &t, "exec", getpid());
	char big[3000];
	memset(big, 0xff, sizeof big); /* every byte escapes to 6 */
	tev_str(&e, "path", big, sizeof big);
	tev_array(&e, "argv");
	for (int i = 0; i < 400; i++)
		tev_item_str(&e, "\"arg\"", 5);
	tev_end_array(&e);
	trace_emit(&t, &e, "allow");
	char line[TRACE_LINE_MAX + 16];
	ssize_t n = read(pp[0], line, sizeof line);
	out("trace.long.bytes", "%zd", n);
	out("trace.long.last", "%s", n > 1 && line[n - 1] == '\n' ? "newline" : "none");
	dprintf(1, "trace.long.line = %.*s", (int)n, line);
	out("families all", "%ld", trace_families_parse("all"));
	out("families exec,denied", "%ld", trace_families_parse("exec,denied"));
	out("families bad", "%ld", trace_families_parse("exec,nope"));
	out("families trailing", "%ld", trace_families_parse("exec,"));
}

/* ---- modes ---- */

static int run(int ns, int trace, void (*body)(void *), void *arg, struct notify_config cfg,
	       int stats)
{
	struct workload wl = spawn(ns, trace, body, arg);
	if (ns) { /* uname answers from the server's uts namespace: join the workload's, as the
		   * sentry joins the container's */
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/ns/uts", (int)wl.pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWUTS))
			die("join the workload's uts namespace");
		close(fd);
	}
	serve(take_listener(&wl), cfg, stats);
	return wait_exit(wl.pid);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: notify_harness probes|trace|race|slow|failclosed|bench|noop\n");
		return 2;
	}
	const char *mode = argv[1];
	if (strcmp(mode, "noop") == 0) {
		print_nstgid("noop.nstgid");
		return 0;
	}
	if (strcmp(mode, "unit") == 0) {
		unit_body();
		return 0;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	private_network();
	struct peer peer = peer_start();
	struct notify_config cfg = server_config();
	int rc;
	if (strcmp(mode, "probes") == 0) {
		out("workload.status", "%d", run(1, 0, probes_body, NULL, cfg, 1));
	} else if (strcmp(mode, "trace") == 0 && argc == 4) {
		struct trace t;
		long fam = trace_families_parse(argv[3]);
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fam < 0 || fd < 0 || trace_init(&t, fd, cfg.proc_fd, "ctr-\"1\"", (unsigned)fam))
			die("trace setup");
		char dir[4200];
		snprintf(dir, sizeof dir, "%s.d", argv[2]);
		if (mkdir(dir, 0700) && errno != EEXIST)
			die("mkdir %s", dir);
		struct trace_args ta = {dir};
		cfg.trace = &t;
		out("workload.status", "%d", run(1, 1, trace_body, &ta, cfg, 0));
		close(fd);
	} else if (strcmp(mode, "race") == 0) {
		int naive = argc > 2 && strcmp(argv[2], "continue") == 0;
		struct race_args ra = {naive ? 20000 : 1000, naive};
		struct workload wl = spawn(0, 0, race_body, &ra);
		int l = take_listener(&wl);
		if (naive)
			serve_naive(l);
		else
			serve(l, cfg, 0);
		out("workload.status", "%d", wait_exit(wl.pid));
	} else if (strcmp(mode, "slow") == 0) {
		struct slow_args sa = {peer.cmd};
		out("workload.status", "%d", run(0, 0, slow_body, &sa, cfg, 1));
	} else if (strcmp(mode, "failclosed") == 0) {
		int ready[2], kill_done[2];
		if (pipe(ready) || pipe(kill_done))
			die("pipe");
		struct fc_args fa = {ready[1], kill_done[0]};
		struct workload wl = spawn(0, 0, failclosed_body, &fa);
		pid_t server = fork();
		if (server == 0) {
			serve(take_listener(&wl), cfg, 0);
			_exit(0);
		}
		close(wl.ack); /* only the server holds the listener */
		read_byte(ready[0]);
		kill(server, SIGKILL);
		out("failclosed.server", "%s", wait_exit(server) == 128 + SIGKILL ? "killed" : "exited");
		write_byte(kill_done[1], 'k');
		out("workload.status", "%d", wait_exit(wl.pid));
	} else if (strcmp(mode, "bench") == 0) {
		struct bench_args b = {.n = 20000};
		for (int i = 2; i < argc; i++) {
			if (strcmp(argv[i], "nosync") == 0)
				cfg.no_sync_wakeup = 1;
			else
				b.n = atoi(argv[i]) > 100 ? atoi(argv[i]) : b.n;
		}
		/* the same calls without a filter, in a process like the workload */
		out("bench.getppid_bare_us", "%.3f", batch_us(SYS_getppid, 2000));
		out("bench.uname_bare_us", "%.3f", each_uname_us(b.n));
		out("bench.connect_bare_us", "%.1f", connect_us(1000));
		out("bench.sendmsg_udp_bare_us", "%.2f", sendmsg_us(AF_INET, b.n / 4));
		out("bench.sendmsg_unix_bare_us", "%.2f", sendmsg_us(AF_UNIX, b.n / 4));
		out("workload.status", "%d", run(0, 0, bench_body, &b, cfg, 1));
	} else {
		fprintf(stderr, "notify_harness: unknown mode %s\n", mode);
		return 2;
	}
	peer_stop(&peer);
	rc = 0;
	return rc;
}
