// The bodies of CLinux.h. _GNU_SOURCE comes first so that glibc declares
// the GNU and Linux-only functions Swift's Glibc module hides.
#define _GNU_SOURCE
#include <malloc.h>
#include "CLinux.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
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

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

ssize_t berth_recv_fd(int sock, int *fd) {
    *fd = -1;
    char byte = 0;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    ssize_t n;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            memcpy(fd, CMSG_DATA(c), sizeof(int));
        }
    }
    return n;
}

int berth_set_window_size(int fd, unsigned short rows, unsigned short columns) {
    struct winsize size = {.ws_row = rows, .ws_col = columns};
    return ioctl(fd, TIOCSWINSZ, &size);
}

int berth_get_window_size(int fd, unsigned short *rows, unsigned short *columns) {
    struct winsize size;
    memset(&size, 0, sizeof size);
    int rc = ioctl(fd, TIOCGWINSZ, &size);
    *rows = size.ws_row;
    *columns = size.ws_col;
    return rc;
}

int berth_sealed_copy(const char *path) {
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0) return -1;
    struct stat st;
    int out = fstat(in, &st) == 0 ? memfd_create("berth-sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING) : -1;
    off_t offset = 0;
    while (out >= 0 && offset < st.st_size) {
        ssize_t n = sendfile(out, in, &offset, (size_t)(st.st_size - offset));
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) errno = EIO;
        int saved = errno;
        close(out);
        errno = saved;
        out = -1;
    }
    int saved = errno;
    close(in);
    errno = saved;
    if (out < 0) return -1;
    if (fcntl(out, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
        saved = errno;
        close(out);
        errno = saved;
        return -1;
    }
    return out;
}

int berth_is_tmpfs(const char *path) {
    struct statfs fs;
    if (statfs(path, &fs) != 0) return -1;
    return fs.f_type == 0x01021994; /* TMPFS_MAGIC */
}
