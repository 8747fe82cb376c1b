/* JSON views of the daemon's state for the control protocol: status, vm, pool. */
#include "nf_report.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nf_proto.h"

#ifndef NF_VERSION
#define NF_VERSION "0.0.0"
#endif

static json_t *caps_json(unsigned caps, int have)
{
        static const struct {
                unsigned bit;
                const char *name;
        } names[] = {{NF_CAP_OBSERVE, "observe"},
                     {NF_CAP_MIGRATE, "migrate"},
                     {NF_CAP_POOL, "pool"},
                     {NF_CAP_WATCH, "watch"}};
        json_t *a = json_array();
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (!!(caps & names[i].bit) == have)
                        json_array_append_new(a, json_string(names[i].name));
        return a;
}

static json_t *nodemask_json(nf_nodemask_t m)
{
        char buf[128];
        return json_string(nf_nodemask_format(m, buf, sizeof(buf)));
}

json_t *nf_report_version(const struct nf_daemon *d)
{
        return json_pack("{s:s,s:i,s:s}", "version", NF_VERSION, "protocol", NF_PROTO_VERSION,
                         "backend", d->be->ops->name);
}

static json_t *guest_summary(const struct nf_daemon *d, const struct nf_guest *g)
{
        const char *why = nf_guest_blocker(d, g);
        json_t *o = json_pack(
            "{s:I,s:s,s:o,s:I,s:I,s:f,s:f,s:s,s:s,s:b}", "id", (json_int_t)g->info.id, "name",
            g->info.name, "home", nodemask_json(g->home), "total_bytes",
            (json_int_t)((g->sampled ? g->sample.total_pages : g->info.memory_pages) *
                         NF_PAGE_SIZE),
            "remote_bytes", (json_int_t)(g->sample.remote_pages * NF_PAGE_SIZE), "remote_share",
            g->sample.remote_share, "max_remote_share", g->max_share, "mode",
            nf_mode_name(g->params.mode), "state", nf_guest_state(d, g), "sampled", g->sampled);
        json_object_set_new(o, "home_rule", json_string(g->home_rule ? g->home_rule : "unknown"));
        json_object_set_new(o, "note", why ? json_string(why) : json_null());
        json_object_set_new(o, "trend", json_real(nf_history_trend(&g->history)));
        if (g->plan.active)
                json_object_set_new(o, "migration",
                                    json_pack("{s:I,s:I}", "moved_pages", (json_int_t)g->plan.moved,
                                              "goal_pages", (json_int_t)g->plan.goal));
        return o;
}

json_t *nf_report_history(const struct nf_daemon *d, const struct nf_guest *g)
{
        const struct nf_history *h = &g->history;
        json_t *points = json_array(), *by = json_object();
        struct nf_history_point p;

        for (size_t i = 0; i < nf_history_len(h); i++) {
                nf_history_get(h, i, &p);
                json_t *pages = json_array();
                for (unsigned n = 0; n < h->nr_nodes; n++)
                        json_array_append_new(pages, json_integer((json_int_t)p.pages[n]));
                json_array_append_new(points,
                                      json_pack("{s:I,s:f,s:i,s:o}", "t_ns", (json_int_t)p.t_ns,
                                                "remote_share", p.remote_share, "polls",
                                                (int)p.polls, "pages_per_node", pages));
        }
        for (int t = NF_TRIGGER_NONE + 1; t < NF_TRIGGER_COUNT; t++)
                json_object_set_new(by, nf_trigger_name((enum nf_trigger)t),
                                    json_integer((json_int_t)g->n.migrations[t]));
        return json_pack(
            "{s:s,s:I,s:s,s:I,s:I,s:i,s:i,s:i,s:I,s:f,s:o,s:I,s:o}", "name", g->info.name, "id",
            (json_int_t)g->info.id, "uuid", g->info.uuid, "now_ns", (json_int_t)nf_daemon_now(d),
            "poll_ns", (json_int_t)d->cfg->poll_ns, "recent", NF_HISTORY_RECENT, "coarse",
            NF_HISTORY_COARSE, "factor", NF_HISTORY_FACTOR, "memory_bytes",
            (json_int_t)(h->t ? nf_history_bytes(h->nr_nodes) : 0), "trend", nf_history_trend(h),
            "migrations", by, "pages_moved", (json_int_t)g->n.pages_moved, "points", points);
}

