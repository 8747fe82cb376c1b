/* ABI of the numaflip Xen 4.17 patch series (XEN_DOMCTL_numaflip, XENMEMF_flip_pool), usable
 * without Xen headers. */
#ifndef NUMAFLIP_XEN_ABI_H
#define NUMAFLIP_XEN_ABI_H

/*
 * The patched hypervisor adds one domctl; Debian's libxenctrl does not know
 * it, so clients build the request themselves and issue it with libxencall
 * (see src/backend/xen_domctl.h).  Layouts here mirror
 * the patch series in patches/xen-4.17 (public/domctl.h, memory.h) for
 * x86_64 and are checked with static assertions below.  The full semantics
 * are in patches/xen-4.17/README.md.
 */

#include <stddef.h>
#include <stdint.h>

/* Hypercall numbers (xen/include/public/xen.h). */
#define NF_XEN_HYPERCALL_MEMORY_OP 12
#define NF_XEN_HYPERCALL_GRANT_TABLE_OP 20
#define NF_XEN_HYPERCALL_DOMCTL 36

/* Xen 4.17's domctl interface version; the series does not change it. */
#define NF_XEN_DOMCTL_INTERFACE_VERSION 0x00000015u

/*
 * The new domctl: out of tree, so a number no upstream release or master,
 * gdbsx (1000-1003) or XenServer's queue (1099, 1101) uses; survey in
 * patches/xen-4.17/README.md.  A hypervisor without the series fails it
 * with -ENOSYS (Xen 4.17) or -EACCES (another domctl interface version).
 */
#define NF_XEN_DOMCTL_NUMAFLIP 20038u

/* Sub-operations (struct nf_xen_domctl_numaflip.op). */
#define NF_XEN_NUMAFLIP_NODE_PAGES 0u   /* per-node page counts */
#define NF_XEN_NUMAFLIP_MIGRATE 1u      /* move pages to a node */
#define NF_XEN_NUMAFLIP_POOL_GET 2u     /* read a node's flip pool */
#define NF_XEN_NUMAFLIP_POOL_SET 3u     /* set a pool's target size */
#define NF_XEN_NUMAFLIP_POOL_ENABLE 4u  /* enable/disable a pool */
#define NF_XEN_NUMAFLIP_SET_RECEIVER 5u /* mark a flip receiver */

/*
 * Migrate limits: max_pages must be 1..NF_XEN_MIGRATE_MAX_PAGES, but one call
 * moves at most NF_XEN_MIGRATE_BATCH_PAGES (and may stop earlier when Xen has
 * other work: continue from the cursor) and visits at most
 * NF_XEN_MIGRATE_MAX_LOOKUPS p2m entries.
 */
#define NF_XEN_MIGRATE_MAX_PAGES 65536u
#define NF_XEN_MIGRATE_BATCH_PAGES 1024u
#define NF_XEN_MIGRATE_MAX_LOOKUPS 16384u

/* Memory op flags (struct xen_memory_reservation.mem_flags). */
#define NF_XENMEMF_NODE(n) ((((uint32_t)(n)) + 1u) << 8)
#define NF_XENMEMF_EXACT_NODE_REQUEST (1u << 17)
/* New: take the frame from the flip pool of NF_XENMEMF_NODE(n); a high bit,
 * clear of the flags upstream adds from bit 19 up. */
#define NF_XENMEMF_FLIP_POOL (1u << 30)

struct nf_xen_numaflip_node_pages {
        uint32_t nr_nodes;  /* IN: entries in pages; OUT: entries needed */
        uint32_t tot_pages; /* OUT: the domain's tot_pages */
        uint64_t pages;     /* IN: address of uint64_t[nr_nodes] (hypercall buffer) */
};

struct nf_xen_numaflip_migrate {
        uint64_t from_nodes; /* IN: bit n set: move frames on node n */
        uint64_t gfn;        /* IN/OUT: scan cursor, start at 0 */
        uint32_t max_pages;  /* IN: most pages to move in this call */
        uint32_t moved;      /* OUT: pages moved */
        uint32_t skipped;    /* OUT: unmovable pages met on from_nodes */
        uint32_t done;       /* OUT: 1 when the scan reached the end (gfn = 0) */
        uint64_t remaining;  /* OUT: the domain's pages still on from_nodes */
        uint32_t splits;     /* OUT: superpage mappings split to move part of one */
        uint32_t whole;      /* OUT: 2M extents moved whole (512 pages each in moved) */
};

struct nf_xen_numaflip_pool {
        uint64_t target;     /* IN (POOL_SET) / OUT: target size, frames */
        uint64_t held;       /* OUT: frames in the pool now */
        uint64_t handed_out; /* OUT: frames taken from it, cumulative */
        uint64_t hits;       /* OUT: transfers giving a home-node frame */
        uint64_t misses;     /* OUT: transfers giving a remote frame */
        uint64_t fallbacks;  /* OUT: pool requests met by ordinary allocation */
        uint32_t enabled;    /* IN (POOL_ENABLE) / OUT */
        uint32_t pad;
        uint64_t dropped; /* OUT: held frames found broken/offlined, sent to the heap */
        uint64_t narrow;  /* OUT: requests whose address width was below the machine's */
};

