/* Unit tests for the 'u' debug-key dump parser: whole, split, truncated, interleaved and forged
 * console output, and dumps captured from real Xen 4.17 boots. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xen_udump.h"

/* The shape Xen 4.17's dump_numa() prints, as xc_readconsolering returns it. */
static const char dump2[] = "(XEN) 'u' pressed -> dumping numa info (now = 31337000000)\n"
                            "(XEN) NODE0 start->0 size->262144 free->100000\n"
                            "(XEN) NODE1 start->262144 size->262144 free->200000\n"
                            "(XEN) CPU0 -> NODE0\n"
                            "(XEN) CPU1...2 -> NODE1\n"
                            "(XEN) Memory location of each domain:\n"
                            "(XEN) Domain 0 (total: 131072):\n"
                            "(XEN)     Node 0: 131072\n"
                            "(XEN)     Node 1: 0\n"
                            "(XEN) Domain 1 (total: 32768):\n"
                            "(XEN)     Node 0: 0\n"
                            "(XEN)     Node 1: 32768\n"
                            "(XEN) Domain 2 (total: 32768):\n"
                            "(XEN)     Node 0: 30000\n"
                            "(XEN)     Node 1: 2768\n"
                            "(XEN)      1 vnodes, 1 vcpus, guest physical layout:\n"
                            "(XEN)          0: pnode   1, vcpus 0\n"
                            "(XEN)            0000000000000000 - 0000000008000000\n";

static void feed_all(struct xen_udump *u, const char *text)
{
        assert_int_equal(xen_udump_feed(u, text, strlen(text)), 0);
}

static void expect_dom(const struct xen_udump *u, uint32_t domid, uint64_t total, uint64_t n0,
                       uint64_t n1)
{
        const struct xen_udump_dom *d = xen_udump_find(u, domid);

        assert_non_null(d);
        assert_int_equal(d->total, total);
        assert_int_equal(d->pages[0], n0);
        assert_int_equal(d->pages[1], n1);
}

static void test_whole(void **state)
{
        struct xen_udump u;

        (void)state;
        xen_udump_init(&u, 2);
        feed_all(&u, dump2);
        assert_int_equal(xen_udump_take(&u), 1);
        assert_int_equal(xen_udump_count(&u), 3);
        expect_dom(&u, 0, 131072, 131072, 0);
        expect_dom(&u, 1, 32768, 0, 32768);
        expect_dom(&u, 2, 32768, 30000, 2768); /* its vNUMA lines count for nothing */
        assert_null(xen_udump_find(&u, 3));
        /* Nothing new read: no new dump, the last one stays. */
        assert_int_equal(xen_udump_take(&u), 0);
        expect_dom(&u, 1, 32768, 0, 32768);
        xen_udump_free(&u);
}

/* The ring read in two pieces, cut at every byte: the same dump. */
static void test_split_everywhere(void **state)
{
        size_t len = strlen(dump2);

        (void)state;
        for (size_t cut = 0; cut <= len; cut++) {
                struct xen_udump u;

                xen_udump_init(&u, 2);
                assert_int_equal(xen_udump_feed(&u, dump2, cut), 0);
                assert_int_equal(xen_udump_feed(&u, dump2 + cut, len - cut), 0);
                assert_int_equal(xen_udump_take(&u), 1);
                expect_dom(&u, 0, 131072, 131072, 0);
                expect_dom(&u, 1, 32768, 0, 32768);
                expect_dom(&u, 2, 32768, 30000, 2768);
                xen_udump_free(&u);
        }
}

/* A ring that wrapped keeps the end of the dump: the domains read whole are kept, the
 * one cut is not, and nothing is counted to the wrong domain. */
static void test_truncated_start(void **state)
{
        struct xen_udump u;
        const char *from = strstr(dump2, "Node 1: 32768");

        (void)state;
        xen_udump_init(&u, 2);
        /* Starts mid-line in domain 1's last node line, header and all lost. */
        feed_all(&u, from);
        assert_int_equal(xen_udump_take(&u), 0); /* no "Memory location" line: no dump */
        xen_udump_free(&u);

        xen_udump_init(&u, 2);
        feed_all(&u, strstr(dump2, "ry location of each domain"));
        assert_int_equal(xen_udump_take(&u), 0);
        feed_all(&u, strstr(dump2, "(XEN) Memory location"));
        assert_int_equal(xen_udump_take(&u), 1);
        expect_dom(&u, 2, 32768, 30000, 2768);
        xen_udump_free(&u);

        /* Cut inside domain 1: its first node line is lost, domain 2 is whole. */
        xen_udump_init(&u, 2);
        feed_all(&u, "(XEN) Memory location of each domain:\n"
                     "(XEN) Domain 1 (total: 32768):\n"
                     "(XEN)     Node 1: 32768\n"
                     "(XEN) Domain 2 (total: 32768):\n"
                     "(XEN)     Node 0: 30000\n"
                     "(XEN)     Node 1: 2768\n");
        assert_int_equal(xen_udump_take(&u), 1);
        assert_null(xen_udump_find(&u, 1));
        expect_dom(&u, 2, 32768, 30000, 2768);
        assert_int_equal(xen_udump_count(&u), 2);
        xen_udump_free(&u);
}

