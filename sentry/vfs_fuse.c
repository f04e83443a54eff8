/* The virtual files' FUSE server and mount (vfs_fuse.h), speaking /dev/fuse directly. */
#include "vfs_fuse.h"
#include "fuse_kabi.h"
#include "kabi.h"
#include "sentry.h"
#include "vproc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

const struct vfs_file vfs_proc_files[] = {
	{"meminfo", "proc/meminfo", MOAT_PROC_SUPER_MAGIC, vproc_meminfo},
	{"cpuinfo", "proc/cpuinfo", MOAT_PROC_SUPER_MAGIC, vproc_cpuinfo},
	{"stat", "proc/stat", MOAT_PROC_SUPER_MAGIC, vproc_stat},
	{"uptime", "proc/uptime", MOAT_PROC_SUPER_MAGIC, vproc_uptime},
	{"loadavg", "proc/loadavg", MOAT_PROC_SUPER_MAGIC, vproc_loadavg},
	{"swaps", "proc/swaps", MOAT_PROC_SUPER_MAGIC, vproc_swaps},
	{"diskstats", "proc/diskstats", MOAT_PROC_SUPER_MAGIC, vproc_diskstats},
	{"cpu_online", "sys/devices/system/cpu/online", MOAT_SYSFS_MAGIC, vproc_cpu_online},
};
const size_t vfs_proc_nfiles = sizeof vfs_proc_files / sizeof vfs_proc_files[0];

/* Open handles are bounded so a container cannot grow the sentry without limit (each holds
 * a snapshot, a few KiB); one more open fails with ENFILE. */
#define MAX_HANDLES 1024
#define MAX_CONTENT (4u << 20) /* a render beyond this fails the open with EFBIG */
#define FIRST_CAP 4096
#define MAX_WRITE 4096       /* INIT's max_write: nothing is ever written */
#define ENTRY_TTL 86400      /* names never change: the kernel may cache lookups for a day */

struct handle {
	uint32_t gen;  /* part of the fh: a stale or made-up fh never matches */
	uint32_t file; /* index in files + 1; 0: free */
	int was_read;  /* a READ was answered: a READ at offset 0 renders afresh */
	char *buf;
	size_t len, cap;
};

/* What the kernel was last told of a file (LOOKUP, GETATTR): the next OPEN's snapshot is this
 * content, so the kernel's i_size is the snapshot's length (see do_getattr). */
struct stash {
	char *buf;
	size_t len, cap;
	int valid;
};

struct vfs_fuse {
	int fd;
	const struct vfs_file *files;
	size_t n;
	void *ctx;
	int initialized;
	struct handle *h;
	size_t nh;
	uint32_t gen;
	struct stash *stash; /* one per file */
	unsigned uid, gid; /* every inode's owner, as host ids */
	uint64_t start;    /* every file's times: when the server started */
	char req[MOAT_FUSE_MIN_READ_BUFFER]; /* INIT's max_write keeps every request below this */
};

int vfs_fuse_open(void)
{
	return open("/dev/fuse", O_RDWR | O_CLOEXEC | O_NONBLOCK);
}

