/*
 * claim.h - a per-output claim, so that two runs sharing io.out_path
 * (two SLURM tasks, a rerun started while the first still runs) never
 * compute the same video at once.
 *
 * The claim of <dir>/<uid>.pt is an fcntl() write lock on the file
 * <dir>/.<uid>.pt.claim (an open-file-description lock where the kernel
 * has them, else a classic POSIX lock). fcntl and not flock: NFS carries
 * fcntl locks to the server (lockd for v3, built into v4) while flock is
 * local to one client on some network filesystems. The kernel drops the
 * lock when its holder dies, even by kill -9, and the NFS server when its
 * node's lease runs out, so a claim is never stale; a left-over claim file
 * is only a name, taken over by the next run. The file holds
 * "<host> <pid>" of the holder, for messages and for people.
 */
#ifndef EF_CLAIM_H
#define EF_CLAIM_H

typedef struct {
  int fd;     /* -1: not held */
  char *path; /* the claim file, while held */
} claim;

#define CLAIM_INIT                                                             \
  { -1, NULL }

/* "<dir>/.<name>.claim" for the output file <dir>/<name>; caller frees. */
char *claim_path_for(const char *out_file);
/* Takes the claim on out_file. EF_OK when held (or when the filesystem
 * has no locks at all: then c->fd stays -1 and nothing is exclusive, but
 * outputs are still written atomically); CLAIM_BUSY when another process
 * holds it, with its "<host> <pid>" (or "another process") in *holder,
 * which the caller frees; a negative EF_E* code naming the claim file if
 * it cannot be created or locked. */
#define CLAIM_BUSY 1
int claim_take(const char *out_file, claim *c, char **holder);
/* Gives the claim up: removes the claim file while still holding it, so
 * no one locks a file that is about to go, then closes it. Safe to call
 * twice or on a claim never taken. */
void claim_release(claim *c);
/* Removes the claim file at path if no process holds it (a left-over of
 * a killed run); 1 if removed, 0 if held, missing or not a claim file. */
int claim_remove_if_free(const char *path);

#endif
