/* Unit tests for the linux backend's pure parts: /proc and cgroup parsing, home rules, scans. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "numaflip/backend.h"
#include "linux_guests.h"
#include "linux_proc.h"
#include "linux_scan.h"

#define PAGE NF_PAGE_SIZE

/* ---- /proc/PID/status and stat ---- */

/* As a Debian 12 kernel writes it, cut to the fields around the ones read. */
static const char status_bound[] = "Name:\tqemu-system-x86\n"
                                   "Umask:\t0022\n"
                                   "State:\tS (sleeping)\n"
                                   "Tgid:\t4242\n"
                                   "Pid:\t4242\n"
                                   "Uid:\t64055\t64055\t64055\t64055\n"
                                   "Gid:\t108\t108\t108\t108\n"
                                   "VmRSS:\t  2101248 kB\n"
                                   "CapEff:\t0000000000800000\n"
                                   "Cpus_allowed:\tf\n"
                                   "Cpus_allowed_list:\t0-3\n"
                                   "Mems_allowed:\t00000000,00000002\n"
                                   "Mems_allowed_list:\t1\n"
                                   "voluntary_ctxt_switches:\t150\n";

static void test_parse_list(void **state)
{
        (void)state;
        uint64_t b[2];

        assert_int_equal(lx_parse_list("0-3,8,10-11\n", b, 2), 0);
        assert_int_equal(b[0], 0xf | 1u << 8 | 3u << 10);
        assert_int_equal(lx_parse_list("64-65", b, 2), 0);
        assert_int_equal(b[0], 0);
        assert_int_equal(b[1], 3);
        assert_int_equal(lx_parse_list("", b, 2), 0);
        assert_int_equal(b[0] | b[1], 0);
        assert_int_equal(lx_parse_list("3-1", b, 2), -EINVAL);
        assert_int_equal(lx_parse_list("1,", b, 2), -EINVAL);
        assert_int_equal(lx_parse_list("a", b, 2), -EINVAL);
        assert_int_equal(lx_parse_list("1 2", b, 2), -EINVAL);
        assert_int_equal(lx_parse_list("128", b, 2), -ERANGE);
}

static void test_parse_status(void **state)
{
        (void)state;
        struct lx_status st;
        char err[128], v[16];

        assert_int_equal(lx_parse_status(status_bound, &st, err, sizeof(err)), 0);
        assert_int_equal(st.mems, 2);
        assert_int_equal(st.cpus.bits[0], 0xf);
        assert_int_equal(st.rss_pages, 2101248 / 4);
        assert_int_equal(st.uid, 64055);
        assert_true(st.cap_eff >> LX_CAP_SYS_NICE & 1);
        assert_false(st.cap_eff >> LX_CAP_SYS_PTRACE & 1);
        /* "Cpus_allowed" must not match "Cpus_allowed_list" or the other way round. */
        assert_int_equal(lx_status_field(status_bound, "Cpus_allowed", v, sizeof(v)), 0);
        assert_string_equal(v, "f");
        assert_int_equal(lx_status_field(status_bound, "Mems", v, sizeof(v)), -ENOENT);
        assert_int_equal(lx_status_field(status_bound, "Mems_allowed", v, 4), -ERANGE);
        /* A zombie has no Mems_allowed_list. */
        assert_int_equal(lx_parse_status("Name:\tx\nUid:\t0\t0\t0\t0\n", &st, err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "Mems_allowed_list"));
        assert_int_equal(lx_parse_status("Mems_allowed_list:\t0-x\nCpus_allowed_list:\t0\n", &st,
                                         err, sizeof(err)),
                         -EINVAL);
}

