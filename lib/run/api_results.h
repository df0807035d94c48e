/*
 * api_results.h - the result handles of the extraction entry points
 * (ef_results, ef_stats): their layout, shared by api_extract.c, which
 * fills them, and api_results.c, which reads them.
 */
#ifndef EF_API_RESULTS_H
#define EF_API_RESULTS_H

#include <stddef.h>

#include "run/pipeline.h"

struct ef_results {
  size_t n;
  pipeline_result *res;
};

struct ef_stats {
  size_t n;
  char **uids;
  pipeline_result *res;
  pipeline_times times;
  double fps_den_over_num;
};

/* Frees n results and the array (NULL is fine). */
void results_free_array(pipeline_result *res, size_t n);
/* Frees a stats handle however far it was filled. */
void stats_free_parts(ef_stats *st);

#endif
