/*
 * berth-shim: one small process per container, as conmon is for podman.
 *
 * berthd starts it for each container. It detaches from berthd (fork, setsid,
 * fork) so that killing or restarting berthd leaves the container and its log
 * running; it is the child subreaper of the container's init (crun's child,
 * orphaned when crun exits), so it alone can wait for the exit status; it
 * holds the container's stdout/stderr pipes and writes them as docker's
 * json-file log; and it records the exit status in exit.json. It is C because
 * there is one per container: it must stay well under 2 MiB resident.
 *
 *   berth-shim --id ID --dir DIR --crun PATH [--crun-root DIR] [--mode create|run]
 *              [--cgroup PATH] [--log-max-size BYTES] [--log-max-files N] [--log-compress] [--ready-fd FD]
 *              [--log-driver json-file|none|syslog]
 *              [--tty] [--stdin-open]
 *
 * DIR is the OCI bundle (config.json) and receives json.log (.1, .2, ... when
 * rotated), shim.pid, container.pid, crun.log and exit.json. The same DIR may
 * be run again after its container exited (berthd's `start` of an exited
 * container): the log is appended to, and the last run's exit.json removed
 * once the new shim.pid is in place. --mode create
 * runs `crun create` (berthd runs `crun start` later: docker's create/start
 * split); --mode run runs `crun run --detach`, which creates and starts in one
 * crun process: each crun exec costs about 2.5 ms of dynamic linking before it
 * does anything, a third of a whole `crun run`, so a create that is followed by
 * a start at once pays it once. The ready fd receives one line, "ok <pid>" once
 * crun has succeeded or "error <text>", and is closed.
 *
 * With --tty (the bundle says "terminal": true) crun makes the container a
 * pty and sends its master to console.sock; the shim holds it, logs what it
 * reads there as stdout, and lends it to clients of attach.sock
 * (shim_attach.c). With --stdin-open the init's stdin is a pipe whose write
 * end the shim keeps open and lends the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include "shim_attach.h"

struct shim_options opt = {.mode = "create", .log_max_files = 1, .ready_fd = -1};

/* Writes all of buf, retrying short writes and EINTR; a pipe or disk error is
 * reported once to shim.log by the caller that cares. */
int write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int in_dir; /* set once cwd is the container's directory */

/* Appends a line to shim.log: once detached the shim has no stderr. Before
 * the chdir into the container's directory there is nowhere of ours to
 * write, and errors go to berthd on the ready fd instead. */