static void test_parse_stat(void **state)
{
        (void)state;
        uint64_t start;
        char comm[32], st = '?';
        /* A comm with a space and a parenthesis: the last ')' ends it. */
        const char *stat = "4242 (qemu (x) 1) S 1 4242 4242 0 -1 4194560 1207 0 0 0 35 12 0 0 20 "
                           "0 5 0 987654 2147483648 5132 18446744073709551615\n";

        assert_int_equal(lx_parse_stat(stat, &start, &st, comm, sizeof(comm)), 0);
        assert_int_equal(st, 'S');
        assert_int_equal(start, 987654);
        assert_string_equal(comm, "qemu (x) 1");
        assert_int_equal(lx_parse_stat("4242 (x) S 1 2 3", &start, NULL, NULL, 0), -EINVAL);
        assert_int_equal(lx_parse_stat("garbage", &start, NULL, NULL, 0), -EINVAL);
        /* flags (field 9): PF_EXITING is 0x4 */
        assert_false(lx_stat_exiting(stat));
        assert_true(lx_stat_exiting("77 (a b) R 1 77 77 0 -1 4194564 0 0"));
        assert_false(lx_stat_exiting("77 (a b) R 1 77 77 0 -1 4194560 0 0"));
        assert_false(lx_stat_exiting("garbage"));
}

/* ---- home rules ---- */

static const int cpu_node4[4] = {0, 0, 1, 1}; /* CPUs 0-1 on node 0, 2-3 on node 1 */

static void status_with(struct lx_status *st, nf_nodemask_t mems, uint64_t cpus)
{
        memset(st, 0, sizeof(*st));
        st->mems = mems;
        st->cpus.bits[0] = cpus;
}

static void test_home_rules(void **state)
{
        (void)state;
        struct lx_status st;
        const char *rule;

        /* Mems_allowed narrower than the host wins over CPU affinity. */
        status_with(&st, 2, 0x3);
        assert_int_equal(lx_home(&st, cpu_node4, 4, 2, &rule), 2);
        assert_string_equal(rule, "Mems_allowed");
        /* All nodes allowed: the nodes of the CPUs it may run on. */
        status_with(&st, 3, 0x3);
        assert_int_equal(lx_home(&st, cpu_node4, 4, 2, &rule), 1);
        assert_string_equal(rule, "CPU affinity");
        status_with(&st, 3, 0x8);
        assert_int_equal(lx_home(&st, cpu_node4, 4, 2, &rule), 2);
        /* Mems_allowed lists nodes the host does not have (a cpuset's default): all. */
        status_with(&st, ~(nf_nodemask_t)0, 0x4);
        assert_int_equal(lx_home(&st, cpu_node4, 4, 2, &rule), 2);
        assert_string_equal(rule, "CPU affinity");
        /* Everything allowed: no home from the backend, the daemon takes most memory. */
        status_with(&st, 3, 0xf);
        assert_int_equal(lx_home(&st, cpu_node4, 4, 2, &rule), 0);
        assert_string_equal(rule, "");
        /* CPUs of unknown node count for nothing. */
        const int unknown[4] = {-1, -1, -1, -1};
        status_with(&st, 3, 0x1);
        assert_int_equal(lx_home(&st, unknown, 4, 2, &rule), 0);
}

/* ---- discovery ---- */

#define CMD(s) s, sizeof(s) - 1 /* a command line literal, ending in one NUL as procfs gives it */

/* libvirt 9 (Debian 12), as in /proc/PID/cmdline with NULs between arguments. */
static const char libvirt_cmd[] =
    "/usr/bin/qemu-system-x86_64\0-name\0guest=debian12-web,debug-threads=on\0-S\0-object\0"
    "{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":\"/var/lib/"
    "libvirt/qemu/domain-3-debian12-web/master-key.aes\"}\0-machine\0"
    "pc-q35-7.2,usb=off,vmport=off,dump-guest-core=off,memory-backend=pc.ram\0-accel\0kvm\0"
    "-cpu\0host,migratable=on\0-m\0size=2097152k\0-object\0"
    "{\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\",\"size\":2147483648}\0"
    "-overcommit\0mem-lock=off\0-smp\0"
    "2,sockets=2,cores=1,threads=1\0-uuid\0c7a5fdbd-cdaf-4b4c-a1e4-1a2b3c4d5e6f\0"
    "-no-user-config\0-nodefaults\0-chardev\0socket,id=charmonitor,fd=31,server=on,wait=off\0"
    "-mon\0chardev=charmonitor,id=monitor,mode=control\0-rtc\0base=utc\0-no-shutdown\0";

