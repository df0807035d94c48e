/*
 * torch_shim.cpp - the extern "C" bridge to libtorch (see torch_shim.h).
 *
 * This is the only C++ in the tree, and it stays thin on purpose: it loads
 * a TorchScript module, wraps C float buffers as tensors, runs forward and
 * copies the result back out. Everything the pipeline decides (which
 * inputs, how they are packed, what the output means) lives in C. No
 * exception may cross into C, so every entry point catches everything and
 * turns it into an ef_status code plus a one-line message.
 */
#include "torch_shim.h"

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/version.h>

#include "ego4dfeat/ego4dfeat.h"
#include "util/log.h"

struct efs_module {
  torch::jit::Module saved; /* as loaded; what the others must match */
  /* Made at load when optimisation is asked for and works. */
  std::optional<torch::jit::Module> optimized;
  /* Made on first use: most runs never need it, and it would hold one more
   * copy of the weights. */
  std::optional<torch::jit::Module> frozen;
  bool can_freeze = false; /* freezing worked at load */
  std::mutex freeze_lock;  /* guards making `frozen` */
  c10::Device device{c10::kCPU};
  bool half = false; /* run forward under CUDA float16 autocast */
  std::string device_name;
};

namespace {

using Clock = std::chrono::steady_clock;

/* The thread count the caller asked for (0: none yet). With OpenMP the
 * setting is per thread, so forward() re-applies it on whichever thread
 * runs the model. */
std::atomic<int> requested_threads{0};

/* Entry points start with an empty message, so a caller that prints err
 * after success sees "" rather than stale bytes. */
void clear(char *err, size_t errlen) {
  if (err && errlen > 0)
    err[0] = '\0';
}

int fail(char *err, size_t errlen, int code, const std::string &msg) {
  if (err && errlen > 0)
    std::snprintf(err, errlen, "%s", msg.c_str());
  return code;
}

/* libtorch messages run to many lines (source excerpts, C++ frames). The
 * useful line is the first, except for TorchScript interpreter errors,
 * which start with a banner and a script traceback and end with the
 * actual "SomeError: what went wrong". */
std::string one_line(const char *what) {
  std::vector<std::string> lines;
  const char *p = what ? what : "";
  while (*p) {
    const char *nl = std::strchr(p, '\n');
    size_t n = nl ? static_cast<size_t>(nl - p) : std::strlen(p);
    std::string line(p, n);
    size_t a = line.find_first_not_of(" \t\r");
    if (a != std::string::npos)
      lines.push_back(line.substr(a, line.find_last_not_of(" \t\r") - a + 1));
    p += n + (nl ? 1 : 0);
  }
  if (lines.empty())
    return "unknown error";
  if (lines.front().find("TorchScript interpreter") != std::string::npos ||
      lines.front().rfind("Traceback", 0) == 0)
    return lines.back();
  return lines.front();
}

/* Runs f, converting any exception into a status and "<context><msg>". */
template <class F>
int guarded(char *err, size_t errlen, const std::string &context, F &&f) {
  try {
    return f();
  } catch (const c10::OutOfMemoryError &e) {
    return fail(err, errlen, EF_ENOMEM,
                context + one_line(e.what_without_backtrace()));
  } catch (const c10::Error &e) {
    return fail(err, errlen, EF_EMODEL,
                context + one_line(e.what_without_backtrace()));
  } catch (const std::bad_alloc &) {
    return fail(err, errlen, EF_ENOMEM, context + "out of memory");
  } catch (const std::exception &e) {
    return fail(err, errlen, EF_EMODEL, context + one_line(e.what()));
  } catch (...) {
    return fail(err, errlen, EF_EMODEL, context + "unknown exception");
  }
}

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/* Device work is asynchronous; the clocks only mean something once it
 * has finished. */
void sync(const efs_module *m) {
  if (m->device.is_cuda())
    torch::cuda::synchronize(m->device.index());
}

/* CUDA float16 autocast for the scope of one forward pass, as Python's
 * `with torch.autocast("cuda", dtype=torch.float16)`: the weights stay
 * float32 and each op picks its precision. The state is thread-local. */
class autocast_scope {
public:
  explicit autocast_scope(bool on) : on_(on) {
    if (!on_)
      return;
    prev_enabled_ = enabled();
    prev_dtype_ = dtype();
    set(true, at::kHalf);
    at::autocast::increment_nesting();
  }
  ~autocast_scope() {
    if (!on_)
      return;
    if (at::autocast::decrement_nesting() == 0)
      at::autocast::clear_cache();
    set(prev_enabled_, prev_dtype_);
  }
  autocast_scope(const autocast_scope &) = delete;
  autocast_scope &operator=(const autocast_scope &) = delete;

private:
  /* libtorch 2.4 made these per device type (the CUDA-only calls are
   * deprecated there). */
#if TORCH_VERSION_MAJOR > 2 ||                                                 \
    (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  static bool enabled() {
    return at::autocast::is_autocast_enabled(at::kCUDA);
  }
  static at::ScalarType dtype() {
    return at::autocast::get_autocast_dtype(at::kCUDA);
  }
  static void set(bool on, at::ScalarType t) {
    at::autocast::set_autocast_enabled(at::kCUDA, on);
    at::autocast::set_autocast_dtype(at::kCUDA, t);
  }
#else
  static bool enabled() {
    return at::autocast::is_enabled();
  }
  static at::ScalarType dtype() {
    return at::autocast::get_autocast_gpu_dtype();
  }
  static void set(bool on, at::ScalarType t) {
    at::autocast::set_enabled(on);
    at::autocast::set_autocast_gpu_dtype(t);
  }
#endif
  bool on_;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kHalf;
};

/* Freezing inlines the weights as constants and folds batch norms into
 * convolutions; optimize_for_inference then picks oneDNN kernels on the
 * CPU. A 3-D ResNet runs 1.6-2x faster that way with the same outputs to
 * rounding. Some modules (extra methods, mutated attributes) cannot be
 * frozen; they run as saved. The module as saved is kept either way:
 * whether the optimised one may run is decided per input shape by the
 * caller. optimize_for_inference may rewrite the frozen module it is
 * given in place, so the frozen variant is made anew when needed. */
void optimize_module(efs_module *m, const char *path) {
  torch::jit::Module frozen;
  try {
    frozen = torch::jit::freeze(m->saved);
    m->can_freeze = true;
  } catch (const std::exception &e) {
    std::string why = one_line(e.what());
    ef_log(EF_LOG_WARNING,
           "cannot optimise %s: freezing fails (%s); running it as saved", path,
           why.c_str());
    return;
  }
  try {
    m->optimized = torch::jit::optimize_for_inference(frozen);
  } catch (const std::exception &e) {
    std::string why = one_line(e.what());
    ef_log(EF_LOG_WARNING,
           "cannot optimise %s: optimize_for_inference fails (%s); running "
           "it frozen only",
           path, why.c_str());
  }
}

/* The module that runs this variant, or nullptr if there is none. Making
 * the frozen one may throw (as at load); the caller's guard catches it. */
torch::jit::Module *variant_module(efs_module *m, int variant) {
  switch (variant) {
  case EFS_SAVED: return &m->saved;
  case EFS_OPTIMIZED: return m->optimized ? &*m->optimized : nullptr;
  case EFS_FROZEN: {
    if (!m->can_freeze)
      return nullptr;
    std::lock_guard<std::mutex> hold(m->freeze_lock);
    if (!m->frozen)
      m->frozen = torch::jit::freeze(m->saved);
    return &*m->frozen;
  }
  default: return nullptr;
  }
}

int fastest_variant(const efs_module *m) {
  if (m->optimized)
    return EFS_OPTIMIZED;
  return m->can_freeze ? EFS_FROZEN : EFS_SAVED;
}

/* The model's copy of one input. On the CPU in float32 it is the caller's
 * buffer itself. For CUDA the bytes go through page-locked memory (from
 * libtorch's caching host allocator), so the copy to the device is a
 * single asynchronous DMA that the forward pass on the same stream waits
 * for. */
at::Tensor device_input(const efs_module *m, const efs_input &in) {
  at::IntArrayRef shape(in.shape, static_cast<size_t>(in.ndim));
  at::Tensor host = torch::from_blob(const_cast<float *>(in.data), shape,
                                     at::TensorOptions().dtype(at::kFloat));
  if (!m->device.is_cuda())
    return host;
  at::Tensor pinned = at::empty(
      shape, at::TensorOptions().dtype(at::kFloat).pinned_memory(true));
  pinned.copy_(host);
  return pinned.to(m->device, at::kFloat, /*non_blocking=*/true);
}

/* The output as contiguous float32 on the CPU, through page-locked
 * memory when it comes from CUDA. */
at::Tensor host_output(const efs_module *m, const at::Tensor &y) {
  if (!y.is_cuda())
    return y.to(at::kFloat).contiguous();
  at::Tensor pinned = at::empty(
      y.sizes(), at::TensorOptions().dtype(at::kFloat).pinned_memory(true));
  pinned.copy_(y.to(at::kFloat), /*non_blocking=*/true);
  sync(m);
  return pinned;
}

bool shape_ok(const int64_t *shape, int ndim) {
  if (ndim < 0 || ndim > EFS_MAX_DIMS)
    return false;
  for (int i = 0; i < ndim; i++)
    if (shape[i] < 0)
      return false;
  return true;
}

} // namespace

extern "C" {

int efs_module_load(const char *path, const efs_load_options *opt,
                    efs_module **out, char *err, size_t errlen) {
  clear(err, errlen);
  const efs_load_options defaults = {nullptr, 0, 0};
  if (!opt)
    opt = &defaults;
  const char *device = opt->device;
  if (out)
    *out = nullptr;
  if (!out || !path || !*path)
    return fail(err, errlen, EF_EINVAL, "efs_module_load: no model path");

  /* torch::jit::load's own message for a missing file ("open file failed
   * because of errno 2 on fopen: ...") does not say which file. */
  struct stat st;
  if (stat(path, &st) != 0) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR)
      return fail(err, errlen, EF_ENOTFOUND,
                  std::string("model file not found: ") + path);
    return fail(err, errlen, EF_EIO,
                std::string("cannot read model ") + path + ": " +
                    std::strerror(e));
  }
  if (S_ISDIR(st.st_mode))
    return fail(err, errlen, EF_EMODEL,
                std::string("cannot load model ") + path +
                    ": it is a folder, not a TorchScript file");

