/*
 * schedule_json.c - loading the plan and status files: the file read
 * (util/fs.h) and parsed (util/json.h), each failure as an ef_ error that
 * names the file. They are written with membuf_json (util/membuf.h).
 */
#include "schedule/schedule_json.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schedule/schedule_internal.h"
#include "util/error.h"
#include "util/fs.h"

int schedule_json_load(const char *path, json_doc *d) {
  memset(d, 0, sizeof *d);
  char *text = NULL;
  size_t len = 0;
  int rc = fs_read_all(path, SIZE_MAX, &text, &len);
  if (rc == -ENOMEM)
    return sched_nomem();
  if (rc < 0)
    return ef_error_set(rc == -ENOENT ? EF_ENOTFOUND : EF_EIO,
                        "%s: cannot read (%s)", path, strerror(-rc));
  char err[512];
  rc = json_parse(d, text, len, err, sizeof err) == 0
           ? EF_OK
           : ef_error_set(EF_EINVAL, "%s: %s", path, err);
  free(text);
  return rc;
}