static void test_cmdline_qemu(void **state)
{
        (void)state;
        char name[NF_NAME_MAX];

        assert_true(lx_cmdline_is_qemu(libvirt_cmd, sizeof(libvirt_cmd) - 1));
        assert_true(lx_cmdline_is_qemu(CMD("qemu-kvm\0-name\0vm1\0")));
        assert_true(lx_cmdline_is_qemu(CMD("/usr/libexec/qemu-kvm\0")));
        assert_true(lx_cmdline_is_qemu(CMD("qemu-system-aarch64\0")));
        assert_false(lx_cmdline_is_qemu(CMD("/usr/bin/qemu-img\0info\0x.qcow2\0")));
        assert_false(lx_cmdline_is_qemu(CMD("/usr/bin/qemu-system-\0")));
        assert_false(lx_cmdline_is_qemu(CMD("/bin/sh\0-c\0qemu-system-x86_64\0")));
        assert_false(lx_cmdline_is_qemu("", 0));

        assert_int_equal(lx_cmdline_name(libvirt_cmd, sizeof(libvirt_cmd) - 1, name, sizeof(name)),
                         0);
        assert_string_equal(name, "debian12-web");
        assert_int_equal(lx_cmdline_name(CMD("qemu-kvm\0-name\0vm1\0-m\0"
                                             "1024\0"),
                                         name, sizeof(name)),
                         0);
        assert_string_equal(name, "vm1");
        /* The implied key, then others; ",," is a comma in the name. */
        assert_int_equal(lx_cmdline_name(CMD("qemu-system-x86_64\0--name\0a,,b,process=qemu:a\0"),
                                         name, sizeof(name)),
                         0);
        assert_string_equal(name, "a,b");
        assert_int_equal(lx_cmdline_name(CMD("qemu-system-x86_64\0-name\0debug-threads=on,guest="
                                             "late\0"),
                                         name, sizeof(name)),
                         0);
        assert_string_equal(name, "late");
        /* No -name; -name without a value; an empty one; a name too long for the buffer. */
        assert_int_equal(lx_cmdline_name(CMD("qemu-system-x86_64\0-m\0"
                                             "512\0"),
                                         name, sizeof(name)),
                         -ENOENT);
        assert_int_equal(lx_cmdline_name(CMD("qemu-system-x86_64\0-name\0"), name, sizeof(name)),
                         -EINVAL);
        assert_int_equal(
            lx_cmdline_name(CMD("qemu-system-x86_64\0-name\0guest=,x=y\0"), name, sizeof(name)),
            -EINVAL);
        assert_int_equal(lx_cmdline_name(CMD("qemu-system-x86_64\0-name\0abcdefgh\0"), name, 4),
                         -EINVAL);
        /* The program's own name is never the option. */
        assert_int_equal(lx_cmdline_name(CMD("-name\0x\0"), name, sizeof(name)), -ENOENT);
}

static void test_cgroup_name(void **state)
{
        (void)state;
        char name[NF_NAME_MAX];

        /* cgroup v2, libvirt's emulator sub-group. */
        assert_int_equal(
            lx_cgroup_name("0::/machine.slice/machine-qemu\\x2d3\\x2ddebian12.scope/libvirt/"
                           "emulator\n",
                           name, sizeof(name)),
            0);
        assert_string_equal(name, "debian12");
        /* cgroup v1, a name with dashes escaped too. */
        assert_int_equal(lx_cgroup_name("12:pids:/user.slice\n"
                                        "11:memory:/machine.slice/machine-qemu\\x2d12\\x2dweb\\x2d"
                                        "front.scope\n",
                                        name, sizeof(name)),
                         0);
        assert_string_equal(name, "web-front");
        assert_int_equal(
            lx_cgroup_name("0::/user.slice/user-1000.slice/session-2.scope\n", name, sizeof(name)),
            -ENOENT);
        /* Not libvirt's pattern: no number, no ".scope" on the line. */
        assert_int_equal(
            lx_cgroup_name("0::/machine.slice/machine-qemu\\x2dweb.scope\n", name, sizeof(name)),
            -ENOENT);
        assert_int_equal(lx_cgroup_name("0::/machine.slice/machine-qemu\\x2d1\\x2dweb\n1::/a.scope",
                                        name, sizeof(name)),
                         -ENOENT);
}

