/* Prometheus text exposition of the daemon's state, for numaflipctl and node-exporter. */
#include "nf_metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nf_err.h"

#ifndef NF_VERSION
#define NF_VERSION "0.0.0"
#endif

/* A label value as the format wants it: backslash, double quote and newline escaped. */
static void put_label(FILE *f, const char *name, const char *value)
{
        fprintf(f, "%s=\"", name);
        for (const char *p = value; *p; p++) {
                if (*p == '\\' || *p == '"')
                        fprintf(f, "\\%c", *p);
                else if (*p == '\n')
                        fputs("\\n", f);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
}

/* HELP and TYPE once per metric, before all its samples, as the format requires. */
static void head(FILE *f, const char *name, const char *type, const char *help)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* "name{guest="..",uuid=".."" left open, for more labels or the closing brace. */
static void guest_open(FILE *f, const char *name, const struct nf_guest *g)
{
        fprintf(f, "%s{", name);
        put_label(f, "guest", g->info.name);
        fputc(',', f);
        put_label(f, "uuid", g->info.uuid);
}

static void guest_u64(FILE *f, const char *name, const struct nf_guest *g, uint64_t v)
{
        guest_open(f, name, g);
        fprintf(f, "} %" PRIu64 "\n", v);
}

/* A per-guest counter or gauge over every guest; value picks it out of the guest. */
#define GUEST_SERIES(f, d, name, type, help, expr)                                                 \
        do {                                                                                       \
                head(f, name, type, help);                                                         \
                for (size_t i_ = 0; i_ < (d)->nr_guests; i_++) {                                   \
                        const struct nf_guest *g = &(d)->guests[i_];                               \
                        guest_u64(f, name, g, (expr));                                             \
                }                                                                                  \
        } while (0)

static void daemon_series(FILE *f, const struct nf_daemon *d)
{
        head(f, "numaflip_info", "gauge", "numaflipd's version and the backend it runs.");
        fputs("numaflip_info{", f);
        put_label(f, "version", NF_VERSION);
        fputc(',', f);
        put_label(f, "backend", d->be->ops->name);
        fputs("} 1\n", f);
        head(f, "numaflip_polls_total", "counter", "Polls of every guest's placement.");
        fprintf(f, "numaflip_polls_total %" PRIu64 "\n", d->polls);
        head(f, "numaflip_poll_duration_seconds", "gauge", "Wall time the last poll took.");
        fprintf(f, "numaflip_poll_duration_seconds %.9f\n", (double)d->last_poll_real_ns / 1e9);
        head(f, "numaflip_reload_failures_total", "counter",
             "Configuration reloads rejected; the running configuration stayed.");
        fprintf(f, "numaflip_reload_failures_total %" PRIu64 "\n", d->reload_failures);
        head(f, "numaflip_migrated_pages_total", "counter",
             "Pages migrated home over all guests, gone ones included.");
        fprintf(f, "numaflip_migrated_pages_total %" PRIu64 "\n", d->totals.pages_moved);
}

static void node_series(FILE *f, const struct nf_daemon *d)
{
        head(f, "numaflip_node_memory_bytes", "gauge", "Memory of a NUMA node.");
        for (unsigned n = 0; n < d->topo.nr_nodes; n++)
                fprintf(f, "numaflip_node_memory_bytes{node=\"%u\"} %" PRIu64 "\n", n,
                        d->topo.node[n].total_pages * NF_PAGE_SIZE);
        head(f, "numaflip_node_memory_free_bytes", "gauge", "Free memory of a NUMA node.");
        for (unsigned n = 0; n < d->topo.nr_nodes; n++)
                fprintf(f, "numaflip_node_memory_free_bytes{node=\"%u\"} %" PRIu64 "\n", n,
                        d->topo.node[n].free_pages * NF_PAGE_SIZE);
}

static void guest_series(FILE *f, const struct nf_daemon *d)
{
        head(f, "numaflip_guest_pages", "gauge",
             "A guest's 4 KiB pages on a NUMA node, at the last poll.");
        for (size_t i = 0; i < d->nr_guests; i++) {
                const struct nf_guest *g = &d->guests[i];
                for (unsigned n = 0; g->sampled && n < d->topo.nr_nodes; n++) {
                        guest_open(f, "numaflip_guest_pages", g);
                        fprintf(f, ",node=\"%u\"} %" PRIu64 "\n", n, g->pages[n]);
                }
        }
        head(f, "numaflip_guest_remote_ratio", "gauge",
             "Share of a guest's memory off its home nodes, at the last poll.");
        for (size_t i = 0; i < d->nr_guests; i++) {
                const struct nf_guest *g = &d->guests[i];
                if (!g->sampled)
                        continue;
                guest_open(f, "numaflip_guest_remote_ratio", g);
                fprintf(f, "} %.6f\n", g->sample.remote_share);
        }
        GUEST_SERIES(f, d, "numaflip_guest_migrated_pages_total", "counter",
                     "Pages of a guest migrated home.", g->n.pages_moved);
        GUEST_SERIES(f, d, "numaflip_guest_migrated_bytes_total", "counter",
                     "Bytes of a guest migrated home.", g->n.pages_moved * NF_PAGE_SIZE);
        GUEST_SERIES(f, d, "numaflip_guest_skipped_pages_total", "counter",
                     "Remote pages the host could not move (pinned, shared), passed over.",
                     g->n.pages_skipped);
        GUEST_SERIES(f, d, "numaflip_guest_failed_pages_total", "counter",
                     "Remote pages the host failed to move when asked.", g->n.pages_failed);
        head(f, "numaflip_guest_migrations_total", "counter",
             "Migrations of a guest started, by what triggered them.");
        for (size_t i = 0; i < d->nr_guests; i++) {
                const struct nf_guest *g = &d->guests[i];
                for (int t = NF_TRIGGER_NONE + 1; t < NF_TRIGGER_COUNT; t++) {
                        guest_open(f, "numaflip_guest_migrations_total", g);
                        fputc(',', f);
                        put_label(f, "trigger", nf_trigger_name((enum nf_trigger)t));
                        fprintf(f, "} %" PRIu64 "\n", g->n.migrations[t]);
                }
        }
}

/* The host's flip pools, where the backend has them: its cumulative counters. */
static void pool_series(FILE *f, const struct nf_daemon *d)
{
        static const struct {
                const char *name, *type, *help;
                size_t off;
        } s[] = {
            {"numaflip_pool_target_pages", "gauge", "Pages a node's flip pool should hold.",
             offsetof(struct nf_pool_info, target)},
            {"numaflip_pool_held_pages", "gauge", "Pages a node's flip pool holds.",
             offsetof(struct nf_pool_info, held)},
            {"numaflip_pool_hits_total", "counter",
             "Flips into guests homed on the node that got a frame of the node.",
             offsetof(struct nf_pool_info, hits)},
            {"numaflip_pool_misses_total", "counter",
             "Flips into guests homed on the node that got a remote frame.",
             offsetof(struct nf_pool_info, misses)},
            {"numaflip_pool_fallbacks_total", "counter",
             "Flips that found the pool empty or off and used ordinary allocation.",
             offsetof(struct nf_pool_info, fallbacks)},
        };
        struct nf_pool_info info[NF_MAX_NODES];
        bool have[NF_MAX_NODES] = {false};

        if (!(d->caps & NF_CAP_POOL) || !d->be->ops->pool_get)
                return;
        for (unsigned n = 0; n < d->topo.nr_nodes; n++)
                have[n] = d->be->ops->pool_get(d->be, n, &info[n]) == 0;
        for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++) {
                head(f, s[k].name, s[k].type, s[k].help);
                for (unsigned n = 0; n < d->topo.nr_nodes; n++) {
                        uint64_t v;
                        if (!have[n])
                                continue;
                        memcpy(&v, (const char *)&info[n] + s[k].off, sizeof(v));
                        fprintf(f, "%s{node=\"%u\"} %" PRIu64 "\n", s[k].name, n, v);
                }
        }
}

