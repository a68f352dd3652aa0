/*
 * The clients of tests/bench/connections.sh: a paced keep-alive client that
 * measures latency, a holder of many idle keep-alive connections, and a
 * slow-loris client.  Plain sockets, no libraries; each prints one JSON
 * line on standard output when it ends.
 *
 *   conns measure --port N --token T --plate P [--duration S] [--rate R]
 *	One keep-alive connection posting a single access check for plate P
 *	in GM0599, R requests a second (default 1000) for S seconds (default
 *	10).  Latency is taken from the moment each request was due, not
 *	from when it went out, so a stall counts for every request it
 *	delayed.  Prints the percentiles in microseconds.
 *
 *   conns idle --port N --count C [--batch B] [--ready-file F]
 *	Opens C connections, at most B (default 200) being set up at a time;
 *	each sends one GET /healthz, reads its answer and then stays open
 *	and silent.  When all are set up it writes F (opened, answered,
 *	failed), then holds them until SIGTERM or SIGINT and reports how many
 *	the server closed meanwhile.
 *
 *   conns loris --port N [--interval-ms MS] [--max-s S]
 *	One connection that sends a request one byte every MS milliseconds
 *	(default 1000), with a header that never ends, until the server
 *	closes it or S seconds (default 60) pass.  Reports when the server
 *	closed it and how many bytes it had sent.
 *
 * Built by tests/bench/connections.sh:  cc -O2 -o conns conns.c
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define RESP_MAX	65536	/* largest answer the measuring client reads */
#define IDLE_BUF	2048	/* per idle connection, for its one answer */

static volatile sig_atomic_t	stopping;