static void test_guest_name(void **state)
{
        (void)state;
        char name[NF_NAME_MAX];
        const char *cg = "0::/machine.slice/machine-qemu\\x2d7\\x2dfromscope.scope/libvirt\n";

        assert_string_equal(lx_guest_name(libvirt_cmd, sizeof(libvirt_cmd) - 1, cg,
                                          "qemu-system-x86", 4242, name, sizeof(name)),
                            "-name");
        assert_string_equal(name, "debian12-web");
        assert_string_equal(lx_guest_name(CMD("qemu-system-x86_64\0-m\0"
                                              "512\0"),
                                          cg, "qemu-system-x86", 4242, name, sizeof(name)),
                            "cgroup scope");
        assert_string_equal(name, "fromscope");
        assert_string_equal(lx_guest_name(CMD("qemu-system-x86_64\0-m\0"
                                              "512\0"),
                                          NULL, "qemu-system-x86", 4242, name, sizeof(name)),
                            "process name");
        assert_string_equal(name, "qemu-system-x86-4242");

        char joined[32];
        lx_cmdline_join(CMD("/usr/bin/work\0--size\0"
                            "256\0"),
                        joined, sizeof(joined));
        assert_string_equal(joined, "/usr/bin/work --size 256");
        lx_cmdline_join(CMD("/usr/bin/work\0--size\0"
                            "256\0"),
                        joined, 8);
        assert_string_equal(joined, "/usr/bi");
}

/* ---- maps and scans ---- */

static void test_parse_maps(void **state)
{
        (void)state;
        struct lx_range *r;
        size_t n;
        const char *maps =
            "55d0c4a00000-55d0c4a02000 r--p 00000000 fe:01 131 /usr/bin/work\n"
            "7f0000000000-7f0010000000 rw-p 00000000 00:00 0 \n"
            "7f0010000000-7f0010001000 ---p 00000000 00:00 0 \n"
            "7ffd5e1f0000-7ffd5e211000 rw-p 00000000 00:00 0                          [stack]\n"
            "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  "
            "[vsyscall]\n";

        assert_int_equal(lx_parse_maps(maps, &r, &n), 0);
        assert_int_equal(n, 3); /* the guard page and [vsyscall] are left out */
        assert_int_equal(r[0].start, 0x55d0c4a00000ull);
        assert_int_equal(r[1].end, 0x7f0010000000ull);
        assert_int_equal(lx_ranges_pages(r, n), 2 + 0x10000 + 0x21);
        free(r);
        assert_int_equal(lx_parse_maps("", &r, &n), 0);
        assert_int_equal(n, 0);
        free(r);
        assert_int_equal(lx_parse_maps("not maps\n", &r, &n), -EINVAL);
        assert_null(r);
}

/*
 * A fake process: pages of [base, base + pages) lie on node (page / stripe) % 2 unless
 * the page index is a multiple of hole (not resident); remote_from makes pages past it sit
 * on node 1 whatever the stripe.
 */
struct fake {
        uint64_t base, pages;
        uint64_t hole;        /* 0: none */
        uint64_t remote_from; /* page index from which all pages are on node 1 */
        int fail_rc;          /* the next call fails with this */
        uint64_t calls, asked;
        size_t max_count;
};

static int fake_node(const struct fake *f, uint64_t a)
{
        if (a < f->base || a >= f->base + f->pages * PAGE)
                return -EFAULT;
        uint64_t i = (a - f->base) / PAGE;
        if (f->hole && i % f->hole == 0)
                return -ENOENT;
        return i >= f->remote_from ? 1 : 0;
}

