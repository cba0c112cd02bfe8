/*
 * server.c — start-up, the loop, and graceful shutdown of `hearth serve`.
 *
 * Shutdown (SIGINT/SIGTERM): stop accepting and close every connection by
 * destroying the lws context (with a foreign loop lws finishes that
 * asynchronously and NULLs srv->lws through info.pcontext), and at the
 * same time ask the store to drain its queue and close the database. The
 * 1 Hz tick notices when both are done, closes our own handles, and the
 * loop returns. Then uv_loop_close() must succeed: a handle left open is a
 * bug, and the exit status says so.
 */
#include "server.h"

#include <dlfcn.h>
#include <errno.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assets.h"
#include "backup.h"
#include "clock.h"
#include "demo.h"
#include "hearth_build.h"
#include "http.h"
#include "log.h"
#include "routes.h"
#include "tls.h"
#include "util.h"

static void split_origins(struct server *srv)
{
	const char *scheme = tls_enabled(&srv->cfg) ? "https" : "http";
	char *list;

	if (srv->cfg.origins[0])
		list = xstrdup(srv->cfg.origins);
	else if (!strcmp(srv->cfg.listen_addr, "127.0.0.1") ||
		 !strcmp(srv->cfg.listen_addr, "localhost"))
		list = xasprintf("%s://127.0.0.1:%d,%s://localhost:%d", scheme, srv->port, scheme,
				 srv->port);
	else
		list = xasprintf("%s://%s:%d", scheme, srv->cfg.listen_addr, srv->port);
	srv->origins = strlist_split(list, 16);
	free(list);
}

static int is_proxy(const struct server *srv, const char *ip)
{
	for (char **p = srv->proxies; p && *p; p++)
		if (!strcmp(*p, ip))
			return 1;
	return 0;
}

void server_client_ip(const struct server *srv, struct lws *wsi, char *out, size_t outlen)
{
	char xff[1024];
	int n;

	lws_get_peer_simple(wsi, out, outlen);
	if (!is_proxy(srv, out))
		return;
	n = lws_hdr_copy(wsi, xff, sizeof xff, WSI_TOKEN_X_FORWARDED_FOR);
	if (n <= 0)
		return;
	/* from the right: the addresses our own proxies appended */
	while (n > 0) {
		char *start, *end = xff + n;

		while (end > xff && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
		start = strrchr(xff, ',');
		n = start ? (int)(start - xff) : 0;
		start = start ? start + 1 : xff;
		while (*start == ' ' || *start == '\t')
			start++;
		if (!ip_is_numeric(start))
			return; /* not an address: believe nothing further left */
		if (!is_proxy(srv, start)) {
			snprintf(out, outlen, "%s", start);
			return;
		}
	}
}

int server_origin_allowed(const struct server *srv, const char *origin, size_t len)
{
	for (char **o = srv->origins; o && *o; o++)
		if (strlen(*o) == len && !memcmp(*o, origin, len))
			return 1;
	return 0;
}

/* The data folder must exist (we make it, 0700) and be writable by us. */
static int prepare_data_dir(const char *dir)
{
	struct stat st;
	int rc = mkdir_p(dir, 0700);

	if (rc) {
		fprintf(stderr, "hearth: cannot create data folder %s: %s\n", dir, strerror(-rc));
		return 1;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "hearth: data folder %s is not a folder\n", dir);
		return 1;
	}
	if (access(dir, W_OK | X_OK)) {
		fprintf(stderr, "hearth: cannot write to data folder %s: %s\n", dir,
			strerror(errno));
		return 1;
	}
	return 0;
}

/* DATA/hearth.lock, held from start to exit: one server per data folder. */
static int data_lock_fd = -1;

static int lock_data_dir(const char *dir)
{
	char err[512];
	int rc = backup_lock_data_dir(dir, &data_lock_fd, err, sizeof err);

	if (rc)
		fprintf(stderr, "hearth: %s%s\n", err,
			rc == BACKUP_ELOCKED ? "; stop it first, or use another --data folder" : "");
	return rc ? 1 : 0;
}

static void on_tick(uv_timer_t *t);
static void on_signal(uv_signal_t *h, int signum);

static const struct lws_protocols *protocol_list(void)
{
	static struct lws_protocols list[8];
	size_t n = 0;

	list[n++] = http_protocol;
	n += routes_ws_protocols(list + n, ARRAY_LEN(list) - n - 1);
	memset(&list[n], 0, sizeof list[n]);
	return list;
}

