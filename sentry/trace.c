/* Trace lines (trace.h): bounded JSON formatting and the non-blocking writer. */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the prefix (time, id, pids, event) and suffix (decision, truncated, dropped) fit in this */
#define FRAME_MAX 512
#define ARGS_CAP (TRACE_LINE_MAX - FRAME_MAX)
#define ID_MAX 256

int trace_init(struct trace *t, int fd, int proc_fd, const char *id, unsigned families)
{
	memset(t, 0, sizeof *t);
	t->fd = fd;
	t->proc_fd = proc_fd;
	t->id = id ? id : "";
	t->families = families;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return 0;
}

long trace_families_parse(const char *list)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{"exec", TRACE_EXEC},	      {"connect", TRACE_CONNECT}, {"bind", TRACE_BIND},
		{"open-write", TRACE_OPEN_WRITE}, {"setuid", TRACE_SETUID},   {"mount", TRACE_MOUNT},
		{"ptrace", TRACE_PTRACE},     {"denied", TRACE_DENIED},	  {"all", TRACE_ALL},
	};
	unsigned bits = 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		size_t i;
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strlen(names[i].name) == n && memcmp(names[i].name, p, n) == 0)
				break;
		if (i == sizeof names / sizeof names[0])
			return -1;
		bits |= names[i].bit;
		p += n;
		if (*p == ',' && *++p == 0)
			return -1; /* a trailing comma */
	}
	return (long)bits;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if the byte at s does not start one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* no overlong forms */
		if (c == 0xed)
			hi = 0x9f; /* no UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f; /* nothing above U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

size_t json_escape(char *out, size_t cap, const unsigned char *in, size_t n, size_t *consumed)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0;
	while (i < n) {
		unsigned char c = in[i];
		char tok[8];
		size_t tl, take = 1;
		if (c == '"' || c == '\\') {
			tok[0] = '\\', tok[1] = (char)c, tl = 2;
		} else if (c == '\n') {
			tok[0] = '\\', tok[1] = 'n', tl = 2;
		} else if (c == '\t') {
			tok[0] = '\\', tok[1] = 't', tl = 2;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(tok, "\\u00", 4);
			tok[4] = hex[c >> 4], tok[5] = hex[c & 15], tl = 6;
		} else if (c < 0x80) {
			tok[0] = (char)c, tl = 1;
		} else if ((take = utf8_len(in + i, n - i)) != 0) {
			memcpy(tok, in + i, take), tl = take;
		} else {
			memcpy(tok, "\\udc", 4); /* surrogateescape: byte 0xXY -> U+DCXY */
			tok[4] = hex[c >> 4], tok[5] = hex[c & 15], tl = 6, take = 1;
		}
		if (o + tl > cap)
			break;
		memcpy(out + o, tok, tl);
		o += tl;
		i += take;
	}
	*consumed = i;
	return o;
}

