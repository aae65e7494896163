/*
 * The json-file log writer: docker's format, so that tools that read
 * /var/lib/docker/containers/<id>/<id>-json.log read Berth's logs too.
 *
 *   {"log":"text\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}
 *
 * One entry per line of output, escaped as Go's encoding/json does (HTML
 * characters as \u003c..., invalid UTF-8 as \ufffd), each written with one
 * write(2) so that a reader never sees half an entry. Rotation follows
 * docker's: when an entry would take json.log past the maximum size, json.log
 * becomes json.log.1, .1 becomes .2, and so on; the oldest falls off.
 * With --log-compress a thread gzips json.log.1 into json.log.1.gz while
 * the container's output goes on into the new json.log, as docker
 * compresses in the background; the next rotation waits for it first.
 *
 * A disk that fills must not stop the container: output is still read (so
 * the container never blocks on a full pipe), counted and dropped, writing
 * is tried again once a second, and the first entry that fits again says
 * how much was lost. With --log-driver none nothing is kept; with syslog
 * each line goes to /dev/log as one datagram (journald reads it there too).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "shim.h"

static int log_fd = -1;
static long long log_size;
/* Escaping takes at most 6 bytes per input byte (\u00XX). Static, so that
 * only the pages a long line touches count towards the shim's memory. */
static char entry[LOG_LINE_MAX * 6 + 160];
static unsigned char chunk[65536];

/* Go's RFC3339Nano in UTC, trailing zeros of the fraction trimmed: the form
 * docker writes in "time". */
int format_time(char *out, size_t cap, const struct timespec *ts) {
    struct tm tm;
    gmtime_r(&ts->tv_sec, &tm);
    int n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (ts->tv_nsec != 0) {
        char frac[16];
        snprintf(frac, sizeof frac, ".%09ld", ts->tv_nsec);
        int k = 10;
        while (frac[k - 1] == '0') k--;
        frac[k] = 0;
        n += snprintf(out + n, cap - (size_t)n, "%s", frac);
    }
    n += snprintf(out + n, cap - (size_t)n, "Z");
    return n;
}

/* Output that could not be written since the last failure, and when to
 * try again: a failing disk is retried once a second, not once a line. */
static struct {
    int failing;
    int error;
    long long bytes, lines, retry_at;
} lost;