/* The read ends before the last domain's lines: that domain is not reported. */
static void test_truncated_end(void **state)
{
        struct xen_udump u;
        size_t len = (size_t)(strstr(dump2, "(XEN)     Node 1: 2768") - dump2);

        (void)state;
        xen_udump_init(&u, 2);
        assert_int_equal(xen_udump_feed(&u, dump2, len + 12), 0); /* "...Node 1: " cut */
        assert_int_equal(xen_udump_take(&u), 1);
        expect_dom(&u, 1, 32768, 0, 32768);
        assert_null(xen_udump_find(&u, 2));
        xen_udump_free(&u);
}

/* Other messages between the dump's lines, from Xen and from guests, change nothing; a
 * guest cannot forge lines of the dump. */
static void test_interleaved(void **state)
{
        struct xen_udump u;

        (void)state;
        xen_udump_init(&u, 2);
        feed_all(&u, "(XEN) 'u' pressed -> dumping numa info (now = 1)\n"
                     "(d1) [    1.000] random: crng init done\n"
                     "(XEN) NODE0 start->0 size->262144 free->1\n"
                     "(XEN) NODE1 start->262144 size->262144 free->1\n"
                     "(XEN) Memory location of each domain:\n"
                     "(XEN) Domain 0 (total: 100):\n"
                     "(d2) (XEN)     Node 0: 99999\n"
                     "(XEN)     Node 0: 60\n"
                     "(XEN) HVM d2v0 save: CPU\n"
                     "(XEN)     Node 1: 40\n"
                     "(d2) (XEN) Domain 7 (total: 5):\n"
                     "(d2)     Node 0: 5\n"
                     "Domain 8 (total: 5):\n" /* unprefixed: dom0's own output on serial */
                     "    Node 0: 5\n"
                     "(XEN) Domain 1 (total: 10):\n"
                     "(XEN)     Node 0: 1\n"
                     "(XEN)     Node 0: 777\n" /* a repeated node does not overwrite */
                     "(XEN)     Node 1: 9\n"
                     "(XEN)     Node 9: 5\n"); /* no such node on this host */
        assert_int_equal(xen_udump_take(&u), 1);
        expect_dom(&u, 0, 100, 60, 40);
        expect_dom(&u, 1, 10, 1, 9);
        assert_null(xen_udump_find(&u, 7));
        assert_null(xen_udump_find(&u, 8));
        assert_int_equal(xen_udump_count(&u), 2);
        xen_udump_free(&u);
}

/* Lines mangled by interleaving are never taken for numbers. */
static void test_mangled(void **state)
{
        struct xen_udump u;

        (void)state;
        xen_udump_init(&u, 2);
        feed_all(&u, "(XEN) Memory location of each domain:\n"
                     "(XEN) Domain 0 (total: 100):\n"
                     "(XEN)     Node 0: 60(XEN) other\n"
                     "(XEN)     Node 1: 40\n"
                     "(XEN) Domain 10 (total: 2):\n"
                     "(XEN)     Node 0: 1\n"
                     "(XEN)     Node 1: 1 more\n" /* a trailing word: not a count */
                     "(XEN) Domain 11 (total: 2):\n"
                     "(XEN)     Node 0: 1\n"
                     "(XEN)     Node 1: 1\n"
                     "(XEN) Domain 3 (tot(XEN) Domain 4 (total: 8):\n"
                     "(XEN)     Node 0: 8\n"
                     "(XEN)     Node 1: 0\n"
                     "(XEN) Domain 5 (total: 8):\n"
                     "(XEN)     Node 0: 99999999999999999999999\n"
                     "(XEN)     Node 1: 8\n"
                     "(XEN) Domain 6 (total: 8):\n"
                     "(XEN)     Node 0: 4 \r\n"
                     "(XEN)     Node 1: 4\r\n");
        assert_int_equal(xen_udump_take(&u), 1);
        assert_null(xen_udump_find(&u, 0)); /* node 0's line was mangled */
        assert_null(xen_udump_find(&u, 10));
        expect_dom(&u, 11, 2, 1, 1);
        assert_null(xen_udump_find(&u, 3));
        assert_null(xen_udump_find(&u, 4)); /* its lines may be domain 3's */
        assert_null(xen_udump_find(&u, 5)); /* a number that does not fit */
        expect_dom(&u, 6, 8, 4, 4);         /* a serial line's CR is fine */
        xen_udump_free(&u);
}

