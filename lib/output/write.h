/*
 * write.h - feature files and the run's config.yaml on disk.
 *
 * Every file is written under a temporary name in the same folder, synced,
 * then renamed, so a file under its final name is always complete.
 */
#ifndef EF_WRITE_H
#define EF_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "config/settings.h"
#include "output/store.h"

/* "<dir>/<uid><the format's extension>"; caller frees. */
char *write_output_path(const char *dir, const char *uid, ef_out_format fmt);
/* Writes a float32 tensor of the given shape. .pt files load with
 * torch.load as a tensor; .npy with numpy.load. */
int write_features(const char *path, ef_out_format fmt, const float *data,
                   const int64_t *shape, int ndim);
/* Writes o as fmt's file at path (the format's encoder, then the
 * atomic write). */
int write_output(const char *path, ef_out_format fmt, const store_output *o);
/* Atomic write of raw bytes. */
int write_file_atomic(const char *path, const void *data, size_t len);
/* 1 if path holds a complete output file of that format, 0 if it is
 * missing, truncated or corrupt. */
int write_output_complete(const char *path, ef_out_format fmt);
/* For files another library writes (libhdf5): a temporary name beside
 * path, of the shape the stale-file sweep knows (tempname.h), caller
 * frees; then write_commit() syncs the file at tmp, renames it to path
 * and syncs the folder (on failure tmp is removed). */
char *write_temp_path(const char *path);
int write_commit(const char *tmp, const char *path);
/* The folder of path ("." for a bare name, "/" for the root's files);
 * caller frees (NULL: out of memory, with the error set). */
char *write_dir_of(const char *path);
/* EF_EIO naming path when it is a symbolic link (a folder or file this
 * tool creates or deletes in must be its own); EF_OK when it is not, or
 * does not exist. */
int write_refuse_symlink(const char *path);
/* Creates a folder and its parents. */
int write_mkdirs(const char *dir);

#endif
