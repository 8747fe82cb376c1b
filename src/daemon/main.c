/* numaflipd: keeps guests' memory on their home NUMA node. */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "nf_config.h"
#include "nf_control.h"
#include "nf_daemon.h"
#include "nf_log.h"
#include "nf_notify.h"

#ifndef NF_VERSION
#define NF_VERSION "0.0.0"
#endif

struct nf_main {
        struct nf_daemon d;
        struct event *sig_hup, *sig_term, *sig_int, *watchdog;
        struct timeval watchdog_tv;
};

static void usage(FILE *f)
{
        fprintf(f,
                "usage: numaflipd [-fnhV] [-c FILE] [-s SOCKET] [-d]\n"
                "  -c FILE    configuration file (default %s)\n"
                "  -n         check the configuration and exit\n"
                "  -f         stay in the foreground (implied under systemd)\n"
                "  -s SOCKET  control socket path (overrides [daemon] socket)\n"
                "  -d         debug logging (overrides [daemon] log_level)\n"
                "  -V         print the version and exit\n"
                "  -h         this help\n",
                NF_DEFAULT_CONFIG);
}

static void on_hup(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct nf_main *m = arg;
        char err[NF_ERR_MAX];
        nf_notify_reloading();
        int rc = nf_daemon_reload(&m->d, err, sizeof(err));
        nf_notify_ready(rc == 0 ? "configuration reloaded" : "reload rejected");
}

static void on_term(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct nf_main *m = arg;
        nf_notice("signal %d: stopping", (int)fd);
        nf_notify_stopping();
        nf_daemon_stop(&m->d);
        event_base_loopbreak(m->d.base);
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct nf_main *m = arg;
        nf_notify_watchdog();
        evtimer_add(m->watchdog, &m->watchdog_tv);
}

int main(int argc, char **argv)
{
        const char *config = NF_DEFAULT_CONFIG, *socket_override = NULL;
        int check = 0, foreground = 0, debug = 0, opt;
        char err[NF_ERR_MAX];

        while ((opt = getopt(argc, argv, "c:nfs:dVh")) != -1) {
                switch (opt) {
                case 'c':
                        config = optarg;
                        break;
                case 'n':
                        check = 1;
                        break;
                case 'f':
                        foreground = 1;
                        break;
                case 's':
                        socket_override = optarg;
                        break;
                case 'd':
                        debug = 1;
                        break;
                case 'V':
                        printf("numaflipd %s\n", NF_VERSION);
                        return 0;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc) {
                fprintf(stderr, "numaflipd: unexpected argument '%s'\n", argv[optind]);
                usage(stderr);
                return 2;
        }

        /* Detaching changes to /, and reloads must still find the file. */
        char config_abs[PATH_MAX];
        if (realpath(config, config_abs))
                config = config_abs;
        struct nf_config *cfg;
        if (nf_config_load(config, &cfg, err, sizeof(err)) < 0) {
                fprintf(stderr, "numaflipd: %s\n", err);
                return 1;
        }
        if (socket_override) {
                if (socket_override[0] != '/' ||
                    strlen(socket_override) >= sizeof(cfg->socket_path)) {
                        fprintf(stderr, "numaflipd: -s needs an absolute path shorter than %zu\n",
                                sizeof(cfg->socket_path));
                        nf_config_free(cfg);
                        return 2;
                }
                snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s", socket_override);
        }
        if (check) {
                printf("%s: configuration OK (%zu vm sections, backend %s)\n", config, cfg->nr_vms,
                       cfg->backend);
                if (cfg->ignored[0])
                        printf("%s: note: %s; its sections were not checked\n", config,
                               cfg->ignored);
                nf_config_free(cfg);
                return 0;
        }

        /* journald reads "<N>" prefixes as priorities; a daemon about to detach logs to
         * syslog from the start, and to the terminal until it has detached. */
        bool detach = !foreground && !nf_notify_enabled();
        nf_log_init("numaflipd", debug ? NF_LOG_DEBUG : cfg->log_level,
                    detach                     ? NF_LOG_BOTH
                    : getenv("JOURNAL_STREAM") ? NF_LOG_JOURNAL
                                               : NF_LOG_STDERR);
        signal(SIGPIPE, SIG_IGN);
        /* A mask inherited from whoever started us would hold back SIGTERM and SIGHUP
         * for ever (daemon(7): start from an empty mask). */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);

        struct event_base *base = NULL;
        if (nf_control_base(&base) < 0) {
                nf_error("cannot create the event loop");
                nf_config_free(cfg);
                return 1;
        }
        static struct nf_main m;
        const char *sock = cfg->socket_path;
        mode_t mode = cfg->socket_mode;
        char group[sizeof(cfg->socket_group)];
        snprintf(group, sizeof(group), "%s", cfg->socket_group);
        if (nf_daemon_init(&m.d, base, cfg, config, err, sizeof(err)) < 0) {
                nf_error("%s", err);
                event_base_free(base);
                return 1;
        }
        if (nf_control_open(&m.d, sock, mode, group, &m.d.control, err, sizeof(err)) < 0) {
                nf_error("control socket: %s", err);
                nf_daemon_fini(&m.d);
                event_base_free(base);
                return 1;
        }
        if (detach && daemon(0, 0) < 0) {
                nf_error("cannot detach: %s", strerror(errno));
                nf_control_close(m.d.control);
                nf_daemon_fini(&m.d);
                event_base_free(base);
                return 1;
        }
        if (detach) {
                /* stderr is /dev/null now: what is logged from here on goes to syslog. */
                nf_log_set_sink(NF_LOG_SYSLOG);
                event_reinit(base);
        }

        m.sig_hup = evsignal_new(base, SIGHUP, on_hup, &m);
        m.sig_term = evsignal_new(base, SIGTERM, on_term, &m);
        m.sig_int = evsignal_new(base, SIGINT, on_term, &m);
        evsignal_add(m.sig_hup, NULL);
        evsignal_add(m.sig_term, NULL);
        evsignal_add(m.sig_int, NULL);
        uint64_t wd = nf_notify_watchdog_usec();
        if (wd) {
                /* Ping at half the interval, on the real clock whatever the sim's speed. */
                m.watchdog_tv.tv_sec = (time_t)(wd / 2 / 1000000);
                m.watchdog_tv.tv_usec = (suseconds_t)(wd / 2 % 1000000);
                m.watchdog = evtimer_new(base, on_watchdog, &m);
                evtimer_add(m.watchdog, &m.watchdog_tv);
        }

        if (m.d.backend_choice[0])
                nf_info("backend %s", m.d.backend_choice);
        if (m.d.be->ops->describe)
                nf_notice("backend %s: %s", m.d.be->ops->name, m.d.be->ops->describe(m.d.be));
        if (m.d.cfg->ignored[0])
                nf_notice("config: %s; its sections are ignored", m.d.cfg->ignored);
        nf_notice("numaflipd %s started: backend %s, %zu guests, socket %s", NF_VERSION,
                  m.d.be->ops->name, m.d.nr_guests, sock);
        nf_notify_ready("running");
        event_base_dispatch(base);

        nf_notify_stopping();
        nf_control_close(m.d.control);
        nf_daemon_fini(&m.d);
        event_free(m.sig_hup);
        event_free(m.sig_term);
        event_free(m.sig_int);
        if (m.watchdog)
                event_free(m.watchdog);
        event_base_free(base);
        nf_notice("stopped");
        return 0;
}