static int fake_query(void *arg, size_t count, void **addrs, int *status)
{
        struct fake *f = arg;

        if (f->fail_rc)
                return f->fail_rc;
        f->calls++;
        f->asked += count;
        if (count > f->max_count)
                f->max_count = count;
        for (size_t i = 0; i < count; i++)
                status[i] = fake_node(f, (uint64_t)(uintptr_t)addrs[i]);
        return 0;
}

static void test_scan_full(void **state)
{
        (void)state;
        struct fake f = {.base = 0x100000000ull, .pages = 10000, .hole = 10, .remote_from = 7000};
        struct lx_range r[2] = {{f.base, f.base + 5000 * PAGE},
                                {f.base + 5000 * PAGE, f.base + 10000 * PAGE}};
        struct lx_scan_result res;

        assert_int_equal(lx_scan_full(r, 2, 2, fake_query, &f, &res), 0);
        /* Pages 0..6999 on node 0 and 7000..9999 on node 1, every tenth not resident. */
        assert_int_equal(res.pages[0], 7000 - 700);
        assert_int_equal(res.pages[1], 3000 - 300);
        assert_int_equal(res.resident, 9000);
        assert_int_equal(res.queried, 10000);
        assert_true(res.bound == 0.0);
        /* In chunks: never more than LX_CHUNK pages in one call. */
        assert_int_equal(f.max_count, LX_CHUNK);
        assert_int_equal(f.calls, (10000 + LX_CHUNK - 1) / LX_CHUNK);
        /* A process that exits mid-scan: its error, not a partial count. */
        f.fail_rc = -ESRCH;
        assert_int_equal(lx_scan_full(r, 2, 2, fake_query, &f, &res), -ESRCH);
}

static void test_sample_bound(void **state)
{
        (void)state;
        /* Hoeffding at 95%: sqrt(ln(40) / 2k). */
        assert_true(fabs(lx_sample_bound(4096) - 0.02122) < 1e-4);
        assert_true(lx_sample_bound(0) == 1.0);
        assert_true(lx_sample_bound(16384) < lx_sample_bound(4096) / 1.9);
}

static void test_scan_sample(void **state)
{
        (void)state;
        const uint64_t k = 4096;
        /* 32 MiB and 512 MiB guests, 30% remote, a tenth not resident. */
        uint64_t sizes[2] = {8192, 131072};
        uint64_t cost[2];

        for (int s = 0; s < 2; s++) {
                struct fake f = {.base = 0x7f0000000000ull,
                                 .pages = sizes[s],
                                 .hole = 10,
                                 .remote_from = sizes[s] * 7 / 10};
                struct lx_range r = {f.base, f.base + f.pages * PAGE};
                struct lx_scan_result full, est;
                struct lx_rng rng = {.state = 42 + (uint64_t)s};

                assert_int_equal(lx_scan_full(&r, 1, 2, fake_query, &f, &full), 0);
                f.calls = f.asked = 0;
                assert_int_equal(lx_scan_sample(&r, 1, 2, k, 64 * k, &rng, fake_query, &f, &est),
                                 0);
                cost[s] = f.asked;
                assert_true(est.resident >= k);
                assert_true(est.bound > 0 && est.bound < 0.025);
                double share_full = (double)full.pages[1] / (double)(full.pages[0] + full.pages[1]);
                double share_est = (double)est.pages[1] / (double)(est.pages[0] + est.pages[1]);
                assert_true(fabs(share_full - share_est) <= est.bound);
                /* Resident size estimated too: within 5% here. */
                double res_full = (double)(full.pages[0] + full.pages[1]);
                double res_est = (double)(est.pages[0] + est.pages[1]);
                assert_true(fabs(res_est - res_full) / res_full < 0.05);
                assert_true(f.max_count <= LX_CHUNK);
        }
        /* The cost is the sample's, not the guest's: 16 times the size, not 2 times the
         * queries. */
        assert_true(cost[1] < 2 * cost[0]);

        /* Sparse address space: stops at max_tries, bound says how little it knows. */
        struct fake sparse = {.base = 0x1000000, .pages = 100000, .hole = 1};
        struct lx_range r = {sparse.base, sparse.base + sparse.pages * PAGE};
        struct lx_scan_result est;
        struct lx_rng rng = {.state = 7};
        sparse.hole = 1; /* every page a hole */
        assert_int_equal(lx_scan_sample(&r, 1, 2, 256, 1000, &rng, fake_query, &sparse, &est), 0);
        assert_int_equal(est.queried, 1000);
        assert_int_equal(est.resident, 0);
        assert_true(est.bound == 1.0);
        sparse.fail_rc = -ESRCH;
        assert_int_equal(lx_scan_sample(&r, 1, 2, 256, 1000, &rng, fake_query, &sparse, &est),
                         -ESRCH);
}

