/*
 * Attaching: the shim listens on attach.sock in the container's directory.
 * A client (berthd, for `berth attach` and `run -it`) that connects gets one
 * byte, with the container's input descriptor attached (SCM_RIGHTS) when it
 * has one: the pty's master with --tty, the write end of the stdin pipe with
 * --stdin-open. The client writes input and sets the window size on that
 * descriptor itself; from the shim it receives everything the container
 * writes, as the shim reads it (also written to json.log), until the
 * container has exited and its output is drained, when the connection closes.
 *
 * Because the shim holds the master, the terminal outlives berthd: a new
 * berthd connects again. A client that does not keep up has its output
 * queued up to 1 MiB, then is disconnected; the container never waits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim.h"
#include "shim_attach.h"

#define PENDING_MAX (1 << 20)

static struct client {
    int fd; /* -1: a free slot */
    unsigned char *pending;
    size_t len;
} clients[ATTACH_MAX_CLIENTS];

static int listener = -1;
static int input_fd = -1;

int unix_listen(const char *name) {
    unlink(name);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(name) >= sizeof addr.sun_path) {
        close(fd);
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(addr.sun_path, name);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 8) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int recv_fd(int sock) {
    char byte;
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
    if (n <= 0) return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int fd;
            memcpy(&fd, CMSG_DATA(c), sizeof fd);
            return fd;
        }
    }
    return -1;
}

int attach_open(int input) {
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) clients[i].fd = -1;
    input_fd = input;
    listener = unix_listen("attach.sock");
    return listener;
}

void attach_set_input(int input) { input_fd = input; }

/* The one byte a new client gets, with the input descriptor if any. */
static int greet(int fd) {
    char byte = input_fd >= 0 ? 'i' : 'o';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (input_fd >= 0) {
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof control.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &input_fd, sizeof(int));
    }
    return sendmsg(fd, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static void drop(struct client *c) {
    close(c->fd);
    c->fd = -1;
    free(c->pending);
    c->pending = NULL;
    c->len = 0;
}

static void accept_clients(void) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;
        struct client *slot = NULL;
        for (int i = 0; i < ATTACH_MAX_CLIENTS && !slot; i++)
            if (clients[i].fd < 0) slot = &clients[i];
        if (!slot || greet(fd) < 0) {
            close(fd);
            continue;
        }
        slot->fd = fd;
    }
}

/* Queues what a client could not take now; past PENDING_MAX it is dropped. */
static void queue(struct client *c, const unsigned char *data, size_t n) {
    if (c->len + n > PENDING_MAX) {
        drop(c);
        return;
    }
    if (!c->pending && !(c->pending = malloc(PENDING_MAX))) {
        drop(c);
        return;
    }
    memcpy(c->pending + c->len, data, n);
    c->len += n;
}

void attach_forward(const unsigned char *data, size_t n) {
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
        struct client *c = &clients[i];
        if (c->fd < 0) continue;
        if (c->len > 0) {
            queue(c, data, n);
            continue;
        }
        ssize_t w = send(c->fd, data, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w == (ssize_t)n) continue;
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            drop(c);
            continue;
        }
        if (w < 0) w = 0;
        queue(c, data + w, n - (size_t)w);
    }
}

/* Sends what is queued for a client; false when it went away. */
static void flush(struct client *c) {
    ssize_t w = send(c->fd, c->pending, c->len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0) {
        if (errno != EAGAIN && errno != EINTR) drop(c);
        return;
    }
    memmove(c->pending, c->pending + w, c->len - (size_t)w);
    c->len -= (size_t)w;
}

int attach_poll_fds(struct pollfd *p) {
    int k = 0;
    if (listener >= 0) p[k++] = (struct pollfd){listener, POLLIN, 0};
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
        if (clients[i].fd < 0) continue;
        p[k++] = (struct pollfd){clients[i].fd, (short)(POLLIN | (clients[i].len ? POLLOUT : 0)), 0};
    }
    return k;
}

void attach_handle(const struct pollfd *p, int count) {
    for (int k = 0; k < count; k++) {
        if (!p[k].revents) continue;
        if (p[k].fd == listener) {
            accept_clients();
            continue;
        }
        for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
            struct client *c = &clients[i];
            if (c->fd != p[k].fd) continue;
            if (p[k].revents & (POLLIN | POLLHUP | POLLERR)) {
                /* Clients send nothing; a read of 0 is their leaving. */
                char sink[256];
                ssize_t r = recv(c->fd, sink, sizeof sink, MSG_DONTWAIT);
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                    drop(c);
                    break;
                }
            }
            if ((p[k].revents & POLLOUT) && c->len) flush(c);
        }
    }
}

void attach_close(void) {
    /* What is still queued gets a second to go out, then everyone sees EOF. */
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
        struct client *c = &clients[i];
        if (c->fd < 0) continue;
        for (int tries = 0; c->fd >= 0 && c->len > 0 && tries < 100; tries++) {
            struct pollfd p = {c->fd, POLLOUT, 0};
            if (poll(&p, 1, 10) > 0) flush(c);
        }
        if (c->fd >= 0) drop(c);
    }
    if (listener >= 0) {
        close(listener);
        listener = -1;
        unlink("attach.sock");
    }
}
