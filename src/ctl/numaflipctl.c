/* numaflipctl: queries and steers numaflipd over its control socket. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "nf_policy.h"
#include "nf_proto.h"
#include "nf_units.h"

#ifndef NF_VERSION
#define NF_VERSION "0.0.0"
#endif

enum { EXIT_DAEMON_ERROR = 1, EXIT_USAGE = 2, EXIT_CONNECT = 3, EXIT_INTERRUPTED = 130 };

/* How long a reply may take unless -t says otherwise; advance waits as long as it runs. */
#define CTL_DEFAULT_TIMEOUT_NS (60ULL * 1000000000ULL)

struct ctl {
        const char *socket;
        int json;
        int fd;
        long long next_id;
        FILE *in;            /* buffered reader over fd */
        uint64_t timeout_ns; /* per reply; 0 waits for ever */
};

typedef int (*ctl_fn)(struct ctl *c, int argc, char **argv);

struct ctl_cmd {
        const char *name;
        const char *args;
        const char *help;
        int nargs; /* exact positional arguments; -1: the handler checks */
        ctl_fn fn; /* NULL: one request, its argument (if any) sent as "name" */
        void (*show)(const json_t *result); /* how that request's result prints */
};

static const struct ctl_cmd *find_cmd(const char *name);
static void usage(FILE *f);

/* Ctrl-C during status --watch: the handler shuts the socket down, which no wait can miss
 * (a flag alone is lost when the signal lands just before a blocking call). */
static volatile sig_atomic_t interrupted;
static int watch_fd = -1;

static void on_sigint(int sig)
{
        (void)sig;
        int saved = errno;
        interrupted = 1;
        if (watch_fd >= 0)
                shutdown(watch_fd, SHUT_RDWR);
        errno = saved;
}