static void test_collect(void **state)
{
        (void)state;
        /* 3000 pages; pages from 1000 on are on node 1; two ranges with a gap. */
        struct fake f = {.base = 0x200000000ull, .pages = 3000, .remote_from = 1000};
        struct lx_range r[2] = {{f.base, f.base + 2000 * PAGE},
                                {f.base + 2000 * PAGE, f.base + 3000 * PAGE}};
        void *addrs[600];
        uint64_t pos = 0, seen = 0;
        size_t n;
        bool more;
        int calls = 0;

        /* Window 700: each call looks at no more than 700 pages, collects up to 600. */
        do {
                assert_int_equal(lx_collect(r, 2, NF_NODE_BIT(1), &pos, 700, 600, fake_query, &f,
                                            addrs, &n, &more),
                                 0);
                for (size_t i = 0; i < n; i++)
                        assert_int_equal(fake_node(&f, (uint64_t)(uintptr_t)addrs[i]), 1);
                seen += n;
                calls++;
                assert_true(calls < 20);
        } while (more);
        assert_int_equal(seen, 2000); /* every remote page, each once */
        assert_int_equal(pos, 0);     /* the end: the cursor starts over */

        /* max bites before the window: the cursor stops right after the last page taken,
         * so the next call goes on from there. */
        pos = 0;
        assert_int_equal(
            lx_collect(r, 2, NF_NODE_BIT(1), &pos, 100000, 10, fake_query, &f, addrs, &n, &more),
            0);
        assert_int_equal(n, 10);
        assert_true(more);
        assert_int_equal(pos, f.base + 1010 * PAGE);
        assert_int_equal(
            lx_collect(r, 2, NF_NODE_BIT(1), &pos, 100000, 10, fake_query, &f, addrs, &n, &more),
            0);
        assert_int_equal((uint64_t)(uintptr_t)addrs[0], f.base + 1010 * PAGE);

        /* Whole huge-page blocks on a source node are asked about by their two ends. */
        struct fake g = {.base = 0x200000000ull, .pages = 1536, .remote_from = 0};
        struct lx_range gr = {g.base, g.base + 1536 * PAGE};
        void *big[1536];
        pos = 0;
        assert_int_equal(
            lx_collect(&gr, 1, NF_NODE_BIT(1), &pos, 100000, 1536, fake_query, &g, big, &n, &more),
            0);
        assert_int_equal(n, 1536);
        assert_int_equal(g.asked, 3 * 2);
        for (size_t i = 0; i < n; i++)
                assert_int_equal((uint64_t)(uintptr_t)big[i], g.base + i * PAGE);
        /* A block whose ends are on different nodes is asked about page by page: pages
         * 1000.. of f are remote, so f's block 512..1023 starts home and ends remote. */
        f.asked = 0;
        pos = f.base + 512 * PAGE;
        assert_int_equal(
            lx_collect(r, 2, NF_NODE_BIT(1), &pos, 512 + 2, 600, fake_query, &f, addrs, &n, &more),
            0);
        assert_int_equal(n, 24); /* 1000..1023 */
        assert_int_equal(f.asked, 2 + 512);

        /* Nothing on the source nodes: one pass, nothing collected, the end. */
        pos = 0;
        assert_int_equal(
            lx_collect(r, 2, NF_NODE_BIT(3), &pos, 100000, 600, fake_query, &f, addrs, &n, &more),
            0);
        assert_int_equal(n, 0);
        assert_false(more);
        /* The process went away. */
        f.fail_rc = -ESRCH;
        assert_int_equal(
            lx_collect(r, 2, NF_NODE_BIT(1), &pos, 700, 600, fake_query, &f, addrs, &n, &more),
            -ESRCH);
}