/* Two dumps in one read (an operator pressed 'u' too): the last counts. */
static void test_two_dumps(void **state)
{
        struct xen_udump u;

        (void)state;
        xen_udump_init(&u, 2);
        feed_all(&u, "(XEN) 'u' pressed -> dumping numa info (now = 1)\n"
                     "(XEN) Memory location of each domain:\n"
                     "(XEN) Domain 1 (total: 10):\n"
                     "(XEN)     Node 0: 10\n"
                     "(XEN)     Node 1: 0\n"
                     "(XEN) Domain 2 (total: 10):\n"
                     "(XEN)     Node 0: 10\n"
                     "(XEN)     Node 1: 0\n");
        feed_all(&u, dump2);
        assert_int_equal(xen_udump_take(&u), 2);
        expect_dom(&u, 1, 32768, 0, 32768);
        /* A dump without its domain list (cut short) leaves the last whole one. */
        feed_all(&u, "(XEN) 'u' pressed -> dumping numa info (now = 2)\n"
                     "(XEN) NODE0 start->0 size->262144 free->1\n");
        assert_int_equal(xen_udump_take(&u), 0);
        expect_dom(&u, 1, 32768, 0, 32768);
        xen_udump_free(&u);
}

/* Only online nodes are printed: a domain is whole with a line for each of them. */
static void test_online_nodes(void **state)
{
        struct xen_udump u;
        const struct xen_udump_dom *d;

        (void)state;
        xen_udump_init(&u, 3);
        feed_all(&u, "(XEN) [2026-12-02 10:00:00] 'u' pressed -> dumping numa info (now = 1)\n"
                     "(XEN) [2026-12-02 10:00:00] NODE0 start->0 size->1 free->1\n"
                     "(XEN) [2026-12-02 10:00:00] NODE2 start->9 size->1 free->1\n"
                     "(XEN) [2026-12-02 10:00:00] Memory location of each domain:\n"
                     "(XEN) [2026-12-02 10:00:00] Domain 0 (total: 7):\n"
                     "(XEN) [2026-12-02 10:00:00]     Node 0: 3\n"
                     "(XEN) [2026-12-02 10:00:00]     Node 2: 4\n"
                     "(XEN) [2026-12-02 10:00:00] Domain 1 (total: 7):\n"
                     "(XEN) [2026-12-02 10:00:00]     Node 0: 7\n");
        assert_int_equal(xen_udump_take(&u), 1);
        d = xen_udump_find(&u, 0);
        assert_non_null(d);
        assert_int_equal(d->pages[0], 3);
        assert_int_equal(d->pages[1], 0);
        assert_int_equal(d->pages[2], 4);
        assert_null(xen_udump_find(&u, 1));
        xen_udump_free(&u);
}

/* A line far longer than any of the dump's, NULs in guest output: no harm. */
static void test_junk(void **state)
{
        struct xen_udump u;
        char big[4096];

        (void)state;
        memset(big, 'x', sizeof(big));
        memcpy(big, "(XEN) Domain 9 (total: 1):", 26);
        xen_udump_init(&u, 2);
        feed_all(&u, "(XEN) Memory location of each domain:\n");
        assert_int_equal(xen_udump_feed(&u, big, sizeof(big)), 0);
        assert_int_equal(xen_udump_feed(&u, "\n(d1) a\0b\n", 10), 0);
        feed_all(&u, "(XEN)     Node 0: 1\n(XEN)     Node 1: 0\n");
        assert_int_equal(xen_udump_take(&u), 1);
        assert_null(xen_udump_find(&u, 9));
        assert_int_equal(xen_udump_count(&u), 0);
        xen_udump_free(&u);
}

/* --- dumps captured from the harness (tests/e2e/xen/run.sh, serial console) ----------- */

