/* Prometheus text exposition of the daemon's state, for numaflipctl and node-exporter. */
#ifndef NF_METRICS_H
#define NF_METRICS_H

#include <stddef.h>

#include "nf_daemon.h"

/* The content type of what nf_metrics_text writes. */
#define NF_METRICS_FORMAT "text/plain; version=0.0.4"

/*
 * Every series, named as node-exporter names its own: numaflip_ prefix, base units,
 * counters ending in _total, NUMA nodes as node="N", guests as guest= and uuid=.
 * *text is malloc'd and NUL-terminated. 0 or -ENOMEM.
 */
int nf_metrics_text(const struct nf_daemon *d, char **text, size_t *len);

/* Writes the text to path atomically (a temporary file beside it, renamed over it), mode
 * 0644 so the collector can read it. 0, or -errno with err naming the file. */
int nf_metrics_write(const struct nf_daemon *d, const char *path, char *err, size_t errlen);

#endif
