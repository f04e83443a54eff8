/* Egress calls: connect, sendto with an address, sendmsg and sendmmsg (DESIGN §4.2).
 *
 * The sentry copies the destination, decides, and on an IP socket performs the call itself
 * on its own duplicate of the workload's socket (pidfd_getfd) with the copied address and
 * data: the checked address is the used one, whatever the workload writes afterwards. It
 * never answers CONTINUE for an IP socket.
 *
 * Unix and netlink sockets are local: the call is let through (CONTINUE). The sentry must not
 * perform those itself: a unix path resolves in the caller's mount namespace and root, the
 * peer's SO_PEERCRED and SCM_CREDENTIALS would name the sentry (host root) instead of the
 * caller, and the sentry's privileges would bypass the socket file's permissions. Every other
 * family (packet, vsock, ...) reaches the network without an IP address to check: refused.
 *
 * A blocking connect never stalls the loop: O_NONBLOCK is set on the (shared) open file
 * description only around our connect() call, and the call is held until the socket is
 * writable, then answered with SO_ERROR (or with EINPROGRESS at SO_SNDTIMEO, as the kernel
 * does). Blocking sends that would block are held the same way. */
#include "notify_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif
#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#define UIO_MAXIOV 1024

enum { ROUTE_PERFORM, ROUTE_CONTINUE, ROUTE_REFUSE };

struct sock {
	int fd; /* our duplicate */
	int domain, type;
};

static int route(int domain)
{
	if (domain == AF_INET || domain == AF_INET6)
		return ROUTE_PERFORM;
	if (domain == AF_UNIX || domain == AF_NETLINK)
		return ROUTE_CONTINUE;
	return ROUTE_REFUSE;
}

static int take_socket(struct target *t, uint64_t arg, struct sock *s)
{
	int tfd = (int)arg; /* the kernel reads an int */
	if (tfd < 0)
		return -EBADF;
	int fd = tgt_getfd(t, tfd);
	if (fd < 0)
		return fd;
	socklen_t l1 = sizeof s->domain, l2 = sizeof s->type;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &s->domain, &l1) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &s->type, &l2) != 0) {
		int e = errno;
		close(fd);
		return -e; /* ENOTSOCK, as the kernel would say */
	}
	s->fd = fd;
	return 0;
}

/* A sockaddr the way move_addr_to_kernel takes it. */
static int read_addr(struct target *t, uint64_t uaddr, int64_t len, unsigned char *out,
		     size_t *outlen)
{
	*outlen = 0;
	if (len < 0 || len > NOTIFY_ADDR_MAX)
		return -EINVAL;
	if (len == 0)
		return 0;
	int r = tgt_read(t, uaddr, out, (size_t)len);
	if (r)
		return r;
	*outlen = (size_t)len;
	return 0;
}

void tev_address(struct trace_event *e, const char *key, const unsigned char *sa, size_t len)
{
	char buf[160];
	size_t n = 0;
	sa_family_t family;
	if (len < sizeof family) {
		tev_null(e, key);
		return;
	}
	memcpy(&family, sa, sizeof family);
	if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in in;
		memcpy(&in, sa, sizeof in);
		inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf);
		n = strlen(buf);
		n += (size_t)snprintf(buf + n, sizeof buf - n, ":%u", ntohs(in.sin_port));
	} else if (family == AF_INET6 && len >= 24) {
		struct sockaddr_in6 in6;
		memset(&in6, 0, sizeof in6);
		memcpy(&in6, sa, len < sizeof in6 ? len : sizeof in6);
		buf[0] = '[';
		inet_ntop(AF_INET6, &in6.sin6_addr, buf + 1, sizeof buf - 1);
		n = strlen(buf);
		n += (size_t)snprintf(buf + n, sizeof buf - n, "]:%u", ntohs(in6.sin6_port));
	} else if (family == AF_UNIX) {
		/* bytes, escaped by the trace: "unix:/path", "unix:@abstract", "unix:" (unnamed) */
		const unsigned char *p = sa + sizeof family;
		size_t plen = len - sizeof family;
		memcpy(buf, "unix:", 5);
		n = 5;
		if (plen && p[0] == 0) {
			buf[n++] = '@';
			p++, plen--;
		} else {
			const unsigned char *nul = memchr(p, 0, plen);
			if (nul)
				plen = (size_t)(nul - p);
		}
		if (plen > sizeof buf - n)
			plen = sizeof buf - n;
		memcpy(buf + n, p, plen);
		n += plen;
	} else if (family == AF_UNSPEC) {
		n = (size_t)snprintf(buf, sizeof buf, "unspec");
	} else {
		n = (size_t)snprintf(buf, sizeof buf, "family %u", family);
	}
	tev_str(e, key, buf, n);
}

