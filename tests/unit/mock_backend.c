/* A scripted mock backend for unit tests: guests, pages, migrate results and pool counters set by
 * the test. */
#include "mock_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct mock mock;

static uint64_t mock_wall_now(const struct nf_clock *c)
{
        (void)c;
        return mock.wall_ns;
}

void mock_reset(unsigned caps)
{
        if (mock.pipe[0] > 0) {
                close(mock.pipe[0]);
                close(mock.pipe[1]);
                sem_destroy(&mock.at_gate);
                sem_destroy(&mock.gate);
                sem_destroy(&mock.left);
        }
        memset(&mock, 0, sizeof(mock));
        sem_init(&mock.at_gate, 0, 0);
        sem_init(&mock.gate, 0, 0);
        sem_init(&mock.left, 0, 0);
        mock.be.ops = &mock_ops;
        mock.caps = caps;
        mock.wall.now_ns = mock_wall_now;
        mock.wall_ns = 1000000000ull;
        mock.free_pages[0] = mock.free_pages[1] = 1u << 19;
        if (pipe2(mock.pipe, O_NONBLOCK | O_CLOEXEC) < 0)
                mock.pipe[0] = mock.pipe[1] = -1;
}

struct nf_guest_info *mock_guest(uint32_t id, const char *name, uint64_t pages, uint64_t remote)
{
        struct nf_guest_info *g = &mock.guest[mock.nr];

        memset(g, 0, sizeof(*g));
        g->id = id;
        snprintf(g->name, sizeof(g->name), "%s", name);
        g->memory_pages = pages;
        g->home = NF_NODE_BIT(1);
        snprintf(g->home_rule, sizeof(g->home_rule), "mock");
        g->migratable = true;
        mock.pages[mock.nr][0] = remote;
        mock.pages[mock.nr][1] = pages - remote;
        mock.nr++;
        return g;
}

void mock_script(struct mock_step step)
{
        if (mock.nr_steps < MOCK_STEPS)
                mock.script[mock.nr_steps++] = step;
}

int mock_find(uint32_t id)
{
        for (size_t i = 0; i < mock.nr; i++)
                if (mock.guest[i].id == id)
                        return (int)i;
        return -1;
}

/* Tests run the daemon in virtual time, moved by nf_sched_advance. */
static void m_clock(const void *conf, struct nf_clock_spec *spec)
{
        (void)conf;
        spec->kind = mock.virtual_clock ? NF_CLOCK_VIRTUAL : NF_CLOCK_REAL;
        spec->speed = 1.0;
}

static int m_open(const struct nf_backend_env *env, struct nf_backend **out, char *err,
                  size_t errlen)
{
        (void)env;
        (void)err;
        (void)errlen;
        *out = &mock.be;
        return 0;
}

static void m_close(struct nf_backend *be)
{
        (void)be;
}

static unsigned m_caps(const struct nf_backend *be)
{
        (void)be;
        return mock.caps;
}

static int m_topology(struct nf_backend *be, struct nf_topology *topo)
{
        (void)be;
        memset(topo, 0, sizeof(*topo));
        topo->nr_nodes = 2;
        for (unsigned n = 0; n < 2; n++) {
                topo->node[n].total_pages = 1u << 20;
                topo->node[n].free_pages = mock.free_pages[n];
                for (unsigned m = 0; m < 2; m++)
                        topo->distance[n][m] = n == m ? 10 : 20;
        }
        return 0;
}

static uint64_t m_relist_after(struct nf_backend *be)
{
        (void)be;
        return mock.relist_ns;
}

static int m_list(struct nf_backend *be, struct nf_guest_info *buf, size_t cap, size_t *n)
{
        (void)be;
        mock.lists++;
        for (size_t i = 0; i < mock.nr && i < cap; i++)
                buf[i] = mock.guest[i];
        *n = mock.nr;
        return 0;
}

static int m_pages(struct nf_backend *be, uint32_t id, uint64_t *pages, unsigned nr_nodes)
{
        (void)be;
        int i = mock_find(id);

        if (i < 0 || nr_nodes < 2)
                return i < 0 ? -ESRCH : -EINVAL;
        pages[0] = mock.pages[i][0];
        pages[1] = mock.pages[i][1];
        return 0;
}

/* Drops guest i from the host. */
static void vanish(int i)
{
        memmove(&mock.guest[i], &mock.guest[i + 1],
                (mock.nr - (size_t)i - 1) * sizeof(mock.guest[0]));
        memmove(&mock.pages[i], &mock.pages[i + 1],
                (mock.nr - (size_t)i - 1) * sizeof(mock.pages[0]));
        mock.nr--;
}

