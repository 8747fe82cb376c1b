/* numaflip-flipload: drive real memory-flipping (grant transfer) cycles from dom0 to a domU. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xen/grant_table.h>

#include "xen_domctl.h"

#define PAGE_BYTES 4096u
#define DEFAULT_SPARES 64u
#define NO_NODE UINT32_MAX

/*
 * One flip, as a flipping network backend performs it:
 *  1. dom0 gets a frame for the packet (XENMEM_increase_reservation on
 *     itself; with --pool, from the flip pool of a node);
 *  2. the guest's grant table gets an entry accepting a transfer into an
 *     unused gfn (written from dom0 through a foreign mapping);
 *  3. GNTTABOP_transfer hands the frame to the guest;
 *  4. the guest gives one of its own frames back (the exchange): dom0
 *     releases one of a set of guest frames it put aside on the guest's
 *     home node with XENMEM_decrease_reservation on the guest's behalf.
 * The guest kernel is not involved, so any domU with maxmem > memory works.
 */

struct opts {
        uint32_t domid;
        unsigned long count; /* 0: until interrupted */
        double rate;         /* flips/s, 0: unpaced */
        uint32_t pool_node;  /* NO_NODE: ordinary allocation */
        bool exchange;
        unsigned int spares;
        bool quiet;
};

struct state {
        xc_interface *xch;
        xenforeignmemory_handle *fmem;
        struct nf_xen_domctl_ctx *dctl; /* NULL on a stock hypervisor */
        grant_entry_v1_t *gnt;
        unsigned int gnt_frames;
        grant_ref_t ref;
        bool translated;
        uint32_t home_node; /* guest's home node, NO_NODE if unknown */
        xen_pfn_t next_gfn; /* next unused gfn for transfers and spares */
        xen_pfn_t *spare;   /* frames (PV: mfns, else gfns) put aside */
        unsigned int nr_spare;
        unsigned long flips, exchanged;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
        (void)sig;
        stop_requested = 1;
}

static void usage(FILE *f)
{
        fprintf(f,
                "usage: numaflip-flipload -d DOMID [options]\n"
                "Perform memory-flipping cycles (GNTTABOP_transfer) from dom0 to a domU,\n"
                "so its memory changes node exactly as under a flipping network backend.\n"
                "\n"
                "  -d, --domain DOMID  receiving domU; needs maxmem above memory (xl mem-max)\n"
                "  -n, --count N       number of flips (default: until SIGINT/SIGTERM)\n"
                "  -r, --rate R        flips per second (default: as fast as possible)\n"
                "  -p, --pool NODE     take packet frames from the flip pool of NODE\n"
                "                      (XENMEMF_flip_pool; needs the numaflip hypervisor patch)\n"
                "  -x, --no-exchange   do not take a guest frame back per flip\n"
                "  -s, --spares N      guest frames set aside per batch for the exchange\n"
                "                      (default %u), allocated on the guest's home node\n"
                "  -q, --quiet         print only the summary\n"
                "  -h, --help          this text\n"
                "\n"
                "dom0 needs one page of headroom (max above current, e.g. dom0_mem=X,max:Y).\n"
                "Transferred frames land at unused gfns of the guest, above its memory map.\n",
                DEFAULT_SPARES);
}