static long long monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* /dev/log as a connected datagram socket; -1 while nothing listens. */
static int syslog_open(void) {
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "/dev/log");
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int log_open(void) {
    if (opt.log_driver == LOG_NONE) return 0;
    if (opt.log_driver == LOG_SYSLOG) {
        log_fd = syslog_open();
        if (log_fd < 0) note("connect /dev/log: %s; lines are dropped until it answers", strerror(errno));
        return 0;
    }
    log_fd = open("json.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (log_fd < 0) return -1;
    struct stat st;
    log_size = fstat(log_fd, &st) == 0 ? (long long)st.st_size : 0;
    return 0;
}

static pthread_t compressor;
static int compressing;

/* json.log.1 into json.log.1.gz (through a temporary name, so that a reader
 * sees the plain file or the whole .gz), then the plain one goes. A failure
 * (a full disk) keeps json.log.1 as it is: readers take either form. */
static void *compress_rotated(void *unused) {
    (void)unused;
    static unsigned char buf[65536]; /* only one compressor runs at a time */
    const char *tmp = "json.log.1.gz.tmp";
    int in = open("json.log.1", O_RDONLY | O_CLOEXEC);
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    gzFile gz = out >= 0 ? gzdopen(out, "wb") : NULL;
    int ok = in >= 0 && gz != NULL;
    if (!ok) note("compress json.log.1: %s", strerror(errno));
    for (ssize_t n; ok && (n = read(in, buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || gzwrite(gz, buf, (unsigned)n) != (int)n) {
            note("compress json.log.1: %s", n < 0 ? strerror(errno) : "write failed");
            ok = 0;
        }
    }
    if (gz != NULL) {
        if (gzclose(gz) != Z_OK && ok) {
            note("compress json.log.1: closing json.log.1.gz failed");
            ok = 0;
        }
    } else if (out >= 0) {
        close(out);
    }
    if (in >= 0) close(in);
    if (ok && rename(tmp, "json.log.1.gz") == 0) unlink("json.log.1");
    else unlink(tmp);
    return NULL;
}

void log_close(void) {
    if (!compressing) return;
    pthread_join(compressor, NULL);
    compressing = 0;
}

static void rotate(void) {
    if (opt.log_max_files <= 1) {
        /* No rotated files kept: start the one file over, as docker does. */
        if (ftruncate(log_fd, 0) < 0) note("truncate json.log: %s", strerror(errno));
        log_size = 0;
        return;
    }
    log_close();
    char from[40], to[40];
    /* The oldest falls off in either form; the others move up one. */
    for (int i = opt.log_max_files - 1; i >= 1; i--) {
        for (int gz = 0; gz <= 1; gz++) {
            snprintf(to, sizeof to, "json.log.%d%s", i, gz ? ".gz" : "");
            if (i == opt.log_max_files - 1) unlink(to);
            if (i == 1 && gz) continue; /* json.log itself is never compressed */
            if (i == 1) snprintf(from, sizeof from, "json.log");
            else snprintf(from, sizeof from, "json.log.%d%s", i - 1, gz ? ".gz" : "");
            if (rename(from, to) < 0 && errno != ENOENT) note("rotate %s: %s", from, strerror(errno));
        }
    }
    close(log_fd);
    if (log_open() < 0) note("reopen json.log: %s", strerror(errno));
    if (!opt.log_compress) return;
    if (pthread_create(&compressor, NULL, compress_rotated, NULL) == 0) compressing = 1;
    else note("compress json.log.1: cannot start a thread; it stays uncompressed");
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one (the
 * checks are those of Go's utf8.DecodeRune: no overlongs, no surrogates). */
static size_t utf8_length(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return len;
}

static size_t escape(char *out, const unsigned char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t k = utf8_length(s + i, n - i);
            if (k == 0) {
                memcpy(out + o, "\\ufffd", 6), o += 6, i++;
            } else if (k == 3 && c == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
                /* U+2028/2029 end a line in JavaScript; Go escapes them. */
                memcpy(out + o, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6), o += 6, i += 3;
            } else {
                memcpy(out + o, s + i, k), o += k, i += k;
            }
            continue;
        }
        i++;
        switch (c) {
        case '"': out[o++] = '\\', out[o++] = '"'; break;
        case '\\': out[o++] = '\\', out[o++] = '\\'; break;
        case '\n': out[o++] = '\\', out[o++] = 'n'; break;
        case '\r': out[o++] = '\\', out[o++] = 'r'; break;
        case '\t': out[o++] = '\\', out[o++] = 't'; break;
        default:
            if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                memcpy(out + o, "\\u00", 4), o += 4;
                out[o++] = hex[c >> 4], out[o++] = hex[c & 15];
            } else {
                out[o++] = (char)c;
            }
        }
    }
    return o;
}

static void append(size_t *o, const char *text) {
    size_t k = strlen(text);
    memcpy(entry + *o, text, k);
    *o += k;
}

/* Appends one entry to json.log, rotating first when it would not fit. A
 * write cut short (ENOSPC half-way) is cut off again, so that the next
 * entry starts a line of its own. */
static int put(const char *buf, size_t n) {
    if (opt.log_max_size > 0 && log_size > 0 && log_size + (long long)n > opt.log_max_size) rotate();
    if (log_fd < 0) return -1;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(log_fd, buf + done, n - done);
        if (w >= 0) {
            done += (size_t)w;
            continue;
        }
        if (errno == EINTR) continue;
        int error = errno;
        struct stat st;
        if (done > 0 && fstat(log_fd, &st) == 0 && st.st_size >= (off_t)done &&
            ftruncate(log_fd, st.st_size - (off_t)done) < 0) { /* left as it is: a reader skips it */ }
        errno = error;
        return -1;
    }
    log_size += (long long)n;
    return 0;
}

/* The entry saying what a failing disk cost, written before the first one
 * that fits again; 0 while it still does not fit. */
static int recover(const char *when) {
    char text[256], line[512];
    int k = snprintf(text, sizeof text, "berth-shim: json.log could not be written (%s): %lld bytes in %lld lines dropped",
                     strerror(lost.error), lost.bytes, lost.lines);
    int n = snprintf(line, sizeof line, "{\"log\":\"%.*s\\n\",\"stream\":\"stderr\",\"time\":\"%s\"}\n", k, text, when);
    if (put(line, (size_t)n) < 0) {
        lost.retry_at = monotonic_ms() + 1000;
        return 0;
    }
    note("json.log written again after %lld bytes in %lld lines were dropped", lost.bytes, lost.lines);
    lost.failing = 0, lost.bytes = 0, lost.lines = 0;
    return 1;
}

