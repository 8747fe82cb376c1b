/* The mover: works migration plans off in bounded, rate-paced batches from the loop. */
#ifndef NF_MOVER_H
#define NF_MOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numaflip/backend.h"
#include "nf_policy.h"
#include "nf_rate.h"
#include "nf_sched.h"
#include "nf_worker.h"

/* A plan's first batch, in pages: a plan starts this small and doubles while batches
 * take well under batch_time, so not even its first batch keeps the loop (and the control
 * socket) waiting longer than the budget on a slow host. */
#define NF_MOVER_FIRST_BATCH 256

struct nf_daemon;
struct nf_guest;

/* A migration in flight: the mover works it off in batches. */
struct nf_plan {
        bool active;
        enum nf_trigger trigger;
        uint64_t goal;    /* pages still to move, as of the last decision */
        uint64_t tried;   /* pages asked for in this plan's batches */
        uint64_t moved;   /* pages moved in this plan */
        uint64_t skipped; /* pages the backend passed over as unmovable */
        uint64_t failed;  /* pages the backend could not move this time */
        uint64_t batches;
        uint64_t started_ns;
        uint64_t serial;  /* tells this plan from a later one of the same guest */
        uint64_t updates; /* goals set from samples since it started */
        int target_node;
        uint64_t batch_cap;              /* pages per batch now: the batch size, halved while
                                            batches overrun batch_time */
        struct nf_migrate_cursor cursor; /* the backend's place in its scan of the guest */
};

/* One backend migrate call: set up on the loop, run there or on the worker's thread
 * (which then touches nothing else), and accounted on the loop. */
struct nf_batch {
        struct nf_backend *be;
        const struct nf_clock *wall;
        uint32_t id;
        uint64_t seq;     /* the guest's: an id reused meanwhile is another guest */
        uint64_t serial;  /* the plan it belongs to */
        uint64_t updates; /* the plan's, when the batch started */
        nf_nodemask_t from;
        unsigned to;
        uint64_t pages;
        uint64_t now; /* daemon time when it started */
        struct nf_migrate_cursor cursor;
        int rc;
        struct nf_migrate_result res;
        uint64_t took; /* on wall */
};

struct nf_mover {
        struct nf_daemon *d;
        struct nf_timer *timer;
        size_t next;                 /* round-robin position among guests */
        struct nf_rate rate;         /* over all guests */
        const struct nf_clock *wall; /* what a batch's time bound is measured on */
        bool stopping;
        uint64_t serial;          /* plans started so far */
        struct nf_worker *worker; /* when the backend's migrate may run off the loop */
        struct nf_batch batch;    /* the one in flight on the worker */
        bool warned_worker;       /* that a batch could not go to the worker (said once) */
};

/* Sets the mover up on d's scheduler; batches are timed on the monotonic clock, and run on
 * a thread of their own when d's backend allows it (NF_CAP_MIGRATE_THREAD). */
int nf_mover_init(struct nf_mover *m, struct nf_daemon *d, struct nf_sched *sched);
void nf_mover_fini(struct nf_mover *m);

/* Times batches on another clock (tests give one that the backend moves). */
void nf_mover_set_wall(struct nf_mover *m, const struct nf_clock *wall);

/* The global rate: bytes/s (0 unlimited) and bucket depth; fresh starts it full. */
void nf_mover_set_rate(struct nf_mover *m, uint64_t rate, uint64_t burst, bool fresh);

/* Starts a plan for dec on g, retargets it, or ends it (counting what it did). */
void nf_mover_start(struct nf_mover *m, struct nf_guest *g, const struct nf_decision *dec);
void nf_mover_update(struct nf_mover *m, struct nf_guest *g, uint64_t goal);
void nf_mover_end(struct nf_mover *m, struct nf_guest *g, bool completed, const char *why);

/* Looks at the plans again on the next loop turn (after resume, say). */
void nf_mover_kick(struct nf_mover *m);

/* Daemon stopping: no batch starts any more, and one in flight is waited for. */
void nf_mover_stop(struct nf_mover *m);

/* A batch is running off the loop. */
bool nf_mover_busy(const struct nf_mover *m);

#endif
