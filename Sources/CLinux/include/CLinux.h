// CLinux: C declarations of the few Linux calls and constants that Swift's
// Glibc module does not import (not to be confused with berth-shim, the
// per-container process). Swift imports glibc without _GNU_SOURCE, so every
// GNU or Linux-only declaration (unshare, setns, gettid, pipe2, pidfd_*,
// posix_spawn_file_actions_*_np, strerrorname_np, CLONE_*) is invisible to
// it, and the rtnetlink headers' function-like macros (NLMSG_ALIGN, RTA_*)
// cannot be imported at all. Everything here is prefixed `berth_` and says
// why it exists; anything Swift already imports (mount, umount2, socket,
// posix_spawn) is called from Swift directly.
#ifndef BERTH_CLINUX_H
#define BERTH_CLINUX_H

#include <stddef.h>
#include <stdint.h>
#include <spawn.h>
#include <sys/types.h>
// The rtnetlink UAPI headers: Swift imports their structs (nlmsghdr,
// ifinfomsg, ifaddrmsg, rtmsg, rtattr, nlmsgerr, sockaddr_nl) and their enum
// constants (RTM_*, IFLA_*, IFA_*, RTA_*) through this module.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/veth.h>

// Namespace flags from <linux/sched.h>; glibc only defines them under
// _GNU_SOURCE, which Swift's Glibc module does not set.
enum {
    BERTH_CLONE_NEWNS = 0x00020000,
    BERTH_CLONE_NEWUTS = 0x04000000,
    BERTH_CLONE_NEWIPC = 0x08000000,
    BERTH_CLONE_NEWUSER = 0x10000000,
    BERTH_CLONE_NEWPID = 0x20000000,
    BERTH_CLONE_NEWNET = 0x40000000,
};

// --- namespaces and threads -------------------------------------------------

/// unshare(2): GNU-only in <sched.h>; detaches the *calling thread* from the
/// namespaces in `flags` (CLONE_NEWNET affects that thread alone).
int berth_unshare(int flags);

/// setns(2): GNU-only in <sched.h>; moves the calling thread into the
/// namespace that `fd` refers to.
int berth_setns(int fd, int nstype);

/// gettid(2): GNU-only; names /proc/self/task/<tid>/ns/net, the namespace of
/// this thread rather than of the thread-group leader (/proc/self/ns/net).
pid_t berth_gettid(void);

// --- processes ----------------------------------------------------------------

/// pidfd_open(2) via syscall(2): glibc's wrapper (2.36) sits in
/// <sys/pidfd.h>, outside Swift's module map; a pollable exit notification
/// that cannot be fooled by pid reuse.
int berth_pidfd_open(pid_t pid, unsigned int flags);

/// pidfd_send_signal(2) via syscall(2): signals exactly the process the pidfd
/// names, never a stranger that reused its pid.
int berth_pidfd_send_signal(int pidfd, int sig);

/// pipe2(O_CLOEXEC): GNU-only; a pipe whose ends cannot leak into a process
/// another thread spawns between pipe() and fcntl().
int berth_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addchdir_np (glibc 2.29, GNU-only): the child's
/// working directory, set without forking by hand.
int berth_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34, GNU-only): closes
/// every fd >= `lowfd` in the child, so netlink sockets, netns fds and pipes
/// that lack O_CLOEXEC never leak into crun or nft.
int berth_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int lowfd);

/// A sealed in-memory copy of the executable at `path` (memfd_create,
/// then F_SEAL_SEAL|SHRINK|GROW|WRITE): run from it, crun and runc find
/// their binary already protected against being overwritten from inside
/// a container (CVE-2019-5736) and skip copying and re-executing
/// themselves on every run. The fd (close-on-exec), or -1 with errno.
int berth_sealed_copy(const char *path);

/// Whether `path` is on a tmpfs (statfs(2) f_type TMPFS_MAGIC): 1, 0, or
/// -1 with errno. <sys/vfs.h> is outside Swift's Glibc module.
int berth_is_tmpfs(const char *path);

// --- errno ----------------------------------------------------------------------

/// strerrorname_np (glibc 2.32, GNU-only): "EEXIST" for EEXIST; NULL when
/// unknown. Error messages carry the symbolic name users search for.
const char *berth_errno_name(int err);

/// strerrordesc_np (glibc 2.32, GNU-only): the text of strerror without its
/// shared static buffer, so it is safe from any thread; NULL when unknown.
const char *berth_errno_description(int err);

// --- netlink macros ---------------------------------------------------------------
// NLMSG_ALIGN, NLMSG_HDRLEN, RTA_ALIGN and RTA_LENGTH are function-like
// macros, which Swift cannot import; these inline functions carry the
// kernel's own definitions so Swift never restates the alignment rules.

/// NLMSG_ALIGN: netlink messages are padded to 4 bytes.
static inline size_t berth_nlmsg_align(size_t len) { return NLMSG_ALIGN(len); }

/// NLMSG_HDRLEN: the aligned size of struct nlmsghdr.
static inline size_t berth_nlmsg_hdrlen(void) { return NLMSG_HDRLEN; }

/// RTA_ALIGN: route attributes are padded to 4 bytes.
static inline size_t berth_rta_align(size_t len) { return RTA_ALIGN(len); }

/// RTA_LENGTH: header plus `len` payload bytes, the value of rta_len.
static inline size_t berth_rta_length(size_t len) { return RTA_LENGTH(len); }

/// NLA_TYPE_MASK: strips NLA_F_NESTED / NLA_F_NET_BYTEORDER from a type.
static inline uint16_t berth_nla_type(uint16_t type) { return type & NLA_TYPE_MASK; }

// --- memory ----------------------------------------------------------------

/// mallopt(M_ARENA_MAX, n): <malloc.h> is not in Swift's Glibc module. A
/// daemon with many threads otherwise gets an arena per busy thread.
int berth_limit_malloc_arenas(int arenas);

// --- terminals ---------------------------------------------------------------

/// Receives one byte and, if the peer attached one, a descriptor
/// (SCM_RIGHTS, made close-on-exec): crun's --console-socket hands over a
/// pty's master this way, and berth-shim the master it holds. CMSG_* are
/// macros Swift cannot import. Returns the bytes read (0 at EOF) or -1;
/// `*fd` is -1 when no descriptor came.
ssize_t berth_recv_fd(int sock, int *fd);

/// ioctl(TIOCSWINSZ) and ioctl(TIOCGWINSZ): ioctl is variadic, which Swift
/// cannot call.
int berth_set_window_size(int fd, unsigned short rows, unsigned short columns);
int berth_get_window_size(int fd, unsigned short *rows, unsigned short *columns);

#endif