/*
 * No keep-alive timers in lws: with secs_since_valid_hangup 0 lws arms
 * none, and ws.c pings and hangs up from the 1 Hz tick (see
 * keepalive_round() there for why).
 */
static const lws_retry_bo_t no_lws_keepalive = {
	.secs_since_valid_ping = 0,
	.secs_since_valid_hangup = 0,
};

/*
 * lws 4.1 loads its libuv support as a plugin and unloads it in the last
 * lws_context_destroy(); a libuv close callback still queued into it then
 * jumps into unmapped code (seen at shutdown with many sockets closing).
 * Loading it first with RTLD_NODELETE keeps its code mapped for the life
 * of the process; lws' own dlopen then shares this copy.
 */
static void pin_lws_uv_plugin(void)
{
	static void *pinned;

	if (!pinned)
		pinned = dlopen("libwebsockets-evlib_uv.so", RTLD_NOW | RTLD_NODELETE);
	if (!pinned)
		log_warn("lws_plugin_not_pinned", "msg=\"%s\"", dlerror());
}

static int start_lws(struct server *srv)
{
	struct lws_context_creation_info info;
	void *loops[1] = {&srv->loop};
	char err[512];

	pin_lws_uv_plugin();
	memset(&info, 0, sizeof info);
	info.port = srv->cfg.listen_port;
	info.iface = srv->cfg.listen_addr;
	info.protocols = protocol_list();
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8 |
		       LWS_SERVER_OPTION_DISABLE_IPV6;
	info.foreign_loops = loops;
	info.user = srv;
	info.pcontext = &srv->lws;
	info.timeout_secs = 10; /* handshakes and stalled HTTP transactions */
	info.keepalive_timeout = 15;
	info.server_string = "hearth";
	info.vhost_name = "hearth";
	info.max_http_header_data = 8192;
	info.retry_and_idle_policy = &no_lws_keepalive;
	if (tls_configure(&srv->cfg, &info, err, sizeof err)) {
		fprintf(stderr, "hearth: TLS: %s\n", err);
		return 1;
	}
	srv->lws = lws_create_context(&info);
	if (!srv->lws) {
		fprintf(stderr, "hearth: cannot listen on %s:%d (in use, or not an address here?%s)\n",
			srv->cfg.listen_addr, srv->cfg.listen_port,
			tls_enabled(&srv->cfg) ? " or TLS could not use the certificate" : "");
		return 1;
	}
	srv->vhost = lws_get_vhost_by_name(srv->lws, "hearth");
	srv->port = srv->vhost ? lws_get_vhost_listen_port(srv->vhost) : srv->cfg.listen_port;
	return 0;
}

int server_init(struct server *srv)
{
	struct store_opts so;
	char err[512], *dbpath;
	enum log_level lvl;
	int rc;

	srv->started_ms = clock_mono_ms();
	if (log_level_parse(srv->cfg.log_level, &lvl) == 0)
		log_set_level(lvl);
	log_hook_lws();
	if (srv->cfg.testing) {
		clock_allow_shift();
		/* a test's server must not outlive the test process that started it */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		log_warn("testing_mode", "msg=\"test-only controls are enabled\"");
	}
	if (prepare_data_dir(srv->cfg.data_dir))
		return 1;
	if (lock_data_dir(srv->cfg.data_dir))
		return 1;
	if (assets_load(srv->cfg.web_root, &srv->assets, err, sizeof err)) {
		fprintf(stderr, "hearth: %s\n", err);
		return 1;
	}
	dbpath = xasprintf("%s/hearth.db", srv->cfg.data_dir);
	so.path = dbpath;
	so.synchronous = srv->cfg.synchronous;
	so.batch_max = srv->cfg.batch_max;
	so.queue_max = srv->cfg.queue_max;
	rc = store_open(&srv->store, &so, err, sizeof err);
	free(dbpath);
	if (rc) {
		fprintf(stderr, "hearth: %s\n", err);
		return 1;
	}
	if (uv_loop_init(&srv->loop)) {
		fprintf(stderr, "hearth: cannot create the event loop\n");
		return 1;
	}
	if (routes_init(srv, err, sizeof err)) {
		fprintf(stderr, "hearth: %s\n", err);
		return 1;
	}
	/* lws listens from here, but serves nothing until the loop runs */
	if (start_lws(srv))
		return 1;
	if (srv->cfg.demo && demo_seed(srv))
		return 1;
	if (store_start(srv->store, &srv->loop)) {
		fprintf(stderr, "hearth: cannot start the store thread\n");
		return 1;
	}
	split_origins(srv);
	srv->proxies = strlist_split(srv->cfg.trusted_proxies, CONFIG_PROXIES_MAX);

	uv_signal_init(&srv->loop, &srv->sigint);
	uv_signal_init(&srv->loop, &srv->sigterm);
	srv->sigint.data = srv->sigterm.data = srv;
	uv_signal_start(&srv->sigint, on_signal, SIGINT);
	uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
	uv_timer_init(&srv->loop, &srv->tick);
	srv->tick.data = srv;
	uv_timer_start(&srv->tick, on_tick, 1000, 1000);
	log_info("listening", "addr=%s port=%d version=%s data=%s tls=%s", srv->cfg.listen_addr,
		 srv->port, HEARTH_VERSION, srv->cfg.data_dir, tls_enabled(&srv->cfg) ? "on" : "off");
	return 0;
}

