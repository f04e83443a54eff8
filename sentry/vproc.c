/* The container's view of memory, CPUs, time, load and disks (vproc.h). */
#include "vproc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILE (4u << 20) /* the largest host or cgroup file read (cpuinfo of a big machine) */
#define MAX_CPUS 4096
#define USER_HZ 100 /* the unit of /proc/stat, fixed by the kernel ABI */
#define NS_PER_TICK (1000000000ull / USER_HZ)

/* (dir, name) -> an fd kept open; names are the string constants of this file */
#define MAX_KEPT 40
struct vproc_fds {
	int n;
	struct {
		int dir;
		const char *name;
		int fd; /* -1: it could not be opened (absent files stay absent) */
	} f[MAX_KEPT];
};

int vproc_view_init(struct vproc_view *v)
{
	memset(v, 0, sizeof *v);
	v->mem_dir = v->cpu_dir = v->cpuacct_dir = v->cpuset_dir = v->blkio_dir = v->pids_dir = -1;
	v->host_proc = -1;
	v->fds = calloc(1, sizeof *v->fds);
	return v->fds ? 0 : -1;
}

void vproc_view_release(struct vproc_view *v)
{
	for (int i = 0; v->fds && i < v->fds->n; i++)
		if (v->fds->f[i].fd >= 0)
			close(v->fds->f[i].fd);
	free(v->fds);
	v->fds = NULL;
}

/* ---- output: snprintf-like, counting what did not fit ---- */

struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->cap)
		memcpy(o->buf + o->len, s, n < o->cap - o->len ? n : o->cap - o->len);
	o->len += n;
}

__attribute__((format(printf, 2, 3))) static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[512]; /* every format here is a line of numbers */
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ---- reading: relative to a directory fd, never following a symlink ---- */

/* The kept fd of dir/name (opened on first use), or -1; *owned is set when the caller gets a
 * fresh fd to close instead (the table is full, or no view: the task walk's files). */
static int file_fd(const struct vproc_view *v, int dir, const char *name, int *owned)
{
	*owned = 0;
	if (dir < 0)
		return -1;
	struct vproc_fds *k = v ? v->fds : NULL;
	for (int i = 0; k && i < k->n; i++)
		if (k->f[i].dir == dir && k->f[i].name == name)
			return k->f[i].fd;
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (k && k->n < MAX_KEPT) {
		k->f[k->n].dir = dir;
		k->f[k->n].name = name;
		k->f[k->n++].fd = fd;
	} else {
		*owned = fd >= 0;
	}
	return fd;
}

/* The whole file from offset 0, NUL-terminated, in a malloc'd buffer; NULL if unreadable. */
static char *slurp(const struct vproc_view *v, int dir, const char *name)
{
	int owned, fd = file_fd(v, dir, name, &owned);
	if (fd < 0)
		return NULL;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	while (buf) {
		if (len + 1 == cap) {
			char *nb = cap >= MAX_FILE ? NULL : realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = pread(fd, buf + len, cap - 1 - len, (off_t)len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			buf = NULL;
		} else if (r == 0) {
			buf[len] = 0;
			break;
		} else {
			len += (size_t)r;
		}
	}
	if (owned)
		close(fd);
	return buf;
}

/* A small file (one line) into buf; 0 or -1. */
static int read_small(const struct vproc_view *v, int dir, const char *name, char *buf, size_t cap)
{
	int owned, fd = file_fd(v, dir, name, &owned);
	if (fd < 0)
		return -1;
	ssize_t n;
	do
		n = pread(fd, buf, cap - 1, 0);
	while (n < 0 && errno == EINTR);
	if (owned)
		close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

#define UNLIMITED UINT64_MAX

/* A number file; "max" (v2) and negative numbers (v1 cfs_quota_us -1) are UNLIMITED. */
static int read_u64(const struct vproc_view *v, int dir, const char *name, uint64_t *out)
{
	char buf[64], *end;
	if (read_small(v, dir, name, buf, sizeof buf) < 0)
		return -1;
	if (!strncmp(buf, "max", 3) || buf[0] == '-') {
		*out = UNLIMITED;
		return 0;
	}
	errno = 0;
	unsigned long long x = strtoull(buf, &end, 10);
	if (end == buf || errno)
		return -1;
	*out = x;
	return 0;
}

/* The number after "key" at the start of a line, the key ending in ' ' (cgroup stat files)
 * or ':' (/proc/meminfo). */
static int kv(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, kl) || (l[kl] != ' ' && l[kl] != ':'))
			continue;
		const char *p = l + kl + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		char *end;
		unsigned long long v = strtoull(p, &end, 10);
		if (end == p)
			return -1;
		*out = v;
		return 0;
	}
	return -1;
}

