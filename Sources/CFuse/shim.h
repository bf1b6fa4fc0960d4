#ifndef FAULTBENCH_CFUSE_SHIM_H
#define FAULTBENCH_CFUSE_SHIM_H

// The low-level API at 3.14: below 3.12 the loop and cmdline functions are
// macros Swift cannot see, and 3.14 is what Debian 12 ships.
#define FUSE_USE_VERSION 314

#include <fuse_lowlevel.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

// Defining _GNU_SOURCE here would give this module different declarations
// from Glibc's and break the build, so the GNU-only constants and calls that
// faultbench needs are restated here with their Linux values.
static const int cfuse_O_PATH = 010000000;
static const int cfuse_AT_EMPTY_PATH = 0x1000;
static const long cfuse_UTIME_NOW = ((1l << 30) - 1l);
static const long cfuse_UTIME_OMIT = ((1l << 30) - 2l);
static const unsigned int cfuse_RENAME_NOREPLACE = 1;
static const unsigned int cfuse_RENAME_EXCHANGE = 2;
static const int cfuse_M_MMAP_THRESHOLD = -3;
static const int cfuse_M_TRIM_THRESHOLD = -1;
static const int cfuse_MNT_DETACH = 2;

// Whether a raw request is a write that asks the filesystem to clear
// set-user-ID and set-group-ID (FUSE_WRITE_KILL_SUIDGID), as the kernel's
// own file_remove_privs would: the kernel sets it on a direct-I/O write by a
// caller without CAP_FSETID. libfuse 3.14 does not pass write_flags on to
// the write handler, so the worker reads it here before libfuse dispatches
// the request. Offsets are the kernel's ABI (linux/fuse.h): fuse_in_header
// is 40 bytes with the opcode at 4; fuse_write_in's write_flags is 20 bytes
// after it.
static inline int cfuse_request_kills_suidgid(const void *mem, size_t size) {
    const unsigned char *bytes = (const unsigned char *)mem;
    uint32_t opcode = 0, flags = 0;
    if (mem == NULL || size < 40 + 24) return 0;
    memcpy(&opcode, bytes + 4, sizeof opcode);
    if (opcode != 16 /* FUSE_WRITE */) return 0;
    memcpy(&flags, bytes + 40 + 20, sizeof flags);
    return (flags & (1u << 2) /* FUSE_WRITE_KILL_SUIDGID */) != 0;
}

static inline int cfuse_renameat2(int olddirfd, const char *oldpath, int newdirfd,
                                  const char *newpath, unsigned int flags) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

static inline int cfuse_fallocate(int fd, int mode, off_t offset, off_t length) {
    return (int)syscall(SYS_fallocate, fd, mode, offset, length);
}

static inline int cfuse_umount2(const char *target, int flags) {
    return (int)syscall(SYS_umount2, target, flags);
}

// Per-thread credentials: the raw system calls change only the calling
// thread (glibc's wrappers would broadcast setgroups to every thread), which
// is what lets a worker create a file as its caller while others go on.
static inline int cfuse_setfsuid(uid_t uid) {
    return (int)syscall(SYS_setfsuid, uid);
}

static inline int cfuse_setfsgid(gid_t gid) {
    return (int)syscall(SYS_setfsgid, gid);
}

static inline int cfuse_setgroups_thread(size_t count, const gid_t *groups) {
    return (int)syscall(SYS_setgroups, count, groups);
}

static inline off_t cfuse_lseek(int fd, off_t offset, int whence) {
    return lseek(fd, offset, whence);
}

// dirent.d_name imports as a 256-element tuple.
static inline const char *cfuse_dirent_name(const struct dirent *entry) {
    return entry->d_name;
}

// FUSE_BUFVEC_INIT is a compound literal: a one-buffer vector that points at
// a file descriptor, read at an explicit position.
static inline struct fuse_bufvec cfuse_bufvec_fd(int fd, size_t size, off_t offset) {
    struct fuse_bufvec v;
    memset(&v, 0, sizeof v);
    v.count = 1;
    v.buf[0].size = size;
    v.buf[0].flags = (enum fuse_buf_flags)(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    v.buf[0].fd = fd;
    v.buf[0].pos = offset;
    return v;
}

static inline int cfuse_sigaction_default(int signum) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    return sigaction(signum, &sa, NULL);
}

static inline int cfuse_sigaction_ignore(int signum) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    return sigaction(signum, &sa, NULL);
}

static inline void cfuse_wakeup_handler(int signum) { (void)signum; }

// A handler that does nothing, installed without SA_RESTART: sending the
// signal to a worker blocked in read() on /dev/fuse makes the read fail with
// EINTR, which is the only way to stop a worker whose connection the kernel
// keeps alive (a detached mount with files still open).
static inline int cfuse_install_wakeup_handler(int signum) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cfuse_wakeup_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    return sigaction(signum, &sa, NULL);
}

// Blocks (how = SIG_BLOCK) or unblocks the shutdown signals in the calling
// thread; threads inherit the mask, so the workers never see them.
static inline int cfuse_mask_shutdown_signals(int how) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGUSR1);
    return pthread_sigmask(how, &set, NULL);
}

static inline int cfuse_wait_shutdown_signal(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGUSR1);
    int signum = 0;
    if (sigwait(&set, &signum) != 0) return -1;
    return signum;
}

// MARK: - FUSE passthrough