  std::string dev_text = device && *device ? device : "cpu";
  return guarded(
      err, errlen, std::string("cannot load model ") + path + ": ", [&] {
        c10::Device dev(c10::kCPU);
        try {
          dev = c10::Device(dev_text);
        } catch (const c10::Error &) {
          return fail(err, errlen, EF_EINVAL,
                      "invalid device '" + dev_text +
                          "' (expected cpu, cuda or cuda:N)");
        }
        if (!dev.is_cpu() && !dev.is_cuda())
          return fail(err, errlen, EF_EINVAL,
                      "unsupported device '" + dev_text +
                          "' (expected cpu, cuda or cuda:N)");
        if (dev.is_cuda()) {
          if (!torch::cuda::is_available())
            /* A config choice the machine cannot honour: EF_ECONFIG, so
             * the CLI exits 2 as for any other config error. */
            return fail(err, errlen, EF_ECONFIG,
                        "device '" + dev_text +
                            "' requested but CUDA is not available (this "
                            "libtorch has no CUDA support or no GPU is "
                            "visible); to run on the CPU, pass "
                            "inference_config.device=cpu");
          /* A bare "cuda" would follow libtorch's current device; pin it so
           * the name we report is the device we use. */
          if (!dev.has_index())
            dev = c10::Device(c10::kCUDA, 0);
          size_t count = torch::cuda::device_count();
          if (static_cast<size_t>(dev.index()) >= count)
            return fail(err, errlen, EF_EINVAL,
                        "device '" + dev_text + "' does not exist (" +
                            std::to_string(count) + " CUDA device(s))");
        }

        auto m = std::make_unique<efs_module>();
        try {
          m->saved = torch::jit::load(path, dev);
        } catch (const c10::Error &e) {
          /* A torch.save'd state dict or nn.Module is a zip too; libtorch
           * then only says an entry is missing. Say what the file is. */
          if (std::strstr(e.what_without_backtrace(), "constants.pkl"))
            return fail(err, errlen, EF_EMODEL,
                        std::string("cannot load model ") + path +
                            ": not a TorchScript module (no constants.pkl; "
                            "export it with torch.jit.script or "
                            "torch.jit.trace and save it with .save())");
          throw;
        }
        m->saved.eval();
        m->device = dev;
        m->device_name = dev.str();
        if (opt->optimize)
          optimize_module(m.get(), path);
        if (opt->half) {
          if (dev.is_cuda()) {
            m->half = true;
          } else {
            /* CPU half kernels are missing or slow for most video ops;
             * float32 gives the same features within rounding. */
            ef_log(EF_LOG_WARNING,
                   "float16 ignored on CPU; running %s in "
                   "float32",
                   path);
          }
        }
        *out = m.release();
        return static_cast<int>(EF_OK);
      });
}