static uint64_t kv0(const char *text, const char *key)
{
	uint64_t v = 0;
	return text && kv(text, key, &v) == 0 ? v : 0;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t uptime_ns(const struct vproc_view *v)
{
	return sub0(boottime_ns(), v->start_boottime_ns);
}

/* ---- memory ---- */

struct mem {
	int limited; /* a limit below the host's RAM: the figures below are the cgroup's */
	uint64_t total, free, avail, buffers, cached, shmem, swap_total, swap_free; /* bytes */
	uint64_t swapcached, active_anon, inactive_anon, active_file, inactive_file, unevictable;
	uint64_t dirty, writeback, anon, mapped, anon_thp, slab_recl, slab_unrecl, kstack, ptables;
	char *host; /* the host's /proc/meminfo */
};

/* A memory.stat figure: v1's hierarchical total_<key> (the container's sub-cgroups too),
 * or v2's own name for it (v2's are hierarchical). */
static uint64_t mstat(const struct vproc_view *v, const char *stat, const char *v1, const char *v2)
{
	if (!stat)
		return 0;
	if (v->cgroup_v2)
		return kv0(stat, v2);
	char key[64];
	snprintf(key, sizeof key, "total_%s", v1);
	uint64_t x;
	return kv(stat, key, &x) == 0 ? x : kv0(stat, v1);
}

static int mem_read(const struct vproc_view *v, struct mem *m)
{
	memset(m, 0, sizeof *m);
	m->host = slurp(v, v->host_proc, "meminfo");
	if (!m->host)
		return -1;
	uint64_t host_total = kv0(m->host, "MemTotal") * 1024;
	uint64_t host_swap = kv0(m->host, "SwapTotal") * 1024;
	m->total = host_total;
	m->free = kv0(m->host, "MemFree") * 1024;
	m->buffers = kv0(m->host, "Buffers") * 1024;
	m->shmem = kv0(m->host, "Shmem") * 1024;
	m->swap_total = host_swap;
	m->swap_free = kv0(m->host, "SwapFree") * 1024;

	uint64_t limit = UNLIMITED, usage = 0;
	char *stat = slurp(v, v->mem_dir, "memory.stat");
	if (v->cgroup_v2) {
		read_u64(v, v->mem_dir, "memory.max", &limit);
		read_u64(v, v->mem_dir, "memory.current", &usage);
	} else if (stat) {
		/* the lowest limit of the cgroup and its ancestors, from the file read anyway */
		kv(stat, "hierarchical_memory_limit", &limit);
		read_u64(v, v->mem_dir, "memory.usage_in_bytes", &usage);
	}
	if (limit >= host_total) { /* no limit: the host's memory is the container's */
		free(stat);
		return 0;
	}
	m->limited = 1;
	m->total = limit;
	m->free = sub0(limit, usage);
	m->buffers = 0; /* the cgroup does not count buffers apart from the page cache */
	m->cached = mstat(v, stat, "cache", "file");
	m->shmem = mstat(v, stat, "shmem", "shmem");
	m->swapcached = mstat(v, stat, "swapcached", "swapcached");
	m->active_anon = mstat(v, stat, "active_anon", "active_anon");
	m->inactive_anon = mstat(v, stat, "inactive_anon", "inactive_anon");
	m->active_file = mstat(v, stat, "active_file", "active_file");
	m->inactive_file = mstat(v, stat, "inactive_file", "inactive_file");
	m->unevictable = mstat(v, stat, "unevictable", "unevictable");
	m->dirty = mstat(v, stat, "dirty", "file_dirty");
	m->writeback = mstat(v, stat, "writeback", "file_writeback");
	m->anon = mstat(v, stat, "rss", "anon");
	m->mapped = mstat(v, stat, "mapped_file", "file_mapped");
	m->anon_thp = mstat(v, stat, "rss_huge", "anon_thp");
	if (v->cgroup_v2) { /* v1's memory.stat does not split kernel memory: 0 there */
		m->slab_recl = kv0(stat, "slab_reclaimable");
		m->slab_unrecl = kv0(stat, "slab_unreclaimable");
		m->kstack = kv0(stat, "kernel_stack");
		m->ptables = kv0(stat, "pagetables");
	}
	m->avail = min64(limit, m->free + m->active_file + m->inactive_file + m->slab_recl);

	/* swap: v1 limits memory+swap together, v2 swap alone; no swap files: the host's */
	uint64_t swap_limit = UNLIMITED, swap_used = 0;
	int have_swap = 0;
	if (v->cgroup_v2) {
		have_swap = read_u64(v, v->mem_dir, "memory.swap.max", &swap_limit) == 0 &&
			    read_u64(v, v->mem_dir, "memory.swap.current", &swap_used) == 0;
	} else {
		uint64_t memsw_limit;
		if (kv(stat, "hierarchical_memsw_limit", &memsw_limit) == 0 &&
		    kv(stat, "total_swap", &swap_used) == 0) { /* both only with swap accounting */
			have_swap = 1;
			swap_limit = memsw_limit >= host_total + host_swap ? UNLIMITED
									   : sub0(memsw_limit, limit);
		}
	}
	if (have_swap) {
		m->swap_total = min64(host_swap, swap_limit);
		m->swap_free = sub0(m->swap_total, swap_used);
	}
	free(stat);
	return 0;
}

/* The host's meminfo with the lines the cgroup accounts replaced; the rest (vmalloc, huge
 * pages, direct map, commit limits: figures of the kernel or the machine) stay the host's. */
size_t vproc_meminfo(void *ctx, char *buf, size_t cap)
{
	const struct vproc_view *v = ctx;
	struct out o = {buf, cap, 0};
	struct mem m;
	if (mem_read(v, &m) < 0)
		return 0;
	if (!m.limited) {
		put(&o, m.host, strlen(m.host));
		free(m.host);
		return o.len;
	}
	const struct {
		const char *key;
		uint64_t val;
	} rows[] = {
		{"MemTotal", m.total},
		{"MemFree", m.free},
		{"MemAvailable", m.avail},
		{"Buffers", 0},
		{"Cached", m.cached},
		{"SwapCached", m.swapcached},
		{"Active", m.active_anon + m.active_file},
		{"Inactive", m.inactive_anon + m.inactive_file},
		{"Active(anon)", m.active_anon},
		{"Inactive(anon)", m.inactive_anon},
		{"Active(file)", m.active_file},
		{"Inactive(file)", m.inactive_file},
		{"Unevictable", m.unevictable},
		{"SwapTotal", m.swap_total},
		{"SwapFree", m.swap_free},
		{"Dirty", m.dirty},
		{"Writeback", m.writeback},
		{"AnonPages", m.anon},
		{"Mapped", m.mapped},
		{"Shmem", m.shmem},
		{"KReclaimable", m.slab_recl},
		{"Slab", m.slab_recl + m.slab_unrecl},
		{"SReclaimable", m.slab_recl},
		{"SUnreclaim", m.slab_unrecl},
		{"KernelStack", m.kstack},
		{"PageTables", m.ptables},
		{"AnonHugePages", m.anon_thp},
	};
	for (const char *l = m.host; *l;) {
		const char *nl = strchr(l, '\n');
		size_t ll = nl ? (size_t)(nl - l) + 1 : strlen(l);
		const char *colon = memchr(l, ':', ll);
		size_t i = 0, kl = colon ? (size_t)(colon - l) : 0;
		while (i < sizeof rows / sizeof rows[0] &&
		       (strlen(rows[i].key) != kl || strncmp(rows[i].key, l, kl)))
			i++;
		if (colon && i < sizeof rows / sizeof rows[0])
			/* the kernel's layout: label and colon in 16 columns, 8 for the number */
			putf(&o, "%.*s:%*s%8llu kB\n", (int)kl, l, kl < 15 ? (int)(15 - kl) : 0, "",
			     (unsigned long long)(rows[i].val / 1024));
		else
			put(&o, l, ll);
		l += ll;
	}
	free(m.host);
	return o.len;
}

/* /proc/swaps: the host's without a limit; else one virtual device of the container's swap
 * (none when it may not swap), as LXCFS shows it. */
size_t vproc_swaps(void *ctx, char *buf, size_t cap)
{
	const struct vproc_view *v = ctx;
	struct out o = {buf, cap, 0};
	struct mem m;
	if (mem_read(v, &m) < 0)
		return 0;
	char *host = slurp(v, v->host_proc, "swaps");
	if (!m.limited && host) {
		put(&o, host, strlen(host));
	} else {
		putf(&o, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
		if (m.swap_total) {
			unsigned long long size = m.swap_total / 1024,
					   used = (m.swap_total - m.swap_free) / 1024;
			putf(&o, "%-40s%s\t%llu\t%s%llu\t%s%d\n", "none", "virtual", size,
			     size < 10000000 ? "\t" : "", used, used < 10000000 ? "\t" : "", 0);
		}
	}
	free(host);
	free(m.host);
	return o.len;
}

/* ---- CPUs ---- */

/* A cpu list ("0-3,8") into ids, ascending; the count, or -1 if malformed. */
static int parse_cpulist(const char *s, uint16_t *ids, unsigned cap)
{
	unsigned n = 0;
	while (*s && *s != '\n') {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;
		if (end == s || a >= MAX_CPUS)
			return -1;
		s = end;
		if (*s == '-') {
			b = strtoul(s + 1, &end, 10);
			if (end == s + 1 || b < a || b >= MAX_CPUS)
				return -1;
			s = end;
		}
		for (unsigned long c = a; c <= b && n < cap; c++)
			ids[n++] = (uint16_t)c;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -1;
	}
	return (int)n;
}

struct cpus {
	unsigned n;        /* CPUs the container sees: min(cpuset, ceil(quota / period)) */
	unsigned cpuset_n; /* CPUs it may run on */
	uint16_t id[MAX_CPUS]; /* the host CPUs behind cpu0..: the first n of the cpuset */
};

/* The host's online CPUs, from the cpuN lines of its /proc/stat. */
static unsigned host_cpus(const struct vproc_view *v, uint16_t *ids)
{
	char *stat = slurp(v, v->host_proc, "stat");
	unsigned n = 0;
	for (const char *l = stat; l && *l && n < MAX_CPUS; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, "cpu", 3) || l[3] < '0' || l[3] > '9')
			continue;
		unsigned long c = strtoul(l + 3, NULL, 10);
		if (c < MAX_CPUS)
			ids[n++] = (uint16_t)c;
	}
	free(stat);
	return n;
}