void note(const char *fmt, ...) {
    if (!in_dir) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    int fd = open("shim.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return;
    (void)write_all(fd, buf, (size_t)n);
    close(fd);
}

/* Sends berthd the one line it waits for, then closes the fd so that a
 * berthd that dies later never blocks the shim. */
static void ready(const char *fmt, ...) {
    if (opt.ready_fd < 0) return;
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    (void)write_all(opt.ready_fd, buf, (size_t)n); /* EPIPE: berthd is gone, fine */
    close(opt.ready_fd);
    opt.ready_fd = -1;
}

/* Reports a failure before the container exists, and exits. */
static void fail(const char *fmt, ...) {
    char buf[3072];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    note("%s", buf);
    ready("error %s", buf);
    if (in_dir) unlink("shim.pid");
    _exit(1);
}

/* Replaces name through a temporary file and rename(2), so that a reader
 * (berthd waiting on exit.json) never sees half a file. */
static int write_file_atomic(const char *name, const char *data, size_t n) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    int bad = write_all(fd, data, n);
    if (close(fd) < 0) bad = -1;
    if (bad == 0 && rename(tmp, name) == 0) return 0;
    unlink(tmp);
    return -1;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void parse_options(int argc, char **argv) {
    static const struct option longs[] = {
        {"id", required_argument, 0, 'i'},        {"dir", required_argument, 0, 'd'},
        {"crun", required_argument, 0, 'c'},      {"crun-root", required_argument, 0, 'r'},
        {"mode", required_argument, 0, 'm'},      {"cgroup", required_argument, 0, 'g'},
        {"log-max-size", required_argument, 0, 's'}, {"log-max-files", required_argument, 0, 'f'},
        {"log-driver", required_argument, 0, 'L'}, {"log-compress", no_argument, 0, 'z'},
        {"ready-fd", required_argument, 0, 'R'},  {"tty", no_argument, 0, 't'},
        {"stdin-open", no_argument, 0, 'o'},      {0, 0, 0, 0},
    };
    int c;
    opterr = 0; /* a bad option is reported once, through fail() */
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'i': opt.id = optarg; break;
        case 'd': opt.dir = optarg; break;
        case 'c': opt.crun = optarg; break;
        case 'r': opt.crun_root = optarg; break;
        case 'm': opt.mode = optarg; break;
        case 'g': opt.cgroup = optarg; break;
        case 's': opt.log_max_size = atoll(optarg); break;
        case 'f': opt.log_max_files = atoi(optarg); break;
        case 'z': opt.log_compress = 1; break;
        case 'L':
            if (strcmp(optarg, "json-file") == 0) opt.log_driver = LOG_JSON_FILE;
            else if (strcmp(optarg, "none") == 0) opt.log_driver = LOG_NONE;
            else if (strcmp(optarg, "syslog") == 0) opt.log_driver = LOG_SYSLOG;
            else fail("berth-shim: --log-driver must be json-file, none or syslog, not %s", optarg);
            break;
        case 'R': opt.ready_fd = atoi(optarg); break;
        case 't': opt.tty = 1; break;
        case 'o': opt.stdin_open = 1; break;
        default: fail("berth-shim: unknown option (see the usage in shim.c)");
        }
    }
    if (!opt.id || !opt.dir || !opt.crun) fail("berth-shim: --id, --dir and --crun are required");
    if (strcmp(opt.mode, "create") != 0 && strcmp(opt.mode, "run") != 0)
        fail("berth-shim: --mode must be create or run, not %s", opt.mode);
    if (opt.dir[0] != '/') fail("berth-shim: --dir must be absolute, not %s", opt.dir);
    /* 0-2 become /dev/null once detached: a ready fd there would be lost. */
    if (opt.ready_fd >= 0 && opt.ready_fd < 3) fail("berth-shim: --ready-fd must be 3 or above, not %d", opt.ready_fd);
}

/* Leaves berthd's session and process tree: fork, setsid, fork. The process
 * berthd started waits for its child (which forks the shim and exits) so that
 * this child leaves no zombie behind for PID 1, which on some hosts never
 * reaps; the grandchild is the shim, not a session leader, so it can never
 * acquire a terminal. */
static void detach(void) {
    pid_t a = fork();
    if (a < 0) fail("berth-shim %s: fork: %s", opt.id, strerror(errno));
    if (a > 0) {
        int status;
        while (waitpid(a, &status, 0) < 0 && errno == EINTR) {}
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
    }
    if (setsid() < 0) fail("berth-shim %s: setsid: %s", opt.id, strerror(errno));
    /* The shim waits at this gate until its parent has written shim.pid and
     * removed an old exit.json, and exits. */
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) < 0) fail("berth-shim %s: pipe: %s", opt.id, strerror(errno));
    pid_t b = fork();
    if (b < 0) fail("berth-shim %s: fork: %s", opt.id, strerror(errno));
    if (b > 0) {
        close(gate[0]);
        /* shim.pid is there before the process berthd started returns: a
         * waiter that finds neither it nor exit.json may take the shim for
         * dead, so there must be no moment when a live shim has none. */
        char text[32];
        int n = snprintf(text, sizeof text, "%d\n", (int)b);
        if (write_file_atomic("shim.pid", text, (size_t)n) < 0) {
            kill(b, SIGKILL);
            fail("berth-shim %s: write shim.pid: %s", opt.id, strerror(errno));
        }
        /* A relaunch (`start` of an exited container) finds the last run's
         * exit.json. It goes only now that shim.pid names the new shim, for
         * the same reason, and before the shim runs crun, so that the new
         * run's record can never be the one removed. */
        if (unlink("exit.json") < 0 && errno != ENOENT) {
            kill(b, SIGKILL);
            fail("berth-shim %s: remove the last run's exit.json: %s", opt.id, strerror(errno));
        }
        _exit(0); /* closes gate[1]: the shim reads EOF and goes on */
    }
    close(gate[1]);
    char byte;
    while (read(gate[0], &byte, 1) < 0 && errno == EINTR) {}
    close(gate[0]);
}