struct nf_xen_numaflip_receiver {
        uint32_t enable; /* IN: 1 mark, 0 unmark */
};

struct nf_xen_domctl_numaflip {
        uint32_t op;   /* IN: NF_XEN_NUMAFLIP_* */
        uint32_t node; /* IN: pool node, or migrate target node */
        union {
                struct nf_xen_numaflip_node_pages node_pages;
                struct nf_xen_numaflip_migrate migrate;
                struct nf_xen_numaflip_pool pool;
                struct nf_xen_numaflip_receiver receiver;
        } u;
};

/* struct xen_domctl with only the member this ABI uses. */
struct nf_xen_domctl {
        uint32_t cmd;               /* NF_XEN_DOMCTL_NUMAFLIP */
        uint32_t interface_version; /* NF_XEN_DOMCTL_INTERFACE_VERSION */
        uint16_t domain;            /* domid */
        uint16_t pad0[3];
        union {
                struct nf_xen_domctl_numaflip numaflip;
                uint8_t pad[128];
        } u;
};

/* Offsets as public/domctl.h lays them out on x86_64 (uint64_aligned_t). */
#define NF_XEN_ABI_AT(type, member, off)                                                           \
        _Static_assert(offsetof(type, member) == (off), #type "." #member " at " #off)

NF_XEN_ABI_AT(struct nf_xen_domctl, cmd, 0);
NF_XEN_ABI_AT(struct nf_xen_domctl, interface_version, 4);
NF_XEN_ABI_AT(struct nf_xen_domctl, domain, 8);
NF_XEN_ABI_AT(struct nf_xen_domctl, u, 16);
NF_XEN_ABI_AT(struct nf_xen_domctl_numaflip, op, 0);
NF_XEN_ABI_AT(struct nf_xen_domctl_numaflip, node, 4);
NF_XEN_ABI_AT(struct nf_xen_domctl_numaflip, u, 8);
NF_XEN_ABI_AT(struct nf_xen_numaflip_node_pages, nr_nodes, 0);
NF_XEN_ABI_AT(struct nf_xen_numaflip_node_pages, tot_pages, 4);
NF_XEN_ABI_AT(struct nf_xen_numaflip_node_pages, pages, 8);
NF_XEN_ABI_AT(struct nf_xen_numaflip_migrate, from_nodes, 0);
NF_XEN_ABI_AT(struct nf_xen_numaflip_migrate, gfn, 8);
NF_XEN_ABI_AT(struct nf_xen_numaflip_migrate, max_pages, 16);
NF_XEN_ABI_AT(struct nf_xen_numaflip_migrate, moved, 20);
NF_XEN_ABI_AT(struct nf_xen_numaflip_migrate, skipped, 24);
NF_XEN_ABI_AT(struct nf_xen_numaflip_migrate, done, 28);
NF_XEN_ABI_AT(struct nf_xen_numaflip_migrate, remaining, 32);
NF_XEN_ABI_AT(struct nf_xen_numaflip_migrate, splits, 40);
NF_XEN_ABI_AT(struct nf_xen_numaflip_migrate, whole, 44);
NF_XEN_ABI_AT(struct nf_xen_numaflip_pool, target, 0);
NF_XEN_ABI_AT(struct nf_xen_numaflip_pool, held, 8);
NF_XEN_ABI_AT(struct nf_xen_numaflip_pool, handed_out, 16);
NF_XEN_ABI_AT(struct nf_xen_numaflip_pool, hits, 24);
NF_XEN_ABI_AT(struct nf_xen_numaflip_pool, misses, 32);
NF_XEN_ABI_AT(struct nf_xen_numaflip_pool, fallbacks, 40);
NF_XEN_ABI_AT(struct nf_xen_numaflip_pool, enabled, 48);
NF_XEN_ABI_AT(struct nf_xen_numaflip_pool, pad, 52);
NF_XEN_ABI_AT(struct nf_xen_numaflip_pool, dropped, 56);
NF_XEN_ABI_AT(struct nf_xen_numaflip_pool, narrow, 64);
NF_XEN_ABI_AT(struct nf_xen_numaflip_receiver, enable, 0);

_Static_assert(sizeof(struct nf_xen_numaflip_migrate) == 48, "migrate layout");
_Static_assert(sizeof(struct nf_xen_numaflip_pool) == 72, "pool layout");
_Static_assert(sizeof(struct nf_xen_domctl_numaflip) == 80, "numaflip layout");
_Static_assert(sizeof(struct nf_xen_domctl) == 144, "xen_domctl is 16 + 128 bytes");

#undef NF_XEN_ABI_AT

#endif /* NUMAFLIP_XEN_ABI_H */