static int parse_ulong(const char *s, unsigned long *out)
{
        char *end;

        errno = 0;
        *out = strtoul(s, &end, 0);
        if (errno || end == s || *end || s[0] == '-')
                return -EINVAL;
        return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
        static const struct option lopts[] = {
            {"domain", required_argument, NULL, 'd'},
            {"count", required_argument, NULL, 'n'},
            {"rate", required_argument, NULL, 'r'},
            {"pool", required_argument, NULL, 'p'},
            {"no-exchange", no_argument, NULL, 'x'},
            {"spares", required_argument, NULL, 's'},
            {"quiet", no_argument, NULL, 'q'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        unsigned long v;
        bool have_dom = false;
        char *end;
        int c;

        *o = (struct opts){.pool_node = NO_NODE, .exchange = true, .spares = DEFAULT_SPARES};
        while ((c = getopt_long(argc, argv, "d:n:r:p:xs:qh", lopts, NULL)) != -1) {
                switch (c) {
                case 'd':
                        if (parse_ulong(optarg, &v) || v >= 0x7ff0) {
                                fprintf(stderr, "flipload: bad domid '%s'\n", optarg);
                                return -EINVAL;
                        }
                        o->domid = (uint32_t)v;
                        have_dom = true;
                        break;
                case 'n':
                        if (parse_ulong(optarg, &o->count)) {
                                fprintf(stderr, "flipload: bad count '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'r':
                        errno = 0;
                        o->rate = strtod(optarg, &end);
                        if (errno || end == optarg || *end || o->rate < 0) {
                                fprintf(stderr, "flipload: bad rate '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'p':
                        if (parse_ulong(optarg, &v) || v >= 64) {
                                fprintf(stderr, "flipload: bad node '%s'\n", optarg);
                                return -EINVAL;
                        }
                        o->pool_node = (uint32_t)v;
                        break;
                case 'x':
                        o->exchange = false;
                        break;
                case 's':
                        if (parse_ulong(optarg, &v) || !v || v > 65536) {
                                fprintf(stderr, "flipload: bad spares '%s'\n", optarg);
                                return -EINVAL;
                        }
                        o->spares = (unsigned int)v;
                        break;
                case 'q':
                        o->quiet = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 1;
                default:
                        usage(stderr);
                        return -EINVAL;
                }
        }
        if (optind != argc || !have_dom) {
                if (!have_dom)
                        fprintf(stderr, "flipload: -d DOMID is required\n");
                usage(stderr);
                return -EINVAL;
        }
        if (o->domid == 0) {
                fprintf(stderr, "flipload: the receiver must be a domU, not dom0\n");
                return -EINVAL;
        }
        return 0;
}

static int get_info(xc_interface *xch, uint32_t domid, xc_dominfo_t *info)
{
        if (xc_domain_getinfo(xch, domid, 1, info) != 1 || info->domid != domid)
                return -ESRCH;
        return 0;
}

/* The node holding most of the guest's pages, from the patch's counters. */
static uint32_t guest_home_node(struct state *s, uint32_t domid)
{
        uint64_t pages[64];
        uint32_t nr = 64, best = NO_NODE, i;

        if (!s->dctl || nf_xen_domctl_node_pages(s->dctl, (uint16_t)domid, pages, &nr, NULL))
                return NO_NODE;
        for (i = 0; i < nr; i++)
                if (best == NO_NODE || pages[i] > pages[best])
                        best = i;
        return best;
}

/* Map the guest's grant table writable, the way libxenctrl maps it read-only. */
static int map_grant_table(struct state *s, uint32_t domid)
{
        struct gnttab_query_size query = {.dom = (domid_t)domid};
        struct gnttab_setup_table setup = {.dom = (domid_t)domid};
        DECLARE_HYPERCALL_BUFFER(xen_pfn_t, frames);
        xen_pfn_t *pfns = NULL;
        int *errs = NULL;
        unsigned int i, nr;
        int rc = 0;

        if (xc_gnttab_op(s->xch, GNTTABOP_query_size, &query, sizeof(query), 1) ||
            query.status != GNTST_okay)
                return -EIO;
        nr = query.nr_frames;
        if (!nr)
                return -ENOENT;
        frames = xc_hypercall_buffer_alloc(s->xch, frames, nr * sizeof(*frames));
        pfns = calloc(nr, sizeof(*pfns));
        errs = calloc(nr, sizeof(*errs));
        if (!frames || !pfns || !errs) {
                rc = -ENOMEM;
                goto out;
        }
        setup.nr_frames = nr;
        set_xen_guest_handle(setup.frame_list, frames);
        if (xc_gnttab_op(s->xch, GNTTABOP_setup_table, &setup, sizeof(setup), 1) ||
            setup.status != GNTST_okay) {
                rc = -EIO;
                goto out;
        }
        for (i = 0; i < nr; i++)
                pfns[i] = frames[i];
        s->gnt = xenforeignmemory_map(s->fmem, domid, PROT_READ | PROT_WRITE, nr, pfns, errs);
        if (!s->gnt) {
                rc = errno ? -errno : -EIO;
                goto out;
        }
        s->gnt_frames = nr;

        /* Use the highest unused entry: guests allocate from the bottom. */
        rc = -ENOSPC;
        for (i = nr * (PAGE_BYTES / sizeof(grant_entry_v1_t)); i-- > 8;) {
                if (s->gnt[i].flags == 0) {
                        s->ref = i;
                        rc = 0;
                        break;
                }
        }
out:
        if (frames)
                xc_hypercall_buffer_free(s->xch, frames);
        free(pfns);
        free(errs);
        return rc;
}

/* Put aside guest frames on its home node, to give back in exchanges. */
static int take_spares(struct state *s, const struct opts *o, unsigned int want)
{
        unsigned int flags = 0, i;
        xc_dominfo_t info;
        unsigned long headroom;

        if (get_info(s->xch, o->domid, &info))
                return -ESRCH;
        headroom = info.max_memkb / 4 > info.nr_pages ? info.max_memkb / 4 - info.nr_pages : 0;
        /* Keep one page for the next transfer. */
        if (headroom < 2)
                return -ENOSPC;
        if (want > headroom - 1)
                want = (unsigned int)(headroom - 1);
        for (i = 0; i < want; i++)
                s->spare[i] = s->next_gfn++;
        if (s->home_node != NO_NODE)
                flags = XENMEMF_exact_node(s->home_node);
        if (xc_domain_populate_physmap_exact(s->xch, o->domid, want, 0, flags, s->spare))
                return errno ? -errno : -EIO;
        /* A PV guest's extents come back as mfns, which is what Xen wants later. */
        s->nr_spare = want;
        return 0;
}

static int give_back_spare(struct state *s, uint32_t domid)
{
        xen_pfn_t f = s->spare[--s->nr_spare];

        if (xc_domain_decrease_reservation_exact(s->xch, domid, 1, 0, &f))
                return errno ? -errno : -EIO;
        return 0;
}

static int flip_once(struct state *s, const struct opts *o)
{
        unsigned int mem_flags = 0;
        grant_entry_v1_t *e = &s->gnt[s->ref];
        gnttab_transfer_t op;
        xen_pfn_t frame;
        int rc;

        if (o->pool_node != NO_NODE)
                mem_flags = XENMEMF_node(o->pool_node) | NF_XENMEMF_FLIP_POOL;
        if (xc_domain_increase_reservation_exact(s->xch, DOMID_SELF, 1, 0, mem_flags, &frame)) {
                rc = errno ? -errno : -EIO;
                fprintf(stderr, "flipload: dom0 cannot get a frame: %s%s\n", strerror(-rc),
                        rc == -ENOMEM || rc == -EBUSY
                            ? " (give dom0 headroom: dom0_mem=X,max:Y or xl mem-max 0)"
                            : "");
                return rc;
        }

        e->domid = 0;
        e->frame = (uint32_t)s->next_gfn++;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        e->flags = GTF_accept_transfer;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);

        op = (gnttab_transfer_t){.mfn = frame, .domid = (domid_t)o->domid, .ref = s->ref};
        rc = xc_gnttab_op(s->xch, GNTTABOP_transfer, &op, sizeof(op), 1);
        e->flags = 0;
        if (rc || op.status != GNTST_okay) {
                fprintf(stderr, "flipload: GNTTABOP_transfer failed (rc %d, status %d)\n", rc,
                        op.status);
                /* On GNTST_bad_page the frame was not taken: return it. */
                if (!rc && op.status == GNTST_bad_page)
                        (void)xc_domain_decrease_reservation_exact(s->xch, DOMID_SELF, 1, 0,
                                                                   &frame);
                return -EIO;
        }
        s->flips++;

        if (!o->exchange)
                return 0;
        if (!s->nr_spare) {
                unsigned long left = o->count ? o->count - s->flips : o->spares;

                rc = take_spares(s, o, left < o->spares ? (unsigned int)left + 1 : o->spares);
                if (rc) {
                        fprintf(stderr, "flipload: cannot set guest frames aside: %s%s\n",
                                strerror(-rc),
                                rc == -ENOSPC ? " (raise its maximum: xl mem-max DOMAIN SIZE)"
                                              : "");
                        return rc;
                }
        }
        rc = give_back_spare(s, o->domid);
        if (rc) {
                fprintf(stderr, "flipload: exchange failed: %s\n", strerror(-rc));
                return rc;
        }
        s->exchanged++;
        return 0;
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pace(double start, unsigned long done, double rate)
{
        double due, left;
        struct timespec ts;

        if (rate <= 0)
                return;
        due = start + done / rate;
        left = due - now_s();
        if (left <= 0)
                return;
        ts.tv_sec = (time_t)left;
        ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
        nanosleep(&ts, NULL); /* EINTR on SIGINT is fine: the loop checks */
}

static int setup(struct state *s, const struct opts *o)
{
        xc_dominfo_t info, dom0;
        xen_pfn_t maxgpfn = 0;
        int rc;

        s->xch = xc_interface_open(NULL, NULL, 0);
        if (!s->xch) {
                fprintf(stderr,
                        "flipload: cannot open libxenctrl (are we in dom0, "
                        "with /dev/xen/privcmd?): %s\n",
                        strerror(errno));
                return -errno ? -errno : -EIO;
        }
        s->fmem = xenforeignmemory_open(NULL, 0);
        if (!s->fmem) {
                fprintf(stderr, "flipload: cannot open xenforeignmemory: %s\n", strerror(errno));
                return -EIO;
        }
        rc = nf_xen_domctl_open(&s->dctl);
        if (!rc && (rc = nf_xen_domctl_probe(s->dctl))) {
                nf_xen_domctl_close(s->dctl);
                s->dctl = NULL;
        }
        if (!s->dctl && o->pool_node != NO_NODE) {
                fprintf(stderr, "flipload: --pool needs the numaflip hypervisor patch (%s: %s)\n",
                        nf_xen_domctl_probe_str(rc), strerror(-rc));
                return -EOPNOTSUPP;
        }
        if (get_info(s->xch, o->domid, &info)) {
                fprintf(stderr, "flipload: no domain %u\n", o->domid);
                return -ESRCH;
        }
        if (info.max_memkb / 4 <= info.nr_pages + 1) {
                fprintf(stderr,
                        "flipload: domain %u has no headroom (%lu of %lu KiB); "
                        "raise its maximum (xl mem-max)\n",
                        o->domid, info.nr_pages * 4, info.max_memkb);
                return -ENOSPC;
        }
        if (get_info(s->xch, 0, &dom0) == 0 && dom0.max_memkb / 4 <= dom0.nr_pages)
                fprintf(stderr,
                        "flipload: warning: dom0 is at its maximum (%lu KiB); "
                        "frames for it may be refused\n",
                        dom0.max_memkb);
        s->translated = info.hvm;
        s->home_node = guest_home_node(s, o->domid);
        if (xc_domain_maximum_gpfn(s->xch, o->domid, &maxgpfn))
                maxgpfn = 0;
        /* Unused gfns: well above the guest's map (and any hole it uses). */
        s->next_gfn = (maxgpfn > 0x100000 ? maxgpfn : 0x100000) + 0x10000;
        if (s->next_gfn + 0x10000000ul > UINT32_MAX) {
                fprintf(stderr, "flipload: guest gfn space too large for v1 grants\n");
                return -ERANGE;
        }
        rc = map_grant_table(s, o->domid);
        if (rc) {
                fprintf(stderr, "flipload: cannot map domain %u's grant table: %s\n", o->domid,
                        strerror(-rc));
                return rc;
        }
        s->spare = calloc(o->spares + 1, sizeof(*s->spare));
        return s->spare ? 0 : -ENOMEM;
}

static void teardown(struct state *s, const struct opts *o)
{
        /* Spares not given back stay the guest's memory: release them. */
        while (s->nr_spare && s->xch && !give_back_spare(s, o->domid))
                ;
        if (s->gnt)
                xenforeignmemory_unmap(s->fmem, s->gnt, s->gnt_frames);
        free(s->spare);
        nf_xen_domctl_close(s->dctl);
        if (s->fmem)
                xenforeignmemory_close(s->fmem);
        if (s->xch)
                xc_interface_close(s->xch);
}

int main(int argc, char **argv)
{
        struct nf_xen_numaflip_pool before = {0}, after = {0};
        struct state s = {0};
        struct sigaction sa = {.sa_handler = on_signal};
        struct opts o;
        double start, elapsed;
        int rc;

        rc = parse_args(argc, argv, &o);
        if (rc)
                return rc > 0 ? 0 : 2;

        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);

        rc = setup(&s, &o);
        if (rc)
                goto out;
        if (o.pool_node != NO_NODE)
                (void)nf_xen_domctl_pool_get(s.dctl, o.pool_node, &before);
        if (!o.quiet) {
                char home[16] = "unknown", src[48] = "ordinary allocation";

                if (s.home_node != NO_NODE)
                        snprintf(home, sizeof(home), "%u", s.home_node);
                if (o.pool_node != NO_NODE)
                        snprintf(src, sizeof(src), "the flip pool of node %u", o.pool_node);
                printf("flipload: domain %u (%s, home node %s), grant ref %u, "
                       "frames from %s, %s\n",
                       o.domid, s.translated ? "translated" : "PV", home, s.ref, src,
                       o.exchange ? "one frame taken back per flip" : "no exchange");
        }

        start = now_s();
        while (!stop_requested && (!o.count || s.flips < o.count)) {
                rc = flip_once(&s, &o);
                if (rc)
                        break;
                if (!o.quiet && s.flips % 1000 == 0)
                        printf("flipload: %lu flips\n", s.flips);
                pace(start, s.flips, o.rate);
        }
        elapsed = now_s() - start;

        printf("flipload: %lu flips, %lu frames taken back, %.2f s, %.0f flips/s%s\n", s.flips,
               s.exchanged, elapsed, elapsed > 0 ? s.flips / elapsed : 0.0,
               stop_requested ? " (interrupted)" : "");
        if (o.pool_node != NO_NODE && !nf_xen_domctl_pool_get(s.dctl, o.pool_node, &after))
                printf("flipload: pool node %u: handed out +%" PRIu64 ", fallbacks +%" PRIu64
                       ", hits +%" PRIu64 ", misses +%" PRIu64 ", held %" PRIu64 "/%" PRIu64 "\n",
                       o.pool_node, after.handed_out - before.handed_out,
                       after.fallbacks - before.fallbacks, after.hits - before.hits,
                       after.misses - before.misses, after.held, after.target);
out:
        teardown(&s, &o);
        return rc ? 1 : 0;
}