static void cpus_read(const struct vproc_view *v, struct cpus *c)
{
	char buf[4096];
	int n = -1;
	if (v->cgroup_v2) {
		if (read_small(v, v->cpuset_dir, "cpuset.cpus.effective", buf, sizeof buf) == 0)
			n = parse_cpulist(buf, c->id, MAX_CPUS);
	} else if (read_small(v, v->cpuset_dir, "cpuset.effective_cpus", buf, sizeof buf) == 0 ||
		   read_small(v, v->cpuset_dir, "cpuset.cpus", buf, sizeof buf) == 0) {
		n = parse_cpulist(buf, c->id, MAX_CPUS);
	}
	if (n <= 0)
		n = (int)host_cpus(v, c->id);
	c->cpuset_n = c->n = n > 0 ? (unsigned)n : 1;
	if (n <= 0)
		c->id[0] = 0;

	uint64_t quota = UNLIMITED, period = 0;
	if (v->cgroup_v2) {
		if (read_small(v, v->cpu_dir, "cpu.max", buf, sizeof buf) == 0 && strncmp(buf, "max", 3)) {
			char *end;
			quota = strtoull(buf, &end, 10);
			period = strtoull(end, NULL, 10);
		}
	} else if (read_u64(v, v->cpu_dir, "cpu.cfs_quota_us", &quota) < 0 ||
		   read_u64(v, v->cpu_dir, "cpu.cfs_period_us", &period) < 0) {
		quota = UNLIMITED;
	}
	if (quota != UNLIMITED && period) {
		uint64_t q = (quota + period - 1) / period; /* a part of a CPU is a CPU */
		if (q < c->n)
			c->n = q ? (unsigned)q : 1;
	}
}