/* Runs crun with the container's stdout/stderr as its own; crun hands them
 * down to the container's init (with --tty crun gives it the pty instead).
 * in_r: the stdin pipe's read end, or -1. */
static pid_t spawn_crun(int out_w, int err_w, int in_r) {
    char bundle_log[4200], pid_file[4200];
    snprintf(bundle_log, sizeof bundle_log, "--log=%s/crun.log", opt.dir);
    snprintf(pid_file, sizeof pid_file, "%s/container.pid", opt.dir);
    const char *argv[20];
    int a = 0;
    argv[a++] = opt.crun;
    if (opt.crun_root) { argv[a++] = "--root"; argv[a++] = opt.crun_root; }
    argv[a++] = bundle_log;
    if (strcmp(opt.mode, "run") == 0) { argv[a++] = "run"; argv[a++] = "--detach"; }
    else argv[a++] = "create";
    argv[a++] = "--bundle"; argv[a++] = opt.dir;
    argv[a++] = "--pid-file"; argv[a++] = pid_file;
    /* Relative: crun runs in the bundle, which is our cwd, and a deep
     * directory would not fit a socket address. */
    if (opt.tty) { argv[a++] = "--console-socket"; argv[a++] = "console.sock"; }
    argv[a++] = opt.id;
    argv[a] = NULL;

    pid_t pid = fork();
    if (pid != 0) return pid;
    /* The child: undo what the shim set for itself. A blocked SIGCHLD and an
     * ignored SIGPIPE would both survive exec into the container. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    /* stdin: the container directory's `stdin` file when berthd wrote one
     * (`berth run < file`), else /dev/null. */
    char stdin_path[4200];
    snprintf(stdin_path, sizeof stdin_path, "%s/stdin", opt.dir);
    int input = in_r >= 0 ? in_r : open(stdin_path, O_RDONLY);
    if (input < 0) input = open("/dev/null", O_RDONLY);
    if (input < 0 || dup2(input, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0) _exit(126);
    execv(opt.crun, (char *const *)argv);
    _exit(127);
}

/* The first line of crun.log, for an error message berthd can show. */
static void crun_message(char *out, size_t cap) {
    out[0] = 0;
    int fd = open("crun.log", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, out, cap - 1);
    close(fd);
    if (n <= 0) { out[0] = 0; return; }
    out[n] = 0;
    for (ssize_t i = 0; i < n; i++)
        if (out[i] == '\n' || out[i] == '\r') out[i] = ' ';
}

static pid_t read_pid_file(const char *name) {
    char buf[32];
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    long v = strtol(buf, NULL, 10);
    return v > 0 ? (pid_t)v : -1;
}

/* The kernel's count of OOM kills in the container's memory cgroup (v1
 * memory.oom_control, else v2 memory.events); read before `crun delete`
 * removes the cgroup. */
static long oom_kills(void) {
    if (!opt.cgroup) return 0;
    const char *where[2] = {"/sys/fs/cgroup/memory%s/memory.oom_control", "/sys/fs/cgroup%s/memory.events"};
    for (int i = 0; i < 2; i++) {
        char path[4200], buf[1024];
        snprintf(path, sizeof path, where[i], opt.cgroup);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) continue;
        buf[n] = 0;
        const char *p = strstr(buf, "oom_kill ");
        return p ? atol(p + 9) : 0;
    }
    return 0;
}

