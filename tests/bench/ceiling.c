/*
 * The ceiling of the HTTP layer for the enforcement benchmark: a minimal
 * evhttp responder of the same shape as zesd (one event_base and evhttp per
 * thread, each on its own listening socket with SO_REUSEPORT, like
 * daemon/worker.c) that answers every request with one fixed JSON body and
 * the same response headers zesd sends (Content-Type, API-Version,
 * Cache-Control, Content-Security-Policy, X-Content-Type-Options,
 * X-Frame-Options, X-Request-Id).  It reads the request body (evhttp does)
 * but does not look at it.
 *
 *   ceiling --port N [--threads T] [--body-file F] [--port-file F]
 *
 * --body-file holds the body to answer (run.sh passes a real zesd
 * single-check answer, so both send the same bytes); without it a body of
 * typical size is used.  SIGTERM or SIGINT ends it (the default action:
 * there is nothing to flush).
 *
 * Built by tests/bench/run.sh:
 *   cc -O2 -o ceiling ceiling.c $(pkg-config --cflags --libs libevent) -lpthread
 */

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#define MAX_THREADS	64

static const char default_body[] =
    "{\"results\":[{\"plate\":\"BX123D\",\"municipality\":\"GM0599\","
    "\"at\":\"2026-06-01T12:00:00Z\",\"allowed\":false,\"basis\":\"none\","
    "\"ground\":\"emission_class_too_low\",\"decisionId\":"
    "\"3f0c6a8e-6d0b-4f5e-9a51-0b7f3c2d1e4a\"}]}";

struct worker {
	unsigned		 id;
	int			 fd;
	struct event_base	*base;
	struct evhttp		*http;
	pthread_t		 thread;
	unsigned long long	 rid;
};

static const char	*body = default_body;
static size_t		 body_len = sizeof(default_body) - 1;

static void
die(const char *what)
{
	fprintf(stderr, "ceiling: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int
listen_on(unsigned port, unsigned *bound)
{
	struct sockaddr_in	sin;
	socklen_t		slen = sizeof(sin);
	int			fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == -1)
		die("setsockopt");
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind");
	if (listen(fd, 1024) == -1)
		die("listen");
	getsockname(fd, (struct sockaddr *)&sin, &slen);
	*bound = ntohs(sin.sin_port);
	return fd;
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct worker		*w = arg;
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct evbuffer		*buf = evbuffer_new();
	char			 rid[17];

	/* zesd makes a request id per request; so do we. */
	w->rid++;
	snprintf(rid, sizeof(rid), "%02x%06llx%08x", w->id & 0xff,
	    w->rid & 0xffffff, (unsigned)(w->rid * 2654435761u));
	evhttp_add_header(out, "Content-Type", "application/json");
	evhttp_add_header(out, "API-Version", "1.0.0");
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "Content-Security-Policy", "frame-ancestors 'none'");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(out, "X-Frame-Options", "DENY");
	evhttp_add_header(out, "X-Request-Id", rid);
	evbuffer_add(buf, body, body_len);
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "rb");
	char	*p;
	long	 n;

	if (f == NULL)
		die(path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0 || (p = malloc((size_t)n + 1)) == NULL)
		die("read body");
	*len = fread(p, 1, (size_t)n, f);
	fclose(f);
	/* The trailing newline a shell may have added is not part of the body. */
	while (*len > 0 && (p[*len - 1] == '\n' || p[*len - 1] == '\r'))
		(*len)--;
	p[*len] = '\0';
	return p;
}

int
main(int argc, char **argv)
{
	struct worker	 workers[MAX_THREADS];
	unsigned	 nthreads = 2, port = 0, bound = 0, i;
	const char	*port_file = NULL;
	int		 a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--port") == 0 && a + 1 < argc)
			port = (unsigned)atoi(argv[++a]);
		else if (strcmp(argv[a], "--threads") == 0 && a + 1 < argc)
			nthreads = (unsigned)atoi(argv[++a]);
		else if (strcmp(argv[a], "--body-file") == 0 && a + 1 < argc)
			body = read_file(argv[++a], &body_len);
		else if (strcmp(argv[a], "--port-file") == 0 && a + 1 < argc)
			port_file = argv[++a];
		else {
			fprintf(stderr, "usage: ceiling --port N [--threads T] "
			    "[--body-file F] [--port-file F]\n");
			return 2;
		}
	}
	if (nthreads < 1 || nthreads > MAX_THREADS)
		nthreads = 2;
	signal(SIGPIPE, SIG_IGN);

	memset(workers, 0, sizeof(workers));
	for (i = 0; i < nthreads; i++) {
		struct worker *w = &workers[i];

		w->id = i;
		w->fd = listen_on(i == 0 ? port : bound, &bound);
		if ((w->base = event_base_new()) == NULL ||
		    (w->http = evhttp_new(w->base)) == NULL)
			die("libevent");
		evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
		evhttp_set_gencb(w->http, request_cb, w);
		if (evhttp_accept_socket_with_handle(w->http, w->fd) == NULL)
			die("evhttp_accept_socket_with_handle");
	}
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0)
			die("pthread_create");
	if (port_file != NULL) {
		FILE *f = fopen(port_file, "w");

		if (f == NULL)
			die(port_file);
		fprintf(f, "%u\n", bound);
		fclose(f);
	}
	fprintf(stderr, "ceiling: %u threads on 127.0.0.1:%u, body %zu bytes\n",
	    nthreads, bound, body_len);

	for (i = 0; i < nthreads; i++)
		pthread_join(workers[i].thread, NULL);
	return 0;
}