/* Print a message with errno and exit 1. */
static void
die(const char *what)
{
	fprintf(stderr, "conns: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Print a message and exit 1. */
static void
diex(const char *what)
{
	fprintf(stderr, "conns: %s\n", what);
	exit(1);
}

/* SIGTERM, SIGINT: end the current mode at its next turn. */
static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Monotonic time in nanoseconds. */
static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The loopback address with this port. */
static struct sockaddr_in
loopback(unsigned port)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

/* A blocking connection to 127.0.0.1:port with Nagle off, or -1. */
static int
connect_blocking(unsigned port)
{
	struct sockaddr_in	sin = loopback(port);
	int			fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Write all of buf; 0, or -1 when the connection failed. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * How long the answer in buf[0..len) is (headers and Content-Length body),
 * 0 when it is not complete yet, -1 when it cannot be parsed; *status gets
 * the status code.
 */
static long
answer_length(const char *buf, size_t len, int *status)
{
	const char	*end, *p;
	long		 clen = 0;

	if ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL)
		return len > RESP_MAX / 2 ? -1 : 0;
	if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0)
		return -1;
	*status = atoi(buf + 9);
	for (p = buf; p < end; p++) {
		if ((p == buf || p[-1] == '\n') &&
		    strncasecmp(p, "Content-Length:", 15) == 0) {
			clen = strtol(p + 15, NULL, 10);
			break;
		}
	}
	if (clen < 0)
		return -1;
	if ((size_t)(end + 4 - buf) + (size_t)clen > len)
		return 0;
	return (long)(end + 4 - buf) + clen;
}

/* Compare two uint64_t for qsort. */
static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (0..100) of sorted v[0..n), in microseconds. */
static double
pct_us(const uint64_t *v, size_t n, double p)
{
	size_t	i;

	if (n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return (double)v[i < n ? i : n - 1] / 1000.0;
}

/* measure: one paced keep-alive client; see the comment at the top. */
static int
mode_measure(unsigned port, const char *token, const char *plate,
    unsigned duration_s, unsigned rate)
{
	char		 req[2048], body[256], *buf;
	uint64_t	*lat, *svc, start, end, due, step, sent, t;
	size_t		 n = 0, cap, have;
	unsigned	 errors = 0, reconnects = 0, non200 = 0;
	int		 fd, status, len, blen;
	long		 alen;
	ssize_t		 r;
	struct timespec	 ts;
	struct rusage	 ru;

	blen = snprintf(body, sizeof(body), "{\"checks\":[{\"plate\":\"%s\","
	    "\"municipality\":\"GM0599\"}]}", plate);
	len = snprintf(req, sizeof(req), "POST /v1/access-checks HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%u\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
	    port, token, blen, body);
	if (len <= 0 || (size_t)len >= sizeof(req))
		diex("request too long");
	cap = (size_t)duration_s * rate + 16;
	if ((lat = calloc(cap, sizeof(*lat))) == NULL ||
	    (svc = calloc(cap, sizeof(*svc))) == NULL ||
	    (buf = malloc(RESP_MAX)) == NULL)
		die("calloc");
	if ((fd = connect_blocking(port)) == -1)
		die("connect");
	step = 1000000000u / rate;
	start = now_ns();
	end = start + (uint64_t)duration_s * 1000000000u;
	for (due = start; due < end && n < cap && !stopping; due += step) {
		if ((t = now_ns()) < due) {
			ts.tv_sec = (time_t)(due / 1000000000u);
			ts.tv_nsec = (long)(due % 1000000000u);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
			    NULL) == EINTR && !stopping)
				;
		}
		sent = now_ns();
		have = 0;
		status = 0;
		alen = 0;
		if (write_all(fd, req, (size_t)len) == 0) {
			while ((alen = answer_length(buf, have, &status)) == 0) {
				r = recv(fd, buf + have, RESP_MAX - have, 0);
				if (r == -1 && errno == EINTR)
					continue;
				if (r <= 0) {
					alen = -1;
					break;
				}
				have += (size_t)r;
			}
		} else
			alen = -1;
		t = now_ns();
		if (alen < 0) {
			/* The connection failed: count it, open another. */
			errors++;
			close(fd);
			if ((fd = connect_blocking(port)) == -1)
				die("reconnect");
			reconnects++;
			continue;
		}
		if (status != 200)
			non200++;
		lat[n] = t - due;
		svc[n] = t - sent;
		n++;
	}
	close(fd);
	(void)getrusage(RUSAGE_SELF, &ru);
	qsort(lat, n, sizeof(*lat), cmp_u64);
	qsort(svc, n, sizeof(*svc), cmp_u64);
	printf("{\"mode\":\"measure\",\"rate\":%u,\"duration_s\":%u,\"requests\":%zu,"
	    "\"errors\":%u,\"reconnects\":%u,\"non200\":%u,\"p50_us\":%.1f,"
	    "\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
	    "\"service_p50_us\":%.1f,\"service_p99_us\":%.1f,\"cpu_s\":%.3f}\n",
	    rate, duration_s, n, errors, reconnects, non200, pct_us(lat, n, 50),
	    pct_us(lat, n, 90), pct_us(lat, n, 99), pct_us(lat, n, 99.9),
	    pct_us(lat, n, 100), pct_us(svc, n, 50), pct_us(svc, n, 99),
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	free(lat);
	free(svc);
	free(buf);
	return 0;
}

/* One connection of the idle holder. */
struct idle_conn {
	int		 fd;
	enum { IC_CONNECTING, IC_ANSWERING, IC_IDLE, IC_CLOSED, IC_FAILED } state;
	unsigned	 have;
	char		*buf;		/* IDLE_BUF bytes until the answer came */
};

/* Write the ready file (through a rename, so a reader sees it whole). */
static void
write_ready(const char *path, unsigned count, unsigned answered, unsigned failed,
    double open_s)
{
	char	 tmp[4096];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		die(tmp);
	fprintf(f, "%u %u %u %.2f\n", count, answered, failed, open_s);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		die(path);
}

/* idle: hold `count` answered keep-alive connections; see the top. */
static int
mode_idle(unsigned port, unsigned count, unsigned batch, const char *ready)
{
	static const char	 req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	struct sockaddr_in	 sin = loopback(port);
	struct epoll_event	 ev, evs[512];
	struct idle_conn	*c;
	struct rlimit		 rl;
	char			 junk[512];
	unsigned		 next = 0, setting_up = 0, answered = 0, failed = 0;
	unsigned		 closed = 0, non200 = 0, i;
	int			 ep, n, k, err, status;
	socklen_t		 elen;
	uint64_t		 start = now_ns(), all_open = 0, first_close = 0;
	long			 alen;
	ssize_t			 r;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)count + 32) {
		fprintf(stderr, "conns: the open-file limit (%llu) is below %u + 32: "
		    "raise it (ulimit -n)\n", (unsigned long long)rl.rlim_cur, count);
		return 1;
	}
	if ((c = calloc(count, sizeof(*c))) == NULL)
		die("calloc");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1");
	while (!stopping) {
		/* Start connections while fewer than `batch` are being set up. */
		while (next < count && setting_up < batch) {
			struct idle_conn *x = &c[next];

			x->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, 0);
			if (x->fd == -1)
				die("socket");
			if ((x->buf = malloc(IDLE_BUF)) == NULL)
				die("malloc");
			if (connect(x->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
			    errno != EINPROGRESS)
				die("connect");
			x->state = IC_CONNECTING;
			ev.events = EPOLLOUT;
			ev.data.u32 = next;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, x->fd, &ev) == -1)
				die("epoll_ctl");
			next++;
			setting_up++;
		}
		if (all_open == 0 && next == count && setting_up == 0) {
			all_open = now_ns();
			fprintf(stderr, "conns: %u connections set up in %.2f s: %u "
			    "answered, %u failed\n", count,
			    (double)(all_open - start) / 1e9, answered, failed);
			if (ready != NULL)
				write_ready(ready, count, answered, failed,
				    (double)(all_open - start) / 1e9);
		}
		n = epoll_wait(ep, evs, 512, 1000);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (k = 0; k < n; k++) {
			struct idle_conn *x = &c[evs[k].data.u32];

			switch (x->state) {
			case IC_CONNECTING:
				err = 0;
				elen = sizeof(err);
				(void)getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &elen);
				if (err != 0 || write_all(x->fd, req, sizeof(req) - 1) != 0)
					goto failed;
				x->state = IC_ANSWERING;
				ev.events = EPOLLIN | EPOLLRDHUP;
				ev.data.u32 = evs[k].data.u32;
				if (epoll_ctl(ep, EPOLL_CTL_MOD, x->fd, &ev) == -1)
					die("epoll_ctl");
				break;
			case IC_ANSWERING:
				r = recv(x->fd, x->buf + x->have, IDLE_BUF - x->have, 0);
				if (r <= 0)
					goto failed;
				x->have += (unsigned)r;
				status = 0;
				alen = answer_length(x->buf, x->have, &status);
				if (alen == 0 && x->have < IDLE_BUF)
					break;
				if (alen <= 0)
					goto failed;
				if (status != 200)
					non200++;
				free(x->buf);
				x->buf = NULL;
				x->state = IC_IDLE;
				answered++;
				setting_up--;
				break;
			case IC_IDLE:
				/* Anything now is the server closing the connection. */
				r = recv(x->fd, junk, sizeof(junk), 0);
				if (r == -1 && errno == EAGAIN)
					break;
				if (first_close == 0)
					first_close = now_ns();
				closed++;
				epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
				close(x->fd);
				x->state = IC_CLOSED;
				break;
			default:
				break;
			}
			continue;
