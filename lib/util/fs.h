/*
 * fs.h - the file-system steps that every output, config and script goes
 * through: reading a whole small file, writing one atomically, creating a
 * folder path, and committing a file another library wrote.
 *
 * These work at errno level and touch no ef_ error state, so that the CLI
 * (which otherwise sees only the public API) links the same code for its
 * scripts and profiles; each caller words its own message (write.h does
 * it for the library).
 *
 * An atomic write puts the bytes in a temporary file in the same folder
 * (rename is only atomic within one filesystem), fsyncs it, renames it
 * over the final name and fsyncs the folder, so a file only ever appears
 * under its final name complete and durable. The temporary name carries
 * host and pid (tempname.h) so a later run can tell a dead writer's
 * leftover from a live one's.
 */
#ifndef EF_FS_H
#define EF_FS_H

#include <stddef.h>

/* Opens path for reading if it is a regular file (through symlinks): the
 * fd, or a negative errno with errno set: -EISDIR for a folder, -ENOTSUP
 * for a FIFO, socket or device, which is never read or waited on
 * (O_NONBLOCK), else open's error. */
int fs_open_regular(const char *path);

/* Reads all of path into *text (malloc'd, NUL-terminated; *len bytes
 * before the NUL, len may be NULL). Returns 0, or a negative errno:
 * -ENOENT and the other errors of open/fread, -EISDIR for a folder,
 * -ENOTSUP for a FIFO, socket or device (never read), -EFBIG when it holds
 * more than max bytes, -ENOMEM. *text is NULL on failure. Reads in
 * growing chunks rather than trusting fseek/ftell, which pipes and files
 * still being written do not give reliably. */
int fs_read_all(const char *path, size_t max, char **text, size_t *len);

/* The step of a write or commit that failed, for the caller's message. */
typedef enum {
  FS_STEP_NONE = 0,
  FS_STEP_CREATE, /* the temporary file could not be made */
  FS_STEP_WRITE,
  FS_STEP_FSYNC,
  FS_STEP_CLOSE,
  FS_STEP_OPEN, /* fs_commit: the finished file could not be opened */
  FS_STEP_RENAME,
  FS_STEP_SYNC_DIR /* the file is in place; only its durability is unknown */
} fs_step;

/* "write", "fsync", ... for a step. */
const char *fs_step_name(fs_step step);

/* Writes len bytes of data to path atomically (see above), creating it
 * with mode (the umask applies). Returns 0, or a negative errno with the
 * failed step in *step (may be NULL); on every failure but
 * FS_STEP_SYNC_DIR the temporary file is gone and path is untouched. */
int fs_write_atomic(const char *path, const void *data, size_t len,
                    unsigned mode, fs_step *step);

/* Creates dir and its missing ancestors (mode 0777, the umask applies).
 * Returns 0, or a negative errno (-ENOTDIR when a component exists and is
 * not a folder) with the length of the failing prefix of dir in *bad_len
 * (may be NULL). */
int fs_mkdirs(const char *dir, size_t *bad_len);

/* For files another library writes (libhdf5): a temporary name beside
 * path, of the shape the stale-file sweep knows (caller frees; NULL when
 * out of memory). fs_commit() then fsyncs the file at tmp, renames it to
 * path and fsyncs the folder; on failure before the rename tmp is
 * removed. 0 or a negative errno with *step as for fs_write_atomic. */
char *fs_temp_path(const char *path);
int fs_commit(const char *tmp, const char *path, fs_step *step);

#endif