static void write_exit(int status, const struct timespec *when, pid_t pid) {
    int code = 255, sig = 0;
    if (WIFEXITED(status)) code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) { sig = WTERMSIG(status); code = 128 + sig; }
    char stamp[48], sigtext[16], buf[256];
    format_time(stamp, sizeof stamp, when);
    if (sig) snprintf(sigtext, sizeof sigtext, "%d", sig);
    else strcpy(sigtext, "null");
    int n = snprintf(buf, sizeof buf,
                     "{\"exitCode\":%d,\"signal\":%s,\"oomKilled\":%s,\"finishedAt\":\"%s\",\"pid\":%d}\n", code,
                     sigtext, oom_kills() > 0 ? "true" : "false", stamp, (int)pid);
    if (write_file_atomic("exit.json", buf, (size_t)n) < 0) note("write exit.json: %s", strerror(errno));
}

/* What the shim learns about the container's run as it goes. */
struct run {
    pid_t crun;      /* the crun process, until it exits */
    pid_t container; /* the container's init; -1 until crun has said */
    int exited;      /* the container has exited: status and finished hold it */
    int status;
    struct timespec finished;
};

/* Children reaped before crun said which pid is the container: with --mode
 * run a short-lived container can exit before crun itself does. */
static struct { pid_t pid; int status; struct timespec when; } early[32];
static int early_count;

/* Drops every descriptor berthd let slip through (its sockets, other
 * containers' pipes) but the ready fd: a held pipe end would keep some
 * other reader from ever seeing EOF. */
static void close_inherited_fds(void) {
    if (opt.ready_fd > 3) close_range(3, (unsigned)opt.ready_fd - 1, 0);
    close_range(opt.ready_fd >= 3 ? (unsigned)opt.ready_fd + 1 : 3, ~0U, 0);
}

/* Moves into the container's directory, leaves berthd's session (detach),
 * becomes the subreaper that alone can wait for the container's init, and
 * puts /dev/null on 0-2. */
static void settle(void) {
    if (chdir(opt.dir) < 0) fail("berth-shim %s: chdir %s: %s", opt.id, opt.dir, strerror(errno));
    in_dir = 1;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    detach();
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) fail("berth-shim %s: PR_SET_CHILD_SUBREAPER: %s", opt.id, strerror(errno));
    int devnull = open("/dev/null", O_RDWR);
    if (devnull < 0) fail("berth-shim %s: open /dev/null: %s", opt.id, strerror(errno));
    dup2(devnull, 0), dup2(devnull, 1), dup2(devnull, 2);
    if (devnull > 2) close(devnull);
}

/* SIGCHLD through a signalfd, blocked before crun is forked so that no
 * exit can slip by between fork and poll. */
static int child_signals(void) {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    return signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* --tty: the socket crun sends the pty's master to, and the master, read
 * as the container's stdout. */
static int console_listener = -1;
static struct log_stream term = {.name = "stdout", .fd = -1};

/* Takes the master crun sent (waiting up to ms for it): it becomes a log
 * stream and the descriptor attach clients get. */
static void take_console(int ms) {
    if (console_listener < 0) return;
    struct pollfd p = {console_listener, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return;
    int conn = accept4(console_listener, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) return;
    int master = recv_fd(conn);
    close(conn);
    if (master < 0) return;
    close(console_listener);
    console_listener = -1;
    unlink("console.sock");
    term.fd = master;
    attach_set_input(master);
}

/* crun has exited: a failure ends the shim; otherwise the container's pid
 * is read, berthd is told, and an exit reaped before that is claimed. */
static void crun_exited(struct run *run, int status) {
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char msg[2048];
        crun_message(msg, sizeof msg);
        fail("crun %s %s failed (status %d): %s", opt.mode, opt.id,
             WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), msg);
    }
    run->container = read_pid_file("container.pid");
    if (run->container < 0) fail("crun %s %s: no pid in container.pid", opt.mode, opt.id);
    /* The master is in before berthd hears "ok": `run -it` attaches next. */
    if (opt.tty && term.fd < 0) take_console(2000);
    if (opt.tty && term.fd < 0) fail("crun %s %s: no terminal came on console.sock", opt.mode, opt.id);
    ready("ok %d", (int)run->container);
    for (int i = 0; i < early_count; i++) {
        if (early[i].pid != run->container) continue;
        run->exited = 1;
        run->status = early[i].status;
        run->finished = early[i].when;
    }
}

/* Reaps every child that has exited: crun, the container, or a process
 * that exited before crun said which one is the container. */
