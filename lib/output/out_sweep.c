/*
 * out_sweep.c - the cleaning of an output folder before a run writes in
 * it (rules in out_sweep.h).
 *
 * Why host and pid: io.out_path is often on a filesystem shared by many
 * nodes, where a pid means nothing across hosts; a file of another host
 * may belong to a run still writing it, so only files of this host are
 * judged, and only by asking this kernel whether the pid lives. A pid
 * reused since by an unrelated live process keeps the file (the safe side);
 * a new writer with the reused pid cannot have made this very name, whose
 * last field is random.
 */
#include "output/out_sweep.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/claim.h"
#include "util/error.h"
#include "util/path.h"
#include "util/strvec.h"
#include "util/tempname.h"

static int is_regular(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int ends_with(const char *s, const char *tail) {
  size_t a = strlen(s), b = strlen(tail);
  return a > b && strcmp(s + a - b, tail) == 0;
}

/* What to do with one entry of the folder. */
static void sweep_one(const char *dir, const char *name, const char *host,
                      out_sweep_counts *c) {
  char their_host[TEMPNAME_HOST_MAX + 1];
  long pid;
  int temp = tempname_parse(name, their_host, sizeof their_host, &pid);
  if (!temp && !ends_with(name, ".claim"))
    return;
  char *full = path_join(dir, name);
  if (!full || !is_regular(full)) {
    free(full);
    return;
  }
  if (temp) {
    if (strcmp(their_host, host) == 0 && pid != (long)getpid() &&
        !tempname_pid_alive(pid) && unlink(full) == 0)
      c->temps++;
  } else if (claim_remove_if_free(full)) {
    c->claims++;
  }
  free(full);
}

int out_sweep(const char *dir, out_sweep_counts *counts) {
  out_sweep_counts c = {0, 0};
  char host[TEMPNAME_HOST_MAX + 1];
  tempname_host(host, sizeof host);
  DIR *dp = opendir(dir);
  if (!dp) {
    if (counts)
      *counts = c;
    return ef_error_set(EF_EIO, "%s: cannot list the output folder (%s)", dir,
                        strerror(errno));
  }
  struct dirent *de;
  while ((de = readdir(dp)) != NULL)
    if (de->d_name[0] == '.') /* all our temp and claim names are hidden */
      sweep_one(dir, de->d_name, host, &c);
  closedir(dp);
  if (counts)
    *counts = c;
  return EF_OK;
}
