/* A scripted mock backend for unit tests: guests, pages, migrate results and pool counters set by
 * the test. */
#ifndef MOCK_BACKEND_H
#define MOCK_BACKEND_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

#include "numaflip/backend.h"

#define MOCK_GUESTS 8
#define MOCK_STEPS 64

/* What one migrate call returns; unscripted calls move what they are asked. */
struct mock_step {
        int rc;
        uint64_t moved; /* capped by what the guest has remote */
        uint64_t skipped, failed;
        bool more;
        bool stuck;       /* leave the cursor where it was */
        uint64_t took_ns; /* how far the call moves the mock's wall clock */
        const char *why;  /* for -EOPNOTSUPP */
        bool vanish;      /* the guest is gone after this call */
        uint64_t over;    /* pages moved beyond the ask (a huge page moving whole) */
        bool gate;        /* waits for mock_open_gate() first (a call off the loop) */
};

struct mock_call {
        uint32_t id;
        uint64_t max;
        nf_nodemask_t from;
        unsigned to;
        struct nf_migrate_cursor cursor; /* as the daemon passed it in */
        pthread_t thread;                /* the call ran on */
};

/* The whole host, reset by mock_reset(): two nodes, guests homed on node 1. */
struct mock {
        struct nf_backend be;
        unsigned caps;
        int pipe[2]; /* the watch fd: the test writes to [1] */
        unsigned acks;
        size_t nr;
        struct nf_guest_info guest[MOCK_GUESTS];
        uint64_t pages[MOCK_GUESTS][2];
        bool receiver[MOCK_GUESTS];
        struct mock_step script[MOCK_STEPS];
        size_t nr_steps, next_step;
        struct mock_call calls[MOCK_STEPS];
        size_t nr_calls;
        uint64_t wall_ns;
        struct nf_clock wall; /* its clock: advanced only by migrate calls */
        uint64_t free_pages[2];
        struct nf_pool_info pool[2];
        unsigned pool_sets, pool_enables;
        bool virtual_clock; /* the daemon runs in virtual time (set before it starts) */
        uint64_t relist_ns; /* what relist_after answers */
        unsigned lists;     /* listings so far */
        /* A gated call posts at_gate, waits for gate, and posts left when it returns:
         * the test touches the mock only while the call waits or once it has left. */
        sem_t at_gate, gate, left;
};

extern struct mock mock;
extern const struct nf_backend_ops mock_ops;

/* Empties the host and sets the capabilities (pools need NF_CAP_POOL). */
void mock_reset(unsigned caps);
/* Adds a guest of pages pages, remote of them on node 0, the rest on node 1 (its home). */
struct nf_guest_info *mock_guest(uint32_t id, const char *name, uint64_t pages, uint64_t remote);
/* Appends a step to the migrate script. */
void mock_script(struct mock_step step);
/* Lets a gated migrate call go on. */
void mock_open_gate(void);
/* The guest's index, or -1. */
int mock_find(uint32_t id);

#endif
