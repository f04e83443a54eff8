/* The sandbox's virtual files (DESIGN §4.2-4.3): a read-only FUSE filesystem per container,
 * served by the sentry itself over /dev/fuse (no libfuse), whose files are bind-mounted over
 * /proc/meminfo, /proc/cpuinfo, ... in the container's mount namespace. Only opens of those
 * paths reach the sentry; every other open costs nothing extra.
 *
 * Each open takes a snapshot: the content rendered for the GETATTR the kernel sends before the
 * open becomes that handle's buffer and READs are served from it, so a reader never sees a
 * torn file. A READ at offset 0 of a handle that was already read renders afresh (top, vmstat
 * and free -s keep the fd open and pread from 0 again). Files are opened FOPEN_DIRECT_IO so the
 * page cache never serves one handle's content to another. A cat costs GETATTR, OPEN, READ
 * and an asynchronous RELEASE; read(2) until EOF adds one READ. */
#ifndef MOAT_VFS_FUSE_H
#define MOAT_VFS_FUSE_H

#include <stddef.h>
#include <sys/mount.h>

/* One virtual file. render() writes the content into buf (at most cap bytes, no NUL needed)
 * and returns its full length like snprintf: when that is > cap it is called again with a
 * larger buffer, so it must be repeatable. target: where the init puts the file, relative to
 * the container's root (NULL: served, never bound); target_fs: the statfs f_type that path
 * must be on (procfs, sysfs), so nothing is bound where /proc or /sys is not mounted. */
struct vfs_file {
	const char *name;
	const char *target;
	unsigned long target_fs;
	size_t (*render)(void *ctx, char *buf, size_t cap);
};

/* The files LXCFS virtualises, rendered by vproc.c (ctx: a struct vproc_view *). */
extern const struct vfs_file vfs_proc_files[];
extern const size_t vfs_proc_nfiles;

/* /dev/fuse, O_RDWR | O_CLOEXEC | O_NONBLOCK: an fd, or -1 with errno. */
int vfs_fuse_open(void);

/* The mount, made by the sentry (host root, in its own namespaces) before it clones the init:
 *
 *   fd = vfs_fuse_open(); mnt = vfs_fuse_mount(fd)  -- the sentry, before clone3; from then on
 *                                                     its loop serves fd (the binds wait on it)
 *   vfs_fuse_bind(mnt, files, n, rootfs_fd)         -- the init, after /proc and /sys are mounted
 *   close(mnt), close(fd)                           -- the init after binding; the sentry closes
 *                                                     mnt after clone3: only the binds then hold
 *                                                     the superblock, which goes with the
 *                                                     container's mount namespace (ENODEV)
 *
 * Why the sentry and not the init: the kernel refuses a mount whose /dev/fuse fd was opened in
 * another user namespace than the mounter's (EINVAL), and the init of a user-namespaced
 * container can no longer open the 0600 device node itself; and an fd no mount has attached
 * yet polls as POLLERR and reads EPERM, so the sentry could not serve it before hearing from
 * the init. A superblock made in the host's user namespace reads file owners as host ids:
 * vfs_fuse_new's uid/gid are the host ids of the container's root.
 *
 * The options, as mount(2) would take them (vfs_fuse_mount passes the same to fsconfig):
 *   mount(VFS_FUSE_SOURCE, target, VFS_FUSE_FSTYPE, VFS_FUSE_MS_FLAGS, data)
 * data from vfs_fuse_mount_data(): "fd=N,rootmode=40555,user_id=0,group_id=0,allow_other,
 * default_permissions,subtype=moat" (mountinfo shows fuse.moat). allow_other: every uid may
 * read (FUSE otherwise admits only user_id). default_permissions: the kernel checks the
 * modes itself (0444: nothing writable, nothing executable), and it refreshes the attributes
 * before each open, which keeps i_size equal to the snapshot's length (vfs_fuse.c do_getattr
 * says why that matters). Flags: RDONLY (superblock and mount: writes fail with EROFS
 * before they reach the sentry, and a remount of a bind to rw still hits the read-only
 * superblock), NOSUID, NODEV, NOEXEC. mount_data returns the length, or -1 if cap is short. */
#define VFS_FUSE_SOURCE "moat"
#define VFS_FUSE_FSTYPE "fuse"
#define VFS_FUSE_MS_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
int vfs_fuse_mount_data(char *buf, size_t cap, int fuse_fd);

/* The mount without a mount point (fsopen, fsconfig, fsmount): a detached mount's fd, or -1
 * with a message in err. Nothing is ever visible at a path and no propagation can copy it.
 * The kernel sends FUSE_INIT at once: serve fuse_fd from then on. */
int vfs_fuse_mount(int fuse_fd, char *err, size_t errlen);

/* For the init, after /proc and /sys are mounted: puts a clone of each file that has a target
 * (open_tree(OPEN_TREE_CLONE) of mnt_fd/name: cloning from a detached mount works on 6.18,
 * tested; older kernels refuse it with EINVAL) over it, below root_fd (the container's root: the rootfs fd before pivot_root, "/"
 * after), resolved with RESOLVE_IN_ROOT and no symlinks.
 * A target that is missing or not on its target_fs is skipped: /proc or /sys is not mounted,
 * or the spec mounted its own file there (its choice wins). Each clone looks the file up, so
 * the sentry must be serving the fd meanwhile. The caller then closes mnt_fd: the FUSE root
 * itself is attached nowhere. Returns the number of files bound, or -1 with err. */
int vfs_fuse_bind(int mnt_fd, const struct vfs_file *files, size_t n, int root_fd, char *err,
		  size_t errlen);

/* The server, for the sentry's poll loop. vfs_fuse_new takes ownership of fd (mounted by
 * vfs_fuse_mount); files and ctx must outlive it; uid/gid: every file's owner, the host ids the
 * container's root maps to (0, 0 without a user namespace). NULL with errno (ENOMEM). */
struct vfs_fuse;
struct vfs_fuse *vfs_fuse_new(int fd, const struct vfs_file *files, size_t n, void *ctx,
			      unsigned uid, unsigned gid);
int vfs_fuse_fd(const struct vfs_fuse *fs); /* poll it for POLLIN (and POLLERR) */
void vfs_fuse_free(struct vfs_fuse *fs);     /* closes the fd: later requests get ENOTCONN */

/* Reads one request (the fd is non-blocking: none pending is not an error) and answers it.
 * 0, or -1 with errno on a fatal error: ENODEV when the filesystem was unmounted (the
 * container's mount namespace is gone and the sentry closed its mount fd), EPERM on an fd no
 * mount has attached, EPROTO on a kernel we cannot speak to. Then free it. */
int vfs_fuse_serve_one(struct vfs_fuse *fs);

#endif