size_t vproc_cpu_online(void *ctx, char *buf, size_t cap)
{
	struct cpus c;
	struct out o = {buf, cap, 0};
	cpus_read(ctx, &c);
	if (c.n == 1)
		putf(&o, "0\n");
	else
		putf(&o, "0-%u\n", c.n - 1);
	return o.len;
}

/* The host's cpuinfo blocks of the visible CPUs, numbered from 0. */
size_t vproc_cpuinfo(void *ctx, char *buf, size_t cap)
{
	const struct vproc_view *v = ctx;
	struct out o = {buf, cap, 0};
	struct cpus c;
	cpus_read(v, &c);
	char *host = slurp(v, v->host_proc, "cpuinfo");
	if (!host)
		return 0;
	if (strncmp(host, "processor", 9)) { /* not the x86 layout of one block per CPU */
		put(&o, host, strlen(host));
		free(host);
		return o.len;
	}
	unsigned seen = 0;
	for (const char *b = host; *b;) {
		const char *end = strstr(b, "\n\n");
		end = end ? end + 2 : b + strlen(b);
		const char *colon = strchr(b, ':');
		const char *nl = strchr(b, '\n');
		if (!strncmp(b, "processor", 9) && colon && nl && colon < nl) {
			unsigned long id = strtoul(colon + 1, NULL, 10);
			unsigned k = 0;
			while (k < c.n && c.id[k] != id)
				k++;
			if (k < c.n) {
				putf(&o, "%.*s: %u", (int)(colon - b), b, seen++);
				put(&o, nl, (size_t)(end - nl));
			}
		}
		b = end;
	}
	free(host);
	return o.len;
}