static void test_block_end(void **state)
{
        (void)state;
        const uint64_t H = LX_HUGE_SIZE;
        struct lx_range r[2] = {{4 * H, 6 * H + 8 * PAGE}, {10 * H + 3 * PAGE, 11 * H}};

        /* Inside a block: its end; on a block's start: nothing to look at. */
        assert_int_equal(lx_block_end(r, 2, 4 * H + 10 * PAGE), 5 * H);
        assert_int_equal(lx_block_end(r, 2, 5 * H), 5 * H);
        /* The mapping ends before the block does. */
        assert_int_equal(lx_block_end(r, 2, 6 * H + 2 * PAGE), 6 * H + 8 * PAGE);
        assert_int_equal(lx_block_end(r, 2, 10 * H + 5 * PAGE), 11 * H);
        /* Outside every mapping. */
        assert_int_equal(lx_block_end(r, 2, 8 * H + PAGE), 8 * H + PAGE);
}

static void test_block_heads(void **state)
{
        (void)state;
        const uint64_t H = LX_HUGE_SIZE, per = LX_HUGE_SIZE / PAGE;
        /* Two mappings: [2H, 5H) and [6H + PAGE, 8H). */
        struct lx_range r[2] = {{2 * H, 5 * H}, {6 * H + PAGE, 8 * H}};
        static void *addrs[4 * 512], *move[4 * 512];
        size_t heads[8], n = 0, nmove, nheads;

        /* Block 2H whole; block 3H missing one page; 4H whole; a page of 6H (not aligned to
         * its mapping, so never whole); block 7H whole. */
        for (uint64_t p = 0; p < per; p++)
                addrs[n++] = (void *)(uintptr_t)(2 * H + p * PAGE);
        for (uint64_t p = 0; p < per; p++)
                if (p != 17)
                        addrs[n++] = (void *)(uintptr_t)(3 * H + p * PAGE);
        for (uint64_t p = 0; p < per; p++)
                addrs[n++] = (void *)(uintptr_t)(4 * H + p * PAGE);
        addrs[n++] = (void *)(uintptr_t)(6 * H + 5 * PAGE);
        lx_block_heads(r, 2, addrs, n, move, &nmove, heads, &nheads);
        assert_int_equal(nheads, 2);
        assert_int_equal(nmove, 1 + (per - 1) + 1 + 1);
        assert_ptr_equal(move[heads[0]], (void *)(uintptr_t)(2 * H));
        assert_int_equal(heads[0], 0);
        assert_ptr_equal(move[1], (void *)(uintptr_t)(3 * H)); /* page by page */
        assert_int_equal(heads[1], per);
        assert_ptr_equal(move[heads[1]], (void *)(uintptr_t)(4 * H));
        assert_ptr_equal(move[nmove - 1], (void *)(uintptr_t)(6 * H + 5 * PAGE));

        /* A block cut short by the end of the batch is not whole. */
        n = 0;
        for (uint64_t p = 0; p < per - 1; p++)
                addrs[n++] = (void *)(uintptr_t)(4 * H + p * PAGE);
        lx_block_heads(r, 2, addrs, n, move, &nmove, heads, &nheads);
        assert_int_equal(nheads, 0);
        assert_int_equal(nmove, per - 1);
        /* Nor is one split between two adjacent mappings: no huge page spans two. */
        r[0].end = 5 * H - PAGE;
        r[1].start = 5 * H - PAGE;
        n = 0;
        for (uint64_t p = 0; p < per; p++)
                addrs[n++] = (void *)(uintptr_t)(4 * H + p * PAGE);
        lx_block_heads(r, 2, addrs, n, move, &nmove, heads, &nheads);
        assert_int_equal(nheads, 0);
        assert_int_equal(nmove, per);
        /* A whole block in the second mapping. */
        n = 0;
        for (uint64_t p = 0; p < per; p++)
                addrs[n++] = (void *)(uintptr_t)(7 * H + p * PAGE);
        lx_block_heads(r, 2, addrs, n, move, &nmove, heads, &nheads);
        assert_int_equal(nheads, 1);
        assert_int_equal(nmove, 1);
        assert_ptr_equal(move[0], (void *)(uintptr_t)(7 * H));
}

