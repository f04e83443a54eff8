/* Trace events (`moat trace`, dev.moat.trace): one JSON object a line,
 *   {"time":"2026-12-02T09:21:00.123456789Z","id":"<container>","hostPid":1234,
 *    "containerPid":1,"event":"connect","address":"10.0.0.1:80","decision":"deny"}
 * pids are the calling process's (thread group), read from /proc/<tid>/status (Tgid, NStgid)
 * while the call is held (a process that exits right after its exec is still named);
 * containerPid is null if they cannot be read.
 *
 * Strings are bytes, not text: valid UTF-8 passes, control characters, '"', '\\' and DEL are
 * escaped, and each byte that is not part of valid UTF-8 is written as \udcXX (a lone low
 * surrogate, Python's "surrogateescape"), so the exact bytes survive and cannot be mistaken
 * for valid text. A line is at most TRACE_LINE_MAX bytes (PIPE_BUF: one atomic write to a
 * pipe); what does not fit is cut and the line says "truncated":true. Lines are written
 * non-blocking: a reader that falls behind loses lines, never stalls the sentry, and the next
 * line that gets through says how many were lost ("dropped":N). */
#ifndef MOAT_TRACE_H
#define MOAT_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define TRACE_LINE_MAX 4096

/* event families (dev.moat.trace) */
enum {
	TRACE_EXEC = 1u << 0,
	TRACE_CONNECT = 1u << 1, /* connect, and sendto/sendmsg with an address */
	TRACE_BIND = 1u << 2,
	TRACE_OPEN_WRITE = 1u << 3,
	TRACE_SETUID = 1u << 4, /* the setuid/setgid family and setgroups */
	TRACE_MOUNT = 1u << 5,  /* mount, umount2, move_mount */
	TRACE_PTRACE = 1u << 6,
	TRACE_DENIED = 1u << 7, /* every refused egress call, whatever else is traced */
	TRACE_ALL = (1u << 8) - 1,
};

struct trace {
	int fd;             /* where the lines go; trace_init makes it non-blocking */
	int proc_fd;        /* the host's /proc (for Tgid and NStgid) */
	const char *id;     /* container id */
	unsigned families;  /* TRACE_* */
	uint64_t dropped;   /* lines lost since the last one written */
};

/* 0, or -1 with errno. */
int trace_init(struct trace *t, int fd, int proc_fd, const char *id, unsigned families);
/* "exec,connect" or "all" -> TRACE_*; -1 for an unknown name (nothing is parsed then). */
long trace_families_parse(const char *list);

/* One event being put together: the arguments are formatted while the call is held, the
 * line is finished and written after the reply (so the workload does not wait for it). */
struct trace_event {
	struct timespec time;
	pid_t tid;
	long host_pid, container_pid; /* -1: unknown */
	const char *event;
	char args[TRACE_LINE_MAX];
	size_t len;
	int truncated;
	int in_array; /* 0, or 1 + the number of items so far */
};

/* Starts an event of thread tid and reads its pids (the call must be held). */
void tev_begin(struct trace_event *e, const struct trace *t, const char *event, pid_t tid);
void tev_str(struct trace_event *e, const char *key, const void *bytes, size_t n);
void tev_int(struct trace_event *e, const char *key, int64_t v);
void tev_null(struct trace_event *e, const char *key);
void tev_array(struct trace_event *e, const char *key);     /* then items, then tev_end_array */
void tev_item_str(struct trace_event *e, const void *bytes, size_t n);
void tev_item_int(struct trace_event *e, int64_t v);
void tev_end_array(struct trace_event *e);
void tev_mark_truncated(struct trace_event *e);
/* room left for one more string's raw bytes (a caller reading argv stops when it is 0) */
size_t tev_room(const struct trace_event *e);

/* Finish the line with "decision" and write it. */
void trace_emit(struct trace *t, struct trace_event *e, const char *decision);

/* JSON string body for bytes (no quotes): what trace lines use. Writes at most cap bytes and
 * never splits an escape; returns the bytes written and sets *consumed to the input taken. */
size_t json_escape(char *out, size_t cap, const unsigned char *in, size_t n, size_t *consumed);

#endif