int vfs_fuse_mount_data(char *buf, size_t cap, int fuse_fd)
{
	int n = snprintf(buf, cap,
			 "fd=%d,rootmode=40555,user_id=0,group_id=0,allow_other,default_permissions,"
			 "subtype=moat",
			 fuse_fd);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* The fs context's own explanation of a refused option ("e fuse: ..."), if it left one. */
static const char *fsctx_log(int fsfd, char *buf, size_t cap)
{
	ssize_t n = read(fsfd, buf, cap - 1);
	if (n <= 2)
		return "";
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	return buf + 1; /* drop the "e"/"w" level letter, keep " fuse: ..." */
}

int vfs_fuse_mount(int fuse_fd, char *err, size_t errlen)
{
	char data[160], log[256];
	if (vfs_fuse_mount_data(data, sizeof data, fuse_fd) < 0) {
		snprintf(err, errlen, "fuse mount options: too long");
		return -1;
	}
	int fs = (int)syscall(SYS_fsopen, "fuse", MOAT_FSOPEN_CLOEXEC);
	if (fs < 0) {
		snprintf(err, errlen, "fsopen fuse: %s", errstr(errno));
		return -1;
	}
	/* the same options mount(2) would parse from data, one fsconfig each */
	int r = (int)syscall(SYS_fsconfig, fs, MOAT_FSCONFIG_SET_STRING, "source", VFS_FUSE_SOURCE,
			     0);
	char *save = NULL;
	for (char *opt = strtok_r(data, ",", &save); opt && r == 0; opt = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(opt, '=');
		if (eq)
			*eq = 0;
		r = (int)syscall(SYS_fsconfig, fs, eq ? MOAT_FSCONFIG_SET_STRING : MOAT_FSCONFIG_SET_FLAG,
				 opt, eq ? eq + 1 : NULL, 0);
		if (r < 0) {
			int e = errno;
			snprintf(err, errlen, "fuse mount option %s: %s%s", opt, errstr(e),
				 fsctx_log(fs, log, sizeof log));
			close(fs);
			return -1;
		}
	}
	if (r == 0) /* MS_RDONLY's superblock half */
		r = (int)syscall(SYS_fsconfig, fs, MOAT_FSCONFIG_SET_FLAG, "ro", NULL, 0);
	if (r == 0)
		r = (int)syscall(SYS_fsconfig, fs, MOAT_FSCONFIG_CMD_CREATE, NULL, NULL, 0);
	if (r < 0) {
		int e = errno;
		snprintf(err, errlen, "mount fuse: %s%s", errstr(e), fsctx_log(fs, log, sizeof log));
		close(fs);
		return -1;
	}
	int m = (int)syscall(SYS_fsmount, fs, MOAT_FSMOUNT_CLOEXEC,
			     MOAT_MOUNT_ATTR_RDONLY | MOAT_MOUNT_ATTR_NOSUID | MOAT_MOUNT_ATTR_NODEV |
				     MOAT_MOUNT_ATTR_NOEXEC);
	int e = errno;
	close(fs);
	if (m < 0)
		snprintf(err, errlen, "fsmount fuse: %s", errstr(e));
	return m;
}

int vfs_fuse_bind(int mnt_fd, const struct vfs_file *files, size_t n, int root_fd, char *err,
		  size_t errlen)
{
	int bound = 0;
	for (size_t i = 0; i < n; i++) {
		const struct vfs_file *f = &files[i];
		if (!f->target)
			continue;
		struct moat_open_how how = {
			.flags = O_PATH | O_CLOEXEC,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
		};
		int t = (int)syscall(SYS_openat2, root_fd, f->target, &how, sizeof how);
		if (t < 0 && errno == ENOENT)
			continue;
		struct statfs sf;
		if (t >= 0 && fstatfs(t, &sf) == 0 && (unsigned long)sf.f_type != f->target_fs) {
			close(t);
			continue;
		}
		int tree = t < 0 ? -1
				 : (int)syscall(SYS_open_tree, mnt_fd, f->name,
						MOAT_OPEN_TREE_CLONE | MOAT_OPEN_TREE_CLOEXEC);
		int r = tree < 0 ? -1
				 : (int)syscall(SYS_move_mount, tree, "", t, "",
						MOAT_MOVE_MOUNT_F_EMPTY_PATH |
							MOAT_MOVE_MOUNT_T_EMPTY_PATH);
		int e = errno;
		if (tree >= 0)
			close(tree);
		if (t >= 0)
			close(t);
		if (r < 0) {
			snprintf(err, errlen, "bind virtual %s over /%s: %s", f->name, f->target,
				 errstr(e));
			return -1;
		}
		bound++;
	}
	return bound;
}

struct vfs_fuse *vfs_fuse_new(int fd, const struct vfs_file *files, size_t n, void *ctx,
			      unsigned uid, unsigned gid)
{
	struct vfs_fuse *fs = calloc(1, sizeof *fs);
	struct stash *st = calloc(n ? n : 1, sizeof *st);
	if (!fs || !st) {
		free(fs);
		free(st);
		errno = ENOMEM;
		return NULL;
	}
	fs->stash = st;
	fs->fd = fd;
	fs->files = files;
	fs->n = n;
	fs->ctx = ctx;
	fs->uid = uid;
	fs->gid = gid;
	fs->start = (uint64_t)time(NULL);
	return fs;
}

int vfs_fuse_fd(const struct vfs_fuse *fs)
{
	return fs->fd;
}

void vfs_fuse_free(struct vfs_fuse *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < fs->nh; i++)
		free(fs->h[i].buf);
	free(fs->h);
	for (size_t i = 0; i < fs->n; i++)
		free(fs->stash[i].buf);
	free(fs->stash);
	close(fs->fd);
	free(fs);
}

