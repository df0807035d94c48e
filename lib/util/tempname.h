/*
 * tempname.h - the names of our temporary output files, made and parsed in
 * one place so the writer and the stale-file sweep always agree:
 *
 *   .<name>.tmp.<host>.<pid>.<16 hex digits>
 *
 * <host> is this machine's name reduced to [A-Za-z0-9_-] (no dots, so the
 * name parses from the right), <pid> the writing process. Together they
 * say who may judge the file stale: only a process on the same host, and
 * only once that pid is gone (see out_sweep.c).
 */
#ifndef EF_TEMPNAME_H
#define EF_TEMPNAME_H

#include <stddef.h>
#include <stdint.h>

/* Longest <host> token (the rest of a host name is cut). */
#define TEMPNAME_HOST_MAX 64
/* Longest part of the final name kept in the temp name, so the whole
 * stays under NAME_MAX (255) with the longest host and pid. */
#define TEMPNAME_KEEP_MAX 150

/* This host's token into buf (at least TEMPNAME_HOST_MAX + 1 bytes):
 * gethostname() with every byte outside [A-Za-z0-9_-] replaced by '_',
 * or "unknown-host" if the name cannot be read. */
void tempname_host(char *buf, size_t n);
/* "<dir>/.<name>.tmp.<host>.<pid>.<suffix>" into buf; 0, or -1 if buf is
 * too small. */
int tempname_make(char *buf, size_t n, const char *dir, const char *name,
                  const char *host, long pid, uint64_t suffix);
/* 1 if `name` (a folder entry, no '/') is one of our temp names, with its
 * host token copied to host (TEMPNAME_HOST_MAX + 1 bytes) and its pid to
 * *pid; 0 otherwise (files of other tools, older runs, final outputs). */
int tempname_parse(const char *name, char *host, size_t n, long *pid);
/* 1 if pid is a live process on this host (or may be: EPERM): a temp
 * file or claim of a live pid is never judged stale. */
int tempname_pid_alive(long pid);

#endif
