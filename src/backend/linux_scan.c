/* linux_scan: where a process's pages are, by full or sampled move_pages queries, and what a move
 * did. */
#include "linux_scan.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE NF_PAGE_SIZE

int lx_parse_maps(const char *text, struct lx_range **out, size_t *n)
{
        struct lx_range *r = NULL;
        size_t nr = 0, cap = 0;

        *out = NULL;
        *n = 0;
        for (const char *line = text; line && *line;) {
                const char *eol = strchr(line, '\n');
                uint64_t start, end;
                char perms[5];
                int used = 0;

                if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s%n", &start, &end, perms, &used) !=
                        3 ||
                    end < start || strlen(perms) != 4) {
                        free(r);
                        return -EINVAL;
                }
                bool access = perms[0] == 'r' || perms[1] == 'w' || perms[2] == 'x';
                bool vsyscall = eol ? memmem(line, (size_t)(eol - line), "[vsyscall]", 10) != NULL
                                    : strstr(line, "[vsyscall]") != NULL;
                if (access && !vsyscall && end > start) {
                        if (nr == cap) {
                                size_t ncap = cap ? cap * 2 : 64;
                                struct lx_range *nrg = realloc(r, ncap * sizeof(*r));
                                if (!nrg) {
                                        free(r);
                                        return -ENOMEM;
                                }
                                r = nrg;
                                cap = ncap;
                        }
                        r[nr].start = start & ~(uint64_t)(PAGE - 1);
                        r[nr].end = end;
                        nr++;
                }
                line = eol ? eol + 1 : NULL;
        }
        *out = r;
        *n = nr;
        return 0;
}

uint64_t lx_ranges_pages(const struct lx_range *r, size_t n)
{
        uint64_t p = 0;

        for (size_t i = 0; i < n; i++)
                p += (r[i].end - r[i].start + PAGE - 1) / PAGE;
        return p;
}

static void count(const int *status, size_t n, unsigned nr_nodes, struct lx_scan_result *res)
{
        for (size_t i = 0; i < n; i++) {
                if (status[i] >= 0 && (unsigned)status[i] < nr_nodes) {
                        res->pages[status[i]]++;
                        res->resident++;
                }
        }
        res->queried += n;
}

int lx_scan_full(const struct lx_range *r, size_t n, unsigned nr_nodes, lx_query_fn q, void *arg,
                 struct lx_scan_result *res)
{
        void *addrs[LX_CHUNK];
        int status[LX_CHUNK];
        size_t k = 0;
        int rc;

        memset(res, 0, sizeof(*res));
        for (size_t i = 0; i < n; i++) {
                for (uint64_t a = r[i].start; a < r[i].end; a += PAGE) {
                        addrs[k++] = (void *)(uintptr_t)a;
                        if (k == LX_CHUNK) {
                                if ((rc = q(arg, k, addrs, status)) < 0)
                                        return rc;
                                count(status, k, nr_nodes, res);
                                k = 0;
                        }
                }
        }
        if (k) {
                if ((rc = q(arg, k, addrs, status)) < 0)
                        return rc;
                count(status, k, nr_nodes, res);
        }
        return 0;
}

uint64_t lx_rng_next(struct lx_rng *rng)
{
        /* splitmix64: small, fast and good enough to pick pages. */
        uint64_t z = (rng->state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

double lx_sample_bound(uint64_t k)
{
        if (!k)
                return 1.0;
        /* P(|share - estimate| >= e) <= 2 exp(-2 k e^2) = 1 - confidence. */
        return sqrt(log(2.0 / (1.0 - LX_SAMPLE_CONFIDENCE)) / (2.0 * (double)k));
}

/* The address of base page idx of the ranges, by binary search of their starts in pages. */
static uint64_t page_addr(const struct lx_range *r, const uint64_t *first, size_t n, uint64_t idx)
{
        size_t lo = 0, hi = n;

        while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;
                if (first[mid] <= idx)
                        lo = mid;
                else
                        hi = mid;
        }
        return r[lo].start + (idx - first[lo]) * PAGE;
}

int lx_scan_sample(const struct lx_range *r, size_t n, unsigned nr_nodes, uint64_t k,
                   uint64_t max_tries, struct lx_rng *rng, lx_query_fn q, void *arg,
                   struct lx_scan_result *res)
{
        void *addrs[LX_CHUNK];
        int status[LX_CHUNK];
        uint64_t *first, total = 0;
        struct lx_scan_result hits;
        int rc = 0;

        memset(res, 0, sizeof(*res));
        memset(&hits, 0, sizeof(hits));
        if (n == 0 || k == 0) {
                res->bound = 1.0;
                return 0;
        }
        first = malloc(n * sizeof(*first));
        if (!first)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                first[i] = total;
                total += (r[i].end - r[i].start + PAGE - 1) / PAGE;
        }
        while (hits.resident < k && hits.queried < max_tries && total) {
                uint64_t left = max_tries - hits.queried;
                /* Ask for no more than the resident pages still wanted: a chunk past k costs
                 * without tightening the bound much. */
                size_t m = LX_CHUNK;
                if (m > left)
                        m = (size_t)left;
                if (m > k - hits.resident + 16)
                        m = (size_t)(k - hits.resident + 16);
                for (size_t i = 0; i < m; i++)
                        addrs[i] =
                            (void *)(uintptr_t)page_addr(r, first, n, lx_rng_next(rng) % total);
                if ((rc = q(arg, m, addrs, status)) < 0)
                        break;
                count(status, m, nr_nodes, &hits);
        }
        free(first);
        if (rc < 0)
                return rc;
        for (unsigned i = 0; i < nr_nodes && hits.queried; i++)
                res->pages[i] =
                    (uint64_t)((double)total * (double)hits.pages[i] / (double)hits.queried + 0.5);
        res->queried = hits.queried;
        res->resident = hits.resident;
        res->bound = lx_sample_bound(hits.resident);
        return 0;
}