// Linux 6.9 (protocol 7.40) can hand an open file's reads and writes
// straight to a backing file: the daemon registers the file with an ioctl
// on /dev/fuse and names it in its open reply. libfuse 3.14 predates this,
// so faultbench negotiates it itself: it patches two fields into libfuse's
// INIT reply and the open flags and backing id into an open reply, on their
// way to the device (see Passthrough.swift). The layouts below are the
// kernel's (include/uapi/linux/fuse.h); they are stable ABI.
static const uint32_t cfuse_FUSE_INIT = 26;
static const uint32_t cfuse_FUSE_INIT_EXT = 1u << 30;
// FUSE_PASSTHROUGH is bit 37 of the 64-bit flags, i.e. bit 5 of flags2.
static const uint32_t cfuse_FUSE_PASSTHROUGH_FLAGS2 = 1u << 5;
static const uint32_t cfuse_FOPEN_DIRECT_IO = 1u << 0;
static const uint32_t cfuse_FOPEN_KEEP_CACHE = 1u << 1;
static const uint32_t cfuse_FOPEN_PASSTHROUGH = 1u << 7;

// fuse_in_header: len, opcode, unique, nodeid, uid, gid, pid, extlen, pad.
static const size_t cfuse_in_header_size = 40;
// fuse_out_header: len, error, unique.
static const size_t cfuse_out_header_size = 16;

/// For a request read from the device: -1 if it is not INIT, else whether
/// the kernel offers passthrough (1) or not (0).
static inline int cfuse_init_offers_passthrough(const void *request, ssize_t length) {
    if (length < (ssize_t)cfuse_in_header_size + 20) return -1;
    const unsigned char *p = (const unsigned char *)request;
    uint32_t opcode, flags, flags2;
    memcpy(&opcode, p + 4, 4);
    if (opcode != cfuse_FUSE_INIT) return -1;
    // fuse_init_in: major, minor, max_readahead, flags, flags2, ...
    memcpy(&flags, p + cfuse_in_header_size + 12, 4);
    memcpy(&flags2, p + cfuse_in_header_size + 16, 4);
    return (flags & cfuse_FUSE_INIT_EXT) && (flags2 & cfuse_FUSE_PASSTHROUGH_FLAGS2) ? 1 : 0;
}

static inline int cfuse_reply_succeeds(const struct iovec *iov, int count) {
    if (count < 2 || iov[0].iov_len < cfuse_out_header_size) return 0;
    int32_t error;
    memcpy(&error, (const unsigned char *)iov[0].iov_base + 4, 4);
    return error == 0;
}

/// Asks for passthrough in libfuse's INIT reply (fuse_init_out: flags at
/// 12, flags2 at 32, max_stack_depth at 36, which 3.14 leaves zero as
/// unused). A stack depth of 1 admits backing files on any filesystem that
/// is not itself stacked (ext4, xfs, tmpfs, ...). Returns 1 if patched.
static inline int cfuse_patch_init_reply(struct iovec *iov, int count) {
    if (!cfuse_reply_succeeds(iov, count) || iov[1].iov_len < 40) return 0;
    unsigned char *out = (unsigned char *)iov[1].iov_base;
    uint32_t flags, flags2, depth = 1;
    memcpy(&flags, out + 12, 4);
    memcpy(&flags2, out + 32, 4);
    if (flags & (1u << 16) /* FUSE_WRITEBACK_CACHE excludes passthrough */) return 0;
    flags |= cfuse_FUSE_INIT_EXT;
    flags2 |= cfuse_FUSE_PASSTHROUGH_FLAGS2;
    memcpy(out + 12, &flags, 4);
    memcpy(out + 32, &flags2, 4);
    memcpy(out + 36, &depth, 4);
    return 1;
}

/// Marks an OPEN or CREATE reply as passthrough to `backing_id`: its
/// fuse_open_out (fh, open_flags, backing_id) is the last 16 bytes of the
/// payload in both. Caching flags are dropped: the backing file's own page
/// cache is what serves the reads. Returns 1 if patched.
static inline int cfuse_patch_open_reply(struct iovec *iov, int count, int32_t backing_id) {
    if (!cfuse_reply_succeeds(iov, count) || iov[count - 1].iov_len < 16) return 0;
    unsigned char *open_out = (unsigned char *)iov[count - 1].iov_base + iov[count - 1].iov_len - 16;
    uint32_t open_flags;
    memcpy(&open_flags, open_out + 8, 4);
    open_flags &= ~(cfuse_FOPEN_DIRECT_IO | cfuse_FOPEN_KEEP_CACHE);
    open_flags |= cfuse_FOPEN_PASSTHROUGH;
    memcpy(open_out + 8, &open_flags, 4);
    memcpy(open_out + 12, &backing_id, 4);
    return 1;
}

// FUSE_DEV_IOC_BACKING_OPEN / _CLOSE: _IOW(229, 1, struct fuse_backing_map)
// and _IOW(229, 2, uint32_t); the macros do not import into Swift.
struct cfuse_backing_map {
    int32_t fd;
    uint32_t flags;
    uint64_t padding;
};

static inline int cfuse_backing_open(int device, int fd) {
    struct cfuse_backing_map map;
    memset(&map, 0, sizeof map);
    map.fd = fd;
    return ioctl(device, _IOW(229, 1, struct cfuse_backing_map), &map);
}

static inline int cfuse_backing_close(int device, int32_t backing_id) {
    uint32_t id = (uint32_t)backing_id;
    return ioctl(device, _IOW(229, 2, uint32_t), &id);
}

static inline ssize_t cfuse_splice(int fd_in, off_t *off_in, int fd_out, off_t *off_out,
                                   size_t length, unsigned int flags) {
    return (ssize_t)syscall(SYS_splice, fd_in, off_in, fd_out, off_out, length, flags);
}

#endif