failed:
			epoll_ctl(ep, EPOLL_CTL_DEL, x->fd, NULL);
			close(x->fd);
			free(x->buf);
			x->buf = NULL;
			x->state = IC_FAILED;
			failed++;
			setting_up--;
		}
	}
	for (i = 0; i < next; i++)
		if (c[i].state == IC_IDLE)
			close(c[i].fd);
	printf("{\"mode\":\"idle\",\"count\":%u,\"answered\":%u,\"failed\":%u,"
	    "\"non200\":%u,\"set_up_s\":%.2f,\"held_s\":%.2f,\"closed_by_server\":%u,"
	    "\"first_close_s\":%.2f,\"open_at_end\":%u}\n", count, answered, failed,
	    non200, all_open ? (double)(all_open - start) / 1e9 : -1.0,
	    all_open ? (double)(now_ns() - all_open) / 1e9 : 0.0, closed,
	    first_close ? (double)(first_close - start) / 1e9 : -1.0,
	    answered - closed);
	free(c);
	close(ep);
	return 0;
}

/* loris: one request a byte at a time, never finished; see the top. */
static int
mode_loris(unsigned port, unsigned interval_ms, unsigned max_s)
{
	static const char	 head[] = "GET /v1/municipalities HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nX-Slow: ";
	struct pollfd		 pfd;
	uint64_t		 start, until;
	unsigned long		 sent = 0;
	char			 got[256], first[128] = "";
	const char		*how = "none";
	int			 fd, closed = 0;
	ssize_t			 r;
	size_t			 i;

	if ((fd = connect_blocking(port)) == -1)
		die("connect");
	start = now_ns();
	until = start + (uint64_t)max_s * 1000000000u;
	while (!closed && !stopping && now_ns() < until) {
		char b = sent < sizeof(head) - 1 ? head[sent] : 'a';

		if (send(fd, &b, 1, MSG_NOSIGNAL) != 1) {
			closed = 1;
			how = "send_failed";
			break;
		}
		sent++;
		/* Wait for the next byte's turn, watching for the server's end. */
		pfd.fd = fd;
		pfd.events = POLLIN | POLLRDHUP;
		if (poll(&pfd, 1, (int)interval_ms) > 0) {
			r = recv(fd, got, sizeof(got) - 1, 0);
			if (r > 0) {
				/* An answer (an error status): keep its first line. */
				got[r] = '\0';
				for (i = 0; i < (size_t)r && got[i] != '\r' &&
				    got[i] != '\n' && i < sizeof(first) - 1; i++)
					first[i] = got[i];
				first[i] = '\0';
				how = "answered";
			} else
				how = r == 0 ? "closed" : "reset";
			closed = 1;
		}
	}
	printf("{\"mode\":\"loris\",\"interval_ms\":%u,\"bytes_sent\":%lu,"
	    "\"closed_by_server\":%s,\"how\":\"%s\",\"answer\":\"%s\","
	    "\"after_s\":%.2f}\n", interval_ms, sent, closed ? "true" : "false", how,
	    first, (double)(now_ns() - start) / 1e9);
	close(fd);
	return 0;
}

