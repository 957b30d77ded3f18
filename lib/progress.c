#include "progress.h"

#include <stdio.h>
#include <time.h>

#include "util.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
show(struct progress *p)
{
	p->showing = 1;
	if (p->total > 0)
		fprintf(stderr, "\r%s: %ld of %ld %s (%.0f%%)", progname, p->done,
		    p->total, p->unit, 100.0 * p->done / p->total);
	else
		fprintf(stderr, "\r%s: %ld %s", progname, p->done, p->unit);
}

void
progress_start(struct progress *p, int on, const char *unit, long total,
    long every)
{
	*p = (struct progress){ .on = on, .unit = unit, .total = total,
	    .every = every };
}

void
progress_tick(struct progress *p)
{
	double t;

	if (!p->on || (++p->done & (p->every - 1)))
		return;
	if ((t = now()) - p->shown < 0.5)
		return;
	p->shown = t;
	show(p);
}

void
progress_end(struct progress *p)
{
	if (!p->showing)
		return;
	show(p);
	fputc('\n', stderr);
}
