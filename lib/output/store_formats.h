/*
 * store_formats.h - the one list of output formats (io.out_format), as an
 * X-macro: STORE_FORMATS(X) calls X(ID, "name", entry) once per format,
 * where ID makes the enum constant EF_FORMAT_<ID>, "name" is the value of
 * io.out_format and entry is the store_format (store_format.h) that
 * writes and checks it.
 *
 * The config stage expands it for the names alone (the schema's choices,
 * settings.c's parsing, the ef_out_format enum): no symbol of this stage
 * is referenced there, so the link-time layer checks still hold. Only
 * store.c expands the entries. Adding a format is one line here plus its
 * entry (see store.h, "Adding a format").
 */
#ifndef EF_STORE_FORMATS_H
#define EF_STORE_FORMATS_H

/* The order is the enum's: pt first, the default. */
#define STORE_FORMATS(X)                                                       \
  X(PT, "pt", store_format_pt)                                                 \
  X(NPY, "npy", store_format_npy)                                              \
  X(HDF5, "hdf5", store_format_hdf5)                                           \
  X(TRANSCRIPT, "transcript", store_format_transcript)

/* The expansions the config stage uses. */
#define STORE_FORMAT_ENUM_(id, name, entry) EF_FORMAT_##id,
#define STORE_FORMAT_NAME_(id, name, entry) name,

#endif