/* Print the usage and exit 2. */
static void
usage(void)
{
	fprintf(stderr, "usage: conns measure --port N --token T --plate P "
	    "[--duration S] [--rate R]\n"
	    "       conns idle --port N --count C [--batch B] [--ready-file F]\n"
	    "       conns loris --port N [--interval-ms MS] [--max-s S]\n");
	exit(2);
}

/* A positive number from an argument, or the usage. */
static unsigned
number(const char *s)
{
	char		*end;
	unsigned long	 v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v == 0 || v > 10000000)
		usage();
	return (unsigned)v;
}

int
main(int argc, char **argv)
{
	const char	*mode, *token = NULL, *plate = NULL, *ready = NULL;
	unsigned	 port = 0, duration = 10, rate = 1000, count = 0, batch = 200;
	unsigned	 interval = 1000, max_s = 60;
	int		 a;

	if (argc < 2)
		usage();
	mode = argv[1];
	for (a = 2; a < argc; a++) {
		if (a + 1 >= argc)
			usage();
		if (strcmp(argv[a], "--port") == 0)
			port = number(argv[++a]);
		else if (strcmp(argv[a], "--token") == 0)
			token = argv[++a];
		else if (strcmp(argv[a], "--plate") == 0)
			plate = argv[++a];
		else if (strcmp(argv[a], "--duration") == 0)
			duration = number(argv[++a]);
		else if (strcmp(argv[a], "--rate") == 0)
			rate = number(argv[++a]);
		else if (strcmp(argv[a], "--count") == 0)
			count = number(argv[++a]);
		else if (strcmp(argv[a], "--batch") == 0)
			batch = number(argv[++a]);
		else if (strcmp(argv[a], "--ready-file") == 0)
			ready = argv[++a];
		else if (strcmp(argv[a], "--interval-ms") == 0)
			interval = number(argv[++a]);
		else if (strcmp(argv[a], "--max-s") == 0)
			max_s = number(argv[++a]);
		else
			usage();
	}
	if (port == 0 || port > 65535)
		usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "measure") == 0) {
		if (token == NULL || plate == NULL || rate > 1000000)
			usage();
		return mode_measure(port, token, plate, duration, rate);
	}
	if (strcmp(mode, "idle") == 0) {
		if (count == 0)
			usage();
		return mode_idle(port, count, batch, ready);
	}
	if (strcmp(mode, "loris") == 0)
		return mode_loris(port, interval, max_s);
	usage();
	return 2;
}
