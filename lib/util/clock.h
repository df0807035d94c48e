/*
 * clock.h - the monotonic clock every stage times itself with (the
 * queue's waits, the run's phases, the progress rate).
 */
#ifndef EF_CLOCK_H
#define EF_CLOCK_H

/* Seconds on CLOCK_MONOTONIC: only differences mean anything. */
double clock_now_seconds(void);

#endif
