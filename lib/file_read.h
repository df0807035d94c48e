/*
 * file_read.h - reading a whole (small) file into memory: configs,
 * manifest.csv, fingerprints, the configs merged into HDF5 files. One
 * reader, so a size limit or a read error is handled the same way
 * everywhere; each caller words its own message.
 */
#ifndef EF_FILE_READ_H
#define EF_FILE_READ_H

#include <stddef.h>

/* Reads all of path into *text (malloc'd, NUL-terminated; *len bytes
 * before the NUL, len may be NULL). Returns 0, or a negative errno:
 * -ENOENT and the other errors of fopen/fread, -EFBIG when the file holds
 * more than max bytes, -ENOMEM. *text is NULL on failure. */
int file_read_all(const char *path, size_t max, char **text, size_t *len);

#endif
