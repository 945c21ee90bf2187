#ifndef TRY_METRICS_H
#define TRY_METRICS_H

#include <jansson.h>
#include <stddef.h>

#include "libtry/buf.h"

/*
 * The cockpit's Prometheus metrics, in the text exposition format
 * (version 0.0.4), rendered from the states cockpit.h builds (the same
 * numbers the page and /api/ show):
 *
 *   lanes_hold{repository,lane}                1 while held, else 0
 *   lanes_hold_since_seconds{repository,lane}  when a held lane was held
 *   lanes_pending_commits{repository,lane}     trunk commits waiting
 *   lanes_events_total{repository,type,lane}   journal events
 *   lanes_webhook_spool_events{repository,destination}  undelivered
 */

/* Appends `s` escaped for a label value (\\, \", \n). */
void try_metrics_add_label(struct try_buf *out, const char *s);

/* Appends the metrics of `n` repository states (borrowed). */
void try_metrics_render(struct try_buf *out, json_t *const *states,
			size_t n);

#endif
