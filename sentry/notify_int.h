/* Internal interfaces between notify*.c (not for the rest of the sentry). */
#ifndef MOAT_NOTIFY_INT_H
#define MOAT_NOTIFY_INT_H

#include "notify.h"

#include <sys/types.h>

#define NOTIFY_MAX_HELD 64      /* blocking connects/sends in flight at once */
#define NOTIFY_SEND_MAX 65536   /* bytes one mediated send carries (a UDP datagram fits) */
#define NOTIFY_CONTROL_MAX 256  /* control bytes one mediated sendmsg carries */
#define NOTIFY_ADDR_MAX 128     /* sizeof(struct sockaddr_storage), the kernel's bound */

/* The caller of one notification. mem and pidfd are opened on first use, and each is checked
 * with NOTIF_ID_VALID after it is opened: a pid reused since the notification can never be
 * read, written or have its fds taken. */
struct target {
	struct notify *n;
	uint64_t id;
	pid_t tid;
	int mem;   /* /proc/<tid>/mem */
	int pidfd; /* pidfd_open(tid, PIDFD_THREAD) */
};

int tgt_valid(const struct target *t); /* 0, or -ENOENT: the call is gone */
/* 0, -EFAULT (not mapped, as the kernel would say) or -ENOENT */
int tgt_read(struct target *t, uint64_t addr, void *buf, size_t len);
/* a NUL-terminated string into buf (always terminated): 0, 1 if cut at cap - 1, or -errno */
int tgt_read_str(struct target *t, uint64_t addr, char *buf, size_t cap, size_t *len);
/* process_vm_writev, then NOTIF_ID_VALID: 0, -EFAULT or -ENOENT */
int tgt_write(struct target *t, uint64_t addr, const void *buf, size_t len);
int tgt_getfd(struct target *t, int fd); /* our close-on-exec duplicate, or -errno */
int tgt_signal(struct target *t, int sig); /* to the calling thread */
void tgt_close(struct target *t);

/* What a handler decided. A_HELD: the call is answered later (notify_net.c). */
enum { A_VALUE, A_ERROR, A_CONTINUE, A_HELD };
struct answer {
	int kind;
	int64_t val;
	int err; /* positive errno for A_ERROR */
};

/* One outbound message, copied out of the target. */
struct msgcopy {
	unsigned char name[NOTIFY_ADDR_MAX];
	size_t namelen; /* 0: no address */
	unsigned char control[NOTIFY_CONTROL_MAX];
	size_t controllen;
	int flags;           /* the caller's MSG_* flags */
	size_t len;          /* bytes in data */
	unsigned char *data; /* NOTIFY_SEND_MAX bytes */
};

/* A call held until its socket is ready: a blocking connect in progress, or a send that
 * would block. */
enum { H_CONNECT, H_SEND, H_SENDMMSG };
struct held {
	uint64_t id;
	pid_t tid;
	int sock;            /* our duplicate of the workload's socket */
	int kind;
	int64_t deadline_ns; /* CLOCK_MONOTONIC; 0: none (SO_SNDTIMEO unset) */
	struct msgcopy *msg; /* H_SEND/H_SENDMMSG: what is left to send */
	size_t sent;         /* bytes of msg sent so far (a stream socket) */
	uint64_t mmsg_len;   /* H_SENDMMSG: where msg_len goes in the target */
};

struct notify {
	struct notify_config cfg;
	void *req, *resp;
	size_t req_size, resp_size;
	int ep; /* epoll set of held sockets (notify_pending_fd) */
	struct notify_stats stats;
	struct held held[NOTIFY_MAX_HELD];
	size_t nheld;
	unsigned char *sendbuf; /* NOTIFY_SEND_MAX */
	/* the trace event of the notification being served, written after the reply */
	struct trace_event ev;
	int ev_open;
	const char *ev_decision;
};

/* notify.c */
int64_t notify_now_ns(void);
int notify_reply(struct notify *n, uint64_t id, const struct answer *a);
/* the event for this call if one of the families is traced, else NULL */
struct trace_event *notify_event(struct notify *n, unsigned families, const char *event, pid_t tid);
int notify_traced(const struct notify *n, unsigned families);

/* notify_net.c: egress calls; arch is 64 (x86_64) only */
void net_connect(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
		 struct answer *a);
void net_sendto(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
		struct answer *a);
void net_sendmsg(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
		 struct answer *a, int mmsg);
void held_service(struct notify *n);
int held_timeout_ms(const struct notify *n);
void held_drop_all(struct notify *n);
/* "10.0.0.1:80", "[::1]:80", "unix:/path", "unix:@abstract", "family 17" */
void tev_address(struct trace_event *e, const char *key, const unsigned char *sa, size_t len);

/* notify_observe.c: observation only, always CONTINUE (unless memory cannot be read) */
void obs_exec(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
	      struct answer *a, int at);
void obs_open(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
	      struct answer *a);
void obs_setid(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
	       struct answer *a);
void obs_mount(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
	       struct answer *a);
void obs_ptrace(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
		struct answer *a);
void obs_bind(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
	      struct answer *a);

#endif
