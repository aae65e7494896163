// The bodies of CLinux.h. _GNU_SOURCE comes first so that glibc declares
// the GNU and Linux-only functions Swift's Glibc module hides.
#define _GNU_SOURCE
#include <malloc.h>
#include "CLinux.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

// Older kernel headers may lack the numbers; they are the same on every
// architecture since the syscall table was unified (5.1+).
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int berth_unshare(int flags) { return unshare(flags); }

int berth_setns(int fd, int nstype) { return setns(fd, nstype); }

pid_t berth_gettid(void) { return (pid_t)syscall(SYS_gettid); }

int berth_pidfd_open(pid_t pid, unsigned int flags) {
    return (int)syscall(SYS_pidfd_open, pid, flags);
}

int berth_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0U);
}

int berth_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int berth_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int berth_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int lowfd) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowfd);
}

const char *berth_errno_name(int err) { return strerrorname_np(err); }

const char *berth_errno_description(int err) { return strerrordesc_np(err); }

int berth_limit_malloc_arenas(int arenas) { return mallopt(M_ARENA_MAX, arenas); }
