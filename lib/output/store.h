/*
 * store.h - the output store: the one owner of what a run leaves in
 * io.out_path. Every stage above output/ goes through this header alone:
 *
 *   store_open(settings)      what the folder holds, read once
 *   store_state(uid)          todo, done, or mismatch / legacy with why
 *   store_claim(uid)          the claim two runs sharing the folder take
 *   store_write(uid, output)  one video's output, atomically
 *   store_finish()            what a format does at the end of a run
 *                             (hdf5: the parts go into features.h5)
 *   store_close()
 *
 * plus the run's record (config.yaml) and the atomic file write the
 * scheduler's records use.
 *
 * Each format is one entry of the list in store_formats.h. The per-video
 * formats write, per uid, <uid>.fp (provenance.h), <uid>.times.npy
 * (write_times.h) and the format's own file, in that order, each
 * atomically. hdf5 writes the same files as .npy parts into
 * <out_path>/features.h5.parts/ and gathers them into
 * <out_path>/features.h5 at store_finish (store_hdf5.c); a uid counts as
 * done when its part is complete or features.h5 holds it with this run's
 * fingerprint.
 *
 * Adding a format (as transcripts, <uid>.transcript.jsonl, were):
 *   1. one line X(TRANSCRIPT, "transcript", store_format_transcript) in
 *      STORE_FORMATS (store_formats.h): the name becomes a valid
 *      io.out_format and EF_FORMAT_TRANSCRIPT exists;
 *   2. beside its encoder (transcript.c), the definition of
 *      const store_format store_format_transcript (store_format.h): its
 *      extension, what it takes (STORE_TAKES_WINDOWS: store_output's
 *      per_window items, one per window, of the type its header
 *      declares), its encoder and its completeness check;
 *   3. the file in lib/output/meson.build.
 * State, claims, provenance, resume, merge-free formats and the sweep
 * then work for it unchanged.
 */
#ifndef EF_STORE_H
#define EF_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "config/settings.h"
#include "output/claim.h"

typedef struct store store;

/* store_open's flags. */
enum {
  /* For the scheduler's questions: a model that cannot be hashed or a
   * features.h5 that cannot be read leave outputs unmatched (their tasks
   * then say why) instead of failing the open. */
  STORE_LENIENT = 1
};

/* Opens the store of s (io.out_path, io.out_format): describes the run
 * (hashing the model file once; none in debug mode) and reads what a
 * gathering format's file already holds. Writes nothing. */
int store_open(const ef_settings *s, unsigned flags, store **out);
void store_close(store *st);

/* The run's description (provenance.h), NULL in debug mode. */
const char *store_run_text(const store *st);
/* io.out_path. */
const char *store_out_path(const store *st);

/* A uid this format cannot store (npy: "x.times" would be uid x's window
 * times): a message (caller frees) naming it, or NULL when it is fine
 * (or out of memory: then *rc is EF_ENOMEM, else EF_OK). */
char *store_uid_problem(const store *st, const char *uid, int *rc);

typedef enum {
  STORE_TODO = 0,     /* no complete output: compute it */
  STORE_DONE = 1,     /* complete, and this run's */
  STORE_MISMATCH = 2, /* complete, computed with something else */
  STORE_LEGACY = 3    /* complete, of unknown provenance (older version) */
} store_verdict;

/* is_stereo for a caller that does not know (the scheduler): the stereo
 * line is left out of the comparison. */
#define STORE_STEREO_UNKNOWN (-1)

typedef struct {
  store_verdict verdict;
  char *why; /* MISMATCH, LEGACY: names the file and what differs */
} store_answer;

/* What the store holds for uid against this run (is_stereo: the video's
 * stereo handling, or STORE_STEREO_UNKNOWN). The caller frees a->why with
 * store_answer_clear. Safe from several threads at once. */
int store_state(const store *st, const char *uid, int is_stereo,
                store_answer *a);
void store_answer_clear(store_answer *a);
/* The same, where the output ends up after store_finish: for a gathering
 * format its file alone (a part still waiting is not there). */
int store_state_final(const store *st, const char *uid, int is_stereo,
                      store_answer *a);

/* One video's output. A format takes the tensor (STORE_TAKES_TENSOR:
 * data, shape, ndim) or per-window items (STORE_TAKES_WINDOWS: per_window,
 * `windows` items of the format's own type); the window times go with
 * both. */
typedef struct {
  const float *data;
  const int64_t *shape;
  int ndim;
  const void *per_window;
  const double *starts, *ends;
  int64_t windows;
} store_output;

/* Writes uid's output (and its times and fingerprint). */
int store_write(const store *st, const char *uid, int is_stereo,
                const store_output *o);

/* Takes the claim on uid's output (claim.h): EF_OK, CLAIM_BUSY with the
 * holder in *holder (caller frees), or an error naming the claim file. */
int store_claim(const store *st, const char *uid, claim *c, char **holder);
void store_claim_release(claim *c);

/* Before the first write: creates the folders and removes what dead runs
 * of this host left in them (out_sweep.h); a sweep failure is not one. */
int store_prepare(const store *st);
/* After the run: a gathering format merges what is complete (hdf5: the
 * parts into features.h5, then removes them) and reads the file's index
 * again, so that store_state then says what the final file holds. cancel
 * (may be NULL) is the run's flag: raised, before or during the merge,
 * it stops with EF_ECANCELLED, features.h5 as it was and the parts kept
 * for the next run. */
int store_finish(store *st, const volatile int *cancel);

/* The run's record: <out_path>/config.yaml, or config-<16 hex>.yaml when
 * a run of another fingerprint owns config.yaml; with defer set that
 * second case is only noted in *deferred, to be written once the run has
 * computed something (store_config.c). */
int store_write_config(const store *st, const ef_config *cfg, int defer,
                       int *deferred);
/* After such a run: when every output is this run's now
 * (store_all_match; io.on_mismatch=redo replaced them all), config.yaml
 * is rewritten as this run's record; else nothing is done. */
int store_config_take_over(const store *st, const ef_config *cfg);

/* 1 if every complete output the store holds (each uid's files and a
 * gathering format's file) is this run's, else 0: then config.yaml may
 * describe this run, whatever run wrote it before. */
int store_all_match(const store *st);

/* The io.out_format name of fmt. */
const char *store_format_name(ef_out_format fmt);

/* The atomic write (write.h) and folder creation, for the run's other
 * records (plans, status files). */
int store_file_write(const char *path, const void *data, size_t len);
int store_mkdirs(const char *dir);

#endif
