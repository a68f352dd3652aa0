/*
 * The access index's builder: a thread of its own (not a worker: it may
 * block) with one database connection, which loads the first snapshot at
 * start-up and then keeps it current from change_log, woken by NOTIFY and
 * polling besides (NOTIFY does not reach a read replica).  Each new snapshot
 * is published to the workers through zes_server_publish_index().
 */
#ifndef ZES_BUILDER_H
#define ZES_BUILDER_H

#include <stdint.h>

#include "zes/common.h"

struct zes_builder;
struct zes_rules;
struct zes_server;

struct zes_builder_opts {
	const char	*conninfo;
	unsigned	 poll_ms;		/* look at change_log at least this often */
	unsigned	 max_overlay;		/* plates in the overlay before a merge */
	unsigned	 statement_timeout_ms;
	int		 poll_only;		/* no LISTEN: a hot standby refuses it */
};

/* Figures for /metrics, read from any thread. */
struct zes_builder_stats {
	int		 ready;			/* a snapshot has been published */
	int64_t		 seq;			/* last change_log seq applied */
	double		 lag_seconds;		/* commit of the last change applied -> published */
	double		 build_seconds;		/* the last full load */
	uint64_t	 deltas_total;
	uint64_t	 full_loads_total;
	uint64_t	 errors_total;
};

/* Start the thread with the rules to derive profiles with (a reference is taken). */
struct zes_builder	*zes_builder_start(struct zes_server *, const struct zes_builder_opts *,
			    struct zes_rules *);
/* New rules: the next snapshot is built again from the database with them. */
void			 zes_builder_set_rules(struct zes_builder *, struct zes_rules *);
void			 zes_builder_get_stats(struct zes_builder *, struct zes_builder_stats *);
/* Stop and join the thread, free everything. */
void			 zes_builder_stop(struct zes_builder *);

#endif