/* Tgid and the last NStgid field (the pid in the innermost pid namespace) */
static void pids_of(const struct trace *t, pid_t tid, long *host, long *inner)
{
	char path[32], buf[2048];
	*host = tid;
	*inner = -1;
	snprintf(path, sizeof path, "%d/status", (int)tid);
	int fd = openat(t->proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	char *p = strstr(buf, "\nTgid:");
	if (p)
		*host = strtol(p + 6, NULL, 10);
	p = strstr(buf, "\nNStgid:");
	if (!p)
		return;
	p += 8;
	char *end = strchr(p, '\n');
	if (end)
		*end = 0;
	char *save;
	for (char *f = strtok_r(p, " \t", &save); f; f = strtok_r(NULL, " \t", &save))
		*inner = strtol(f, NULL, 10);
}

void tev_begin(struct trace_event *e, const struct trace *t, const char *event, pid_t tid)
{
	clock_gettime(CLOCK_REALTIME, &e->time);
	e->tid = tid;
	e->event = event;
	e->len = 0;
	e->truncated = 0;
	e->in_array = 0;
	pids_of(t, tid, &e->host_pid, &e->container_pid);
}

void tev_mark_truncated(struct trace_event *e)
{
	e->truncated = 1;
}

/* room for more arguments, keeping a byte for the ']' of an open array */
static size_t room(const struct trace_event *e)
{
	size_t keep = e->in_array ? 1 : 0;
	return ARGS_CAP - keep > e->len ? ARGS_CAP - keep - e->len : 0;
}

size_t tev_room(const struct trace_event *e)
{
	size_t r = room(e);
	return r > 8 ? r - 8 : 0;
}

/* raw JSON text, all or nothing */
static int put(struct trace_event *e, const char *s, size_t n)
{
	if (n > room(e)) {
		e->truncated = 1;
		return -1;
	}
	memcpy(e->args + e->len, s, n);
	e->len += n;
	return 0;
}

/* ,"key": (or the separator inside an array) */
static int put_key(struct trace_event *e, const char *key)
{
	if (!key) {
		if (e->in_array > 1 && put(e, ",", 1))
			return -1;
		e->in_array += e->in_array > 0;
		return 0;
	}
	char k[64];
	int n = snprintf(k, sizeof k, ",\"%s\":", key);
	return put(e, k, (size_t)n);
}

static void put_string(struct trace_event *e, const char *key, const void *bytes, size_t n)
{
	size_t mark = e->len;
	int arr = e->in_array;
	if (put_key(e, key) || room(e) < 2 || put(e, "\"", 1)) {
		e->len = mark, e->in_array = arr, e->truncated = 1;
		return;
	}
	size_t used;
	e->len += json_escape(e->args + e->len, room(e) - 1, bytes, n, &used);
	if (used < n)
		e->truncated = 1;
	e->args[e->len++] = '"';
}

static void put_number(struct trace_event *e, const char *key, const char *text)
{
	size_t mark = e->len;
	int arr = e->in_array;
	if (put_key(e, key) || put(e, text, strlen(text)))
		e->len = mark, e->in_array = arr;
}

void tev_str(struct trace_event *e, const char *key, const void *bytes, size_t n)
{
	put_string(e, key, bytes, n);
}

void tev_int(struct trace_event *e, const char *key, int64_t v)
{
	char num[24];
	snprintf(num, sizeof num, "%" PRId64, v);
	put_number(e, key, num);
}

void tev_null(struct trace_event *e, const char *key)
{
	put_number(e, key, "null");
}

void tev_array(struct trace_event *e, const char *key)
{
	/* the ']' is reserved as soon as the '[' is in */
	size_t mark = e->len;
	if (put_key(e, key) || room(e) < 2 || put(e, "[", 1)) {
		e->len = mark, e->truncated = 1;
		e->in_array = -1; /* an array that could not open: items and the end are dropped */
		return;
	}
	e->in_array = 1;
}

void tev_item_str(struct trace_event *e, const void *bytes, size_t n)
{
	if (e->in_array > 0)
		put_string(e, NULL, bytes, n);
}

void tev_item_int(struct trace_event *e, int64_t v)
{
	char num[24];
	snprintf(num, sizeof num, "%" PRId64, v);
	if (e->in_array > 0)
		put_number(e, NULL, num);
}

void tev_end_array(struct trace_event *e)
{
	if (e->in_array > 0)
		e->args[e->len++] = ']';
	e->in_array = 0;
}

void trace_emit(struct trace *t, struct trace_event *e, const char *decision)
{
	char line[TRACE_LINE_MAX];
	struct tm tm;
	gmtime_r(&e->time.tv_sec, &tm);
	char id[ID_MAX];
	size_t used;
	size_t idlen = json_escape(id, sizeof id, (const unsigned char *)t->id, strlen(t->id), &used);
	char cpid[24] = "null";
	if (e->container_pid >= 0)
		snprintf(cpid, sizeof cpid, "%ld", e->container_pid);
	if (e->in_array > 0)
		tev_end_array(e);
	int n = snprintf(line, sizeof line,
			 "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ\",\"id\":\"%.*s\","
			 "\"hostPid\":%ld,\"containerPid\":%s,\"event\":\"%s\"",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (long)e->time.tv_nsec, (int)idlen, id, e->host_pid, cpid, e->event);
	size_t len = (size_t)n; /* < FRAME_MAX - the suffix: id is at most ID_MAX */
	memcpy(line + len, e->args, e->len);
	len += e->len;
	len += (size_t)snprintf(line + len, sizeof line - len, ",\"decision\":\"%s\"", decision);
	if (e->truncated || used < strlen(t->id))
		len += (size_t)snprintf(line + len, sizeof line - len, ",\"truncated\":true");
	if (t->dropped)
		len += (size_t)snprintf(line + len, sizeof line - len, ",\"dropped\":%" PRIu64,
					t->dropped);
	line[len++] = '}';
	line[len++] = '\n';
	ssize_t w;
	do
		w = write(t->fd, line, len);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)len)
		t->dropped = 0;
	else
		t->dropped++; /* a full pipe (EAGAIN) or a short write: the reader loses this line */
}