/* nodeids: the root is 1, file i is i + 2 */
static const struct vfs_file *file_of(const struct vfs_fuse *fs, uint64_t node)
{
	return node >= 2 && node - 2 < fs->n ? &fs->files[node - 2] : NULL;
}

/* Renders f into *buf (growing it) until the content fits: 0 or an errno. */
static int render(const struct vfs_fuse *fs, const struct vfs_file *f, char **buf, size_t *cap,
		  size_t *len)
{
	for (int tries = 0; tries < 4; tries++) {
		size_t n = f->render(fs->ctx, *buf, *cap);
		if (n <= *cap) {
			*len = n;
			return 0;
		}
		if (n > MAX_CONTENT)
			return EFBIG;
		size_t nc = n + n / 8 + 256; /* room for numbers that grow between renders */
		char *nb = realloc(*buf, nc);
		if (!nb)
			return ENOMEM;
		*buf = nb;
		*cap = nc;
	}
	return EAGAIN; /* grew on every try: give up rather than loop */
}

/* Copies len bytes into *buf, growing it: 0 or ENOMEM. */
static int copy_in(char **buf, size_t *cap, const char *src, size_t len)
{
	if (len > *cap) {
		char *nb = realloc(*buf, len);
		if (!nb)
			return ENOMEM;
		*buf = nb;
		*cap = len;
	}
	if (len)
		memcpy(*buf, src, len);
	return 0;
}

/* A fresh render of file f into its stash; the length, or -errno. */
static long long stash_render(struct vfs_fuse *fs, const struct vfs_file *f)
{
	struct stash *st = &fs->stash[f - fs->files];
	st->valid = 0;
	int e = render(fs, f, &st->buf, &st->cap, &st->len);
	if (e)
		return -e;
	st->valid = 1;
	return (long long)st->len;
}

static struct handle *handle_of(struct vfs_fuse *fs, uint64_t fh, uint64_t node)
{
	uint64_t i = fh & 0xffffffffu;
	if (i >= fs->nh)
		return NULL;
	struct handle *h = &fs->h[i];
	if (!h->file || h->gen != (uint32_t)(fh >> 32) || h->file + 1 != node)
		return NULL;
	return h;
}

/* 0: answered; 1: nobody waits for it (the request was interrupted: ENOENT); -1: fatal. */
static int reply(struct vfs_fuse *fs, uint64_t unique, int error, const void *arg, size_t len)
{
	struct moat_fuse_out_header oh = {
		.len = (uint32_t)(sizeof oh + len),
		.error = -error,
		.unique = unique,
	};
	struct iovec iov[2] = {{&oh, sizeof oh}, {(void *)arg, len}};
	ssize_t w;
	do
		w = writev(fs->fd, iov, len ? 2 : 1);
	while (w < 0 && errno == EINTR);
	return w >= 0 ? 0 : errno == ENOENT ? 1 : -1;
}

static void fill_attr(const struct vfs_fuse *fs, uint64_t node, uint64_t size,
		      struct moat_fuse_attr *a)
{
	memset(a, 0, sizeof *a);
	a->ino = node;
	a->size = size;
	a->atime = a->mtime = a->ctime = fs->start;
	/* the superblock belongs to the host's user namespace: ids are host ids */
	a->uid = fs->uid;
	a->gid = fs->gid;
	a->mode = node == MOAT_FUSE_ROOT_ID ? (S_IFDIR | 0555) : (S_IFREG | 0444);
	a->nlink = node == MOAT_FUSE_ROOT_ID ? 2 : 1;
	a->blksize = 4096;
}