int efs_module_forward(efs_module *m, const efs_input *inputs, int n,
                       int as_list, efs_output *out, efs_timing *timing,
                       char *err, size_t errlen) {
  return efs_module_forward_variant(m, m ? fastest_variant(m) : EFS_SAVED,
                                    inputs, n, as_list, out, timing, err,
                                    errlen);
}

int efs_module_forward_variant(efs_module *m, int variant,
                               const efs_input *inputs, int n, int as_list,
                               efs_output *out, efs_timing *timing, char *err,
                               size_t errlen) {
  clear(err, errlen);
  if (timing)
    *timing = efs_timing{0.0, 0.0};
  if (out) {
    out->data = nullptr;
    out->ndim = 0;
  }
  if (!m || !out || !inputs || n < 1)
    return fail(err, errlen, EF_EINVAL,
                "efs_module_forward: no module, inputs or output");
  for (int i = 0; i < n; i++) {
    if (!shape_ok(inputs[i].shape, inputs[i].ndim) || !inputs[i].data)
      return fail(err, errlen, EF_EINVAL,
                  "efs_module_forward: input " + std::to_string(i) +
                      " has no data or a bad shape");
  }

  if (!efs_module_has_variant(m, variant))
    return fail(err, errlen, EF_EINVAL,
                "efs_module_forward_variant: the module has no variant " +
                    std::to_string(variant));

  return guarded(err, errlen, "model forward failed: ", [&] {
    torch::jit::Module *module = variant_module(m, variant);
    if (!module)
      return fail(err, errlen, EF_EINVAL,
                  "efs_module_forward_variant: the module has no variant " +
                      std::to_string(variant));
    int want = requested_threads.load();
    if (want > 0 && at::get_num_threads() != want)
      at::set_num_threads(want);
    c10::InferenceMode inference;

    auto t0 = Clock::now();
    std::vector<at::Tensor> tensors;
    tensors.reserve(static_cast<size_t>(n));
    /* The module must not modify its inputs in place: on the CPU they are
     * the caller's buffers (models traced for inference don't). */
    for (int i = 0; i < n; i++)
      tensors.push_back(device_input(m, inputs[i]));
    sync(m);
    auto t1 = Clock::now();

    std::vector<c10::IValue> args;
    if (as_list) {
      c10::List<at::Tensor> list;
      for (auto &t : tensors)
        list.push_back(t);
      args.emplace_back(std::move(list));
    } else {
      for (auto &t : tensors)
        args.emplace_back(t);
    }
    c10::IValue result;
    {
      autocast_scope autocast(m->half);
      result = module->forward(std::move(args));
    }
    sync(m);
    auto t2 = Clock::now();

    if (!result.isTensor())
      return fail(err, errlen, EF_EMODEL,
                  "model output is not a tensor (got " + result.tagKind() +
                      ")");
    at::Tensor y = host_output(m, result.toTensor());
    if (y.dim() > EFS_MAX_DIMS)
      return fail(err, errlen, EF_EMODEL,
                  "model output has " + std::to_string(y.dim()) +
                      " dimensions (at most " + std::to_string(EFS_MAX_DIMS) +
                      " supported)");
    size_t bytes = static_cast<size_t>(y.numel()) * sizeof(float);
    float *buf = static_cast<float *>(std::malloc(bytes ? bytes : 1));
    if (!buf)
      throw std::bad_alloc();
    if (bytes)
      std::memcpy(buf, y.data_ptr<float>(), bytes);
    auto t3 = Clock::now();

    out->data = buf;
    out->ndim = static_cast<int>(y.dim());
    for (int i = 0; i < out->ndim; i++)
      out->shape[i] = y.size(i);
    if (timing) {
      timing->transfer = seconds(t0, t1) + seconds(t2, t3);
      timing->forward = seconds(t1, t2);
    }
    return static_cast<int>(EF_OK);
  });
}

