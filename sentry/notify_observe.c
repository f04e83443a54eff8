/* Observation-only events (dev.moat.trace): exec, open-for-write, the setuid family, mount,
 * ptrace, bind. The arguments are read while the call is held, the answer is CONTINUE (the
 * kernel runs the call as it would have), and the line is written after the answer. What is
 * read here decides nothing, so the workload rewriting its memory after the read can only
 * make the trace lie about itself, never pass a check. Memory that cannot be read is refused
 * with EFAULT, which the kernel would have said too. */
#include "notify_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define ARGV_MAX 256    /* argv entries one event carries */
#define GROUPS_MAX 64   /* setgroups entries one event carries */

static void cont(struct answer *a)
{
	*a = (struct answer){A_CONTINUE, 0, 0};
}

/* the event is dropped and the call refused: its memory could not be read */
static void fault(struct notify *n, struct answer *a, int r)
{
	n->ev_open = 0;
	n->stats.refused++;
	*a = (struct answer){A_ERROR, 0, -r};
}

/* A path argument: NULL becomes null, a cut one marks the event truncated. */
static int put_path(struct target *t, struct trace_event *e, const char *key, uint64_t addr)
{
	char buf[PATH_MAX];
	size_t len;
	if (!addr) {
		tev_null(e, key);
		return 0;
	}
	int r = tgt_read_str(t, addr, buf, sizeof buf, &len);
	if (r < 0)
		return r;
	if (r == 1)
		tev_mark_truncated(e);
	tev_str(e, key, buf, len);
	return 0;
}

static void put_call(struct trace_event *e, const char *call)
{
	tev_str(e, "call", call, strlen(call));
}

void obs_exec(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
	      struct answer *a, int at)
{
	struct trace_event *e = notify_event(n, TRACE_EXEC, "exec", t->tid);
	cont(a);
	if (!e)
		return;
	put_call(e, at ? "execveat" : "execve");
	if (at)
		tev_int(e, "dirfd", (int)d->args[0]);
	int r = put_path(t, e, "path", d->args[at ? 1 : 0]);
	if (r) {
		fault(n, a, r);
		return;
	}
	uint64_t argv = d->args[at ? 2 : 1];
	tev_array(e, "argv");
	for (size_t i = 0; argv && i <= ARGV_MAX; i++) {
		uint64_t p;
		if ((r = tgt_read(t, argv + i * sizeof p, &p, sizeof p))) {
			fault(n, a, r);
			return;
		}
		if (!p)
			break;
		size_t room = tev_room(e);
		if (i == ARGV_MAX || room == 0) {
			tev_mark_truncated(e);
			break;
		}
		char buf[TRACE_LINE_MAX];
		size_t len;
		r = tgt_read_str(t, p, buf, room + 1 < sizeof buf ? room + 1 : sizeof buf, &len);
		if (r < 0) {
			fault(n, a, r);
			return;
		}
		tev_item_str(e, buf, len);
		if (r == 1)
			tev_mark_truncated(e);
	}
	tev_end_array(e);
	if (at && d->args[4])
		tev_int(e, "flags", (int)d->args[4]);
}

/* open(2) flags by their kernel (x86_64) values, so the text does not depend on libc */
static void put_flags(struct trace_event *e, uint64_t flags)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{00000100, "O_CREAT"},	   {00000200, "O_EXCL"},      {00000400, "O_NOCTTY"},
		{00001000, "O_TRUNC"},	   {00002000, "O_APPEND"},    {00004000, "O_NONBLOCK"},
		{00010000, "O_DSYNC"},	   {00020000, "O_ASYNC"},     {00040000, "O_DIRECT"},
		{00100000, "O_LARGEFILE"}, {00200000, "O_DIRECTORY"}, {00400000, "O_NOFOLLOW"},
		{01000000, "O_NOATIME"},   {02000000, "O_CLOEXEC"},   {04000000, "O_SYNC"},
		{010000000, "O_PATH"},	   {020000000, "O_TMPFILE"},
	};
	char buf[320];
	static const char *acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
	size_t len = (size_t)snprintf(buf, sizeof buf, "%s", acc[flags & 3]);
	uint64_t rest = flags & ~(uint64_t)3;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (rest & names[i].bit) {
			len += (size_t)snprintf(buf + len, sizeof buf - len, "|%s", names[i].name);
			rest &= ~(uint64_t)names[i].bit;
		}
	if (rest)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "|0x%llx", (unsigned long long)rest);
	tev_str(e, "flags", buf, len);
}