int nf_metrics_text(const struct nf_daemon *d, char **text, size_t *len)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        daemon_series(f, d);
        node_series(f, d);
        guest_series(f, d);
        pool_series(f, d);
        if (ferror(f)) {
                fclose(f);
                free(buf);
                return -ENOMEM;
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *text = buf;
        *len = size;
        return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
        while (len) {
                ssize_t n = write(fd, buf, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

int nf_metrics_write(const struct nf_daemon *d, const char *path, char *err, size_t errlen)
{
        char tmp[PATH_MAX + 16], *text;
        size_t len;
        int rc, fd;

        /* Not ending in .prom: the collector never reads the half-written file. */
        if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
                return nf_err(-ENAMETOOLONG, err, errlen, "%s: path too long", path);
        if ((rc = nf_metrics_text(d, &text, &len)) < 0)
                return nf_err(rc, err, errlen, "%s: out of memory", path);
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                rc = -errno;
                free(text);
                return nf_err(rc, err, errlen, "%s: cannot create %s: %s", path, tmp,
                              strerror(-rc));
        }
        rc = fchmod(fd, 0644) < 0 ? -errno : write_all(fd, text, len);
        free(text);
        if (close(fd) < 0 && rc == 0)
                rc = -errno;
        if (rc == 0 && rename(tmp, path) < 0)
                rc = -errno;
        if (rc < 0) {
                unlink(tmp);
                return nf_err(rc, err, errlen, "%s: cannot write: %s", path, strerror(-rc));
        }
        return 0;
}