void efs_module_free(efs_module *m) {
  try {
    delete m;
  } catch (...) {
    /* A destructor that throws leaves nothing we could do from C. */
  }
}

int efs_module_optimized(const efs_module *m) {
  return m && m->optimized;
}

int efs_module_has_variant(const efs_module *m, int variant) {
  if (!m)
    return 0;
  switch (variant) {
  case EFS_SAVED: return 1;
  case EFS_FROZEN: return m->can_freeze;
  case EFS_OPTIMIZED: return m->optimized.has_value();
  default: return 0;
  }
}

const char *efs_module_device(const efs_module *m) {
  return m ? m->device_name.c_str() : "";
}

void efs_set_num_threads(int n) {
  if (n <= 0) {
    unsigned hc = std::thread::hardware_concurrency();
    n = hc > 0 ? static_cast<int>(hc) : 1;
  }
  requested_threads.store(n);
  try {
    at::set_num_threads(n);
  } catch (...) {
  }
  /* libtorch refuses a second call, or any call once its inter-op pool
   * has started; the first request wins. */
  static std::once_flag interop_once;
  std::call_once(interop_once, [n] {
    try {
      at::set_num_interop_threads(n);
    } catch (...) {
    }
  });
}

int efs_get_num_threads(void) {
  try {
    return at::get_num_threads();
  } catch (...) {
    return 1;
  }
}