static int do_init(struct vfs_fuse *fs, uint64_t unique, const char *arg, size_t len)
{
	struct moat_fuse_init_in in;
	if (len < sizeof in) {
		reply(fs, unique, EIO, NULL, 0);
		errno = EPROTO;
		return -1;
	}
	memcpy(&in, arg, sizeof in);
	struct moat_fuse_init_out out = {.major = MOAT_FUSE_MAJOR, .minor = MOAT_FUSE_MINOR};
	if (in.major > MOAT_FUSE_MAJOR) /* a newer major: say ours, the kernel may ask again */
		return reply(fs, unique, 0, &out, sizeof out);
	if (in.major < MOAT_FUSE_MAJOR || in.minor < MOAT_FUSE_MIN_MINOR) {
		reply(fs, unique, EPROTO, NULL, 0);
		errno = EPROTO;
		return -1;
	}
	if (in.minor < out.minor)
		out.minor = in.minor;
	/* no flags at all: no writeback cache, no readdirplus, no async features; readahead off
	 * (every open is direct I/O) */
	out.max_write = MAX_WRITE;
	fs->initialized = 1;
	return reply(fs, unique, 0, &out, sizeof out);
}

static int do_lookup(struct vfs_fuse *fs, uint64_t unique, uint64_t node, const char *arg,
		     size_t len)
{
	if (node != MOAT_FUSE_ROOT_ID)
		return reply(fs, unique, file_of(fs, node) ? ENOTDIR : ENOENT, NULL, 0);
	if (!len || !memchr(arg, 0, len))
		return reply(fs, unique, EIO, NULL, 0);
	for (size_t i = 0; i < fs->n; i++) {
		if (strcmp(arg, fs->files[i].name))
			continue;
		struct moat_fuse_entry_out e = {
			.nodeid = i + 2,
			.generation = 1,
			.entry_valid = ENTRY_TTL,
		};
		long long size = stash_render(fs, &fs->files[i]);
		if (size < 0)
			return reply(fs, unique, (int)-size, NULL, 0);
		/* attr_valid 0: the kernel asks again before every open (do_getattr) */
		fill_attr(fs, i + 2, (uint64_t)size, &e.attr);
		return reply(fs, unique, 0, &e, sizeof e);
	}
	return reply(fs, unique, ENOENT, NULL, 0);
}

static int do_getattr(struct vfs_fuse *fs, uint64_t unique, uint64_t node, const char *arg,
		      size_t len)
{
	struct moat_fuse_attr_out out = {0};
	const struct vfs_file *f = file_of(fs, node);
	if (node == MOAT_FUSE_ROOT_ID) {
		fill_attr(fs, node, 0, &out.attr);
		return reply(fs, unique, 0, &out, sizeof out);
	}
	if (!f)
		return reply(fs, unique, ENOENT, NULL, 0);
	/* With default_permissions and attr_valid 0 the kernel asks for the attributes before
	 * every open (and on stat). The size it gets becomes i_size, which the page cache
	 * trusts: splice (sendfile: busybox cat) reads through it even for direct I/O files on
	 * kernels without the fix that sends those to read_iter (6.18 here), and stops at
	 * i_size. So the content rendered here is kept, and the OPEN that follows snapshots
	 * exactly it. fstat of an open file: that handle's snapshot (and the stash becomes it). */
	struct moat_fuse_getattr_in in = {0};
	if (len >= sizeof in)
		memcpy(&in, arg, sizeof in);
	struct handle *h = in.getattr_flags & MOAT_FUSE_GETATTR_FH ? handle_of(fs, in.fh, node) : NULL;
	struct stash *st = &fs->stash[f - fs->files];
	uint64_t size;
	if (h) {
		int e = copy_in(&st->buf, &st->cap, h->buf, h->len);
		st->valid = !e;
		st->len = h->len;
		if (e)
			return reply(fs, unique, e, NULL, 0);
		size = h->len;
	} else {
		long long r = stash_render(fs, f);
		if (r < 0)
			return reply(fs, unique, (int)-r, NULL, 0);
		size = (uint64_t)r;
	}
	fill_attr(fs, node, size, &out.attr);
	return reply(fs, unique, 0, &out, sizeof out);
}

