/*
 * Logging: one line per event to stderr, as text or JSON, with a level filter.
 * Thread-safe: each line is written with one write(2).
 */
#ifndef ZES_LOG_H
#define ZES_LOG_H

#include "zes/common.h"

enum zes_log_level {
	ZES_LOG_DEBUG = 0,
	ZES_LOG_INFO,
	ZES_LOG_WARN,
	ZES_LOG_ERROR,
};

enum zes_log_format {
	ZES_LOG_TEXT = 0,
	ZES_LOG_JSON,
};

void	zes_log_init(const char *progname, enum zes_log_level, enum zes_log_format);
void	zes_log_set_level(enum zes_log_level);
void	zes_log_set_format(enum zes_log_format);
int	zes_log_enabled(enum zes_log_level);
int	zes_log_level_parse(const char *, enum zes_log_level *);
int	zes_log_format_parse(const char *, enum zes_log_format *);

/*
 * Log an event.  `event` is a short fixed name ("listening", "db_lost"),
 * `fmt` formats key=value pairs separated by spaces: `port=%d reason=%s`.
 * Values are escaped for the chosen format; request-controlled strings must
 * still be passed through zes_log_escape() limits by the caller when long.
 * `rid` is the request id or NULL.
 */
void	zes_log_event(enum zes_log_level, const char *module, const char *rid,
	    const char *event, const char *fmt, ...) ZES_PRINTF(5, 6);

#define zes_log(lvl, mod, ev, ...) do {					\
	if (zes_log_enabled(lvl))					\
		zes_log_event((lvl), (mod), NULL, (ev), __VA_ARGS__);	\
} while (0)
#define zes_log_debug(mod, ev, ...)	zes_log(ZES_LOG_DEBUG, mod, ev, __VA_ARGS__)
#define zes_log_info(mod, ev, ...)	zes_log(ZES_LOG_INFO, mod, ev, __VA_ARGS__)
#define zes_log_warn(mod, ev, ...)	zes_log(ZES_LOG_WARN, mod, ev, __VA_ARGS__)
#define zes_log_error(mod, ev, ...)	zes_log(ZES_LOG_ERROR, mod, ev, __VA_ARGS__)

/*
 * Write s into buf as a double-quoted value for a log field: quotes and
 * backslashes escaped, other bytes outside printable ASCII as \xNN, cut
 * after maxlen input bytes with "..." appended.  Use it for every value that
 * can hold spaces or that came from a client.  Returns buf.
 */
char	*zes_log_quote(char *buf, size_t size, const char *s, size_t maxlen);

/* Print "progname: message" and exit(1); for start-up failures. */
void	zes_fatal(const char *fmt, ...) ZES_PRINTF(1, 2) ZES_NORETURN;
/* A state that cannot happen: log and abort(). */
void	zes_fatalx(const char *fmt, ...) ZES_PRINTF(1, 2) ZES_NORETURN;

#endif
