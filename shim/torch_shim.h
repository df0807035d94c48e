/*
 * torch_shim.h - the extern "C" bridge to libtorch. The only C++ in the
 * tree lives behind this header; it converts C buffers to tensors and back,
 * and turns every exception into a status code and a message.
 */
#ifndef EF_TORCH_SHIM_H
#define EF_TORCH_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EFS_MAX_DIMS 8

typedef struct efs_module efs_module;

typedef struct {
  const float *data; /* contiguous float32, row-major */
  int64_t shape[EFS_MAX_DIMS];
  int ndim;
} efs_input;

typedef struct {
  float *data; /* malloc'd, contiguous float32; free() it */
  int64_t shape[EFS_MAX_DIMS];
  int ndim;
} efs_output;

typedef struct {
  double transfer; /* seconds copying inputs to the device and back */
  double forward;  /* seconds in forward() */
} efs_timing;

/* How a module is prepared once after loading. */
typedef struct {
  const char *device; /* "cpu", "cuda" or "cuda:N"; NULL means cpu */
  int half;           /* float16 autocast on CUDA; ignored on the CPU */
  int optimize;       /* torch.jit.freeze, then optimize_for_inference */
} efs_load_options;

/* The forms of one model a module can run. The module as saved is the
 * truth; the others are faster and must give its numbers (lib/model/model.c
 * checks that on the first batch of each input shape). */
typedef enum {
  EFS_SAVED = 0,     /* as torch.jit.load gives it */
  EFS_FROZEN = 1,    /* torch.jit.freeze: weights inlined, batch norms folded */
  EFS_OPTIMIZED = 2, /* frozen, then optimize_for_inference (oneDNN) */
} efs_variant;
#define EFS_VARIANTS 3

/* Status codes match ef_status: 0 ok, negative on failure, with a message
 * in err. With opt->optimize the module is frozen and optimised at load;
 * one that cannot be still loads, with a warning through ef_log, and has
 * only the variants that could be made. */
int efs_module_load(const char *path, const efs_load_options *opt,
                    efs_module **out, char *err, size_t errlen);
/* 1 if the module was frozen and optimised at load, else 0. */
int efs_module_optimized(const efs_module *m);
/* 1 if this variant can be run (EFS_SAVED always; EFS_FROZEN whenever
 * freezing worked at load, made on first use), else 0. */
int efs_module_has_variant(const efs_module *m, int variant);
/* Runs forward on the fastest variant the module has. as_list != 0 passes
 * the inputs as one List[Tensor] argument (SlowFast's [slow, fast]); else
 * as n separate arguments. The output must be a tensor; it is returned as
 * float32 on the CPU. */
int efs_module_forward(efs_module *m, const efs_input *inputs, int n,
                       int as_list, efs_output *out, efs_timing *timing,
                       char *err, size_t errlen);
/* efs_module_forward on one variant; EF_EINVAL for one it does not have. */
int efs_module_forward_variant(efs_module *m, int variant,
                               const efs_input *inputs, int n, int as_list,
                               efs_output *out, efs_timing *timing, char *err,
                               size_t errlen);
void efs_module_free(efs_module *m);
/* The device the module runs on, e.g. "cpu" or "cuda:0". */
const char *efs_module_device(const efs_module *m);

/* Threads libtorch uses for intra-op parallelism (n <= 0: all cores). */
void efs_set_num_threads(int n);
int efs_get_num_threads(void);

/* Serialises a float32 tensor the way Python's torch.save does (zip
 * archive), into a malloc'd buffer. */
int efs_pickle_tensor(const float *data, const int64_t *shape, int ndim,
                      void **bytes, size_t *len, char *err, size_t errlen);

/* The extra file `name` that torch.jit.save(..., _extra_files=...) put
 * in the TorchScript archive at path, read without loading the module:
 * *bytes (malloc'd, NUL-terminated; free() it) and *len. EF_ENOTFOUND if
 * the archive has no such file (or path does not exist), EF_EMODEL if
 * path is not a TorchScript archive. */
int efs_archive_extra_file(const char *path, const char *name, char **bytes,
                           size_t *len, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