/* One line to /dev/log: <facility daemon, info or err>, the time, the
 * container as the tag, the text. Reconnects at most once a second. */
static void send_syslog(const char *stream, const unsigned char *text, size_t n) {
    if (log_fd < 0) {
        if (monotonic_ms() < lost.retry_at) return;
        lost.retry_at = monotonic_ms() + 1000;
        if ((log_fd = syslog_open()) < 0) return;
    }
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char head[160];
    size_t h = strftime(head, sizeof head, "%b %e %H:%M:%S ", &tm);
    int pri = 3 * 8 + (strcmp(stream, "stderr") == 0 ? 3 : 6);
    int k = snprintf(entry, sizeof entry, "<%d>%.*s%.64s[%d]: ", pri, (int)h, head, opt.id, (int)getpid());
    memcpy(entry + k, text, n);
    if (send(log_fd, entry, (size_t)k + n, MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
        close(log_fd);
        log_fd = -1;
    }
}

static void emit(const char *stream, const unsigned char *text, size_t n, int newline, const char *when) {
    if (opt.log_driver == LOG_NONE) return;
    if (opt.log_driver == LOG_SYSLOG) {
        send_syslog(stream, text, n);
        return;
    }
    if (lost.failing && (monotonic_ms() < lost.retry_at || !recover(when))) {
        lost.bytes += (long long)n + newline, lost.lines += newline;
        return;
    }
    size_t o = 0;
    append(&o, "{\"log\":\"");
    o += escape(entry + o, text, n);
    if (newline) append(&o, "\\n");
    append(&o, "\",\"stream\":\"");
    append(&o, stream);
    append(&o, "\",\"time\":\"");
    append(&o, when);
    append(&o, "\"}\n");
    if (put(entry, o) == 0) return;
    int error = errno;
    if (!lost.failing) note("write json.log: %s; output is dropped until it can be written", strerror(error));
    lost.failing = 1, lost.error = error, lost.retry_at = monotonic_ms() + 1000;
    lost.bytes += (long long)n + newline, lost.lines += newline;
}

/* Splits what the pipe gave into entries; a line not yet finished waits in
 * the stream's buffer until its newline comes or the buffer is full. */
static void feed(struct log_stream *s, const unsigned char *data, size_t n, const char *when) {
    while (n > 0) {
        size_t room = LOG_LINE_MAX - s->len;
        const unsigned char *nl = memchr(data, '\n', n < room ? n : room);
        if (nl) {
            size_t k = (size_t)(nl - data);
            if (s->len == 0) {
                emit(s->name, data, k, 1, when);
            } else {
                memcpy(s->line + s->len, data, k);
                emit(s->name, s->line, s->len + k, 1, when);
                s->len = 0;
            }
            data += k + 1, n -= k + 1;
        } else if (n < room) {
            memcpy(s->line + s->len, data, n);
            s->len += n, n = 0;
        } else {
            memcpy(s->line + s->len, data, room);
            emit(s->name, s->line, LOG_LINE_MAX, 0, when);
            s->len = 0;
            data += room, n -= room;
        }
    }
}

static void stamp_now(char *when, size_t cap) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    format_time(when, cap, &ts);
}

/* Reads what is there (poll said so); EOF or an error closes the stream
 * (a pty master reads EIO once the container's last process is gone). */
void log_pump(struct log_stream *s) {
    if (s->fd < 0) return;
    ssize_t n = read(s->fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        close(s->fd);
        s->fd = -1;
        return;
    }
    char when[48];
    stamp_now(when, sizeof when);
    feed(s, chunk, (size_t)n, when);
    attach_forward(chunk, (size_t)n);
}

/* Writes a last line that had no newline, as docker does at EOF, and a
 * last try at saying what a full disk cost, whenever it was last tried. */
void log_finish(struct log_stream *s) {
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    char when[48];
    stamp_now(when, sizeof when);
    lost.retry_at = 0;
    if (s->len > 0) emit(s->name, s->line, s->len, 0, when);
    s->len = 0;
    if (lost.failing) recover(when);
}
