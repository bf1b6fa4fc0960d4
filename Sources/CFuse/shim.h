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

#endif