static int connect_daemon(struct ctl *c)
{
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (strlen(c->socket) >= sizeof(sun.sun_path)) {
                fprintf(stderr, "numaflipctl: socket path too long: %s\n", c->socket);
                return -ENAMETOOLONG;
        }
        snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", c->socket);
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
                int e = errno;
                fprintf(stderr, "numaflipctl: cannot connect to %s: %s%s\n", c->socket, strerror(e),
                        e == ENOENT || e == ECONNREFUSED ? " (is numaflipd running?)" : "");
                if (c->fd >= 0)
                        close(c->fd);
                c->fd = -1;
                return -e;
        }
        /* A wedged daemon must not wedge the shell that asked it. */
        uint64_t us = (c->timeout_ns + 999) / 1000; /* rounded up: a zero timeval waits for ever */
        struct timeval tv = {.tv_sec = (time_t)(us / 1000000),
                             .tv_usec = (suseconds_t)(us % 1000000)};
        if (c->timeout_ns && setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
                int e = errno;
                fprintf(stderr, "numaflipctl: cannot set a reply timeout: %s\n", strerror(e));
                return -e;
        }
        c->in = fdopen(dup(c->fd), "r");
        if (!c->in) {
                fprintf(stderr, "numaflipctl: out of memory\n");
                return -ENOMEM;
        }
        return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
        while (len) {
                ssize_t n = write(fd, buf, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Reads one reply line; malloc'd, or NULL with errno 0 at end of stream, EAGAIN when the
 * reply timeout passed, EINTR when a signal cut the wait short. */
static char *read_line(struct ctl *c, size_t *len)
{
        char *line = NULL;
        size_t cap = 0;
        errno = 0;
        ssize_t n = getline(&line, &cap, c->in);
        if (n <= 0) {
                int e = ferror(c->in) ? errno : 0;
                free(line);
                errno = e == EWOULDBLOCK ? EAGAIN : e;
                return NULL;
        }
        *len = (size_t)n;
        return line;
}

/* Says why no reply came and returns the exit code for it. */
static int no_reply(const struct ctl *c)
{
        if (interrupted)
                return EXIT_INTERRUPTED;
        char t[32];
        if (errno == EAGAIN)
                fprintf(stderr,
                        "numaflipctl: %s: no reply within %s (is numaflipd stuck? -t 0 waits "
                        "for ever)\n",
                        c->socket, nf_format_duration(c->timeout_ns, t, sizeof(t)));
        else if (errno)
                fprintf(stderr, "numaflipctl: %s: %s\n", c->socket, strerror(errno));
        else
                fprintf(stderr, "numaflipctl: %s: the daemon closed the connection\n", c->socket);
        return EXIT_CONNECT;
}

/* Sends req (stolen) and waits for its reply: 0 with reply and result set, or an exit code. */
static int call(struct ctl *c, json_t *req, json_t **reply, json_t **result)
{
        struct nf_proto_error e = {0};
        size_t len;
        json_object_set_new(req, "id", json_integer(++c->next_id));
        char *line = nf_proto_dump_line(req, &len);
        json_decref(req);
        if (!line) {
                fprintf(stderr, "numaflipctl: out of memory\n");
                return EXIT_DAEMON_ERROR;
        }
        int rc = write_all(c->fd, line, len);
        free(line);
        if (rc < 0 && interrupted)
                return EXIT_INTERRUPTED;
        if (rc < 0) {
                fprintf(stderr, "numaflipctl: %s: %s\n", c->socket, strerror(-rc));
                return EXIT_CONNECT;
        }
        char *r = read_line(c, &len);
        if (!r)
                return no_reply(c);
        rc = nf_reply_parse(r, len, reply, result, &e);
        free(r);
        if (rc == 0)
                return 0;
        fprintf(stderr, "numaflipctl: %s%s%s\n", rc == -EREMOTEIO ? e.code : "",
                rc == -EREMOTEIO ? ": " : "", e.message);
        json_decref(*reply);
        *reply = NULL;
        return EXIT_DAEMON_ERROR;
}

static void print_json(const json_t *v)
{
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s) {
                puts(s);
                free(s);
        }
}

static long long jint(const json_t *o, const char *key)
{
        return (long long)json_integer_value(json_object_get(o, key));
}

static double jreal(const json_t *o, const char *key)
{
        return json_number_value(json_object_get(o, key));
}

static const char *jstr(const json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : "-";
}

static const char *size_str(long long bytes, char *buf, size_t len)
{
        return nf_format_size(bytes < 0 ? 0 : (uint64_t)bytes, buf, len);
}

static const char *dur_str(long long ns, char *buf, size_t len)
{
        return nf_format_duration(ns < 0 ? 0 : (uint64_t)ns, buf, len);
}

/* The remote share's change over the recent window, signed: "+1.2%", "-0.5%", "=". */
static const char *trend_str(double t, char *buf, size_t len)
{
        char s[32];
        if (t > -0.00005 && t < 0.00005)
                return snprintf(buf, len, "="), buf;
        snprintf(buf, len, "%s%s", t > 0 ? "+" : "-",
                 nf_format_share(t > 0 ? t : -t, s, sizeof(s)));
        return buf;
}

static void print_status(const json_t *r)
{
        char a[32], b[32], c[32], e[32];
        const json_t *d = json_object_get(r, "daemon");
        printf("numaflipd %s, backend %s (%s)", jstr(d, "version"), jstr(d, "backend"),
               jstr(d, "backend_detail"));
        printf(", up %s, %lld polls every %s\n", dur_str(jint(d, "uptime_ns"), a, sizeof(a)),
               jint(d, "polls"), dur_str(jint(d, "poll_ns"), b, sizeof(b)));
        const json_t *missing = json_object_get(d, "missing_caps");
        if (json_array_size(missing)) {
                printf("backend cannot:");
                size_t i;
                const json_t *v;
                json_array_foreach(missing, i, v) printf(" %s", json_string_value(v));
                printf("\n");
        }
        if (json_is_string(json_object_get(d, "last_reload_error")))
                printf("last reload rejected: %s\n", jstr(d, "last_reload_error"));
        printf("\n%-5s %10s %10s\n", "NODE", "TOTAL", "FREE");
        size_t i;
        const json_t *n;
        json_array_foreach(json_object_get(r, "nodes"), i, n)
        {
                printf("%-5lld %10s %10s\n", jint(n, "node"),
                       size_str(jint(n, "total_bytes"), a, sizeof(a)),
                       size_str(jint(n, "free_bytes"), b, sizeof(b)));
        }
        printf("\n%-4s %-16s %-5s %10s %10s %7s %7s %7s %-9s %-12s %s\n", "ID", "NAME", "HOME",
               "MEMORY", "REMOTE", "SHARE", "MAX", "TREND", "MODE", "STATE", "NOTE");
        const json_t *g;
        json_array_foreach(json_object_get(r, "guests"), i, g)
        {
                char note[96] = "";
                const json_t *mig = json_object_get(g, "migration");
                if (mig)
                        snprintf(
                            note, sizeof(note), "%s of %s moved",
                            size_str(jint(mig, "moved_pages") * 4096LL, a, sizeof(a)),
                            size_str((jint(mig, "moved_pages") + jint(mig, "goal_pages")) * 4096LL,
                                     b, sizeof(b)));
                else if (json_is_string(json_object_get(g, "note")))
                        snprintf(note, sizeof(note), "%s", jstr(g, "note"));
                char trend[32];
                printf("%-4lld %-16s %-5s %10s %10s %7s %7s %7s %-9s %-12s %s\n", jint(g, "id"),
                       jstr(g, "name"), jstr(g, "home"),
                       size_str(jint(g, "total_bytes"), a, sizeof(a)),
                       size_str(jint(g, "remote_bytes"), b, sizeof(b)),
                       nf_format_share(jreal(g, "remote_share"), c, sizeof(c)),
                       nf_format_share(jreal(g, "max_remote_share"), e, sizeof(e)),
                       trend_str(jreal(g, "trend"), trend, sizeof(trend)), jstr(g, "mode"),
                       jstr(g, "state"), note);
        }
}

/* The policy, key by key in the daemon's own order, each value as it would be written. */
static void print_policy(const json_t *policy)
{
        for (int f = 0; f < NF_PF_COUNT; f++) {
                const struct nf_key *k = &nf_policy_keys[f];
                const json_t *v = json_object_get(policy, k->name);
                union nf_key_value val;
                char vb[64];
                if (nf_proto_key_value(k, json_object_get(v, "value"), &val) == 0)
                        nf_key_format(k, &val, vb, sizeof(vb));
                else
                        snprintf(vb, sizeof(vb), "?");
                printf("    %-11s %-14s %s\n", k->name, vb, jstr(v, "source"));
        }
}

/* A pages_per_node array as " N: SIZE" items, each led by sep. */
static void print_per_node(const json_t *pages, const char *sep)
{
        char a[32];
        size_t i;
        const json_t *v;
        json_array_foreach(pages, i, v)
        {
                printf("%s%zu: %s", sep, i,
                       size_str((long long)json_integer_value(v) * 4096LL, a, sizeof(a)));
        }
}

static void print_vm(const json_t *r)
{
        char a[32], b[32], c[32], e[32];
        printf("%s (id %lld%s%s)\n", jstr(r, "name"), jint(r, "id"),
               *jstr(r, "uuid") ? ", uuid " : "", *jstr(r, "uuid") ? jstr(r, "uuid") : "");
        printf("  home nodes    %s, from %s (backend says %s)\n", jstr(r, "home"),
               jstr(r, "home_rule"), jstr(r, "backend_home"));
        printf("  memory        %s, remote %s = %s (max seen %s)\n",
               size_str(jint(r, "total_bytes"), a, sizeof(a)),
               size_str(jint(r, "remote_bytes"), b, sizeof(b)),
               nf_format_share(jreal(r, "remote_share"), c, sizeof(c)),
               nf_format_share(jreal(r, "max_remote_share"), e, sizeof(e)));
        printf("  per node     ");
        print_per_node(json_object_get(r, "pages_per_node"), " ");
        printf("\n  state         %s", jstr(r, "state"));
        if (json_is_string(json_object_get(r, "note")))
                printf(" (%s)", jstr(r, "note"));
        printf("\n");
        const json_t *m = json_object_get(r, "migration");
        if (json_is_true(json_object_get(m, "active")))
                printf("  migration     in progress (%s): %s moved, %s to go, %lld batches, to "
                       "node %lld\n",
                       jstr(m, "trigger"), size_str(jint(m, "moved_pages") * 4096LL, a, sizeof(a)),
                       size_str(jint(m, "goal_pages") * 4096LL, b, sizeof(b)), jint(m, "batches"),
                       jint(m, "target_node"));
        printf("  policy\n");
        print_policy(json_object_get(r, "policy"));
        const json_t *n = json_object_get(r, "counters");
        const json_t *by = json_object_get(n, "migrations");
        printf("  counters      %lld pages tried, %lld moved (%s), %lld skipped, %lld failed, "
               "%lld batches\n",
               jint(n, "pages_tried"), jint(n, "pages_moved"),
               size_str(jint(n, "bytes_moved"), a, sizeof(a)), jint(n, "pages_skipped"),
               jint(n, "pages_failed"), jint(n, "batches"));
        printf("  migrations    %lld threshold, %lld periodic, %lld manual; %lld completed, %lld "
               "abandoned, %lld dry runs\n",
               jint(by, "threshold"), jint(by, "periodic"), jint(by, "manual"),
               jint(n, "completed"), jint(n, "abandoned"), jint(n, "dry_runs"));
        if (json_is_string(json_object_get(n, "last_end")))
                printf("  last ended    %s\n", jstr(n, "last_end"));
        if (json_is_string(json_object_get(r, "last_error")))
                printf("  last error    %s\n", jstr(r, "last_error"));
}

static void print_pools(const json_t *r)
{
        size_t i;
        const json_t *n;
        printf("pool mode %s%s\n", jstr(r, "mode"),
               json_is_true(json_object_get(r, "supported")) ? "" : " (backend has no pools)");
        printf("%-5s %-8s %10s %10s %10s %10s %10s %10s %9s\n", "NODE", "ENABLED", "TARGET", "HELD",
               "HANDED", "HITS", "MISSES", "FALLBACKS", "HIT RATE");
        json_array_foreach(json_object_get(r, "nodes"), i, n)
        {
                /* Counters since the host began counting; the hit rate is the last interval's. */
                const json_t *iv = json_object_get(n, "interval");
                const json_t *rate = json_object_get(iv, "hit_rate");
                char hr[32] = "-";
                if (json_is_number(rate))
                        nf_format_share(json_number_value(rate), hr, sizeof(hr));
                printf("%-5lld %-8s %10lld %10lld %10lld %10lld %10lld %10lld %9s\n",
                       jint(n, "node"), json_is_true(json_object_get(n, "enabled")) ? "yes" : "no",
                       jint(n, "target_pages"), jint(n, "held_pages"), jint(n, "handed_out_pages"),
                       jint(n, "hits"), jint(n, "misses"), jint(n, "fallbacks"), hr);
        }
}

/* Runs cmd with an optional "name" argument and prints the result with show. */
static int simple(struct ctl *c, const char *cmd, const char *key, const char *arg,
                  void (*show)(const json_t *))
{
        json_t *req = json_pack("{s:s}", "cmd", cmd), *reply = NULL, *result = NULL;
        if (key)
                json_object_set_new(req, key, json_string(arg));
        int rc = call(c, req, &reply, &result);
        if (rc)
                return rc;
        if (c->json || !show)
                print_json(result);
        else
                show(result);
        json_decref(reply);
        return 0;
}

static int cmd_status(struct ctl *c, int argc, char **argv)
{
        double every = 0;
        if (argc == 3 && (strcmp(argv[1], "-w") == 0 || strcmp(argv[1], "--watch") == 0)) {
                char *end;
                every = strtod(argv[2], &end);
                if (*end || !(every >= 0.1) || every > 3600) {
                        fprintf(stderr,
                                "numaflipctl: status --watch takes seconds between "
                                "0.1 and 3600, not '%s'\n",
                                argv[2]);
                        return EXIT_USAGE;
                }
        } else if (argc != 1) {
                fprintf(stderr, "numaflipctl: usage: status [--watch SECONDS]\n");
                return EXIT_USAGE;
        }
        if (!every)
                return simple(c, "status", NULL, NULL, print_status);
        watch_fd = c->fd;
        struct sigaction sa = {.sa_handler = on_sigint};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        /* A mask inherited from the caller must not hold back the Ctrl-C we offer. */
        sigset_t intr;
        sigemptyset(&intr);
        sigaddset(&intr, SIGINT);
        sigprocmask(SIG_UNBLOCK, &intr, NULL);
        while (!interrupted) {
                if (!c->json)
                        printf("\033[H\033[2J");
                int rc = simple(c, "status", NULL, NULL, print_status);
                if (interrupted)
                        break;
                if (rc)
                        return rc;
                if (!c->json)
                        printf("\n(every %gs; Ctrl-C to stop)\n", every);
                fflush(stdout);
                /* Nothing arrives unasked, so this sleeps until the next refresh, or until
                 * Ctrl-C shuts the socket down or the daemon hangs up. */
                struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
                poll(&pfd, 1, (int)(every * 1000));
        }
        return 0;
}

/* The Prometheus text as the daemon wrote it, for a scrape script or a textfile. */
static void print_metrics(const json_t *r)
{
        const json_t *t = json_object_get(r, "text");
        fwrite(json_string_value(t), 1, json_string_length(t), stdout);
}

/* One bar per column, scaled between the lowest and highest share shown. */
static void sparkline(const double *v, size_t n, double lo, double hi)
{
        static const char *const bars[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                           "\u2585", "\u2586", "\u2587", "\u2588"};
        for (size_t i = 0; i < n; i++) {
                int b = hi > lo ? (int)((v[i] - lo) / (hi - lo) * 7.0 + 0.5) : 0;
                fputs(bars[b < 0 ? 0 : b > 7 ? 7 : b], stdout);
        }
}

#define SPARK_WIDTH 60

static void print_history(const json_t *r)
{
        const json_t *pts = json_object_get(r, "points"), *p;
        size_t n = json_array_size(pts), i, polls = 0;
        double col[SPARK_WIDTH] = {0}, lo = 1, hi = 0;
        size_t w = n < SPARK_WIDTH ? n : SPARK_WIDTH;
        char a[32], b[32], c[32], e[32];

        if (!n) {
                printf("%s: no samples yet\n", jstr(r, "name"));
                return;
        }
        /* Columns split the time covered evenly (older points stand for more polls each);
         * a column is the mean of its points, weighted by the polls each stands for. */
        double wsum[SPARK_WIDTH] = {0};
        const json_t *first = json_array_get(pts, 0), *last = json_array_get(pts, n - 1);
        long long t0 = jint(first, "t_ns"), span = jint(last, "t_ns") - t0;
        json_array_foreach(pts, i, p)
        {
                size_t k =
                    (size_t)((double)(jint(p, "t_ns") - t0) * (double)w / (double)(span + 1));
                double share = jreal(p, "remote_share"), np = (double)jint(p, "polls");
                col[k] += share * np;
                wsum[k] += np;
                polls += (size_t)jint(p, "polls");
                lo = share < lo ? share : lo;
                hi = share > hi ? share : hi;
        }
        /* A column no point fell in (points far apart) carries its neighbour on. */
        for (size_t k = 0; k < w; k++)
                col[k] = wsum[k] > 0 ? col[k] / wsum[k] : k ? col[k - 1] : 0;
        printf("%s: remote share over %s (%zu polls; the last %lld as polled, older ones by "
               "%lld)\n  ",
               jstr(r, "name"), dur_str(span, a, sizeof(a)), polls, jint(r, "recent"),
               jint(r, "factor"));
        sparkline(col, w, lo, hi);
        printf("\n  min %s  max %s  last %s  trend %s\n", nf_format_share(lo, a, sizeof(a)),
               nf_format_share(hi, b, sizeof(b)),
               nf_format_share(jreal(last, "remote_share"), c, sizeof(c)),
               trend_str(jreal(r, "trend"), e, sizeof(e)));
        printf("  per node now");
        print_per_node(json_object_get(last, "pages_per_node"), "  ");
        const json_t *by = json_object_get(r, "migrations");
        printf("\n  migrations   %lld threshold, %lld periodic, %lld manual; %s moved\n",
               jint(by, "threshold"), jint(by, "periodic"), jint(by, "manual"),
               size_str(jint(r, "pages_moved") * 4096LL, a, sizeof(a)));
}

static int cmd_history(struct ctl *c, int argc, char **argv)
{
        const char *name = NULL;
        int names = 0;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0)
                        c->json = 1;
                else
                        name = argv[i], names++;
        }
        if (names != 1) {
                fprintf(stderr, "numaflipctl: usage: history NAME [--json]\n");
                return EXIT_USAGE;
        }
        return simple(c, "history", "name", name, print_history);
}