/* Per visible CPU: user and system time in ns, or -1 when no cgroup counts it. When the
 * container sees every CPU of its cpuset the times are each CPU's (v1 cpuacct.usage_all);
 * when it sees fewer (a quota), or v2 (cpu.stat has totals only), the totals are shared
 * evenly: each visible CPU's busy time then never outruns the clock, so idle only grows. */
static int cpu_times(const struct vproc_view *v, const struct cpus *c, uint64_t *user,
		     uint64_t *sys)
{
	uint64_t tu = 0, ts = 0;
	memset(user, 0, c->n * sizeof *user);
	memset(sys, 0, c->n * sizeof *sys);
	if (v->cgroup_v2) {
		char *st = slurp(v, v->cpu_dir, "cpu.stat");
		if (!st)
			return -1;
		tu = kv0(st, "user_usec") * 1000;
		ts = kv0(st, "system_usec") * 1000;
		free(st);
	} else {
		char *all = slurp(v, v->cpuacct_dir, "cpuacct.usage_all");
		if (all) { /* "cpu user system" then one line per host CPU, in ns */
			for (const char *l = strchr(all, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
				unsigned long long id, u, s;
				if (sscanf(l + 1, "%llu %llu %llu", &id, &u, &s) != 3)
					continue;
				tu += u;
				ts += s;
				for (unsigned k = 0; c->n == c->cpuset_n && k < c->n; k++)
					if (c->id[k] == id) {
						user[k] = u;
						sys[k] = s;
					}
			}
			free(all);
			if (c->n == c->cpuset_n)
				return 0;
		} else {
			char *st = slurp(v, v->cpuacct_dir, "cpuacct.stat"); /* USER_HZ ticks */
			if (!st)
				return -1;
			tu = kv0(st, "user") * NS_PER_TICK;
			ts = kv0(st, "system") * NS_PER_TICK;
			free(st);
		}
	}
	for (unsigned k = 0; k < c->n; k++) {
		user[k] = tu / c->n;
		sys[k] = ts / c->n;
	}
	return 0;
}

/* The host's /proc/stat with the cpu lines the container's: its CPU times per visible CPU,
 * idle the rest of its uptime. Other lines (interrupts, context switches, btime: ps needs
 * the host's boot time to date processes) stay the host's. */
size_t vproc_stat(void *ctx, char *buf, size_t cap)
{
	const struct vproc_view *v = ctx;
	struct out o = {buf, cap, 0};
	struct cpus c;
	cpus_read(v, &c);
	char *host = slurp(v, v->host_proc, "stat");
	uint64_t *user = calloc(c.n, sizeof *user), *sys = calloc(c.n, sizeof *sys);
	if (!host || !user || !sys || cpu_times(v, &c, user, sys) < 0) {
		if (host)
			put(&o, host, strlen(host));
		goto out;
	}
	uint64_t up = uptime_ns(v) / NS_PER_TICK, su = 0, ss = 0, si = 0;
	for (unsigned k = 0; k < c.n; k++) {
		user[k] /= NS_PER_TICK;
		sys[k] /= NS_PER_TICK;
		su += user[k];
		ss += sys[k];
		si += sub0(up, user[k] + sys[k]);
	}
	int done = 0;
	for (const char *l = host; *l;) {
		const char *nl = strchr(l, '\n');
		size_t ll = nl ? (size_t)(nl - l) + 1 : strlen(l);
		if (!strncmp(l, "cpu", 3)) {
			if (!done) {
				putf(&o, "cpu  %llu 0 %llu %llu 0 0 0 0 0 0\n", (unsigned long long)su,
				     (unsigned long long)ss, (unsigned long long)si);
				for (unsigned k = 0; k < c.n; k++)
					putf(&o, "cpu%u %llu 0 %llu %llu 0 0 0 0 0 0\n", k,
					     (unsigned long long)user[k], (unsigned long long)sys[k],
					     (unsigned long long)sub0(up, user[k] + sys[k]));
				done = 1;
			}
		} else {
			put(&o, l, ll);
		}
		l += ll;
	}
out:
	free(host);
	free(user);
	free(sys);
	return o.len;
}

/* Seconds since the container started, and the idle time of its CPUs (as in vproc_stat). */
size_t vproc_uptime(void *ctx, char *buf, size_t cap)
{
	const struct vproc_view *v = ctx;
	struct out o = {buf, cap, 0};
	struct cpus c;
	cpus_read(v, &c);
	uint64_t up = uptime_ns(v) / NS_PER_TICK, idle = (uint64_t)c.n * up; /* centiseconds */
	uint64_t *user = calloc(c.n, sizeof *user), *sys = calloc(c.n, sizeof *sys);
	if (user && sys && cpu_times(v, &c, user, sys) == 0) {
		idle = 0;
		for (unsigned k = 0; k < c.n; k++)
			idle += sub0(up, (user[k] + sys[k]) / NS_PER_TICK);
	}
	free(user);
	free(sys);
	putf(&o, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(up / 100),
	     (unsigned long long)(up % 100), (unsigned long long)(idle / 100),
	     (unsigned long long)(idle % 100));
	return o.len;
}

/* ---- load average ---- */

#define FSHIFT 11
#define FIXED_1 (1ull << FSHIFT)
#define MAX_TASKS_READ 1024 /* per sample: a sample must never stall the sentry's loop */
#define MAX_DEPTH 8

struct tally {
	unsigned seen, read, active, running, max_pid;
};

/* The tasks of the cgroup at dir and those below: each one's state and pid in the
 * container's namespace from the host's /proc/<tid>/status. */
static void walk(const struct vproc_view *v, int dir, int depth, struct tally *t)
{
	/* nothing here is kept open: the fds of the cgroups below come and go */
	char *tasks = slurp(NULL, dir, v->cgroup_v2 ? "cgroup.threads" : "tasks");
	for (char *l = tasks; l && *l;) {
		char *end;
		unsigned long tid = strtoul(l, &end, 10);
		if (end == l)
			break;
		l = *end ? end + 1 : end;
		t->seen++;
		if (t->read >= MAX_TASKS_READ)
			continue;
		char name[32], st[4096];
		snprintf(name, sizeof name, "%lu/status", tid);
		if (read_small(NULL, v->host_proc, name, st, sizeof st) < 0)
			continue; /* gone meanwhile */
		t->read++;
		const char *s = strstr(st, "\nState:\t");
		if (s && (s[8] == 'R' || s[8] == 'D'))
			t->active++;
		if (s && s[8] == 'R')
			t->running++;
		const char *ns = strstr(st, "\nNSpid:");
		if (ns) { /* the last number of the line is the pid in the innermost namespace */
			const char *e = strchr(ns + 1, '\n'), *p = e ? e : ns + strlen(ns);
			while (p > ns && (p[-1] < '0' || p[-1] > '9'))
				p--;
			while (p > ns && p[-1] >= '0' && p[-1] <= '9')
				p--;
			unsigned long pid = strtoul(p, NULL, 10);
			if (pid > t->max_pid)
				t->max_pid = (unsigned)pid;
		}
	}
	free(tasks);
	if (depth >= MAX_DEPTH)
		return;
	int rd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = rd >= 0 ? fdopendir(rd) : NULL;
	if (!d) {
		if (rd >= 0)
			close(rd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		int sub = openat(dir, e->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0) {
			walk(v, sub, depth + 1, t);
			close(sub);
		}
	}
	closedir(d);
}

static int tasks_dir(const struct vproc_view *v)
{
	int dirs[] = {v->cpu_dir, v->cpuacct_dir, v->mem_dir, v->pids_dir, v->cpuset_dir, v->blkio_dir};
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (dirs[i] >= 0)
			return dirs[i];
	return -1;
}

/* the kernel's calc_load() */
static uint64_t calc_load(uint64_t load, uint64_t exp, uint64_t active)
{
	uint64_t n = load * exp + active * (FIXED_1 - exp);
	if (active >= load)
		n += FIXED_1 - 1;
	return n / FIXED_1;
}

void vproc_sample(struct vproc_view *v)
{
	static const uint64_t exp[3] = {1884, 2014, 2037}; /* EXP_1, EXP_5, EXP_15 */
	int dir = tasks_dir(v);
	if (dir < 0)
		return;
	struct tally t = {0};
	walk(v, dir, 0, &t);
	uint64_t active = t.active, running = t.running;
	if (t.read && t.seen > t.read) { /* beyond what a sample reads: the same proportion */
		active = active * t.seen / t.read;
		running = running * t.seen / t.read;
	}
	for (int i = 0; i < 3; i++)
		v->load.avenrun[i] = calc_load(v->load.avenrun[i], exp[i], active * FIXED_1);
	v->load.running = (unsigned)running;
	v->load.threads = t.seen;
	v->load.last_pid = t.max_pid;
}

size_t vproc_loadavg(void *ctx, char *buf, size_t cap)
{
	const struct vproc_view *v = ctx;
	struct out o = {buf, cap, 0};
	unsigned long long a[3];
	for (int i = 0; i < 3; i++)
		a[i] = v->load.avenrun[i] + FIXED_1 / 200; /* the kernel rounds to 1/100 */
#define LOAD_INT(x) ((x) >> FSHIFT)
#define LOAD_FRAC(x) LOAD_INT(((x) & (FIXED_1 - 1)) * 100)
	putf(&o, "%llu.%02llu %llu.%02llu %llu.%02llu %u/%u %u\n", LOAD_INT(a[0]), LOAD_FRAC(a[0]),
	     LOAD_INT(a[1]), LOAD_FRAC(a[1]), LOAD_INT(a[2]), LOAD_FRAC(a[2]), v->load.running,
	     v->load.threads, v->load.last_pid);
	return o.len;
}

/* ---- disks ---- */

#define MAX_DEVS 256

struct dev_io {
	unsigned major, minor;
	uint64_t rios, wios, dios, rbytes, wbytes, dbytes;
};

static struct dev_io *dev_get(struct dev_io *d, unsigned *n, unsigned major, unsigned minor)
{
	for (unsigned i = 0; i < *n; i++)
		if (d[i].major == major && d[i].minor == minor)
			return &d[i];
	if (*n == MAX_DEVS)
		return NULL;
	memset(&d[*n], 0, sizeof d[*n]);
	d[*n].major = major;
	d[*n].minor = minor;
	return &d[(*n)++];
}

/* v1 "8:0 Read 123" lines into ios (bytes == 0) or bytes */
static void blkio_v1(const char *text, struct dev_io *d, unsigned *n, int bytes)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		unsigned ma, mi;
		char op[16];
		unsigned long long val;
		if (sscanf(l, "%u:%u %15s %llu", &ma, &mi, op, &val) != 4)
			continue;
		struct dev_io *x = dev_get(d, n, ma, mi);
		if (!x)
			continue;
		uint64_t *f = !strcmp(op, "Read")	 ? (bytes ? &x->rbytes : &x->rios)
			      : !strcmp(op, "Write")	 ? (bytes ? &x->wbytes : &x->wios)
			      : !strcmp(op, "Discard") ? (bytes ? &x->dbytes : &x->dios)
						       : NULL;
		if (f)
			*f = val;
	}
}

