/* linux_scan: where a process's pages are, by full or sampled move_pages queries, and what a move
 * did. */
#ifndef LINUX_SCAN_H
#define LINUX_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numaflip/backend.h"

/* Pages asked about in one move_pages call. The kernel takes the target's mmap lock per
 * 16 pages inside a call; a bounded call also bounds the address arrays and lets the
 * daemon's loop run between calls. */
#define LX_CHUNK 512

/* Confidence of a sampled scan's stated bound. */
#define LX_SAMPLE_CONFIDENCE 0.95

/* A mapping of the process: [start, end), page aligned. */
struct lx_range {
        uint64_t start, end;
};

/* The ranges of a /proc/PID/maps text worth asking about into *out (malloc'ed; free it):
 * mappings without any access (guard pages) and [vsyscall] are left out. 0, -EINVAL for a
 * line that is not a maps line, -ENOMEM. */
int lx_parse_maps(const char *text, struct lx_range **out, size_t *n);

/* Base pages in ranges. */
uint64_t lx_ranges_pages(const struct lx_range *r, size_t n);

/* move_pages(2) without nodes: the node of each of count pages at addrs, or a negative
 * errno per page, into status. 0, or -errno for the whole call (-ESRCH: process gone). */
typedef int (*lx_query_fn)(void *arg, size_t count, void **addrs, int *status);

struct lx_scan_result {
        uint64_t pages[NF_MAX_NODES]; /* per node; estimated for a sampled scan */
        uint64_t queried;             /* page queries made */
        uint64_t resident;            /* of them, pages that were on a node */
        double bound;                 /* sampled: each node's share of resident memory is
                                         within this of the estimate at LX_SAMPLE_CONFIDENCE;
                                         0 for a full scan */
};

/*
 * Asks about every base page. A transparent huge page answers for each of its base pages
 * and a hugetlb page too, so both count at their real size. 0 or the query's error.
 */
int lx_scan_full(const struct lx_range *r, size_t n, unsigned nr_nodes, lx_query_fn q, void *arg,
                 struct lx_scan_result *res);

/* Whether a move_pages(2) status (a node, or a negative errno) is one of the nodes in mask. */
static inline bool lx_on(int status, nf_nodemask_t mask)
{
        return status >= 0 && status < NF_MAX_NODES && (mask & NF_NODE_BIT(status));
}

/* A seeded generator, so a sample is random but a test is repeatable. */
struct lx_rng {
        uint64_t state;
};

uint64_t lx_rng_next(struct lx_rng *rng);

/* The bound on a node's share of resident memory from k resident samples (Hoeffding, at
 * LX_SAMPLE_CONFIDENCE); 1 for no samples. */
double lx_sample_bound(uint64_t k);

/*
 * Asks about random base pages, uniformly over the ranges, until k of them were resident
 * or max_tries were asked; estimates each node's pages from the share of the tries that
 * found a page there. Its cost depends on k, not on the process's size.
 */
int lx_scan_sample(const struct lx_range *r, size_t n, unsigned nr_nodes, uint64_t k,
                   uint64_t max_tries, struct lx_rng *rng, lx_query_fn q, void *arg,
                   struct lx_scan_result *res);

/*
 * One step of a migration's scan: from address *pos on, collects up to max addresses of
 * pages that lie on nodes in from into addrs (room for max), asking about at most window
 * pages. A whole huge-page block whose first and last pages lie on one node in from is
 * taken whole on their word (most likely a huge page; the mover checks the others). *pos moves past
 * what was looked at; at the end of the ranges *more is false and *pos is 0 again. *n is the count
 * collected. 0 or the query's error.
 */
int lx_collect(const struct lx_range *r, size_t n, nf_nodemask_t from, uint64_t *pos,
               uint64_t window, size_t max, lx_query_fn q, void *arg, void **addrs, size_t *nout,
               bool *more);

/* A transparent huge page moves whole when any of its base pages is asked to move. */
#define LX_HUGE_SIZE (2ull * 1024 * 1024)

/* Where the huge-page-sized block holding the page before pos ends, within its mapping:
 * pos itself when pos is on a block's start or outside the ranges. The base pages in
 * [pos, that end) may have moved with a huge page the batch before pos took. */
uint64_t lx_block_end(const struct lx_range *r, size_t n, uint64_t pos);

/*
 * Shortens a batch for move_pages: of addrs[0..n) (ascending, as lx_collect gives them),
 * a huge-page-sized block that lies whole in one range and whose every base page is in
 * addrs is asked for by its first page only, which moves a transparent huge page whole;
 * the kernel otherwise looks up, and refuses with -EBUSY, each of its other 511 pages.
 * Writes the pages to ask for into move (room for n), *nmove of them, and the indexes in
 * move of the block heads into heads (room for n / (LX_HUGE_SIZE / page) + 1), *nheads.
 */
void lx_block_heads(const struct lx_range *r, size_t n, void *const *addrs, size_t naddrs,
                    void **move, size_t *nmove, size_t *heads, size_t *nheads);

/* What a move_pages call with nodes did, page by page. */
struct lx_tally {
        uint64_t moved;   /* now on the target node */
        uint64_t busy;    /* -EBUSY: in use now, or a base page of a huge page queued
                             with its head (the caller asks again where it ended up) */
        uint64_t failed;  /* could move but did not: -ENOMEM, -EAGAIN, another node */
        uint64_t skipped; /* cannot move: gone (-ENOENT, -EFAULT), shared (-EACCES), special */
};

/* Counts status[0..n) of a move to node to; busy pages' indexes go to busy_idx (room for
 * n, may be NULL). */
void lx_tally(const int *status, size_t n, int to, struct lx_tally *t, size_t *busy_idx);

#endif