static void print_migrate(const json_t *r)
{
        char a[32];
        printf("%s: %s %s to node %lld\n", jstr(r, "name"),
               json_is_true(json_object_get(r, "dry_run")) ? "would migrate" : "migrating",
               size_str(jint(r, "goal_pages") * 4096LL, a, sizeof(a)), jint(r, "target_node"));
}

static void print_paused(const json_t *r)
{
        printf("%s: %s\n", jstr(r, "name"), jstr(r, "state"));
}

static void print_reload(const json_t *r)
{
        printf("reloaded %s\n", jstr(r, "config"));
}

static void print_version(const json_t *r)
{
        printf("numaflipctl %s\nnumaflipd %s (protocol %lld, backend %s)\n", NF_VERSION,
               jstr(r, "version"), jint(r, "protocol"), jstr(r, "backend"));
}

static void print_advance(const json_t *r)
{
        char a[32];
        printf("virtual time now %s\n", dur_str(jint(r, "now_ns"), a, sizeof(a)));
}

static int cmd_advance(struct ctl *c, int argc, char **argv)
{
        (void)argc;
        uint64_t ns;
        char err[200];
        if (nf_parse_duration(argv[1], &ns, err, sizeof(err)) < 0) {
                fprintf(stderr, "numaflipctl: %s\n", err);
                return EXIT_USAGE;
        }
        return simple(c, "advance", "by", argv[1], print_advance);
}

