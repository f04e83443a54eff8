/* Kernel ABI of /dev/fuse (include/uapi/linux/fuse.h) and of the new mount API, defined here
 * like kabi.h: musl-gcc does not see the UAPI headers and Debian's are older than the kernels
 * we run on. Only what vfs_fuse.c speaks; layouts are those of protocol 7.23 and later
 * (the oldest we accept), field names as the kernel's. Guarded so a libc that has them wins. */
#ifndef MOAT_FUSE_KABI_H
#define MOAT_FUSE_KABI_H

#include <stdint.h>

#define MOAT_FUSE_MAJOR 7
#define MOAT_FUSE_MIN_MINOR 23 /* 64-byte fuse_init_out; attr/entry/statfs at full size */
#define MOAT_FUSE_MINOR 45     /* the newest protocol we have read (kernel 6.18 offers 7.45) */
#define MOAT_FUSE_ROOT_ID 1
#define MOAT_FUSE_MIN_READ_BUFFER 8192 /* the kernel refuses a smaller read(2) of /dev/fuse */

enum {
	MOAT_FUSE_LOOKUP = 1,
	MOAT_FUSE_FORGET = 2, /* no reply */
	MOAT_FUSE_GETATTR = 3,
	MOAT_FUSE_SETATTR = 4,
	MOAT_FUSE_READLINK = 5,
	MOAT_FUSE_SYMLINK = 6,
	MOAT_FUSE_MKNOD = 8,
	MOAT_FUSE_MKDIR = 9,
	MOAT_FUSE_UNLINK = 10,
	MOAT_FUSE_RMDIR = 11,
	MOAT_FUSE_RENAME = 12,
	MOAT_FUSE_LINK = 13,
	MOAT_FUSE_OPEN = 14,
	MOAT_FUSE_READ = 15,
	MOAT_FUSE_WRITE = 16,
	MOAT_FUSE_STATFS = 17,
	MOAT_FUSE_RELEASE = 18,
	MOAT_FUSE_SETXATTR = 21,
	MOAT_FUSE_REMOVEXATTR = 24,
	MOAT_FUSE_INIT = 26,
	MOAT_FUSE_CREATE = 35,
	MOAT_FUSE_INTERRUPT = 36, /* no reply */
	MOAT_FUSE_DESTROY = 38,
	MOAT_FUSE_NOTIFY_REPLY = 41, /* no reply (we never ask for one) */
	MOAT_FUSE_BATCH_FORGET = 42, /* no reply */
	MOAT_FUSE_FALLOCATE = 43,
	MOAT_FUSE_RENAME2 = 45,
	MOAT_FUSE_COPY_FILE_RANGE = 47,
	MOAT_FUSE_TMPFILE = 51,
	MOAT_FUSE_COPY_FILE_RANGE_64 = 53,
};

#define MOAT_FOPEN_DIRECT_IO (1u << 0)
#define MOAT_FOPEN_NOFLUSH (1u << 5)
#define MOAT_FUSE_GETATTR_FH (1u << 0)

struct moat_fuse_in_header {
	uint32_t len;
	uint32_t opcode;
	uint64_t unique;
	uint64_t nodeid;
	uint32_t uid;
	uint32_t gid;
	uint32_t pid;
	uint16_t total_extlen; /* extensions after the arguments, in 8-byte units */
	uint16_t padding;
};

struct moat_fuse_out_header {
	uint32_t len;
	int32_t error; /* 0 or -errno */
	uint64_t unique;
};

struct moat_fuse_init_in { /* 16 bytes before 7.36, 64 after: only the first 16 are read */
	uint32_t major;
	uint32_t minor;
	uint32_t max_readahead;
	uint32_t flags;
};

struct moat_fuse_init_out {
	uint32_t major;
	uint32_t minor;
	uint32_t max_readahead;
	uint32_t flags;
	uint16_t max_background;
	uint16_t congestion_threshold;
	uint32_t max_write;
	uint32_t time_gran;
	uint16_t max_pages;
	uint16_t map_alignment;
	uint32_t flags2;
	uint32_t unused[7];
};

struct moat_fuse_attr {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;
	uint64_t atime;
	uint64_t mtime;
	uint64_t ctime;
	uint32_t atimensec;
	uint32_t mtimensec;
	uint32_t ctimensec;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint32_t rdev;
	uint32_t blksize;
	uint32_t flags;
};

struct moat_fuse_entry_out {
	uint64_t nodeid;
	uint64_t generation;
	uint64_t entry_valid;
	uint64_t attr_valid;
	uint32_t entry_valid_nsec;
	uint32_t attr_valid_nsec;
	struct moat_fuse_attr attr;
};

struct moat_fuse_getattr_in {
	uint32_t getattr_flags;
	uint32_t dummy;
	uint64_t fh;
};

struct moat_fuse_attr_out {
	uint64_t attr_valid;
	uint32_t attr_valid_nsec;
	uint32_t dummy;
	struct moat_fuse_attr attr;
};

struct moat_fuse_open_in {
	uint32_t flags;
	uint32_t open_flags;
};

struct moat_fuse_open_out {
	uint64_t fh;
	uint32_t open_flags;
	int32_t backing_id;
};

struct moat_fuse_read_in {
	uint64_t fh;
	uint64_t offset;
	uint32_t size;
	uint32_t read_flags;
	uint64_t lock_owner;
	uint32_t flags;
	uint32_t padding;
};

struct moat_fuse_release_in {
	uint64_t fh;
	uint32_t flags;
	uint32_t release_flags;
	uint64_t lock_owner;
};

struct moat_fuse_kstatfs {
	uint64_t blocks;
	uint64_t bfree;
	uint64_t bavail;
	uint64_t files;
	uint64_t ffree;
	uint32_t bsize;
	uint32_t namelen;
	uint32_t frsize;
	uint32_t padding;
	uint32_t spare[6];
};

_Static_assert(sizeof(struct moat_fuse_in_header) == 40, "fuse_in_header");
_Static_assert(sizeof(struct moat_fuse_init_out) == 64, "fuse_init_out");
_Static_assert(sizeof(struct moat_fuse_attr) == 88, "fuse_attr");
_Static_assert(sizeof(struct moat_fuse_entry_out) == 128, "fuse_entry_out");
_Static_assert(sizeof(struct moat_fuse_attr_out) == 104, "fuse_attr_out");
_Static_assert(sizeof(struct moat_fuse_read_in) == 40, "fuse_read_in");
_Static_assert(sizeof(struct moat_fuse_kstatfs) == 80, "fuse_kstatfs");

#define MOAT_FUSE_SUPER_MAGIC 0x65735546

/* the new mount API (Linux 5.2): a superblock with no mount point, then clones of it */
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#define MOAT_FSOPEN_CLOEXEC 0x00000001
#define MOAT_FSCONFIG_SET_FLAG 0
#define MOAT_FSCONFIG_SET_STRING 1
#define MOAT_FSCONFIG_CMD_CREATE 6
#define MOAT_FSMOUNT_CLOEXEC 0x00000001
#define MOAT_MOUNT_ATTR_RDONLY 0x00000001
#define MOAT_MOUNT_ATTR_NOSUID 0x00000002
#define MOAT_MOUNT_ATTR_NODEV 0x00000004
#define MOAT_MOUNT_ATTR_NOEXEC 0x00000008
#define MOAT_OPEN_TREE_CLOEXEC 02000000 /* O_CLOEXEC */

/* statfs f_type of the filesystems the virtual files cover */
#define MOAT_PROC_SUPER_MAGIC 0x9fa0
#define MOAT_SYSFS_MAGIC 0x62656572

#endif
