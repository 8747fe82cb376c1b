/* Logging: stderr, stderr with priority prefixes for journald, or syslog once detached. */
#ifndef NF_LOG_H
#define NF_LOG_H

#include <stdarg.h>

enum nf_log_level {
        NF_LOG_ERR = 3,
        NF_LOG_WARNING = 4,
        NF_LOG_NOTICE = 5,
        NF_LOG_INFO = 6,
        NF_LOG_DEBUG = 7,
};

/* Where log lines go. */
enum nf_log_sink {
        NF_LOG_STDERR,  /* timestamped lines, for a terminal or a test's log file */
        NF_LOG_JOURNAL, /* "<N>" before each line: journald reads it as the priority */
        NF_LOG_SYSLOG,  /* syslog(3), facility daemon: what a detached daemon has left */
        NF_LOG_BOTH,    /* syslog and stderr: until the daemon detaches */
};

void nf_log_init(const char *ident, enum nf_log_level level, enum nf_log_sink sink);
/* Changes the sink (to syslog after detaching, say). */
void nf_log_set_sink(enum nf_log_sink sink);
void nf_log_set_level(enum nf_log_level level);
enum nf_log_level nf_log_get_level(void);

/* 0 or -EINVAL for names other than err, warning, notice, info, debug. */
int nf_log_level_parse(const char *s, enum nf_log_level *out);
const char *nf_log_level_name(enum nf_log_level level);

void nf_log(enum nf_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void nf_vlog(enum nf_log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define nf_error(...) nf_log(NF_LOG_ERR, __VA_ARGS__)
#define nf_warn(...) nf_log(NF_LOG_WARNING, __VA_ARGS__)
#define nf_notice(...) nf_log(NF_LOG_NOTICE, __VA_ARGS__)
#define nf_info(...) nf_log(NF_LOG_INFO, __VA_ARGS__)
#define nf_debug(...) nf_log(NF_LOG_DEBUG, __VA_ARGS__)

#endif
