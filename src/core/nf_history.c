/* A guest's placement over time, bounded: every poll recently, averages further back. */
#include "nf_history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS (NF_HISTORY_RECENT + NF_HISTORY_COARSE)
#define PEND SLOTS /* the pages slot holding the pending sums */

size_t nf_history_bytes(unsigned nr_nodes)
{
        return (SLOTS + 1) *
               (sizeof(uint64_t) + sizeof(double) + sizeof(uint32_t) + nr_nodes * sizeof(uint64_t));
}

void nf_history_free(struct nf_history *h)
{
        free(h->t);
        free(h->share);
        free(h->polls);
        free(h->pages);
        memset(h, 0, sizeof(*h));
}

static int alloc(struct nf_history *h, unsigned nr_nodes)
{
        nf_history_free(h);
        h->t = calloc(SLOTS + 1, sizeof(*h->t));
        h->share = calloc(SLOTS + 1, sizeof(*h->share));
        h->polls = calloc(SLOTS + 1, sizeof(*h->polls));
        h->pages = calloc((size_t)(SLOTS + 1) * (nr_nodes ? nr_nodes : 1), sizeof(*h->pages));
        if (!h->t || !h->share || !h->polls || !h->pages) {
                nf_history_free(h);
                return -ENOMEM;
        }
        h->nr_nodes = nr_nodes;
        return 0;
}

static uint64_t *slot_pages(const struct nf_history *h, size_t slot)
{
        return h->pages + slot * h->nr_nodes;
}

static void put(struct nf_history *h, size_t slot, uint64_t t, double share, uint32_t polls,
                const uint64_t *pages)
{
        h->t[slot] = t;
        h->share[slot] = share;
        h->polls[slot] = polls;
        memcpy(slot_pages(h, slot), pages, h->nr_nodes * sizeof(*pages));
}

/* The oldest recent point leaves the window: into the pending sums, and once FACTOR of
 * them are there, out as one coarse point (the oldest coarse point drops). */
static void retire(struct nf_history *h, size_t slot)
{
        uint64_t *sum = slot_pages(h, PEND), *p = slot_pages(h, slot);

        for (unsigned n = 0; n < h->nr_nodes; n++)
                sum[n] += p[n];
        h->pend_share += h->share[slot];
        h->pend_t = h->t[slot];
        if (++h->pend_polls < NF_HISTORY_FACTOR)
                return;
        size_t c = NF_HISTORY_RECENT + (h->coarse_head + h->coarse_len) % NF_HISTORY_COARSE;
        if (h->coarse_len == NF_HISTORY_COARSE)
                h->coarse_head = (h->coarse_head + 1) % NF_HISTORY_COARSE;
        else
                h->coarse_len++;
        h->t[c] = h->pend_t;
        h->share[c] = h->pend_share / h->pend_polls;
        h->polls[c] = h->pend_polls;
        for (unsigned n = 0; n < h->nr_nodes; n++)
                slot_pages(h, c)[n] = (sum[n] + h->pend_polls / 2) / h->pend_polls;
        memset(sum, 0, h->nr_nodes * sizeof(*sum));
        h->pend_polls = 0;
        h->pend_share = 0;
}

int nf_history_add(struct nf_history *h, uint64_t t_ns, double remote_share, const uint64_t *pages,
                   unsigned nr_nodes)
{
        if ((!h->t || h->nr_nodes != nr_nodes) && alloc(h, nr_nodes) < 0)
                return -ENOMEM;
        size_t slot = (h->recent_head + h->recent_len) % NF_HISTORY_RECENT;
        if (h->recent_len == NF_HISTORY_RECENT) {
                retire(h, h->recent_head);
                h->recent_head = (h->recent_head + 1) % NF_HISTORY_RECENT;
        } else {
                h->recent_len++;
        }
        put(h, slot, t_ns, remote_share, 1, pages);
        return 0;
}

size_t nf_history_len(const struct nf_history *h)
{
        return h->coarse_len + h->recent_len;
}

void nf_history_get(const struct nf_history *h, size_t i, struct nf_history_point *p)
{
        size_t slot = i < h->coarse_len
                          ? NF_HISTORY_RECENT + (h->coarse_head + i) % NF_HISTORY_COARSE
                          : (h->recent_head + i - h->coarse_len) % NF_HISTORY_RECENT;

        p->t_ns = h->t[slot];
        p->remote_share = h->share[slot];
        p->polls = h->polls[slot];
        p->pages = slot_pages(h, slot);
}

double nf_history_trend(const struct nf_history *h)
{
        if (h->recent_len < 2)
                return 0;
        size_t last = (h->recent_head + h->recent_len - 1) % NF_HISTORY_RECENT;
        return h->share[last] - h->share[h->recent_head];
}
