/* The sim backend: the nf_sim model behind the backend interface, its [sim] config, run lazily to
 * the clock. */
#include "numaflip/backend.h"
#include "nf_keys.h"
#include "nf_sim.h"
#include "nf_units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sim_backend {
        struct nf_backend base; /* first: the daemon reaches ops through it */
        struct nf_sim *model;
        struct nf_clock clock;
        uint64_t migrate_cost_ns; /* the real cost of a batch, so the mover's time bound bites */
        char desc[128];           /* fixed at open: seed, shape and clock cannot change on reload */
};

static const char *const clock_names[] = {"real", "virtual", NULL};

_Static_assert(sizeof(enum nf_clock_kind) == sizeof(int), "enum nf_clock_kind is not int-sized");

#define SIM_KEY(field, name, kind, ...)                                                            \
        NF_KEY_ENTRY(struct nf_sim_config, field, name, kind, __VA_ARGS__)
static const struct nf_key sim_keys[] = {
    SIM_KEY(seed, "seed", NF_KEY_U64),
    SIM_KEY(nr_nodes, "nodes", NF_KEY_UINT, .min = 1, .max = NF_MAX_NODES),
    SIM_KEY(node_pages, "node_size", NF_KEY_PAGES, .min = 1),
    SIM_KEY(cvm_node, "cvm_node", NF_KEY_UINT, .max = NF_MAX_NODES - 1),
    SIM_KEY(cvm_pages, "cvm_memory", NF_KEY_PAGES),
    SIM_KEY(step_ns, "step", NF_KEY_DURATION, .min = 1, .max = 60 * NF_NS_PER_SEC),
    SIM_KEY(clock, "clock", NF_KEY_ENUM, .names = clock_names),
    SIM_KEY(speed, "speed", NF_KEY_REAL, .fmin_open = true, .fmax = 1e6),
    /* Wall time copying one page costs (0: free), so batches take real time. */
    SIM_KEY(migrate_cost_ns, "migrate_cost", NF_KEY_DURATION, .max = NF_NS_PER_MS),
};
#undef SIM_KEY

#define VM_KEY(field, name, kind, ...)                                                             \
        NF_KEY_ENTRY(struct nf_sim_vm_config, field, name, kind, __VA_ARGS__)
static const struct nf_key sim_vm_keys[] = {
    VM_KEY(memory_pages, "memory", NF_KEY_PAGES),
    VM_KEY(home, "home", NF_KEY_UINT, .max = NF_MAX_NODES - 1),
    VM_KEY(flip_rate, "flip_rate", NF_KEY_PER_SEC),
    VM_KEY(migratable, "migratable", NF_KEY_BOOL),
};
#undef VM_KEY

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

static void *sim_conf_new(void)
{
        struct nf_sim_config *c = calloc(1, sizeof(*c));

        if (c)
                nf_sim_config_defaults(c);
        return c;
}

static void sim_conf_free(void *conf)
{
        struct nf_sim_config *c = conf;

        if (!c)
                return;
        nf_sim_config_clear(c);
        free(c);
}

/* The VM of a [sim.vm NAME] section, made on its first key. */
static struct nf_sim_vm_config *conf_vm(struct nf_sim_config *c, const char *name)
{
        /* Keys of one section come together: the last VM is nearly always the one. */
        for (size_t i = c->nr_vms; i-- > 0;)
                if (strcmp(c->vm[i].name, name) == 0)
                        return &c->vm[i];
        return nf_sim_config_add_vm(c, name);
}

static const struct nf_key *sim_conf_keys(const char *kind, size_t *n)
{
        if (!kind) {
                *n = NKEYS(sim_keys);
                return sim_keys;
        }
        if (strcmp(kind, "sim.vm") == 0) {
                *n = NKEYS(sim_vm_keys);
                return sim_vm_keys;
        }
        *n = 0;
        return NULL;
}

static int sim_conf_key(void *conf, const char *kind, const char *arg, const char *key,
                        const char *value, char *err, size_t errlen)
{
        struct nf_sim_config *c = conf;
        const struct nf_key *k;

        if (!kind) {
                k = nf_key_find(sim_keys, NKEYS(sim_keys), key);
                return k ? nf_key_parse(k, c, value, err, errlen) : -ENOENT;
        }
        if (strcmp(kind, "sim.vm") == 0 && arg) {
                struct nf_sim_vm_config *vm;

                k = nf_key_find(sim_vm_keys, NKEYS(sim_vm_keys), key);
                if (!k)
                        return -ENOENT;
                vm = conf_vm(c, arg);
                if (!vm)
                        return nf_err(-ENOMEM, err, errlen, "out of memory");
                return nf_key_parse(k, vm, value, err, errlen);
        }
        return -ENOENT; /* the daemon's [vm NAME] holds nothing of the sim's */
}

static int sim_conf_check(void *conf, struct nf_check_error *e)
{
        int rc = nf_sim_config_validate(conf, e);

        if (rc < 0 && !e->section[0])
                snprintf(e->section, sizeof(e->section), "sim");
        return rc;
}

static void sim_conf_clock(const void *conf, struct nf_clock_spec *spec)
{
        const struct nf_sim_config *c = conf;

        if (!c)
                return; /* no [sim] config: the defaults, real time */
        spec->kind = c->clock;
        spec->speed = c->clock == NF_CLOCK_REAL ? c->speed : 1.0;
}

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
        if (c->clock == NF_CLOCK_VIRTUAL)
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
        if (!env || !env->clock || !env->clock->now_ns)
                return nf_err(-EINVAL, err, errlen, "no clock given");
        c = env->conf;
        if (!c) {
                /* No [sim] section: an empty default host still lets the daemon run. */
                nf_sim_config_defaults(&defaults);
                c = &defaults;
        }
        sb = calloc(1, sizeof(*sb));
        if (!sb)
                return nf_err(-ENOMEM, err, errlen, "out of memory");
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
                       uint64_t max, struct nf_migrate_cursor *cursor,
                       struct nf_migrate_result *res)
{
        (void)cursor; /* the model has no addresses: each call looks at all that is left */
        int rc = nf_sim_migrate(catch_up(be), id, from, to, max, res);
        uint64_t cost = to_sim(be)->migrate_cost_ns * res->moved;
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

static int sim_pool_enable(struct nf_backend *be, unsigned node, bool enable)
{
        return nf_sim_pool_enable(catch_up(be), node, enable);
}

static int sim_set_receiver(struct nf_backend *be, uint32_t id, bool receiver)
{
        return nf_sim_set_receiver(catch_up(be), id, receiver);
}

static int sim_watch_fd(struct nf_backend *be)
{
        (void)be;
        return -1; /* guests change only through reload, which the daemon drives itself */
}

static int sim_reload(struct nf_backend *be, const void *conf, char *err, size_t errlen)
{
        struct sim_backend *sb = to_sim(be);
        struct nf_sim_config defaults;
        const struct nf_sim_config *c = conf;
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
    .pool_enable = sim_pool_enable,
    .set_receiver = sim_set_receiver,
    .watch_fd = sim_watch_fd,
    .reload = sim_reload,
    .describe = sim_describe,
    .conf_sections = "sim, sim.vm NAME",
    .conf_keys = sim_conf_keys,
    .conf_new = sim_conf_new,
    .conf_free = sim_conf_free,
    .conf_key = sim_conf_key,
    .conf_check = sim_conf_check,
    .conf_clock = sim_conf_clock,
};