void mock_open_gate(void)
{
        sem_post(&mock.gate);
}

static int migrate_step(uint32_t id, nf_nodemask_t from, unsigned to, uint64_t max,
                        struct nf_migrate_cursor *cursor, struct nf_migrate_result *res,
                        struct mock_step st, bool scripted)
{
        int i = mock_find(id);

        if (mock.nr_calls < MOCK_STEPS)
                mock.calls[mock.nr_calls++] = (struct mock_call){.id = id,
                                                                 .max = max,
                                                                 .from = from,
                                                                 .to = to,
                                                                 .cursor = *cursor,
                                                                 .thread = pthread_self()};
        memset(res, 0, sizeof(*res));
        mock.wall_ns += st.took_ns;
        if (i < 0)
                return -ESRCH;
        if (st.rc == -EOPNOTSUPP && st.why)
                snprintf(res->why, sizeof(res->why), "%s", st.why);
        /* The script's count, bounded by the ask and by what is remote (node 0). */
        uint64_t moved = (st.moved < max ? st.moved : max) + st.over;
        if (moved > mock.pages[i][0])
                moved = mock.pages[i][0];
        if (st.rc == -EOPNOTSUPP)
                moved = 0;
        mock.pages[i][0] -= moved;
        mock.pages[i][1] += moved;
        res->moved = moved;
        res->skipped = st.skipped;
        res->failed = st.failed;
        res->more = scripted ? st.more : mock.pages[i][0] > 0;
        if (!st.stuck)
                cursor->pos[0]++;
        if (st.vanish)
                vanish(i);
        return st.rc;
}

static int m_migrate(struct nf_backend *be, uint32_t id, nf_nodemask_t from, unsigned to,
                     uint64_t max, struct nf_migrate_cursor *cursor, struct nf_migrate_result *res)
{
        (void)be;
        struct mock_step st = {.moved = max};
        bool scripted = mock.next_step < mock.nr_steps;

        if (scripted && mock.script[mock.next_step].gate) {
                /* Not for ever: a call made on the test's own thread (a daemon that
                 * does not run it off the loop) goes on after 5 s, and the test fails
                 * on what it then sees rather than hanging. */
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += 5;
                sem_post(&mock.at_gate);
                while (sem_timedwait(&mock.gate, &until) < 0 && errno == EINTR)
                        ;
        }
        if (scripted)
                st = mock.script[mock.next_step++];
        int rc = migrate_step(id, from, to, max, cursor, res, st, scripted);
        if (st.gate)
                sem_post(&mock.left);
        return rc;
}

static int m_pool_get(struct nf_backend *be, unsigned node, struct nf_pool_info *info)
{
        (void)be;
        if (node >= 2)
                return -EINVAL;
        *info = mock.pool[node];
        return 0;
}

static int m_pool_set(struct nf_backend *be, unsigned node, uint64_t target)
{
        (void)be;
        if (node >= 2)
                return -EINVAL;
        mock.pool_sets++;
        mock.pool[node].target = target;
        mock.pool[node].held = target;
        return 0;
}

static int m_pool_enable(struct nf_backend *be, unsigned node, bool enable)
{
        (void)be;
        if (node >= 2)
                return -EINVAL;
        mock.pool_enables++;
        mock.pool[node].enabled = enable;
        return 0;
}

static int m_set_receiver(struct nf_backend *be, uint32_t id, bool receiver)
{
        (void)be;
        int i = mock_find(id);

        if (i < 0)
                return -ESRCH;
        mock.receiver[i] = receiver;
        return 0;
}

static int m_watch_fd(struct nf_backend *be)
{
        (void)be;
        return mock.pipe[0];
}

static int m_watch_ack(struct nf_backend *be)
{
        (void)be;
        char buf[16];
        while (read(mock.pipe[0], buf, sizeof(buf)) > 0)
                ;
        mock.acks++;
        return 0;
}

const struct nf_backend_ops mock_ops = {
    .name = "mock",
    .compiled_in = true,
    .open = m_open,
    .close = m_close,
    .caps = m_caps,
    .topology = m_topology,
    .list_guests = m_list,
    .guest_pages = m_pages,
    .migrate = m_migrate,
    .pool_get = m_pool_get,
    .pool_set = m_pool_set,
    .pool_enable = m_pool_enable,
    .set_receiver = m_set_receiver,
    .watch_fd = m_watch_fd,
    .watch_ack = m_watch_ack,
    .relist_after = m_relist_after,
    .conf_clock = m_clock,
};