static void test_tally(void **state)
{
        (void)state;
        /* What move_pages(2) writes per page for a move to node 0. */
        const int status[] = {0, 0, -EBUSY, -EFAULT, -ENOENT, -EACCES, -ENOMEM, 1, -EBUSY, -EAGAIN};
        struct lx_tally t;
        size_t busy[10];

        lx_tally(status, 10, 0, &t, busy);
        assert_int_equal(t.moved, 2);
        assert_int_equal(t.busy, 2);
        assert_int_equal(busy[0], 2);
        assert_int_equal(busy[1], 8);
        assert_int_equal(t.skipped, 3); /* gone, never there, shared with others */
        assert_int_equal(t.failed, 3);  /* no memory, still on node 1, try again */
        lx_tally(status, 10, 1, &t, NULL);
        assert_int_equal(t.moved, 1);
        assert_int_equal(t.failed, 4);
}

/* ---- the backend's own config ---- */

static void test_backend_config(void **state)
{
        (void)state;
        const struct nf_backend_ops *ops = &nf_backend_linux_ops;
        char err[256];
        void *c;

        if (!ops->compiled_in)
                skip(); /* built without libnuma: the stub has no config */
        c = ops->conf_new();
        assert_non_null(c);
        assert_int_equal(ops->conf_key(c, NULL, NULL, "scan", "sample", err, sizeof(err)), 0);
        assert_int_equal(ops->conf_key(c, NULL, NULL, "scan", "guess", err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "guess"));
        assert_int_equal(ops->conf_key(c, NULL, NULL, "sample_pages", "8", err, sizeof(err)),
                         -ERANGE);
        assert_int_equal(ops->conf_key(c, NULL, NULL, "free_watermark", "128MiB", err, sizeof(err)),
                         0);
        assert_int_equal(ops->conf_key(c, NULL, NULL, "nope", "1", err, sizeof(err)), -ENOENT);
        assert_int_equal(ops->conf_key(c, "vm", "work", "pidfile", "/run/w.pid", err, sizeof(err)),
                         0);
        assert_int_equal(ops->conf_key(c, "vm", "work", "pidfile", "w.pid", err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, "absolute"));
        assert_int_equal(ops->conf_key(c, "vm", "work", "pid", "0", err, sizeof(err)), -ERANGE);
        assert_int_equal(ops->conf_key(c, "vm", "work", "cmdline", "", err, sizeof(err)), -EINVAL);
        assert_int_equal(ops->conf_key(c, "vm", "work", "mode", "periodic", err, sizeof(err)),
                         -ENOENT); /* the daemon's own key */
        ops->conf_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_list),   cmocka_unit_test(test_parse_status),
            cmocka_unit_test(test_parse_stat),   cmocka_unit_test(test_home_rules),
            cmocka_unit_test(test_cmdline_qemu), cmocka_unit_test(test_cgroup_name),
            cmocka_unit_test(test_guest_name),   cmocka_unit_test(test_parse_maps),
            cmocka_unit_test(test_scan_full),    cmocka_unit_test(test_sample_bound),
            cmocka_unit_test(test_scan_sample),  cmocka_unit_test(test_collect),
            cmocka_unit_test(test_tally),        cmocka_unit_test(test_block_end),
            cmocka_unit_test(test_block_heads),  cmocka_unit_test(test_backend_config),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