json_t *nf_report_status(const struct nf_daemon *d)
{
        uint64_t now = nf_daemon_now(d);
        const char *desc = d->be->ops->describe ? d->be->ops->describe(d->be) : "";
        json_t *daemon =
            json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:o,s:o,s:I,s:I,s:s}", "version",
                      NF_VERSION, "pid", (int)getpid(), "config", d->config_path, "backend",
                      d->be->ops->name, "backend_detail", desc, "now_ns", (json_int_t)now,
                      "uptime_ns", (json_int_t)(now - d->started_ns), "poll_ns",
                      (json_int_t)d->cfg->poll_ns, "polls", (json_int_t)d->polls, "caps",
                      caps_json(d->caps, 1), "missing_caps", caps_json(d->caps, 0), "reloads",
                      (json_int_t)d->reloads, "reload_failures", (json_int_t)d->reload_failures,
                      "clock", nf_sched_mode(d->sched) == NF_SCHED_VIRTUAL ? "virtual" : "real");
        json_object_set_new(daemon, "speed", json_real(nf_sched_speed(d->sched)));
        json_object_set_new(
            daemon, "totals",
            json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "pages_moved", (json_int_t)d->totals.pages_moved,
                      "pages_skipped", (json_int_t)d->totals.pages_skipped, "pages_failed",
                      (json_int_t)d->totals.pages_failed, "completed",
                      (json_int_t)d->totals.completed, "abandoned", (json_int_t)d->totals.abandoned,
                      "vanished", (json_int_t)d->totals.vanished));
        /* null: the backend offers no watch, so guests are found by polling alone */
        json_object_set_new(daemon, "watch_events",
                            d->watch_ev ? json_integer((json_int_t)d->watch_events) : json_null());
        json_object_set_new(daemon, "last_reload_error",
                            d->last_reload_error[0] ? json_string(d->last_reload_error)
                                                    : json_null());
        json_t *nodes = json_array();
        for (unsigned n = 0; n < d->topo.nr_nodes; n++) {
                json_t *dist = json_array();
                for (unsigned m = 0; m < d->topo.nr_nodes; m++)
                        json_array_append_new(dist, json_integer(d->topo.distance[n][m]));
                json_array_append_new(
                    nodes,
                    json_pack("{s:i,s:I,s:I,s:o}", "node", (int)n, "total_bytes",
                              (json_int_t)(d->topo.node[n].total_pages * NF_PAGE_SIZE),
                              "free_bytes", (json_int_t)(d->topo.node[n].free_pages * NF_PAGE_SIZE),
                              "distance", dist));
        }
        json_t *guests = json_array();
        for (size_t i = 0; i < d->nr_guests; i++)
                json_array_append_new(guests, guest_summary(d, &d->guests[i]));
        return json_pack("{s:o,s:o,s:o}", "daemon", daemon, "nodes", nodes, "guests", guests);
}

const char *nf_report_status_serialised(struct nf_daemon *d, size_t *len)
{
        uint64_t now = d->wall->now_ns(d->wall);
        if (d->status_cache.text && d->status_cache.generation == d->generation &&
            now - d->status_cache.built_ns < NF_REPORT_STATUS_MAX_AGE) {
                *len = d->status_cache.len;
                return d->status_cache.text;
        }
        json_t *j = nf_report_status(d);
        char *text = j ? json_dumps(j, NF_PROTO_DUMP_FLAGS) : NULL;
        json_decref(j);
        if (!text)
                return NULL;
        free(d->status_cache.text);
        d->status_cache.text = text;
        d->status_cache.len = strlen(text);
        d->status_cache.generation = d->generation;
        d->status_cache.built_ns = now;
        *len = d->status_cache.len;
        return text;
}

json_t *nf_report_policy(const struct nf_config *cfg, const char *vm,
                         const struct nf_policy_params *p, const struct nf_policy_sources *src)
{
        json_t *o = json_object();
        for (int f = 0; f < NF_PF_COUNT; f++) {
                const struct nf_key *k = &nf_policy_keys[f];
                union nf_key_value v;
                char where[PATH_MAX + 96];
                nf_key_get(k, p, &v);
                nf_config_source_format(cfg, vm, src, (enum nf_policy_field)f, where,
                                        sizeof(where));
                json_object_set_new(
                    o, k->name,
                    json_pack("{s:o,s:s}", "value", nf_proto_key_json(k, &v), "source", where));
        }
        return o;
}

