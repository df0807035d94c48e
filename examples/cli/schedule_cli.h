/*
 * schedule_cli.h - what the files of `ego4dfeat schedule` share
 * (cmd_schedule.c and the schedule_*.c beside it); each function is
 * described where it is defined.
 */
#ifndef EF_SCHEDULE_CLI_H
#define EF_SCHEDULE_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli.h"

/* Set by SIGINT/SIGTERM while bins run (cmd_schedule.c). */
extern volatile sig_atomic_t sched_interrupted;

/* schedule_util.c */
char *sched_str_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
char *sched_replace_job(const char *s, const char *with);
int sched_mkdirs(const char *path);
int sched_write_file(const char *path, const char *text, mode_t mode);
const char *sched_get_str(const ef_config *c, const char *key);
char *sched_log_dir(const ef_plan *p, const char *job);

/* schedule_args.c */
typedef struct {
  const char *profile;
  int strict, parallel, no_wait, dry_run, status;
} sched_options;
int sched_take_options(int argc, char **argv, sched_options *o, char **rest,
                       int *n_rest);
int sched_profile_overrides(const char *path, char **ov, size_t *n);
const char *sched_profile_override(const char *ov);

/* schedule_summary.c */
const char *sched_where_ran(ef_plan *p);
void sched_print_plan(const ef_plan *p, size_t n_run, size_t videos_run,
                      int local, const char *where);
void sched_print_warnings(const ef_plan *p);
int sched_summarize(ef_plan *p, const size_t *bins, size_t n,
                    size_t n_complete_videos, const char *runner_fmt,
                    const char *log_fmt);

/* schedule_slurm.c */
typedef struct {
  char **v;
  size_t n, cap;
} argv_list;
char *sched_active_job(const ef_plan *p);
void sched_argv_free(argv_list *a);
int sched_sbatch_args(const ef_plan *p, const char *config_name,
                      const size_t *bins, size_t n, const char *script,
                      argv_list *a);
char *sched_write_job_script(const ef_plan *p, const char *exe);
char *sched_submit(const ef_plan *p, argv_list *a);
int sched_wait_job(const char *id);

/* schedule_local.c */
int sched_run_local(const ef_plan *p, const char *exe, const size_t *bins,
                    size_t n, int parallel, int threads,
                    const char *runner_fmt);

#endif