static void reap(struct run *run) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct timespec when;
        clock_gettime(CLOCK_REALTIME, &when);
        if (pid == run->crun) {
            crun_exited(run, status);
        } else if (pid == run->container) {
            run->exited = 1;
            run->status = status;
            run->finished = when;
        } else if (run->container < 0 && early_count < 32) {
            early[early_count].pid = pid;
            early[early_count].status = status;
            early[early_count++].when = when;
        }
    }
}

/* Writes the container's output to json.log and reaps children until the
 * container has exited and both pipes are drained. */
static void supervise(int sfd, struct log_stream *out, struct log_stream *err, struct run *run) {
    long long drain_deadline = 0;
    for (;;) {
        if (run->exited && out->fd < 0 && err->fd < 0 && term.fd < 0) break;
        int timeout = -1;
        if (run->exited) {
            /* The pid namespace dies with its init, so EOF follows at once;
             * the deadline only guards against a pipe held from outside. */
            long long left = drain_deadline - now_ms();
            if (left <= 0) break;
            timeout = (int)left;
        }
        struct pollfd p[5 + 1 + ATTACH_MAX_CLIENTS] = {
            {sfd, POLLIN, 0}, {out->fd, POLLIN, 0}, {err->fd, POLLIN, 0}, {term.fd, POLLIN, 0},
            {console_listener, POLLIN, 0}};
        int extra = attach_poll_fds(p + 5);
        if (poll(p, (nfds_t)(5 + extra), timeout) < 0) {
            if (errno == EINTR) continue;
            note("poll: %s", strerror(errno));
            break;
        }
        if (p[1].revents) log_pump(out);
        if (p[2].revents) log_pump(err);
        if (p[3].revents) {
            log_pump(&term);
            /* Closed: a new client must not get the number of some other file. */
            if (term.fd < 0) attach_set_input(-1);
        }
        if (p[4].revents) take_console(0);
        attach_handle(p + 5, extra);
        if (!p[0].revents) continue;
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {}
        reap(run);
        if (run->exited && drain_deadline == 0) drain_deadline = now_ms() + 2000;
    }
}

int main(int argc, char **argv) {
    parse_options(argc, argv);
    close_inherited_fds();
    settle();
    int sfd = child_signals();
    int outp[2], errp[2];
    if (sfd < 0 || pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
        fail("berth-shim %s: signalfd/pipe: %s", opt.id, strerror(errno));
    if (log_open() < 0) fail("berth-shim %s: open the log: %s", opt.id, strerror(errno));

    int in_pipe[2] = {-1, -1};
    /* A socket pair rather than a pipe: berthd writes to it with
     * MSG_NOSIGNAL, so a container that closed its stdin is no SIGPIPE. */
    if (opt.stdin_open && !opt.tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pipe) < 0)
        fail("berth-shim %s: stdin pipe: %s", opt.id, strerror(errno));
    if (opt.tty && (console_listener = unix_listen("console.sock")) < 0)
        fail("berth-shim %s: listen on console.sock: %s", opt.id, strerror(errno));
    /* Without it `attach` cannot work, but the container can. */
    if (attach_open(in_pipe[1]) < 0) note("listen on attach.sock: %s", strerror(errno));

    struct run run = {.container = -1};
    run.crun = spawn_crun(outp[1], errp[1], in_pipe[0]);
    if (run.crun < 0) fail("berth-shim %s: fork crun: %s", opt.id, strerror(errno));
    close(outp[1]);
    close(errp[1]);
    if (in_pipe[0] >= 0) close(in_pipe[0]);
    struct log_stream out = {.name = "stdout", .fd = outp[0]}, err = {.name = "stderr", .fd = errp[0]};
    supervise(sfd, &out, &err, &run);
    log_finish(&out);
    log_finish(&err);
    log_finish(&term);
    log_close();
    attach_close();
    /* exit.json first, then shim.pid: whoever sees shim.pid gone can rely
     * on exit.json being there, or on the shim having died without one. */
    write_exit(run.status, &run.finished, run.container);
    unlink("shim.pid");
    return 0;
}