static int do_open(struct vfs_fuse *fs, uint64_t unique, uint64_t node, const char *arg,
		   size_t len)
{
	const struct vfs_file *f = file_of(fs, node);
	if (!f)
		return reply(fs, unique, node == MOAT_FUSE_ROOT_ID ? EISDIR : ENOENT, NULL, 0);
	struct moat_fuse_open_in in;
	if (len < sizeof in)
		return reply(fs, unique, EIO, NULL, 0);
	memcpy(&in, arg, sizeof in);
	if ((in.flags & O_ACCMODE) != O_RDONLY || (in.flags & O_TRUNC))
		return reply(fs, unique, EROFS, NULL, 0);

	size_t i = 0;
	while (i < fs->nh && fs->h[i].file)
		i++;
	if (i == fs->nh) {
		if (fs->nh == MAX_HANDLES)
			return reply(fs, unique, ENFILE, NULL, 0);
		size_t nn = fs->nh ? fs->nh * 2 : 16;
		if (nn > MAX_HANDLES)
			nn = MAX_HANDLES;
		struct handle *nh = realloc(fs->h, nn * sizeof *nh);
		if (!nh)
			return reply(fs, unique, ENOMEM, NULL, 0);
		memset(nh + fs->nh, 0, (nn - fs->nh) * sizeof *nh);
		fs->h = nh;
		fs->nh = nn;
	}
	struct handle *h = &fs->h[i];
	if (!h->buf) {
		h->buf = malloc(FIRST_CAP);
		h->cap = h->buf ? FIRST_CAP : 0;
	}
	struct stash *st = &fs->stash[f - fs->files];
	int e = st->valid ? copy_in(&h->buf, &h->cap, st->buf, st->len)
			  : render(fs, f, &h->buf, &h->cap, &h->len);
	if (e)
		return reply(fs, unique, e, NULL, 0);
	if (st->valid)
		h->len = st->len;
	h->file = (uint32_t)(f - fs->files) + 1;
	h->gen = ++fs->gen;
	h->was_read = 0;
	struct moat_fuse_open_out out = {
		.fh = (uint64_t)h->gen << 32 | i,
		/* no page cache (one handle's snapshot is never another's), and no FLUSH on close */
		.open_flags = MOAT_FOPEN_DIRECT_IO | MOAT_FOPEN_NOFLUSH,
	};
	int r = reply(fs, unique, 0, &out, sizeof out);
	if (r == 1) /* the opener is gone: no RELEASE will come for this handle */
		h->file = 0;
	return r;
}

static int do_read(struct vfs_fuse *fs, uint64_t unique, uint64_t node, const char *arg,
		   size_t len)
{
	struct moat_fuse_read_in in;
	if (len < sizeof in)
		return reply(fs, unique, EIO, NULL, 0);
	memcpy(&in, arg, sizeof in);
	struct handle *h = handle_of(fs, in.fh, node);
	if (!h)
		return reply(fs, unique, EBADF, NULL, 0);
	if (in.offset == 0 && h->was_read) {
		int e = render(fs, &fs->files[h->file - 1], &h->buf, &h->cap, &h->len);
		if (e)
			return reply(fs, unique, e, NULL, 0);
	}
	h->was_read = 1;
	size_t n = 0;
	if (in.offset < h->len) {
		n = h->len - (size_t)in.offset;
		if (n > in.size)
			n = in.size;
	}
	return reply(fs, unique, 0, n ? h->buf + in.offset : NULL, n);
}

static int do_release(struct vfs_fuse *fs, uint64_t unique, uint64_t node, const char *arg,
		      size_t len)
{
	struct moat_fuse_release_in in;
	if (len < sizeof in)
		return reply(fs, unique, EIO, NULL, 0);
	memcpy(&in, arg, sizeof in);
	struct handle *h = handle_of(fs, in.fh, node);
	if (h) {
		h->file = 0;
		if (h->cap > FIRST_CAP) { /* keep small buffers for the next open, not big ones */
			free(h->buf);
			h->buf = NULL;
			h->cap = 0;
		}
	}
	return reply(fs, unique, 0, NULL, 0);
}

