/* What shim.c and shim_log.c share: the options and the json-file writer. */
#ifndef BERTH_SHIM_H
#define BERTH_SHIM_H

#include <stddef.h>
#include <time.h>

/* The command line, parsed once in main. */
struct shim_options {
    const char *id, *dir, *crun, *crun_root, *mode, *cgroup;
    long long log_max_size; /* bytes per json.log file; 0: never rotate */
    int log_max_files;      /* json.log plus this many minus one rotated files */
    int log_driver;         /* LOG_JSON_FILE, LOG_NONE or LOG_SYSLOG (--log-driver) */
    int log_compress;       /* --log-compress: rotated files are gzipped (json.log.1.gz) */
    int ready_fd;
    int tty;        /* --tty: crun makes a pty and sends its master to console.sock */
    int stdin_open; /* --stdin-open: the init's stdin is a pipe the shim keeps open */
};
extern struct shim_options opt;
/* Where output goes: json.log, nowhere, or the host's /dev/log (syslog and
 * journald both listen there). */
enum { LOG_JSON_FILE, LOG_NONE, LOG_SYSLOG };

/* Docker's json-file reader buffers 16 KiB; a longer line is written as
 * several entries, all but the last without the trailing "\n". */
#define LOG_LINE_MAX 16384

/* One of the container's output pipes and the line it has not finished. */
struct log_stream {
    const char *name;
    int fd; /* -1 after EOF */
    size_t len;
    unsigned char line[LOG_LINE_MAX];
};

int write_all(int fd, const void *buf, size_t n);
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int format_time(char *out, size_t cap, const struct timespec *ts);
int log_open(void);
void log_pump(struct log_stream *s);
void log_finish(struct log_stream *s);
/* Waits for a rotated file still being compressed; before the shim exits. */
void log_close(void);
/* Hands output just read to every attached client (shim_attach.c). */
void attach_forward(const unsigned char *data, size_t n);

#endif