int lx_collect(const struct lx_range *r, size_t n, nf_nodemask_t from, uint64_t *pos,
               uint64_t window, size_t max, lx_query_fn q, void *arg, void **addrs, size_t *nout,
               bool *more)
{
        void *ask[LX_CHUNK];
        int status[LX_CHUNK];
        uint64_t looked = 0;
        size_t got = 0;
        size_t i = 0;
        int rc;

        *nout = 0;
        *more = true;
        while (i < n && r[i].end <= *pos)
                i++;
        for (; i < n && got < max && looked < window; i++) {
                uint64_t a = r[i].start > *pos ? r[i].start : *pos;
                while (a < r[i].end && got < max && looked < window) {
                        /* A whole huge-page block whose first and last pages are on one
                         * source node is most likely a huge page: asked about by those two,
                         * not 512 (move_batch checks and sorts out one that was not). */
                        if (!(a & (LX_HUGE_SIZE - 1)) && a + LX_HUGE_SIZE <= r[i].end &&
                            max - got >= LX_HUGE_SIZE / PAGE && window - looked >= 2) {
                                void *ends[2] = {(void *)(uintptr_t)a,
                                                 (void *)(uintptr_t)(a + LX_HUGE_SIZE - PAGE)};
                                int st[2];
                                if ((rc = q(arg, 2, ends, st)) < 0)
                                        return rc;
                                looked += 2;
                                if (st[0] == st[1] && lx_on(st[0], from)) {
                                        for (uint64_t p = 0; p < LX_HUGE_SIZE; p += PAGE)
                                                addrs[got++] = (void *)(uintptr_t)(a + p);
                                        a += LX_HUGE_SIZE;
                                        *pos = a;
                                        continue;
                                }
                        }
                        size_t k = 0;
                        while (k < LX_CHUNK && a + k * PAGE < r[i].end && looked + k < window) {
                                ask[k] = (void *)(uintptr_t)(a + k * PAGE);
                                k++;
                        }
                        if ((rc = q(arg, k, ask, status)) < 0)
                                return rc;
                        size_t j;
                        for (j = 0; j < k && got < max; j++)
                                if (lx_on(status[j], from))
                                        addrs[got++] = ask[j];
                        /* Only what was looked at is passed: the rest of a chunk is asked
                         * again next time. */
                        looked += j;
                        a += j * PAGE;
                        *pos = a;
                }
        }
        *nout = got;
        /* The end: no range left after pos (the loop above may have stepped past one it
         * did not finish). */
        for (i = 0; i < n && r[i].end <= *pos;)
                i++;
        if (i >= n) {
                *more = false;
                *pos = 0;
        }
        return 0;
}

uint64_t lx_block_end(const struct lx_range *r, size_t n, uint64_t pos)
{
        uint64_t end = (pos + LX_HUGE_SIZE - 1) & ~(LX_HUGE_SIZE - 1);

        for (size_t i = 0; i < n; i++)
                if (r[i].start < pos && pos <= r[i].end)
                        return end < r[i].end ? end : r[i].end;
        return pos;
}

void lx_block_heads(const struct lx_range *r, size_t n, void *const *addrs, size_t naddrs,
                    void **move, size_t *nmove, size_t *heads, size_t *nheads)
{
        const size_t per = LX_HUGE_SIZE / PAGE;
        size_t ri = 0, m = 0, h = 0;

        for (size_t i = 0; i < naddrs;) {
                uint64_t a = (uint64_t)(uintptr_t)addrs[i];
                bool whole = (a & (LX_HUGE_SIZE - 1)) == 0 && naddrs - i >= per;
                if (whole) {
                        while (ri < n && r[ri].end <= a)
                                ri++;
                        whole = ri < n && r[ri].start <= a && a + LX_HUGE_SIZE <= r[ri].end &&
                                (uint64_t)(uintptr_t)addrs[i + per - 1] == a + LX_HUGE_SIZE - PAGE;
                }
                /* Ascending and distinct, so the last one in place means all are. */
                if (whole) {
                        heads[h++] = m;
                        move[m++] = addrs[i];
                        i += per;
                } else {
                        move[m++] = addrs[i++];
                }
        }
        *nmove = m;
        *nheads = h;
}

void lx_tally(const int *status, size_t n, int to, struct lx_tally *t, size_t *busy_idx)
{
        memset(t, 0, sizeof(*t));
        for (size_t i = 0; i < n; i++) {
                int s = status[i];
                if (s == to) {
                        t->moved++;
                } else if (s >= 0 || s == -ENOMEM || s == -EAGAIN) {
                        t->failed++;
                } else if (s == -EBUSY) {
                        if (busy_idx)
                                busy_idx[t->busy] = i;
                        t->busy++;
                } else {
                        t->skipped++;
                }
        }
}