/* A trace event for an egress call (connect, or a send with an address): its family, or the
 * "denied" family when the policy refused it. */
static void egress_event(struct notify *n, struct target *t, const char *call,
			 const unsigned char *sa, size_t salen, int denied)
{
	unsigned fam = TRACE_CONNECT | (denied ? TRACE_DENIED : 0);
	struct trace_event *e = notify_event(n, fam, "connect", t->tid);
	if (!e)
		return;
	tev_str(e, "call", call, strlen(call));
	tev_address(e, "address", sa, salen);
	if (denied)
		n->ev_decision = "deny";
}

/* ---- held calls ---- */

static struct held *held_find(struct notify *n, uint64_t id)
{
	for (size_t i = 0; i < n->nheld; i++)
		if (n->held[i].id == id)
			return &n->held[i];
	return NULL;
}

static void held_remove(struct notify *n, struct held *h)
{
	epoll_ctl(n->ep, EPOLL_CTL_DEL, h->sock, NULL); /* before close: the file outlives our fd */
	close(h->sock);
	free(h->msg);
	*h = n->held[--n->nheld];
}

/* drop held calls whose caller is gone (a signal, or killed) */
static void held_sweep(struct notify *n)
{
	for (size_t i = n->nheld; i-- > 0;) {
		struct target t = {.n = n, .id = n->held[i].id, .mem = -1, .pidfd = -1};
		if (tgt_valid(&t)) {
			n->stats.gone++;
			held_remove(n, &n->held[i]);
		}
	}
}

static int64_t sndtimeo_deadline(int sock)
{
	struct timeval tv;
	socklen_t l = sizeof tv;
	if (getsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, &l) != 0 || (!tv.tv_sec && !tv.tv_usec))
		return 0;
	return notify_now_ns() + (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

/* Hold the call; takes ownership of sock and msg (freed on failure too). */
static int hold(struct notify *n, const struct target *t, int sock, int kind, struct msgcopy *msg,
		size_t sent, uint64_t mmsg_len)
{
	if (n->nheld == NOTIFY_MAX_HELD)
		held_sweep(n);
	struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = t->id};
	if (n->nheld == NOTIFY_MAX_HELD || epoll_ctl(n->ep, EPOLL_CTL_ADD, sock, &ev) != 0) {
		close(sock);
		free(msg);
		return -1;
	}
	n->held[n->nheld++] = (struct held){
		.id = t->id, .tid = t->tid, .sock = sock, .kind = kind,
		.deadline_ns = sndtimeo_deadline(sock), .msg = msg, .sent = sent, .mmsg_len = mmsg_len,
	};
	n->stats.held++;
	return 0;
}