void obs_open(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
	      struct answer *a)
{
	const char *call;
	uint64_t path, flags, mode;
	int dirfd = AT_FDCWD;
	cont(a);
	switch (d->nr) {
	case 2: call = "open", path = d->args[0], flags = d->args[1], mode = d->args[2]; break;
	case 85: call = "creat", path = d->args[0], flags = 01101, mode = d->args[1]; break;
	case 257:
		call = "openat", dirfd = (int)d->args[0], path = d->args[1];
		flags = d->args[2], mode = d->args[3];
		break;
	default: { /* openat2: the flags live in struct open_how */
		struct moat_open_how how;
		call = "openat2", dirfd = (int)d->args[0], path = d->args[1];
		if (d->args[3] < sizeof how)
			return; /* the kernel refuses it (EINVAL) */
		if (!notify_traced(n, TRACE_OPEN_WRITE))
			return;
		int r = tgt_read(t, d->args[2], &how, sizeof how);
		if (r) {
			fault(n, a, r);
			return;
		}
		flags = how.flags, mode = how.mode;
	}
	}
	flags &= 0xffffffffu; /* an int for open/openat; open_how's high bits are refused anyway */
	if (!(flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)))
		return; /* openat2 is notified for every open: only writes are events */
	struct trace_event *e = notify_event(n, TRACE_OPEN_WRITE, "open-write", t->tid);
	if (!e)
		return;
	put_call(e, call);
	int r = put_path(t, e, "path", path);
	if (r) {
		fault(n, a, r);
		return;
	}
	if (dirfd != AT_FDCWD)
		tev_int(e, "dirfd", dirfd);
	put_flags(e, flags);
	if (flags & (O_CREAT | 020000000)) { /* the mode matters for O_CREAT and O_TMPFILE */
		char m[16];
		int len = snprintf(m, sizeof m, "0%o", (unsigned)(mode & 07777));
		tev_str(e, "mode", m, (size_t)len);
	}
}

void obs_setid(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
	       struct answer *a)
{
	static const struct {
		int nr, nargs;
		const char *name;
	} calls[] = {
		{105, 1, "setuid"},    {106, 1, "setgid"},    {113, 2, "setreuid"}, {114, 2, "setregid"},
		{117, 3, "setresuid"}, {119, 3, "setresgid"}, {122, 1, "setfsuid"}, {123, 1, "setfsgid"},
		{116, 0, "setgroups"},
	};
	struct trace_event *e = notify_event(n, TRACE_SETUID, "setuid", t->tid);
	cont(a);
	if (!e)
		return;
	size_t i = 0;
	while (calls[i].nr != d->nr)
		i++; /* classify() only sends the numbers above */
	put_call(e, calls[i].name);
	tev_array(e, "ids");
	if (calls[i].nargs) {
		/* ids are 32-bit; (uid_t)-1 ("unchanged") shows as -1 */
		for (int k = 0; k < calls[i].nargs; k++)
			tev_item_int(e, (int32_t)(uint32_t)d->args[k]);
	} else {
		int size = (int)d->args[0];
		uint32_t gids[GROUPS_MAX];
		size_t count = size < 0 ? 0 : size > GROUPS_MAX ? GROUPS_MAX : (size_t)size;
		if (size > GROUPS_MAX)
			tev_mark_truncated(e);
		int r = count ? tgt_read(t, d->args[1], gids, count * sizeof gids[0]) : 0;
		if (r) {
			fault(n, a, r);
			return;
		}
		for (size_t k = 0; k < count; k++)
			tev_item_int(e, (int32_t)gids[k]);
	}
	tev_end_array(e);
}

void obs_mount(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
	       struct answer *a)
{
	struct trace_event *e = notify_event(n, TRACE_MOUNT, "mount", t->tid);
	cont(a);
	if (!e)
		return;
	int r = 0;
	if (d->nr == 165) {
		put_call(e, "mount");
		if (!(r = put_path(t, e, "source", d->args[0])) &&
		    !(r = put_path(t, e, "target", d->args[1])))
			r = put_path(t, e, "fstype", d->args[2]);
		tev_int(e, "flags", (int64_t)d->args[3]);
	} else if (d->nr == 166) {
		put_call(e, "umount2");
		r = put_path(t, e, "target", d->args[0]);
		tev_int(e, "flags", (int)d->args[1]);
	} else {
		put_call(e, "move_mount");
		tev_int(e, "fromDirfd", (int)d->args[0]);
		if (!(r = put_path(t, e, "from", d->args[1]))) {
			tev_int(e, "toDirfd", (int)d->args[2]);
			r = put_path(t, e, "to", d->args[3]);
		}
		tev_int(e, "flags", (int)d->args[4]);
	}
	if (r)
		fault(n, a, r);
}

void obs_ptrace(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
		struct answer *a)
{
	struct trace_event *e = notify_event(n, TRACE_PTRACE, "ptrace", t->tid);
	cont(a);
	if (!e)
		return;
	put_call(e, "ptrace");
	tev_int(e, "request", (int64_t)d->args[0]);
	tev_int(e, "pid", (int)d->args[1]);
}

void obs_bind(struct notify *n, struct target *t, const struct moat_seccomp_data *d,
	      struct answer *a)
{
	struct trace_event *e = notify_event(n, TRACE_BIND, "bind", t->tid);
	cont(a);
	if (!e)
		return;
	int len = (int)d->args[2];
	unsigned char sa[NOTIFY_ADDR_MAX];
	if (len < 0 || len > NOTIFY_ADDR_MAX) { /* the kernel refuses it (EINVAL) */
		n->ev_open = 0;
		return;
	}
	int r = len ? tgt_read(t, d->args[1], sa, (size_t)len) : 0;
	if (r) {
		fault(n, a, r);
		return;
	}
	put_call(e, "bind");
	tev_address(e, "address", sa, (size_t)len);
}
