/* Parser of Xen's 'u' debug-key dump ("Memory location of each domain") read from the console ring.
 */
#ifndef NF_XEN_UDUMP_H
#define NF_XEN_UDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numaflip/backend.h"

/* One domain of a dump. */
struct xen_udump_dom {
        uint32_t domid;
        uint64_t total;     /* "(total: P)": the domain's tot_pages */
        nf_nodemask_t seen; /* nodes whose line was read */
        uint64_t pages[NF_MAX_NODES];
};

/*
 * Fed console text in pieces as the ring is read (a piece may end mid-line; the rest of
 * the line comes with the next piece), it keeps the last dump it saw finish. Only lines
 * Xen wrote itself count ("(XEN) " at the start: a guest's console output is prefixed
 * "(dN) " and cannot forge one); a domain counts only once it has a line for every
 * online node, so a dump cut by a wrapped ring or by interleaved output yields fewer
 * domains, never wrong numbers.
 */
struct xen_udump {
        unsigned nr_nodes;
        int state;                  /* outside a dump, in its header, in its domain list */
        nf_nodemask_t header_nodes; /* "NODEn start->" lines of the dump being read */
        struct xen_udump_dom *cur;  /* the dump being read ... */
        size_t nr_cur, cap_cur;
        nf_nodemask_t cur_online;   /* ... and its online nodes */
        struct xen_udump_dom *done; /* the last finished dump ... */
        size_t nr_done, cap_done;
        nf_nodemask_t done_online; /* ... and its online nodes */
        unsigned finished;         /* dumps finished since the last xen_udump_take */
        char line[256];            /* a line not yet ended */
        size_t linelen;
        bool overlong; /* the pending line overflowed: no dump line is this long */
};

/* nr_nodes: the host's nodes (1..NF_MAX_NODES); lines naming others are ignored. */
void xen_udump_init(struct xen_udump *u, unsigned nr_nodes);
void xen_udump_free(struct xen_udump *u);

/*
 * Says that the text fed next is the output of a dump just triggered: its domain lines
 * count even when the ring, too small for a big dump, lost its header and first lines
 * (the domains cut off are then missing from it, as in any cut dump).
 */
void xen_udump_expect(struct xen_udump *u);

/* Parses len bytes of console text. 0, or -ENOMEM (the parser stays usable). */
int xen_udump_feed(struct xen_udump *u, const char *buf, size_t len);

/*
 * Ends a read of the ring: a dump whose domain list was being read is finished (the 'u'
 * handler runs to its end before the sysctl that triggers it returns). Returns how many
 * dumps finished since the last call; 0 means the last finished dump is older.
 */
unsigned xen_udump_take(struct xen_udump *u);

/* Domain domid in the last finished dump, when its lines were all read; else NULL. */
const struct xen_udump_dom *xen_udump_find(const struct xen_udump *u, uint32_t domid);

/* Domains in the last finished dump, complete or not. */
size_t xen_udump_count(const struct xen_udump *u);

#endif
