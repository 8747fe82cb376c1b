/* Tests of the linux backend on this host's real /proc and move_pages: a child process as the
 * guest. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "numaflip/backend.h"

#define CHILD_PAGES 8192 /* 32 MiB */

static const struct nf_backend_ops *ops = &nf_backend_linux_ops;

static uint64_t fake_now(const struct nf_clock *c)
{
        (void)c;
        return 0;
}

/* A child that touches CHILD_PAGES pages, says so on a pipe and waits to be killed. */
static pid_t start_child(void)
{
        int fds[2];
        char c;

        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test leaves no child behind */
                char *m = mmap(NULL, (size_t)CHILD_PAGES * NF_PAGE_SIZE, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (m == MAP_FAILED)
                        _exit(1);
                for (size_t i = 0; i < CHILD_PAGES; i++)
                        m[i * NF_PAGE_SIZE] = 1;
                if (write(fds[1], "r", 1) != 1)
                        _exit(1);
                for (;;)
                        pause();
        }
        close(fds[1]);
        assert_int_equal(read(fds[0], &c, 1), 1);
        close(fds[0]);
        return pid;
}

static struct nf_backend *open_on(pid_t pid, const char *scan, void **confp)
{
        struct nf_clock clock = {.now_ns = fake_now};
        struct nf_backend_env env = {.clock = &clock};
        struct nf_backend *be;
        char err[256], p[16];
        void *conf = ops->conf_new();

        snprintf(p, sizeof(p), "%d", (int)pid);
        assert_non_null(conf);
        assert_int_equal(ops->conf_key(conf, "vm", "child", "pid", p, err, sizeof(err)), 0);
        assert_int_equal(ops->conf_key(conf, NULL, NULL, "qemu", "no", err, sizeof(err)), 0);
        assert_int_equal(ops->conf_key(conf, NULL, NULL, "scan", scan, err, sizeof(err)), 0);
        assert_int_equal(ops->conf_key(conf, NULL, NULL, "sample_pages", "1024", err, sizeof(err)),
                         0);
        env.conf = conf;
        assert_int_equal(ops->open(&env, &be, err, sizeof(err)), 0);
        *confp = conf;
        return be;
}

static void test_observe_child(void **state)
{
        (void)state;
        if (!ops->compiled_in)
                skip();
        pid_t pid = start_child();
        void *conf;
        struct nf_backend *be = open_on(pid, "full", &conf);
        struct nf_topology topo;
        struct nf_guest_info g[4];
        uint64_t pages[NF_MAX_NODES], total = 0;
        size_t n;

        assert_int_equal(ops->topology(be, &topo), 0);
        assert_true(topo.nr_nodes >= 1);
        assert_true(topo.node[0].total_pages > 0);
        assert_int_equal(topo.distance[0][0], 10);
        assert_int_equal(ops->caps(be) & NF_CAP_POOL, 0);

        assert_int_equal(ops->list_guests(be, g, 4, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(g[0].id, (uint32_t)pid);
        assert_string_equal(g[0].name, "child");
        assert_true(g[0].migratable);
        assert_true(g[0].memory_pages >= CHILD_PAGES);

        assert_int_equal(ops->guest_pages(be, g[0].id, pages, topo.nr_nodes), 0);
        for (unsigned i = 0; i < topo.nr_nodes; i++)
                total += pages[i];
        assert_true(total >= CHILD_PAGES);
        /* What is resident is what the kernel counts in its RSS (under valgrind too). */
        assert_true(total <= g[0].memory_pages + 1024);

        /* Sampled: 1024 resident pages give a bound of 4.2%. */
        assert_int_equal(ops->reload(be, NULL, NULL, 0), 0); /* defaults: full */
        ops->close(be);
        ops->conf_free(conf);
        be = open_on(pid, "sample", &conf);
        assert_int_equal(ops->list_guests(be, g, 4, &n), 0);
        assert_non_null(strstr(ops->describe(be), "within 4.2%"));
        /* How close the estimate is is test_linux's business (fixtures of known layout):
         * here sanitizers' and valgrind's vast sparse mappings share the address space. */
        assert_int_equal(ops->guest_pages(be, g[0].id, pages, topo.nr_nodes), 0);

        /* Killed but not yet waited for: a zombie keeps its pid and start time, and is gone. */
        assert_int_equal(kill(pid, SIGKILL), 0);
        for (int i = 0; i < 200; i++) {
                char path[64], buf[256];
                snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
                FILE *f = fopen(path, "r");
                assert_non_null(f);
                size_t len = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
                buf[len] = '\0';
                if (strstr(buf, ") Z "))
                        break;
                usleep(5000);
        }
        struct nf_migrate_cursor cur = {.budget_ns = 0};
        struct nf_migrate_result res;
        assert_int_equal(ops->guest_pages(be, (uint32_t)pid, pages, topo.nr_nodes), -ESRCH);
        assert_int_equal(ops->migrate(be, (uint32_t)pid, 1, 0, 16, &cur, &res), -ESRCH);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        assert_int_equal(ops->guest_pages(be, (uint32_t)pid, pages, topo.nr_nodes), -ESRCH);
        assert_int_equal(ops->list_guests(be, g, 4, &n), 0);
        assert_int_equal(n, 0);
        /* A pid never listed is no guest either. */
        assert_int_equal(ops->guest_pages(be, 1, pages, topo.nr_nodes), -ESRCH);
        ops->close(be);
        ops->conf_free(conf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_observe_child),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
