/* The sim backend: the nf_sim model behind the backend interface, run lazily to the clock. */
#include "numaflip/backend.h"
#include "nf_sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct sim_backend {
        struct nf_backend base; /* first: the daemon reaches ops through it */
        struct nf_sim *model;
        struct nf_clock clock;
        uint64_t migrate_cost_ns; /* the real cost of a batch, so the mover's time bound bites */
        char desc[128];           /* fixed at open: seed, shape and clock cannot change on reload */
};

static struct sim_backend *to_sim(struct nf_backend *be)
{
        return (struct sim_backend *)be;
}

static const struct sim_backend *to_csim(const struct nf_backend *be)
{
        return (const struct sim_backend *)be;
}

/* Every operation first brings the workload up to the daemon's current time. */
static struct nf_sim *catch_up(struct nf_backend *be)
{
        struct sim_backend *sb = to_sim(be);

        nf_sim_advance(sb->model, sb->clock.now_ns(&sb->clock));
        return sb->model;
}

static void describe_config(struct sim_backend *sb, const struct nf_sim_config *c)
{
        if (c->clock == NF_SIM_CLOCK_VIRTUAL)
                snprintf(sb->desc, sizeof(sb->desc), "sim: %u nodes, seed %llu, virtual clock",
                         c->nr_nodes, (unsigned long long)c->seed);
        else
                snprintf(sb->desc, sizeof(sb->desc), "sim: %u nodes, seed %llu, real clock x%g",
                         c->nr_nodes, (unsigned long long)c->seed, c->speed);
}

static int sim_open(const struct nf_backend_env *env, struct nf_backend **out, char *err,
                    size_t errlen)
{
        struct nf_sim_config defaults;
        const struct nf_sim_config *c;
        struct sim_backend *sb;
        int rc;

        *out = NULL;
        if (!env || !env->clock || !env->clock->now_ns) {
                snprintf(err, errlen, "no clock given");
                return -EINVAL;
        }
        c = env->sim;
        if (!c) {
                /* No [sim] section: an empty default host still lets the daemon run. */
                nf_sim_config_defaults(&defaults);
                c = &defaults;
        }
        sb = calloc(1, sizeof(*sb));
        if (!sb) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        sb->base.ops = &nf_backend_sim_ops;
        sb->clock = *env->clock;
        rc = nf_sim_new(c, sb->clock.now_ns(&sb->clock), &sb->model, err, errlen);
        if (rc < 0) {
                free(sb);
                return rc;
        }
        describe_config(sb, c);
        sb->migrate_cost_ns = c->migrate_cost_ns;
        *out = &sb->base;
        return 0;
}

static void sim_close(struct nf_backend *be)
{
        struct sim_backend *sb = to_sim(be);

        if (!sb)
                return;
        nf_sim_free(sb->model);
        free(sb);
}

static unsigned sim_caps(const struct nf_backend *be)
{
        (void)be;
        return NF_CAP_OBSERVE | NF_CAP_MIGRATE | NF_CAP_POOL;
}

static int sim_topology(struct nf_backend *be, struct nf_topology *topo)
{
        nf_sim_topology(catch_up(be), topo);
        return 0;
}

static int sim_list_guests(struct nf_backend *be, struct nf_guest_info *buf, size_t cap, size_t *n)
{
        *n = nf_sim_guests(catch_up(be), buf, cap);
        return 0;
}

static int sim_guest_pages(struct nf_backend *be, uint32_t id, uint64_t *pages, unsigned nr_nodes)
{
        return nf_sim_guest_pages(catch_up(be), id, pages, nr_nodes);
}

static int sim_migrate(struct nf_backend *be, uint32_t id, nf_nodemask_t from, unsigned to,
                       uint64_t max, uint64_t *moved)
{
        int rc = nf_sim_migrate(catch_up(be), id, from, to, max, moved);
        uint64_t cost = to_sim(be)->migrate_cost_ns * *moved;
        if (cost) {
                /* Copying pages takes wall time whatever the sim's clock says. */
                struct timespec ts = {.tv_sec = (time_t)(cost / 1000000000ull),
                                      .tv_nsec = (long)(cost % 1000000000ull)};
                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
        }
        return rc;
}

static int sim_pool_get(struct nf_backend *be, unsigned node, struct nf_pool_info *info)
{
        return nf_sim_pool_get(catch_up(be), node, info);
}

static int sim_pool_set(struct nf_backend *be, unsigned node, uint64_t target)
{
        return nf_sim_pool_set(catch_up(be), node, target);
}

static int sim_watch_fd(struct nf_backend *be)
{
        (void)be;
        return -1; /* guests change only through reload, which the daemon drives itself */
}

static int sim_reload(struct nf_backend *be, const struct nf_backend_env *env, char *err,
                      size_t errlen)
{
        struct sim_backend *sb = to_sim(be);
        struct nf_sim_config defaults;
        const struct nf_sim_config *c = env ? env->sim : NULL;
        int rc;

        if (!c) {
                nf_sim_config_defaults(&defaults);
                c = &defaults;
        }
        catch_up(be); /* the old workload runs up to now, the new one from now on */
        rc = nf_sim_reconfigure(sb->model, c, err, errlen);
        if (rc < 0)
                return rc;
        sb->migrate_cost_ns = c->migrate_cost_ns;
        if (env && env->clock && env->clock->now_ns)
                sb->clock = *env->clock;
        return 0;
}

static const char *sim_describe(const struct nf_backend *be)
{
        return to_csim(be)->desc;
}

const struct nf_backend_ops nf_backend_sim_ops = {
    .name = "sim",
    .compiled_in = true,
    .open = sim_open,
    .close = sim_close,
    .caps = sim_caps,
    .topology = sim_topology,
    .list_guests = sim_list_guests,
    .guest_pages = sim_guest_pages,
    .migrate = sim_migrate,
    .pool_get = sim_pool_get,
    .pool_set = sim_pool_set,
    .watch_fd = sim_watch_fd,
    .reload = sim_reload,
    .describe = sim_describe,
};