json_t *nf_report_vm(const struct nf_daemon *d, const struct nf_guest *g)
{
        json_t *o = guest_summary(d, g);
        json_t *pages = json_array();
        for (unsigned n = 0; n < d->topo.nr_nodes; n++)
                json_array_append_new(pages, json_integer((json_int_t)g->pages[n]));
        const char *why = nf_guest_blocker(d, g);
        json_object_set_new(o, "uuid", json_string(g->info.uuid));
        json_object_set_new(o, "pages_per_node", pages);
        json_object_set_new(o, "total_pages", json_integer((json_int_t)g->sample.total_pages));
        json_object_set_new(o, "remote_pages", json_integer((json_int_t)g->sample.remote_pages));
        json_object_set_new(o, "sampled_ns", json_integer((json_int_t)g->sampled_ns));
        json_object_set_new(o, "backend_home", nodemask_json(g->info.home));
        json_object_set_new(o, "policy",
                            nf_report_policy(d->cfg, g->info.name, &g->params, &g->sources));
        json_object_set_new(
            o, "phase",
            json_pack("{s:s,s:s,s:b,s:b,s:s?,s:s?}", "phase", nf_phase_name(g->pst.phase),
                      "trigger", nf_trigger_name(g->pst.trigger), "paused", g->paused, "migratable",
                      g->info.migratable && !g->info.control && !g->refused, "why_not", why,
                      "last_decision", g->last.reason));
        const struct nf_plan *pl = &g->plan;
        json_object_set_new(o, "migration",
                            json_pack("{s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:i}", "active", pl->active,
                                      "trigger", nf_trigger_name(pl->trigger), "goal_pages",
                                      (json_int_t)pl->goal, "tried_pages", (json_int_t)pl->tried,
                                      "moved_pages", (json_int_t)pl->moved, "batches",
                                      (json_int_t)pl->batches, "started_ns",
                                      (json_int_t)pl->started_ns, "target_node", pl->target_node));
        json_object_set_new(json_object_get(o, "migration"), "batch_pages",
                            json_integer((json_int_t)pl->batch_cap));
        json_object_set_new(json_object_get(o, "migration"), "skipped_pages",
                            json_integer((json_int_t)pl->skipped));
        json_object_set_new(json_object_get(o, "migration"), "failed_pages",
                            json_integer((json_int_t)pl->failed));
        const struct nf_guest_counters *c = &g->n;
        json_t *by = json_object();
        for (int t = NF_TRIGGER_THRESHOLD; t < NF_TRIGGER_COUNT; t++)
                json_object_set_new(by, nf_trigger_name((enum nf_trigger)t),
                                    json_integer((json_int_t)c->migrations[t]));
        json_object_set_new(o, "counters",
                            json_pack("{s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I}",
                                      "pages_tried", (json_int_t)c->pages_tried, "pages_moved",
                                      (json_int_t)c->pages_moved, "pages_failed",
                                      (json_int_t)c->pages_failed, "bytes_moved",
                                      (json_int_t)(c->pages_moved * NF_PAGE_SIZE), "batches",
                                      (json_int_t)c->batches, "migrations", by, "completed",
                                      (json_int_t)c->completed, "abandoned",
                                      (json_int_t)c->abandoned, "dry_runs", (json_int_t)c->dry_runs,
                                      "last_migration_ns", (json_int_t)c->last_migration_ns,
                                      "last_batch_real_ns", (json_int_t)c->last_batch_real_ns,
                                      "max_batch_real_ns", (json_int_t)c->max_batch_real_ns));
        json_object_set_new(json_object_get(o, "counters"), "last_end_share",
                            json_real(c->last_end_share));
        json_object_set_new(json_object_get(o, "counters"), "pages_skipped",
                            json_integer((json_int_t)c->pages_skipped));
        json_object_set_new(json_object_get(o, "counters"), "last_end",
                            c->last_end[0] ? json_string(c->last_end) : json_null());
        json_object_set_new(o, "refused", g->refused ? json_string(g->refused_why) : json_null());
        json_object_set_new(o, "last_error",
                            g->last_error[0] ? json_string(g->last_error) : json_null());
        return o;
}

json_t *nf_report_pools(const struct nf_daemon *d)
{
        const struct nf_pool_params *pp = &d->cfg->pool;
        json_t *nodes = json_array();
        for (unsigned n = 0; n < d->topo.nr_nodes; n++) {
                struct nf_pool_info info = {0};
                int rc = -EOPNOTSUPP;
                if ((d->caps & NF_CAP_POOL) && d->be->ops->pool_get)
                        rc = d->be->ops->pool_get(d->be, n, &info);
                json_t *o =
                    json_pack("{s:i,s:b,s:I}", "node", (int)n, "managed", d->pool[n].managed,
                              "resizes", (json_int_t)d->pool[n].resizes);
                if (rc == 0)
                        json_object_update_new(
                            o, json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I}", "enabled", info.enabled,
                                         "target_pages", (json_int_t)info.target, "held_pages",
                                         (json_int_t)info.held, "handed_out_pages",
                                         (json_int_t)info.handed_out, "hits", (json_int_t)info.hits,
                                         "misses", (json_int_t)info.misses, "fallbacks",
                                         (json_int_t)info.fallbacks));
                /* The last sizing interval, from differences of those cumulative counters. */
                const struct nf_pool_state *ps = &d->pool[n];
                if (ps->have_interval) {
                        uint64_t flips = ps->hits + ps->misses;
                        json_object_set_new(
                            o, "interval",
                            json_pack("{s:I,s:I,s:I,s:I,s:o}", "handed_out_pages",
                                      (json_int_t)ps->handed_out, "hits", (json_int_t)ps->hits,
                                      "misses", (json_int_t)ps->misses, "fallbacks",
                                      (json_int_t)ps->fallbacks, "hit_rate",
                                      flips ? json_real((double)ps->hits / (double)flips)
                                            : json_null()));
                } else {
                        json_object_set_new(o, "interval", json_null());
                }
                json_array_append_new(nodes, o);
        }
        return json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:o}", "mode", nf_pool_mode_name(pp->mode),
                         "supported", (d->caps & NF_CAP_POOL) != 0, "interval_ns",
                         (json_int_t)pp->interval_ns, "min_pages", (json_int_t)pp->min, "max_pages",
                         (json_int_t)pp->max, "size_pages", (json_int_t)pp->size, "nodes", nodes);
}