/* Sends stdin's lines verbatim and prints each reply: for debugging and tests. */
static int cmd_raw(struct ctl *c, int argc, char **argv)
{
        (void)argc;
        (void)argv;
        char *line = NULL;
        size_t cap = 0, len;
        ssize_t n;
        int status = 0;
        while ((n = getline(&line, &cap, stdin)) > 0) {
                int complete = line[n - 1] == '\n';
                if (write_all(c->fd, line, (size_t)n) < 0) {
                        fprintf(stderr, "numaflipctl: the daemon closed the connection\n");
                        status = EXIT_CONNECT;
                        break;
                }
                if (!complete)
                        break; /* a half-sent request: hang up on it */
                char *r = read_line(c, &len);
                if (!r) {
                        free(line);
                        return no_reply(c);
                }
                fputs(r, stdout);
                free(r);
        }
        free(line);
        if (status == EXIT_CONNECT) {
                /* The daemon may have said why before it hung up. */
                char *r = read_line(c, &len);
                if (r) {
                        fputs(r, stdout);
                        free(r);
                }
        }
        return status;
}

static int cmd_help(struct ctl *c, int argc, char **argv)
{
        (void)c;
        (void)argc;
        (void)argv;
        usage(stdout);
        return 0;
}

static const struct ctl_cmd commands[] = {
    {"status", "[--watch SECONDS]", "daemon, nodes and guests; --watch refreshes", -1, cmd_status,
     NULL},
    {"vm", "NAME", "one guest in detail: placement, policy and its sources, counters", 1, NULL,
     print_vm},
    {"pool", "", "flip pools per node: size, use, hits, misses", 0, NULL, print_pools},
    {"metrics", "", "every series in the Prometheus text format", 0, NULL, print_metrics},
    {"history", "NAME [--json]", "NAME's remote share over time: sparkline, min/max/last", -1,
     cmd_history, NULL},
    {"migrate", "NAME", "migrate NAME's remote memory home now", 1, NULL, print_migrate},
    {"pause", "NAME", "stop migrating NAME (a migration in flight waits)", 1, NULL, print_paused},
    {"resume", "NAME", "let NAME be migrated again", 1, NULL, print_paused},
    {"reload", "", "re-read the configuration; a bad one is rejected, the old one stays", 0, NULL,
     print_reload},
    {"version", "", "versions of numaflipctl and numaflipd", 0, NULL, print_version},
    {"advance", "DURATION", "move the sim's virtual clock forward (clock = virtual)", 1,
     cmd_advance, NULL},
    {"raw", "", "send request lines from stdin as they are, print the replies", 0, cmd_raw, NULL},
    {"help", "", "this help", 0, cmd_help, NULL},
};

