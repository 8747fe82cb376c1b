/* Unit test of the numaflip domctl's encoding against the byte layout in
 * patches/xen-4.17/README.md, with libxencall replaced at link time by a fake hypervisor. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <xencall.h>

#include "xen_domctl.h"

/* --- the fake libxencall: records each domctl as bytes, answers as Xen would ---------- */

static uint8_t *buffer; /* the one hypercall buffer xen_domctl allocates */
static size_t buffer_len;
static uint8_t seen[144]; /* the domctl as the hypervisor got it */
static unsigned calls;
static int answer_errno;            /* 0: success */
static void (*answer)(uint8_t *dc); /* writes the outputs into the domctl */

struct xencall_handle {
        int unused;
};
static struct xencall_handle the_handle;

xencall_handle *xencall_open(struct xentoollog_logger *logger, unsigned open_flags)
{
        (void)logger;
        (void)open_flags;
        return &the_handle;
}

int xencall_close(xencall_handle *xcall)
{
        assert_ptr_equal(xcall, &the_handle);
        return 0;
}

void *xencall_alloc_buffer(xencall_handle *xcall, size_t size)
{
        assert_ptr_equal(xcall, &the_handle);
        assert_null(buffer);
        buffer = calloc(1, size);
        buffer_len = size;
        return buffer;
}

void xencall_free_buffer(xencall_handle *xcall, void *p)
{
        assert_ptr_equal(xcall, &the_handle);
        assert_ptr_equal(p, buffer);
        free(buffer);
        buffer = NULL;
}

int xencall1(xencall_handle *xcall, unsigned int op, uint64_t arg1)
{
        assert_ptr_equal(xcall, &the_handle);
        assert_int_equal(op, 36); /* __HYPERVISOR_domctl */
        /* The domctl must sit in the hypercall buffer, not on the caller's stack. */
        assert_true(arg1 == (uint64_t)(uintptr_t)buffer);
        memcpy(seen, buffer, sizeof(seen));
        calls++;
        if (answer)
                answer(buffer);
        if (answer_errno) {
                errno = answer_errno;
                return -1;
        }
        return 0;
}

/* --- byte access, little-endian as on x86_64 --------------------------------------------- */

static uint64_t get(const uint8_t *p, size_t off, size_t width)
{
        uint64_t v = 0;

        for (size_t i = 0; i < width; i++)
                v |= (uint64_t)p[off + i] << (8 * i);
        return v;
}

static void put(uint8_t *p, size_t off, size_t width, uint64_t v)
{
        for (size_t i = 0; i < width; i++)
                p[off + i] = (uint8_t)(v >> (8 * i));
}

/* The header every call carries (README: offsets 0-15), and the numaflip op and node at
 * 16 and 20 (struct xen_domctl_numaflip starts at the union, offset 16). */
static void expect_header(uint16_t domid, uint32_t op, uint32_t node)
{
        assert_int_equal(get(seen, 0, 4), 20038);      /* cmd */
        assert_int_equal(get(seen, 4, 4), 0x00000015); /* interface_version */
        assert_int_equal(get(seen, 8, 2), domid);
        assert_int_equal(get(seen, 10, 6), 0); /* _pad[3] */
        assert_int_equal(get(seen, 16, 4), op);
        assert_int_equal(get(seen, 20, 4), node);
}

static struct nf_xen_domctl_ctx *ctx;

static int setup(void **state)
{
        (void)state;
        calls = 0;
        answer = NULL;
        answer_errno = 0;
        memset(seen, 0, sizeof(seen));
        return nf_xen_domctl_open(&ctx);
}

static int teardown(void **state)
{
        (void)state;
        nf_xen_domctl_close(ctx);
        assert_null(buffer);
        return 0;
}

/* --- node_pages: op 0 ----------------------------------------------------------------- */

static void node_pages_answer(uint8_t *dc)
{
        uint64_t addr = get(dc, 32, 8); /* u.node_pages.pages */
        uint8_t *pages = (uint8_t *)(uintptr_t)addr;

        assert_true(pages >= buffer + 144 && pages + 2 * 8 <= buffer + buffer_len);
        put(dc, 24, 4, 2);     /* nr_nodes out */
        put(dc, 28, 4, 300);   /* tot_pages */
        put(pages, 0, 8, 100); /* node 0 */
        put(pages, 8, 8, 200); /* node 1 */
}

static void test_node_pages(void **state)
{
        uint64_t pages[4] = {7, 7, 7, 7};
        uint32_t n = 4, tot = 0;

        (void)state;
        answer = node_pages_answer;
        assert_int_equal(nf_xen_domctl_node_pages(ctx, 5, pages, &n, &tot), 0);
        assert_int_equal(calls, 1); /* one hypercall per guest */
        expect_header(5, 0, 0);
        assert_int_equal(get(seen, 24, 4), 4); /* capacity in */
        assert_int_equal(n, 2);
        assert_int_equal(tot, 300);
        assert_int_equal(pages[0], 100);
        assert_int_equal(pages[1], 200);
        assert_int_equal(pages[2], 7); /* beyond what Xen filled: untouched */
}

static void enobufs_answer(uint8_t *dc)
{
        put(dc, 24, 4, 8); /* needs 8 entries */
}

