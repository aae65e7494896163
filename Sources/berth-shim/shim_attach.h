/* attach.sock: clients that relay the container's terminal or stdin (shim_attach.c). */
#ifndef BERTH_SHIM_ATTACH_H
#define BERTH_SHIM_ATTACH_H

#include <poll.h>

#define ATTACH_MAX_CLIENTS 8

/* A non-blocking listening socket at name (relative to the cwd), replacing a stale one. */
int unix_listen(const char *name);
/* Reads one byte and returns the descriptor that came with it, or -1. */
int recv_fd(int sock);
/* Listens on attach.sock; clients get `input` (or no descriptor when -1). */
int attach_open(int input);
/* The descriptor new clients get from now on. */
void attach_set_input(int input);
/* Fills p with the listener and the clients; returns how many. */
int attach_poll_fds(struct pollfd *p);
/* Acts on what poll reported for those entries. */
void attach_handle(const struct pollfd *p, int count);
/* Flushes what is queued (briefly), closes every client and the listener. */
void attach_close(void);

#endif