static const struct ctl_cmd *find_cmd(const char *name)
{
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

static void usage(FILE *f)
{
        fprintf(f,
                "usage: numaflipctl [-s SOCKET] [--json] [-t TIME] COMMAND [ARGS]\n\n"
                "options:\n"
                "  -s, --socket SOCKET  control socket (default $NUMAFLIP_SOCKET or %s)\n"
                "  -j, --json           print the daemon's JSON result\n"
                "  -t, --timeout TIME   give up on a reply after TIME (default 60s, advance: "
                "none; 0: wait)\n"
                "  -h, --help           this help\n\ncommands:\n",
                NF_DEFAULT_SOCKET);
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
                char left[64];
                snprintf(left, sizeof(left), "%s %s", commands[i].name, commands[i].args);
                fprintf(f, "  %-28s %s\n", left, commands[i].help);
        }
}

int main(int argc, char **argv)
{
        struct ctl c = {.fd = -1};
        static const struct option opts[] = {{"socket", required_argument, NULL, 's'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"timeout", required_argument, NULL, 't'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
        int timeout_set = 0;
        char err[200];
        int opt;
        /* A daemon that hangs up on us is reported by write(), not by a signal. */
        signal(SIGPIPE, SIG_IGN);
        c.socket = getenv("NUMAFLIP_SOCKET");
        if (!c.socket || !*c.socket)
                c.socket = NF_DEFAULT_SOCKET;
        /* "+": options end at the command, whose own arguments may look like options. */
        while ((opt = getopt_long(argc, argv, "+s:jt:h", opts, NULL)) != -1) {
                switch (opt) {
                case 't':
                        if (nf_parse_duration(optarg, &c.timeout_ns, err, sizeof(err)) < 0) {
                                fprintf(stderr, "numaflipctl: --timeout: %s\n", err);
                                return EXIT_USAGE;
                        }
                        timeout_set = 1;
                        break;
                case 's':
                        c.socket = optarg;
                        break;
                case 'j':
                        c.json = 1;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return EXIT_USAGE;
        }
        const struct ctl_cmd *cmd = find_cmd(argv[optind]);
        if (!cmd) {
                fprintf(stderr, "numaflipctl: unknown command '%s' (see numaflipctl --help)\n",
                        argv[optind]);
                return EXIT_USAGE;
        }
        int nargs = argc - optind - 1;
        if (cmd->nargs >= 0 && nargs != cmd->nargs) {
                fprintf(stderr, "numaflipctl: usage: %s %s\n", cmd->name, cmd->args);
                return EXIT_USAGE;
        }
        if (cmd->fn == cmd_help)
                return cmd_help(&c, 0, NULL);
        if (!timeout_set)
                c.timeout_ns = cmd->fn == cmd_advance ? 0 : CTL_DEFAULT_TIMEOUT_NS;
        if (connect_daemon(&c) < 0)
                return EXIT_CONNECT;
        int rc = cmd->fn ? cmd->fn(&c, argc - optind, argv + optind)
                         : simple(&c, cmd->name, nargs ? "name" : NULL,
                                  nargs ? argv[optind + 1] : NULL, cmd->show);
        fclose(c.in);
        close(c.fd);
        return rc;
}
