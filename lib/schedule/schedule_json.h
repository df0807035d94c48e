/*
 * schedule_json.h - reading the JSON files of a plan (plan.json,
 * status/bin_N.json) with util/json.h, errors worded for the library.
 */
#ifndef EF_SCHEDULE_JSON_H
#define EF_SCHEDULE_JSON_H

#include "util/json.h"

/* Parses a whole file: EF_ENOTFOUND if it does not exist, EF_EINVAL with
 * the line of a syntax error, both naming the file. */
int schedule_json_load(const char *path, json_doc *d);

#endif