static void on_store_stopped(void *arg)
{
	struct server *srv = arg;

	srv->store_stopped = 1;
	log_info("store_stopped", NULL);
}

static void begin_shutdown(struct server *srv)
{
	if (srv->stopping)
		return;
	srv->stopping = 1;
	log_info("shutting_down", NULL);
	routes_shutdown(srv);
	if (srv->lws)
		lws_context_destroy(srv->lws);
	store_stop(srv->store, on_store_stopped, srv);
	/* check progress often now, not once a second */
	uv_timer_start(&srv->tick, on_tick, 20, 20);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct server *srv = h->data;

	log_info("signal", "signum=%d", signum);
	begin_shutdown(srv);
}

static void count_foreign(uv_handle_t *h, void *arg)
{
	struct server *srv = ((void **)arg)[0];
	int *n = ((void **)arg)[1];

	/*
	 * Handles still closing count too: the last lws_context_destroy()
	 * unloads lws' libuv plugin, and a close callback still pending
	 * into it would then jump into unmapped code.
	 */
	if (h == (uv_handle_t *)&srv->sigint ||
	    h == (uv_handle_t *)&srv->sigterm || h == (uv_handle_t *)&srv->tick ||
	    h->type == UV_ASYNC) /* the store's (lws uses none) */
		return;
	(*n)++;
}

/* Handles in our loop that are not ours (lws'), closing or not. */
static int lws_handles_open(struct server *srv)
{
	int n = 0;
	void *arg[2] = {srv, &n};

	uv_walk(&srv->loop, count_foreign, arg);
	return n;
}

static void on_tick(uv_timer_t *t)
{
	struct server *srv = t->data;

	if (!srv->stopping) {
		routes_tick(srv);
		return;
	}
	if (srv->lws) {
		/*
		 * With a foreign loop, lws 4.1 finishes destroying its context
		 * only when lws_context_destroy() is called again after its own
		 * uv handles have closed (it then NULLs srv->lws). A handful of
		 * ticks is the normal case; the count bounds a stuck close.
		 */
		if (lws_handles_open(srv) == 0 || ++srv->destroy_ticks > 250)
			lws_context_destroy(srv->lws);
		return;
	}
	if (!srv->store_stopped)
		return;
	uv_close((uv_handle_t *)&srv->sigint, NULL);
	uv_close((uv_handle_t *)&srv->sigterm, NULL);
	uv_close((uv_handle_t *)&srv->tick, NULL);
}

int server_run(struct server *srv)
{
	uv_run(&srv->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&srv->loop)) {
		log_error("loop_not_clean", "msg=\"handles still open at exit\"");
		uv_print_all_handles(&srv->loop, stderr);
		return 1;
	}
	log_info("stopped", NULL);
	return srv->exit_code;
}

void server_free(struct server *srv)
{
	strlist_free(srv->origins);
	strlist_free(srv->proxies);
	routes_free(srv);
	http_routes_clear();
	store_free(srv->store);
	if (data_lock_fd >= 0) /* only now that the database is closed */
		close(data_lock_fd);
	data_lock_fd = -1;
	assets_free(srv->assets);
	tls_free();
	config_free(&srv->cfg);
}
