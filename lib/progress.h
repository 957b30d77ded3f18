/*
 * progress: a count of work done, shown on stderr for whoever watches a
 * long run: "PROGRAM: n of N units (p%)", or "PROGRAM: n units" while N
 * is unknown, rewritten in place at most twice a second.  Counting is
 * cheap, the clock read once every so many units, so that a loop can
 * count every token it draws.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

struct progress {
	int     on;            /* 0: count, show nothing */
	const char *unit;      /* "samples", "steps", ... */
	long    done, total;   /* total 0: unknown */
	long    every;         /* units between looks at the clock, 2^k */
	double  shown;         /* when the count was last shown */
	int     showing;       /* it has been */
};

/* Starts counting units, out of total (0: unknown), looking at the clock
 * every `every` units (a power of 2: 1 for units of real work, more for
 * the cheap ones); shows nothing unless on. */
void progress_start(struct progress *p, int on, const char *unit,
         long total, long every);
/* One more unit done. */
void progress_tick(struct progress *p);
/* The final count and a newline, if the count was ever shown. */
void progress_end(struct progress *p);

#endif