/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6" */
static void io_v2(const char *text, struct dev_io *d, unsigned *n)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		unsigned ma, mi;
		if (sscanf(l, "%u:%u", &ma, &mi) != 2)
			continue;
		struct dev_io *x = dev_get(d, n, ma, mi);
		const char *nl = strchr(l, '\n');
		size_t ll = nl ? (size_t)(nl - l) : strlen(l);
		char line[512];
		if (!x || ll >= sizeof line)
			continue;
		memcpy(line, l, ll);
		line[ll] = 0;
		const struct {
			const char *k;
			uint64_t *f;
		} keys[] = {{"rbytes=", &x->rbytes}, {"wbytes=", &x->wbytes}, {"rios=", &x->rios},
			    {"wios=", &x->wios},     {"dbytes=", &x->dbytes}, {"dios=", &x->dios}};
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			char pat[16];
			snprintf(pat, sizeof pat, " %s", keys[k].k);
			const char *p = strstr(line, pat);
			*keys[k].f = p ? strtoull(p + strlen(pat), NULL, 10) : 0;
		}
	}
}

/* The host's lines of the devices the container did I/O on, with its counts (requests and
 * 512-byte sectors; times, merges and queue figures are not kept per cgroup: 0). */
size_t vproc_diskstats(void *ctx, char *buf, size_t cap)
{
	const struct vproc_view *v = ctx;
	struct out o = {buf, cap, 0};
	char *host = slurp(v, v->host_proc, "diskstats");
	if (!host)
		return 0;
	struct dev_io d[MAX_DEVS];
	unsigned n = 0;
	int have = 0;
	if (v->cgroup_v2) {
		char *s = slurp(v, v->blkio_dir, "io.stat");
		have = s != NULL;
		io_v2(s, d, &n);
		free(s);
	} else {
		char *ios = slurp(v, v->blkio_dir, "blkio.throttle.io_serviced_recursive");
		if (!ios)
			ios = slurp(v, v->blkio_dir, "blkio.throttle.io_serviced");
		char *bytes = slurp(v, v->blkio_dir, "blkio.throttle.io_service_bytes_recursive");
		if (!bytes)
			bytes = slurp(v, v->blkio_dir, "blkio.throttle.io_service_bytes");
		have = ios || bytes;
		blkio_v1(ios, d, &n, 0);
		blkio_v1(bytes, d, &n, 1);
		free(ios);
		free(bytes);
	}
	if (!have) { /* no blkio controller: the host's disks */
		put(&o, host, strlen(host));
		free(host);
		return o.len;
	}
	for (const char *l = host; *l;) {
		const char *nl = strchr(l, '\n');
		size_t ll = nl ? (size_t)(nl - l) + 1 : strlen(l);
		unsigned ma, mi;
		char name[64];
		int pos = 0;
		if (sscanf(l, "%u %u %63s%n", &ma, &mi, name, &pos) == 3) {
			unsigned fields = 0; /* as many as the host's kernel prints (11, 15 or 17) */
			for (const char *p = l + pos; p < l + ll; p++)
				if (*p >= '0' && *p <= '9' && (p[-1] == ' ' || p[-1] == '\t'))
					fields++;
			struct dev_io *x = NULL;
			for (unsigned i = 0; i < n && !x; i++)
				if (d[i].major == ma && d[i].minor == mi)
					x = &d[i];
			if (x && (x->rios | x->wios | x->dios | x->rbytes | x->wbytes | x->dbytes)) {
				uint64_t f[17] = {0};
				f[0] = x->rios;
				f[2] = x->rbytes / 512;
				f[4] = x->wios;
				f[6] = x->wbytes / 512;
				f[11] = x->dios;
				f[13] = x->dbytes / 512;
				putf(&o, "%4u %7u %s", ma, mi, name);
				for (unsigned i = 0; i < fields && i < 17; i++)
					putf(&o, " %llu", (unsigned long long)f[i]);
				put(&o, "\n", 1);
			}
		}
		l += ll;
	}
	free(host);
	return o.len;
}