static void test_node_pages_enobufs(void **state)
{
        uint64_t pages[2];
        uint32_t n = 2;

        (void)state;
        answer = enobufs_answer;
        answer_errno = ENOBUFS;
        assert_int_equal(nf_xen_domctl_node_pages(ctx, 1, pages, &n, NULL), -ENOBUFS);
        assert_int_equal(n, 8); /* read back after the error: Xen copies the domctl back */
}

static void test_stock_enosys(void **state)
{
        uint64_t pages[2];
        uint32_t n = 2;

        (void)state;
        answer_errno = ENOSYS;
        assert_int_equal(nf_xen_domctl_probe(ctx), -ENOSYS);
        assert_int_equal(nf_xen_domctl_node_pages(ctx, 1, pages, &n, NULL), -ENOSYS);
}

/* --- migrate: op 1 -------------------------------------------------------------------- */

static void migrate_answer(uint8_t *dc)
{
        put(dc, 32, 8, 0x4321); /* gfn: where the scan stopped */
        put(dc, 44, 4, 17);     /* moved */
        put(dc, 48, 4, 3);      /* skipped */
        put(dc, 52, 4, 0);      /* done */
        put(dc, 56, 8, 1000);   /* remaining */
}

static void test_migrate(void **state)
{
        struct nf_xen_numaflip_migrate io = {.from_nodes = 0x5, .gfn = 0x1234, .max_pages = 64};

        (void)state;
        answer = migrate_answer;
        assert_int_equal(nf_xen_domctl_migrate(ctx, 9, 1, &io), 0);
        expect_header(9, 1, 1);                     /* node: the target */
        assert_int_equal(get(seen, 24, 8), 0x5);    /* from_nodes */
        assert_int_equal(get(seen, 32, 8), 0x1234); /* gfn cursor in */
        assert_int_equal(get(seen, 40, 4), 64);     /* max_pages */
        assert_int_equal(get(seen, 44, 4) | get(seen, 48, 4) | get(seen, 52, 4), 0); /* outs: 0 */
        assert_int_equal(io.gfn, 0x4321);
        assert_int_equal(io.moved, 17);
        assert_int_equal(io.skipped, 3);
        assert_int_equal(io.done, 0);
        assert_int_equal(io.remaining, 1000);
}

static void test_migrate_enomem_keeps_work(void **state)
{
        struct nf_xen_numaflip_migrate io = {.from_nodes = 1, .max_pages = 64};

        (void)state;
        answer = migrate_answer;
        answer_errno = ENOMEM;
        assert_int_equal(nf_xen_domctl_migrate(ctx, 9, 1, &io), -ENOMEM);
        assert_int_equal(io.moved, 17); /* the part done before the node filled up */
        answer_errno = EOPNOTSUPP;
        assert_int_equal(nf_xen_domctl_migrate(ctx, 9, 1, &io), -EOPNOTSUPP);
}

/* --- pools: ops 2, 3, 4; receiver: op 5 ------------------------------------------------ */

static void pool_answer(uint8_t *dc)
{
        put(dc, 24, 8, 512); /* target */
        put(dc, 32, 8, 500); /* held */
        put(dc, 40, 8, 11);  /* handed_out */
        put(dc, 48, 8, 22);  /* hits */
        put(dc, 56, 8, 33);  /* misses */
        put(dc, 64, 8, 44);  /* fallbacks */
        put(dc, 72, 4, 1);   /* enabled */
}

static void test_pools(void **state)
{
        struct nf_xen_numaflip_pool p;

        (void)state;
        answer = pool_answer;
        assert_int_equal(nf_xen_domctl_pool_get(ctx, 1, &p), 0);
        expect_header(0, 2, 1);                         /* pool ops name dom0, the caller */
        assert_int_equal(get(seen, 16 + 8 + 56, 8), 0); /* dropped, narrow: outputs */
        assert_int_equal(p.target, 512);
        assert_int_equal(p.held, 500);
        assert_int_equal(p.handed_out, 11);
        assert_int_equal(p.hits, 22);
        assert_int_equal(p.misses, 33);
        assert_int_equal(p.fallbacks, 44);
        assert_int_equal(p.enabled, 1);

        answer = NULL;
        assert_int_equal(nf_xen_domctl_pool_set(ctx, 1, 4096, NULL), 0);
        expect_header(0, 3, 1);
        assert_int_equal(get(seen, 24, 8), 4096);

        assert_int_equal(nf_xen_domctl_pool_enable(ctx, 0, true, NULL), 0);
        expect_header(0, 4, 0);
        assert_int_equal(get(seen, 72, 4), 1);
        assert_int_equal(nf_xen_domctl_pool_enable(ctx, 0, false, NULL), 0);
        assert_int_equal(get(seen, 72, 4), 0);

        assert_int_equal(nf_xen_domctl_set_receiver(ctx, 7, true), 0);
        expect_header(7, 5, 0);
        assert_int_equal(get(seen, 24, 4), 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_node_pages, setup, teardown),
            cmocka_unit_test_setup_teardown(test_node_pages_enobufs, setup, teardown),
            cmocka_unit_test_setup_teardown(test_stock_enosys, setup, teardown),
            cmocka_unit_test_setup_teardown(test_migrate, setup, teardown),
            cmocka_unit_test_setup_teardown(test_migrate_enomem_keeps_work, setup, teardown),
            cmocka_unit_test_setup_teardown(test_pools, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
