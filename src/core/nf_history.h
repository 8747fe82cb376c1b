/* A guest's placement over time, bounded: every poll recently, averages further back. */
#ifndef NF_HISTORY_H
#define NF_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The last NF_HISTORY_RECENT polls are kept as they were; each NF_HISTORY_FACTOR older
 * ones are merged into one point (their mean), of which NF_HISTORY_COARSE are kept. At
 * a 5 s poll that is the last 5 minutes at full resolution and 5 hours before them at
 * 100 s; at the demo's 1 s, an hour and a minute. Memory per guest, nf_history_bytes():
 * (RECENT + COARSE + 1) * (20 + 8 * nodes) bytes, 8.5 KiB on a two-node host.
 */
#define NF_HISTORY_RECENT 60
#define NF_HISTORY_COARSE 180
#define NF_HISTORY_FACTOR 20

struct nf_history_point {
        uint64_t t_ns;         /* daemon time of the (last merged) poll */
        double remote_share;   /* mean over the polls merged */
        uint32_t polls;        /* how many polls it stands for */
        const uint64_t *pages; /* per node, nr_nodes of them (means, rounded) */
};

/* Zero-initialised is empty; nf_history_add allocates on first use. */
struct nf_history {
        unsigned nr_nodes;
        /* Rings of points: times, shares, merged-poll counts, pages (nr_nodes each). */
        uint64_t *t;
        double *share;
        uint32_t *polls;
        uint64_t *pages;
        size_t recent_head, recent_len; /* slots [0, RECENT) */
        size_t coarse_head, coarse_len; /* slots [RECENT, RECENT + COARSE) */
        /* Polls leaving the recent window, summed until FACTOR make a coarse point;
         * slot RECENT + COARSE holds the running sums of pages. */
        uint32_t pend_polls;
        double pend_share;
        uint64_t pend_t;
};

/* Records one poll. A change in the number of nodes starts the history over. 0 or
 * -ENOMEM (the history is then left empty). */
int nf_history_add(struct nf_history *h, uint64_t t_ns, double remote_share, const uint64_t *pages,
                   unsigned nr_nodes);

/* Points kept, oldest first: coarse ones, then recent. */
size_t nf_history_len(const struct nf_history *h);

/* Point i (0: oldest); i < nf_history_len(). p->pages points into h. */
void nf_history_get(const struct nf_history *h, size_t i, struct nf_history_point *p);

/* Change of the remote share over the recent window (newest minus oldest recent point);
 * 0 with fewer than two points. */
double nf_history_trend(const struct nf_history *h);

/* The bytes a history holds once allocated, for nr_nodes nodes. */
size_t nf_history_bytes(unsigned nr_nodes);

void nf_history_free(struct nf_history *h);

#endif