int efs_pickle_tensor(const float *data, const int64_t *shape, int ndim,
                      void **bytes, size_t *len, char *err, size_t errlen) {
  clear(err, errlen);
  if (bytes)
    *bytes = nullptr;
  if (len)
    *len = 0;
  if (!data || !bytes || !len || !shape_ok(shape, ndim))
    return fail(err, errlen, EF_EINVAL,
                "efs_pickle_tensor: no data or a bad shape");
  return guarded(err, errlen, "cannot serialise tensor: ", [&] {
    /* clone: the tensor must own its storage, not borrow the caller's. */
    at::Tensor t =
        torch::from_blob(const_cast<float *>(data),
                         at::IntArrayRef(shape, static_cast<size_t>(ndim)),
                         at::TensorOptions().dtype(at::kFloat))
            .clone();
    std::vector<char> v = torch::jit::pickle_save(t);
    void *p = std::malloc(v.empty() ? 1 : v.size());
    if (!p)
      throw std::bad_alloc();
    if (!v.empty())
      std::memcpy(p, v.data(), v.size());
    *bytes = p;
    *len = v.size();
    return static_cast<int>(EF_OK);
  });
}

/* ---- Extra files of a TorchScript archive -------------------------------
 * The archive's zip directory is read by libtorch's own reader, without
 * loading the module (a speech model is hundreds of MB). */
int efs_archive_extra_file(const char *path, const char *name, char **bytes,
                           size_t *len, char *err, size_t errlen) {
  clear(err, errlen);
  if (bytes)
    *bytes = nullptr;
  if (len)
    *len = 0;
  if (!path || !*path || !name || !*name || !bytes || !len)
    return fail(err, errlen, EF_EINVAL,
                "efs_archive_extra_file: no path, name or output");
  struct stat st;
  if (stat(path, &st) != 0) {
    int e = errno;
    return fail(err, errlen, e == ENOENT ? EF_ENOTFOUND : EF_EIO,
                std::string("cannot read model ") + path + ": " +
                    std::strerror(e));
  }
  if (!S_ISREG(st.st_mode))
    return fail(err, errlen, EF_EMODEL,
                std::string("cannot read model ") + path +
                    ": not a regular file");
  return guarded(
      err, errlen, std::string("cannot read model ") + path + ": ", [&] {
        caffe2::serialize::PyTorchStreamReader reader(path);
        std::string record = std::string("extra/") + name;
        if (!reader.hasRecord(record))
          return fail(err, errlen, EF_ENOTFOUND,
                      std::string(path) + " has no extra file " + name);
        auto got = reader.getRecord(record);
        size_t size = std::get<1>(got);
        char *buf = static_cast<char *>(std::malloc(size + 1));
        if (!buf)
          throw std::bad_alloc();
        if (size)
          std::memcpy(buf, std::get<0>(got).get(), size);
        buf[size] = '\0';
        *bytes = buf;
        *len = size;
        return static_cast<int>(EF_OK);
      });
}

} // extern "C"