static char *slurp(const char *name, size_t *len)
{
        char path[512];
        FILE *f;
        char *buf;
        long n;

        snprintf(path, sizeof(path), "%s/%s", NF_XEN_FIXTURES, name);
        f = fopen(path, "rb");
        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        assert_true(n > 0);
        rewind(f);
        buf = malloc((size_t)n);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        *len = (size_t)n;
        return buf;
}

/* Debian's stock Xen 4.17.7, dom0 on node 0, PV d1 on node 1, PVH d2 on node 0: Xen's
 * lines among dom0's and the scenario's on one serial line (CR LF). Read in pieces of
 * every size the ring might hand out, the result is the same. */
static void test_fixture_stock(void **state)
{
        static const size_t pieces[] = {1, 2, 3, 7, 64, 100, 4096, 65536, 0};
        size_t len;
        char *text = slurp("stock-serial.log", &len);

        (void)state;
        for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
                size_t step = pieces[i] ? pieces[i] : len;
                struct xen_udump u;

                xen_udump_init(&u, 2);
                for (size_t off = 0; off < len; off += step)
                        assert_int_equal(
                            xen_udump_feed(&u, text + off, len - off < step ? len - off : step), 0);
                assert_int_equal(xen_udump_take(&u), 1);
                assert_int_equal(xen_udump_count(&u), 3);
                expect_dom(&u, 0, 131072, 127795, 3277);
                expect_dom(&u, 1, 32768, 0, 32768);
                expect_dom(&u, 2, 32784, 32784, 0);
                xen_udump_free(&u);
        }
        free(text);
}

/* The numaflip-patched build of Debian's 4.17.5 source after the harness's checks: four
 * dumps, a dying guest's panic among them; the last lists five domains, two of them
 * split across the nodes. */
static void test_fixture_patched(void **state)
{
        size_t len;
        char *text = slurp("patched-serial.log", &len);
        struct xen_udump u;

        (void)state;
        xen_udump_init(&u, 2);
        for (size_t off = 0; off < len; off += 1000)
                assert_int_equal(
                    xen_udump_feed(&u, text + off, len - off < 1000 ? len - off : 1000), 0);
        assert_int_equal(xen_udump_take(&u), 4);
        assert_int_equal(xen_udump_count(&u), 5);
        expect_dom(&u, 0, 131072, 127795, 3277);
        expect_dom(&u, 1, 25176, 368, 24808);
        expect_dom(&u, 5, 32784, 2, 32782);
        expect_dom(&u, 6, 16384, 8192, 8192);
        expect_dom(&u, 7, 131072, 65536, 65536);
        assert_null(xen_udump_find(&u, 2)); /* in an earlier dump only */
        xen_udump_free(&u);
        free(text);
}

/* The same capture as a wrapped ring leaves it: it starts inside domain 1's entry. */
static void test_fixture_stock_wrapped(void **state)
{
        size_t len;
        char *text = slurp("stock-serial.log", &len);
        const char *cut = strstr(text, "Domain 1 (total: 32768)");
        struct xen_udump u;

        (void)state;
        assert_non_null(cut);
        cut += 3; /* mid-line */
        xen_udump_init(&u, 2);
        assert_int_equal(xen_udump_feed(&u, cut, len - (size_t)(cut - text)), 0);
        /* The domain list's header was lost with the start: no dump to trust. */
        assert_int_equal(xen_udump_take(&u), 0);
        assert_null(xen_udump_find(&u, 2));
        xen_udump_free(&u);

        /* Unless the reader knows it just triggered one: the domains after the cut are
         * read, the one cut is not. */
        xen_udump_init(&u, 2);
        xen_udump_expect(&u);
        assert_int_equal(xen_udump_feed(&u, cut, len - (size_t)(cut - text)), 0);
        assert_int_equal(xen_udump_take(&u), 1);
        assert_null(xen_udump_find(&u, 0));
        assert_null(xen_udump_find(&u, 1));
        expect_dom(&u, 2, 32784, 32784, 0);
        xen_udump_free(&u);
        free(text);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_whole),
            cmocka_unit_test(test_split_everywhere),
            cmocka_unit_test(test_truncated_start),
            cmocka_unit_test(test_truncated_end),
            cmocka_unit_test(test_interleaved),
            cmocka_unit_test(test_mangled),
            cmocka_unit_test(test_two_dumps),
            cmocka_unit_test(test_online_nodes),
            cmocka_unit_test(test_junk),
            cmocka_unit_test(test_fixture_stock),
            cmocka_unit_test(test_fixture_stock_wrapped),
            cmocka_unit_test(test_fixture_patched),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