/* ---- sysinfo(2) ---- */

int vproc_sysinfo(const struct vproc_view *v, struct moat_ksysinfo *out)
{
	struct mem m;
	if (mem_read(v, &m) < 0)
		return -1;
	free(m.host);
	memset(out, 0, sizeof *out);
	uint64_t up = uptime_ns(v);
	/* whole seconds, rounded up as the kernel does */
	out->uptime = (int64_t)(up / 1000000000ull + (up % 1000000000ull ? 1 : 0));
	for (int i = 0; i < 3; i++)
		out->loads[i] = v->load.avenrun[i] << (16 - FSHIFT); /* SI_LOAD_SHIFT */
	out->totalram = m.total;
	out->freeram = m.free;
	out->sharedram = m.shmem;
	out->bufferram = m.buffers;
	out->totalswap = m.swap_total;
	out->freeswap = m.swap_free;
	/* the kernel counts threads; pids.current counts the cgroup's and those below */
	uint64_t procs = 0;
	if (read_u64(v, v->pids_dir, "pids.current", &procs) < 0) {
		struct tally t = {0};
		int dir = tasks_dir(v);
		char *tasks = dir >= 0 ? slurp(v, dir, v->cgroup_v2 ? "cgroup.threads" : "tasks") : NULL;
		for (const char *l = tasks; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
			t.seen++;
		free(tasks);
		procs = t.seen;
	}
	out->procs = procs > 0xffff ? 0xffff : (uint16_t)procs;
	out->mem_unit = 1;
	return 0;
}