static int do_statfs(struct vfs_fuse *fs, uint64_t unique)
{
	struct moat_fuse_kstatfs st = {
		.files = fs->n + 1,
		.bsize = 4096,
		.frsize = 4096,
		.namelen = 255,
	};
	return reply(fs, unique, 0, &st, sizeof st);
}

/* One request: 0 or 1 (reply's), -1 fatal with errno. */
static int dispatch(struct vfs_fuse *fs)
{
	ssize_t n = read(fs->fd, fs->req, sizeof fs->req);
	if (n < 0) /* ENOENT: a request was interrupted before we read it */
		return errno == EAGAIN || errno == EINTR || errno == ENOENT ? 0 : -1;
	struct moat_fuse_in_header h;
	if ((size_t)n < sizeof h) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&h, fs->req, sizeof h);
	const char *arg = fs->req + sizeof h;
	size_t len = (size_t)n - sizeof h, ext = (size_t)h.total_extlen * 8;

	switch (h.opcode) { /* the kernel expects no answer to these */
	case MOAT_FUSE_FORGET:
	case MOAT_FUSE_BATCH_FORGET: /* nodeids are fixed: lookup counts do not matter */
	case MOAT_FUSE_INTERRUPT:    /* every request is answered before the next is read */
	case MOAT_FUSE_NOTIFY_REPLY:
		return 0;
	}
	if (h.len != (uint64_t)n || ext > len)
		return reply(fs, h.unique, EIO, NULL, 0);
	len -= ext;
	if (h.opcode == MOAT_FUSE_INIT)
		return do_init(fs, h.unique, arg, len);
	if (!fs->initialized)
		return reply(fs, h.unique, EIO, NULL, 0);

	switch (h.opcode) {
	case MOAT_FUSE_LOOKUP:
		return do_lookup(fs, h.unique, h.nodeid, arg, len);
	case MOAT_FUSE_GETATTR:
		return do_getattr(fs, h.unique, h.nodeid, arg, len);
	case MOAT_FUSE_OPEN:
		return do_open(fs, h.unique, h.nodeid, arg, len);
	case MOAT_FUSE_READ:
		return do_read(fs, h.unique, h.nodeid, arg, len);
	case MOAT_FUSE_RELEASE:
		return do_release(fs, h.unique, h.nodeid, arg, len);
	case MOAT_FUSE_STATFS:
		return do_statfs(fs, h.unique);
	case MOAT_FUSE_DESTROY:
		return reply(fs, h.unique, 0, NULL, 0);
	case MOAT_FUSE_SETATTR:
	case MOAT_FUSE_SYMLINK:
	case MOAT_FUSE_MKNOD:
	case MOAT_FUSE_MKDIR:
	case MOAT_FUSE_UNLINK:
	case MOAT_FUSE_RMDIR:
	case MOAT_FUSE_RENAME:
	case MOAT_FUSE_LINK:
	case MOAT_FUSE_WRITE:
	case MOAT_FUSE_SETXATTR:
	case MOAT_FUSE_REMOVEXATTR:
	case MOAT_FUSE_CREATE:
	case MOAT_FUSE_FALLOCATE:
	case MOAT_FUSE_RENAME2:
	case MOAT_FUSE_COPY_FILE_RANGE:
	case MOAT_FUSE_TMPFILE:
	case MOAT_FUSE_COPY_FILE_RANGE_64:
		return reply(fs, h.unique, EROFS, NULL, 0);
	default: /* FLUSH, GETXATTR, OPENDIR, LSEEK, STATX...: the kernel stops asking or copes */
		return reply(fs, h.unique, ENOSYS, NULL, 0);
	}
}

int vfs_fuse_serve_one(struct vfs_fuse *fs)
{
	return dispatch(fs) < 0 ? -1 : 0;
}
