/* Placement math: remote share, home node sets, migration targets and node lists. */
#include "nf_placement.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The mask of nodes 0..nr_nodes-1. */
static nf_nodemask_t all_nodes(unsigned nr_nodes)
{
        if (nr_nodes >= NF_MAX_NODES)
                return ~(nf_nodemask_t)0;
        return NF_NODE_BIT(nr_nodes) - 1;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void nf_placement_sample(const uint64_t *pages, unsigned nr_nodes, nf_nodemask_t home,
                         struct nf_sample *out)
{
        memset(out, 0, sizeof(*out));
        if (nr_nodes > NF_MAX_NODES)
                nr_nodes = NF_MAX_NODES;
        /* A home with no node on this host is as good as unknown: claiming every page
         * remote would start migrations that have nowhere to go. */
        home &= all_nodes(nr_nodes);
        for (unsigned i = 0; i < nr_nodes; i++) {
                out->total_pages = sat_add(out->total_pages, pages[i]);
                if (home && !(home & NF_NODE_BIT(i)))
                        out->remote_pages = sat_add(out->remote_pages, pages[i]);
        }
        if (out->total_pages)
                out->remote_share = (double)out->remote_pages / (double)out->total_pages;
}

nf_nodemask_t nf_placement_home(nf_nodemask_t configured, nf_nodemask_t from_backend,
                                const uint64_t *pages, unsigned nr_nodes)
{
        nf_nodemask_t all;
        uint64_t best = 0;
        int node = -1;

        if (nr_nodes > NF_MAX_NODES)
                nr_nodes = NF_MAX_NODES;
        /* Sets naming no node of this host fall through; with no topology, keep them. */
        all = nr_nodes ? all_nodes(nr_nodes) : ~(nf_nodemask_t)0;
        if (configured & all)
                return configured & all;
        if (from_backend & all)
                return from_backend & all;
        for (unsigned i = 0; pages && i < nr_nodes; i++) {
                if (pages[i] > best) {
                        best = pages[i];
                        node = (int)i;
                }
        }
        return node < 0 ? 0 : NF_NODE_BIT(node);
}

int nf_placement_target(nf_nodemask_t home, const struct nf_topology *topo)
{
        unsigned nr = topo->nr_nodes > NF_MAX_NODES ? NF_MAX_NODES : topo->nr_nodes;
        int best = -1;

        for (unsigned i = 0; i < nr; i++) {
                if (!(home & NF_NODE_BIT(i)))
                        continue;
                if (best < 0 || topo->node[i].free_pages > topo->node[best].free_pages)
                        best = (int)i;
        }
        return best;
}

uint64_t nf_placement_excess(const struct nf_sample *s, double target)
{
        uint64_t total = s->total_pages, allowed = 0;

        if (!total || !s->remote_pages)
                return 0;
        if (target >= 1.0)
                return 0;
        if (target > 0.0) {
                /* The largest remote count whose share is <= target, computed the way
                 * the policy compares shares so that moving the excess really ends it. */
                allowed = (uint64_t)floor(target * (double)total);
                while (allowed < total && (double)(allowed + 1) / (double)total <= target)
                        allowed++;
                while (allowed > 0 && (double)allowed / (double)total > target)
                        allowed--;
        }
        return s->remote_pages > allowed ? s->remote_pages - allowed : 0;
}

nf_nodemask_t nf_placement_remote_mask(nf_nodemask_t home, unsigned nr_nodes)
{
        nf_nodemask_t all = all_nodes(nr_nodes);

        /* Unknown home: nothing counts as remote, as in nf_placement_sample. */
        if (!(home & all))
                return 0;
        return all & ~home;
}

char *nf_nodemask_format(nf_nodemask_t m, char *buf, size_t len)
{
        size_t used = 0;
        bool first = true;

        if (!len)
                return buf;
        buf[0] = '\0';
        if (!m) {
                snprintf(buf, len, "none");
                return buf;
        }
        for (unsigned i = 0; i < NF_MAX_NODES; i++) {
                unsigned j = i;
                int n;

                if (!(m & NF_NODE_BIT(i)))
                        continue;
                while (j + 1 < NF_MAX_NODES && (m & NF_NODE_BIT(j + 1)))
                        j++;
                if (j == i)
                        n = snprintf(buf + used, len - used, "%s%u", first ? "" : ",", i);
                else
                        n = snprintf(buf + used, len - used, "%s%u-%u", first ? "" : ",", i, j);
                if (n < 0 || (size_t)n >= len - used)
                        break; /* truncated, still NUL terminated */
                used += (size_t)n;
                first = false;
                i = j;
        }
        return buf;
}

/* Reads a node number at *p (digits only); -1 when there is none or it is too big. */
static int lex_node(const char **p, const char *e)
{
        const char *q = *p;
        unsigned v = 0;

        if (q == e || *q < '0' || *q > '9')
                return -1;
        for (; q < e && *q >= '0' && *q <= '9'; q++) {
                v = v * 10 + (unsigned)(*q - '0');
                if (v >= 1000)
                        return -1;
        }
        *p = q;
        return (int)v;
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

int nf_nodemask_parse(const char *s, unsigned nr_nodes, nf_nodemask_t *out, char *err,
                      size_t errlen)
{
        unsigned limit = nr_nodes && nr_nodes < NF_MAX_NODES ? nr_nodes : NF_MAX_NODES;
        const char *b = s ? s : "", *e, *p;
        nf_nodemask_t m = 0;
        int vlen;

        if (err && errlen)
                err[0] = '\0';
        e = b + strlen(b);
        while (b < e && is_blank(*b))
                b++;
        while (e > b && is_blank(e[-1]))
                e--;
        vlen = (int)(e - b > 64 ? 64 : e - b);
        if (b == e) {
                if (err && errlen)
                        snprintf(err, errlen, "invalid node list '': empty value");
                return -EINVAL;
        }
        if (e - b == 3 && strncmp(b, "all", 3) == 0) {
                if (!nr_nodes) {
                        if (err && errlen)
                                snprintf(err, errlen,
                                         "invalid node list 'all': the node count is not known");
                        return -EINVAL;
                }
                *out = all_nodes(nr_nodes);
                return 0;
        }
        for (p = b;;) {
                int lo, hi;

                while (p < e && is_blank(*p))
                        p++;
                lo = lex_node(&p, e);
                hi = lo;
                while (p < e && is_blank(*p))
                        p++;
                if (lo >= 0 && p < e && *p == '-') {
                        p++;
                        while (p < e && is_blank(*p))
                                p++;
                        hi = lex_node(&p, e);
                        while (p < e && is_blank(*p))
                                p++;
                }
                if (lo < 0 || hi < 0) {
                        if (err && errlen)
                                snprintf(err, errlen,
                                         "invalid node list '%.*s': expected a node number or "
                                         "a range like 0-3",
                                         vlen, b);
                        return -EINVAL;
                }
                if (hi < lo) {
                        if (err && errlen)
                                snprintf(err, errlen,
                                         "invalid node list '%.*s': range %d-%d is reversed", vlen,
                                         b, lo, hi);
                        return -EINVAL;
                }
                if ((unsigned)hi >= limit) {
                        if (err && errlen && nr_nodes)
                                snprintf(err, errlen,
                                         "invalid node list '%.*s': node %d does not exist "
                                         "(%u nodes)",
                                         vlen, b, hi, limit);
                        else if (err && errlen)
                                snprintf(err, errlen,
                                         "invalid node list '%.*s': node %d is above the "
                                         "maximum %d",
                                         vlen, b, hi, NF_MAX_NODES - 1);
                        return -EINVAL;
                }
                for (int i = lo; i <= hi; i++)
                        m |= NF_NODE_BIT(i);
                if (p == e)
                        break;
                if (*p != ',') {
                        if (err && errlen)
                                snprintf(err, errlen, "invalid node list '%.*s': unexpected '%c'",
                                         vlen, b, *p);
                        return -EINVAL;
                }
                p++;
        }
        *out = m;
        return 0;
}
