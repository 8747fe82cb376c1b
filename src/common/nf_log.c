/* Logging: stderr, stderr with priority prefixes for journald, or syslog once detached. */
#include "nf_log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

/* Process-wide like syslog itself: set once in main, read by every module. */
static struct {
        const char *ident;
        enum nf_log_level level;
        enum nf_log_sink sink;
} nf_log_cfg = {"numaflip", NF_LOG_INFO, NF_LOG_STDERR};

static const char *const nf_log_names[] = {
    [NF_LOG_ERR] = "err",   [NF_LOG_WARNING] = "warning", [NF_LOG_NOTICE] = "notice",
    [NF_LOG_INFO] = "info", [NF_LOG_DEBUG] = "debug",
};

void nf_log_init(const char *ident, enum nf_log_level level, enum nf_log_sink sink)
{
        nf_log_cfg.ident = ident;
        nf_log_cfg.level = level;
        nf_log_set_sink(sink);
}

static bool to_syslog(enum nf_log_sink sink)
{
        return sink == NF_LOG_SYSLOG || sink == NF_LOG_BOTH;
}

void nf_log_set_sink(enum nf_log_sink sink)
{
        if (to_syslog(sink) && !to_syslog(nf_log_cfg.sink))
                openlog(nf_log_cfg.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
        else if (!to_syslog(sink) && to_syslog(nf_log_cfg.sink))
                closelog();
        nf_log_cfg.sink = sink;
}

void nf_log_set_level(enum nf_log_level level)
{
        nf_log_cfg.level = level;
}

enum nf_log_level nf_log_get_level(void)
{
        return nf_log_cfg.level;
}

int nf_log_level_parse(const char *s, enum nf_log_level *out)
{
        for (int l = NF_LOG_ERR; l <= NF_LOG_DEBUG; l++) {
                if (strcmp(s, nf_log_names[l]) == 0) {
                        *out = (enum nf_log_level)l;
                        return 0;
                }
        }
        if (strcmp(s, "error") == 0) {
                *out = NF_LOG_ERR;
                return 0;
        }
        return -EINVAL;
}

const char *nf_log_level_name(enum nf_log_level level)
{
        if (level < NF_LOG_ERR || level > NF_LOG_DEBUG)
                return "?";
        return nf_log_names[level];
}

void nf_vlog(enum nf_log_level level, const char *fmt, va_list ap)
{
        if (level > nf_log_cfg.level)
                return;
        char msg[1024];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        if (to_syslog(nf_log_cfg.sink))
                syslog((int)level, "%s", msg); /* our levels are syslog's priorities */
        if (nf_log_cfg.sink == NF_LOG_SYSLOG)
                return;
        if (nf_log_cfg.sink == NF_LOG_JOURNAL) {
                /* journald adds its own timestamp and identifier. */
                fprintf(stderr, "<%d>%s\n", (int)level, msg);
        } else {
                struct timespec ts;
                struct tm tm;
                char when[32];
                clock_gettime(CLOCK_REALTIME, &ts);
                localtime_r(&ts.tv_sec, &tm);
                strftime(when, sizeof(when), "%H:%M:%S", &tm);
                fprintf(stderr, "%s.%03ld %s[%s]: %s\n", when, ts.tv_nsec / 1000000,
                        nf_log_cfg.ident, nf_log_level_name(level), msg);
        }
        fflush(stderr);
}

void nf_log(enum nf_log_level level, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        nf_vlog(level, fmt, ap);
        va_end(ap);
}