int held_timeout_ms(const struct notify *n)
{
	int64_t first = 0;
	for (size_t i = 0; i < n->nheld; i++)
		if (n->held[i].deadline_ns && (!first || n->held[i].deadline_ns < first))
			first = n->held[i].deadline_ns;
	if (!first)
		return -1;
	int64_t ms = (first - notify_now_ns() + 999999) / 1000000;
	return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

void held_drop_all(struct notify *n)
{
	while (n->nheld)
		held_remove(n, &n->held[n->nheld - 1]);
}

/* ---- sending ---- */

static ssize_t send_once(int sock, const struct msgcopy *m, size_t off)
{
	struct iovec iov = {.iov_base = m->data + off, .iov_len = m->len - off};
	struct msghdr h = {.msg_iov = &iov, .msg_iovlen = 1};
	if (off == 0) { /* address and control data go with the first bytes only */
		h.msg_name = m->namelen ? (void *)m->name : NULL;
		h.msg_namelen = (socklen_t)m->namelen;
		h.msg_control = m->controllen ? (void *)m->control : NULL;
		h.msg_controllen = m->controllen;
	}
	/* never block the loop, and a SIGPIPE must go to the caller, not to the sentry */
	ssize_t r = sendmsg(sock, &h, m->flags | MSG_DONTWAIT | MSG_NOSIGNAL);
	return r < 0 ? -errno : r;
}

/* The answer to a send that sent `sent` bytes or failed with -err (r < 0). */
static void send_answer(struct target *t, const struct msgcopy *m, ssize_t r,
			int kind, uint64_t mmsg_len, struct answer *a)
{
	if (r == -EPIPE && !(m->flags & MSG_NOSIGNAL))
		tgt_signal(t, SIGPIPE); /* what the kernel does to a thread writing to a closed peer */
	if (r < 0) {
		*a = (struct answer){A_ERROR, 0, (int)-r};
		return;
	}
	if (kind == H_SENDMMSG) {
		uint32_t len = (uint32_t)r;
		int w = tgt_write(t, mmsg_len, &len, sizeof len);
		*a = w ? (struct answer){A_ERROR, 0, -w} : (struct answer){A_VALUE, 1, 0};
		return;
	}
	*a = (struct answer){A_VALUE, r, 0};
}

/* Send m on s (our duplicate); takes ownership of s->fd. */
static void perform_send(struct notify *n, struct target *t, struct sock *s, struct msgcopy *m,
			 int kind, uint64_t mmsg_len, struct answer *a)
{
	int fl = fcntl(s->fd, F_GETFL);
	int blocking = fl >= 0 && !(fl & O_NONBLOCK) && !(m->flags & MSG_DONTWAIT);
	if (m->flags & MSG_ZEROCOPY) {
		/* the kernel would pin our buffer and report completions of our copy: refuse, as
		 * a zerocopy send that cannot be set up is refused (callers fall back to a copy) */
		*a = (struct answer){A_ERROR, 0, ENOBUFS};
		close(s->fd);
		return;
	}
	if ((m->flags & MSG_FASTOPEN) && blocking) {
		/* a blocking fast-open send waits for the handshake and returns the bytes queued:
		 * not reproducible without blocking; refused as a kernel without TFO does */
		*a = (struct answer){A_ERROR, 0, EOPNOTSUPP};
		close(s->fd);
		return;
	}
	n->stats.performed++;
	ssize_t r = send_once(s->fd, m, 0);
	int partial = r >= 0 && (size_t)r < m->len && s->type == SOCK_STREAM;
	if (blocking && (r == -EAGAIN || partial)) {
		/* the rest goes when the socket is writable, as a blocking send would */
		struct msgcopy *copy = malloc(sizeof *copy + m->len);
		if (copy) {
			*copy = *m;
			copy->data = (unsigned char *)(copy + 1);
			memcpy(copy->data, m->data, m->len);
			size_t sent = r > 0 ? (size_t)r : 0;
			if (hold(n, t, s->fd, kind, copy, sent, mmsg_len) == 0) {
				*a = (struct answer){A_HELD, 0, 0};
				return;
			}
			s->fd = -1; /* hold closed it */
		}
		/* cannot hold it: what was sent counts, else as a timed-out blocking send */
	}
	if (s->fd >= 0)
		close(s->fd);
	send_answer(t, m, r, kind, mmsg_len, a);
}

/* control messages the sentry can carry for the caller: plain per-packet options that need
 * no privilege. Not SCM_RIGHTS/SCM_CREDENTIALS (the caller's fds and identity), not SO_MARK or
 * SO_PRIORITY (privileged: they would be checked against the sentry), not IP options or IPv6
 * routing headers (they choose other hops than the checked address). */
static int cmsg_allowed(int level, int type)
{
	if (level == IPPROTO_IP)
		return type == IP_TOS || type == IP_TTL || type == IP_PKTINFO;
	if (level == IPPROTO_IPV6)
		return type == IPV6_TCLASS || type == IPV6_HOPLIMIT || type == IPV6_PKTINFO;
	if (level == IPPROTO_UDP)
		return type == UDP_SEGMENT;
	return 0;
}

static int check_control(const unsigned char *c, size_t len)
{
	size_t off = 0;
	while (len - off >= sizeof(struct moat_kcmsghdr)) {
		struct moat_kcmsghdr h;
		memcpy(&h, c + off, sizeof h);
		if (h.len < sizeof h || h.len > len - off)
			return -EINVAL; /* what the kernel says of a malformed cmsghdr */
		if (!cmsg_allowed(h.level, h.type))
			return -EPERM;
		off += (h.len + 7) & ~(uint64_t)7;
		if (off > len)
			break;
	}
	return 0;
}

/* Copy a struct user_msghdr and what it points to, the way ___sys_sendmsg reads it. */
static int read_msghdr(struct notify *n, struct target *t, uint64_t umsg, int stream,
		       struct msgcopy *m)
{
	struct moat_kmsghdr h;
	int r = tgt_read(t, umsg, &h, sizeof h);
	if (r)
		return r;
	m->namelen = 0;
	if (h.name && h.namelen) {
		if (h.namelen < 0)
			return -EINVAL;
		size_t len = (size_t)h.namelen > NOTIFY_ADDR_MAX ? NOTIFY_ADDR_MAX : (size_t)h.namelen;
		if ((r = tgt_read(t, h.name, m->name, len)))
			return r;
		m->namelen = len;
	}
	if (h.iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	m->controllen = 0;
	if (h.controllen) {
		if (h.controllen > NOTIFY_CONTROL_MAX)
			return -ENOBUFS; /* the kernel's answer for more than it will buffer */
		if ((r = tgt_read(t, h.control, m->control, h.controllen)))
			return r;
		m->controllen = h.controllen;
		if ((r = check_control(m->control, m->controllen)))
			return r;
	}
	struct moat_kiovec iov[64];
	uint64_t total = 0;
	m->data = n->sendbuf;
	m->len = 0;
	for (uint64_t i = 0; i < h.iovlen; i += 64) {
		size_t k = h.iovlen - i < 64 ? (size_t)(h.iovlen - i) : 64;
		if ((r = tgt_read(t, h.iov + i * sizeof iov[0], iov, k * sizeof iov[0])))
			return r;
		for (size_t j = 0; j < k; j++) {
			if (iov[j].len > SSIZE_MAX || (total += iov[j].len) > SSIZE_MAX)
				return -EINVAL;
			size_t take = NOTIFY_SEND_MAX - m->len;
			if (take > iov[j].len)
				take = (size_t)iov[j].len;
			if (take && (r = tgt_read(t, iov[j].base, m->data + m->len, take)))
				return r;
			m->len += take;
		}
	}
	/* a stream takes the first NOTIFY_SEND_MAX bytes (a short send); a datagram is whole */
	if (total > NOTIFY_SEND_MAX && !stream)
		return -EMSGSIZE;
	return 0;
}

/* ---- the calls ---- */

static void performed_connect(struct notify *n, struct target *t, struct sock *s,
			      const unsigned char *sa, size_t salen, struct answer *a)
{
	n->stats.performed++;
	int fl = fcntl(s->fd, F_GETFL);
	if (fl < 0) {
		*a = (struct answer){A_ERROR, 0, errno};
		close(s->fd);
		return;
	}
	if (fl & O_NONBLOCK) { /* the caller's own semantics: EINPROGRESS comes back as is */
		int r = connect(s->fd, (const struct sockaddr *)sa, (socklen_t)salen);
		*a = r == 0 ? (struct answer){A_VALUE, 0, 0} : (struct answer){A_ERROR, 0, errno};
		close(s->fd);
		return;
	}
	/* Blocking: start the connect non-blocking and hold the call. The flag is on the open
	 * file description the workload shares, so it is set for this one connect() only. */
	fcntl(s->fd, F_SETFL, fl | O_NONBLOCK);
	int r = connect(s->fd, (const struct sockaddr *)sa, (socklen_t)salen);
	int e = errno;
	fcntl(s->fd, F_SETFL, fl);
	if (r != 0 && (e == EINPROGRESS || e == EALREADY)) {
		if (hold(n, t, s->fd, H_CONNECT, NULL, 0, 0) == 0) {
			*a = (struct answer){A_HELD, 0, 0};
			return;
		}
		/* no room to hold it: the connect goes on in the background, exactly what a
		 * blocking connect reports when SO_SNDTIMEO runs out */
		*a = (struct answer){A_ERROR, 0, EINPROGRESS};
		return;
	}
	*a = r == 0 ? (struct answer){A_VALUE, 0, 0} : (struct answer){A_ERROR, 0, e};
	close(s->fd);
}

void net_connect(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
		 struct answer *a)
{
	unsigned char sa[NOTIFY_ADDR_MAX];
	size_t salen;
	int rd = read_addr(t, d->args[1], (int)d->args[2], sa, &salen);
	if (!n->cfg.egress) { /* traced only */
		if (rd == -EFAULT) {
			*a = (struct answer){A_ERROR, 0, EFAULT};
			return;
		}
		egress_event(n, t, "connect", sa, salen, 0);
		*a = (struct answer){A_CONTINUE, 0, 0};
		return;
	}
	struct sock s;
	int r = take_socket(t, d->args[0], &s);
	if (r) {
		*a = (struct answer){A_ERROR, 0, -r};
		return;
	}
	int rt = route(s.domain);
	if (rt == ROUTE_CONTINUE) {
		close(s.fd);
		egress_event(n, t, "connect", sa, salen, 0);
		*a = (struct answer){A_CONTINUE, 0, 0};
		return;
	}
	if (rd) {
		close(s.fd);
		*a = (struct answer){A_ERROR, 0, -rd};
		return;
	}
	int dec = rt == ROUTE_REFUSE ? EGRESS_DENY : egress_check(n->cfg.egress, sa, salen);
	if (dec < 0) { /* too short for its family, or not an IP address: the kernel's errno */
		close(s.fd);
		*a = (struct answer){A_ERROR, 0, -dec};
		return;
	}
	egress_event(n, t, "connect", sa, salen, dec == EGRESS_DENY);
	if (dec == EGRESS_DENY) {
		close(s.fd);
		n->stats.denied++;
		*a = (struct answer){A_ERROR, 0, ECONNREFUSED};
		return;
	}
	performed_connect(n, t, &s, sa, salen, a);
}

/* Shared by sendto, sendmsg and sendmmsg once the message is copied: decide on the
 * address (if any) and send. */
static void decide_and_send(struct notify *n, struct target *t, struct sock *s,
			    struct msgcopy *m, const char *event, int kind, uint64_t mmsg_len,
			    struct answer *a)
{
	if (m->namelen) {
		int dec = egress_check(n->cfg.egress, m->name, m->namelen);
		if (dec < 0) {
			close(s->fd);
			*a = (struct answer){A_ERROR, 0, -dec};
			return;
		}
		egress_event(n, t, event, m->name, m->namelen, dec == EGRESS_DENY);
		if (dec == EGRESS_DENY) {
			close(s->fd);
			n->stats.denied++;
			*a = (struct answer){A_ERROR, 0, EPERM};
			return;
		}
	}
	perform_send(n, t, s, m, kind, mmsg_len, a);
}

void net_sendto(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
		struct answer *a)
{
	struct msgcopy m = {.flags = (int)d->args[3]};
	uint64_t buf = d->args[1], len = d->args[2], uaddr = d->args[4];
	int rd = uaddr ? read_addr(t, uaddr, (int)d->args[5], m.name, &m.namelen) : 0;
	if (!n->cfg.egress) {
		if (rd == -EFAULT) {
			*a = (struct answer){A_ERROR, 0, EFAULT};
			return;
		}
		if (uaddr)
			egress_event(n, t, "sendto", m.name, m.namelen, 0);
		*a = (struct answer){A_CONTINUE, 0, 0};
		return;
	}
	struct sock s;
	int r = take_socket(t, d->args[0], &s);
	if (r) {
		*a = (struct answer){A_ERROR, 0, -r};
		return;
	}
	int rt = route(s.domain);
	if (rt != ROUTE_PERFORM) {
		close(s.fd);
		if (uaddr)
			egress_event(n, t, "sendto", m.name, m.namelen, rt == ROUTE_REFUSE);
		if (rt == ROUTE_REFUSE)
			n->stats.denied++;
		*a = rt == ROUTE_CONTINUE ? (struct answer){A_CONTINUE, 0, 0}
					  : (struct answer){A_ERROR, 0, EPERM};
		return;
	}
	if (rd) {
		close(s.fd);
		*a = (struct answer){A_ERROR, 0, -rd};
		return;
	}
	if (uaddr && m.namelen == 0) {
		close(s.fd);
		*a = (struct answer){A_ERROR, 0, EINVAL}; /* an address of length 0 */
		return;
	}
	if (len > NOTIFY_SEND_MAX && s.type != SOCK_STREAM) {
		close(s.fd);
		*a = (struct answer){A_ERROR, 0, EMSGSIZE};
		return;
	}
	m.data = n->sendbuf;
	m.len = len > NOTIFY_SEND_MAX ? NOTIFY_SEND_MAX : (size_t)len;
	if (m.len && (r = tgt_read(t, buf, m.data, m.len))) {
		close(s.fd);
		*a = (struct answer){A_ERROR, 0, -r};
		return;
	}
	decide_and_send(n, t, &s, &m, "sendto", H_SEND, 0, a);
}

void net_sendmsg(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
		 struct answer *a, int mmsg)
{
	const char *event = mmsg ? "sendmmsg" : "sendmsg";
	uint64_t umsg = d->args[1];
	struct msgcopy m = {.flags = (int)(mmsg ? d->args[3] : d->args[2])};
	if (!n->cfg.egress) { /* traced only: the address, if there is one */
		struct moat_kmsghdr h;
		int r = tgt_read(t, umsg, &h, sizeof h);
		if (r) {
			*a = (struct answer){A_ERROR, 0, -r};
			return;
		}
		if (h.name && h.namelen > 0) {
			size_t len = h.namelen > NOTIFY_ADDR_MAX ? NOTIFY_ADDR_MAX : (size_t)h.namelen;
			if ((r = tgt_read(t, h.name, m.name, len))) {
				*a = (struct answer){A_ERROR, 0, -r};
				return;
			}
			egress_event(n, t, event, m.name, len, 0);
		}
		*a = (struct answer){A_CONTINUE, 0, 0};
		return;
	}
	struct sock s;
	int r = take_socket(t, d->args[0], &s);
	if (r) {
		*a = (struct answer){A_ERROR, 0, -r};
		return;
	}
	int rt = route(s.domain);
	if (rt != ROUTE_PERFORM) {
		close(s.fd);
		if (rt == ROUTE_REFUSE)
			n->stats.denied++;
		*a = rt == ROUTE_CONTINUE ? (struct answer){A_CONTINUE, 0, 0}
					  : (struct answer){A_ERROR, 0, EPERM};
		return;
	}
	if (mmsg && (uint32_t)d->args[2] == 0) { /* vlen 0: nothing to send */
		close(s.fd);
		*a = (struct answer){A_VALUE, 0, 0};
		return;
	}
	/* sendmmsg: the first message only; returning 1 of vlen is a valid short count */
	if ((r = read_msghdr(n, t, umsg, s.type == SOCK_STREAM, &m))) {
		close(s.fd);
		*a = (struct answer){A_ERROR, 0, -r};
		return;
	}
	decide_and_send(n, t, &s, &m, event, mmsg ? H_SENDMMSG : H_SEND,
			umsg + offsetof(struct moat_kmmsghdr, len), a);
}

/* Finish a held call: its socket is ready, or its deadline passed. */
static void finish(struct notify *n, struct held *h, int expired)
{
	struct target t = {.n = n, .id = h->id, .tid = h->tid, .mem = -1, .pidfd = -1};
	struct answer a;
	if (tgt_valid(&t)) { /* gone: leave SO_ERROR to a restarted call on the same socket */
		n->stats.gone++;
		held_remove(n, h);
		return;
	}
	if (h->kind == H_CONNECT) {
		int e = 0;
		socklen_t l = sizeof e;
		if (expired)
			e = EINPROGRESS; /* SO_SNDTIMEO ran out: the kernel's blocking connect says so */
		else if (getsockopt(h->sock, SOL_SOCKET, SO_ERROR, &e, &l) != 0)
			e = errno;
		a = e ? (struct answer){A_ERROR, 0, e} : (struct answer){A_VALUE, 0, 0};
	} else {
		ssize_t r = 0;
		if (!expired) {
			r = send_once(h->sock, h->msg, h->sent);
			if (r == -EAGAIN)
				goto out; /* woken early: wait on */
			if (r > 0) {
				h->sent += (size_t)r;
				if (h->sent < h->msg->len)
					goto out;
			}
		}
		/* what was sent counts; otherwise the error (EAGAIN at SO_SNDTIMEO, as the kernel) */
		if (h->sent)
			r = (ssize_t)h->sent;
		else if (expired)
			r = -EAGAIN;
		send_answer(&t, h->msg, r, h->kind, h->mmsg_len, &a);
	}
	notify_reply(n, h->id, &a);
	held_remove(n, h);
out:
	tgt_close(&t);
}

void held_service(struct notify *n)
{
	struct epoll_event ev[16];
	int k = epoll_wait(n->ep, ev, 16, 0);
	for (int i = 0; i < k; i++) {
		struct held *h = held_find(n, ev[i].data.u64);
		if (h)
			finish(n, h, 0);
	}
	int64_t now = notify_now_ns();
	for (size_t i = n->nheld; i-- > 0;)
		if (n->held[i].deadline_ns && now >= n->held[i].deadline_ns)
			finish(n, &n->held[i], 1);
}
