/*
 * extract_one.cpp - libego4dfeat from C++17: RAII owners for the C handles
 * (freed on every path, exceptions included), errors turned into
 * exceptions, and the features of one video.
 * Usage: extract_one CONFIG.yaml VIDEO [override ...]
 * Prints the feature shape, the window times and the first values.
 */
#include <ego4dfeat/ego4dfeat.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ef {

// A failed library call: the status code and the library's message.
class error : public std::runtime_error {
public:
  error(int code, const std::string &what)
      : std::runtime_error(std::string(ef_status_name(code)) + ": " + what),
        code_(code) {}
  int code() const {
    return code_;
  }

private:
  int code_;
};

inline void check(int rc) {
  if (rc != EF_OK)
    throw error(rc, ef_last_error());
}

// unique_ptr with the handle's ef_*_free as deleter.
template <typename T, void (*Free)(T *)> struct deleter {
  void operator()(T *p) const {
    Free(p);
  }
};
template <typename T, void (*Free)(T *)>
using handle = std::unique_ptr<T, deleter<T, Free>>;

class config {
public:
  // Loads a YAML file by path (its folder is the config dir).
  explicit config(const std::filesystem::path &yaml) {
    ef_config *c = nullptr;
    std::string dir =
        yaml.has_parent_path() ? yaml.parent_path().string() : ".";
    check(ef_config_load(dir.c_str(), yaml.filename().string().c_str(), &c));
    h_.reset(c);
  }
  config &override_with(const std::string &o) {
    check(ef_config_override(h_.get(), o.c_str()));
    return *this;
  }
  const ef_config *get() const {
    return h_.get();
  }

private:
  handle<ef_config, ef_config_free> h_;
};

class model {
public:
  explicit model(const config &cfg) {
    ef_model *m = nullptr;
    check(ef_model_load(cfg.get(), &m));
    h_.reset(m);
  }
  std::string kind() const {
    return ef_model_kind(h_.get());
  }
  ef_model *get() const {
    return h_.get();
  }

private:
  handle<ef_model, ef_model_free> h_;
};

// Extraction parameters at their defaults, sized for this header.
inline ef_params default_params() {
  ef_params p;
  check(ef_params_init(&p, sizeof p));
  return p;
}

// The features of some videos; a failed video keeps its status.
class results {
public:
  results(model &m, const config &cfg, const std::vector<std::string> &videos,
          const ef_params &params = default_params()) {
    std::vector<const char *> paths;
    for (const auto &v : videos)
      paths.push_back(v.c_str());
    ef_results *r = nullptr;
    int rc = ef_extract_features(m.get(), cfg.get(), paths.data(), paths.size(),
                                 &params, &r);
    if (rc != EF_OK && rc != EF_EPARTIAL)
      throw error(rc, ef_last_error());
    h_.reset(r);
  }
  size_t size() const {
    return ef_results_count(h_.get());
  }
  void check_ok(size_t i) const {
    int rc = ef_results_status(h_.get(), i);
    if (rc != EF_OK)
      throw error(rc, ef_results_error(h_.get(), i));
  }
  std::vector<int64_t> shape(size_t i) const {
    std::vector<int64_t> dims(8);
    int nd = ef_results_shape(h_.get(), i, dims.data(), (int)dims.size());
    dims.resize((size_t)nd);
    if (nd > 8)
      ef_results_shape(h_.get(), i, dims.data(), nd);
    return dims;
  }
  const float *data(size_t i) const {
    return ef_results_data(h_.get(), i);
  }
  double start(size_t i, size_t w) const {
    return ef_results_window_starts(h_.get(), i)[w];
  }
  double end(size_t i, size_t w) const {
    return ef_results_window_ends(h_.get(), i)[w];
  }

private:
  handle<ef_results, ef_results_free> h_;
};

} // namespace ef

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CONFIG.yaml VIDEO [override ...]\n",
                 argv[0]);
    return 2;
  }
  try {
    ef::config cfg(argv[1]);
    for (int i = 3; i < argc; i++)
      cfg.override_with(argv[i]);
    ef::model m(cfg);
    ef::results res(m, cfg, {argv[2]});
    res.check_ok(0);
    std::vector<int64_t> shape = res.shape(0);
    int64_t row = 1;
    std::printf("model kind: %s\nshape:", m.kind().c_str());
    for (size_t d = 0; d < shape.size(); d++) {
      std::printf(" %lld", (long long)shape[d]);
      row *= d > 0 ? shape[d] : 1;
    }
    std::printf("\nwindow 0: %.6f s to %.6f s\nfirst:", res.start(0, 0),
                res.end(0, 0));
    for (int64_t i = 0; i < row && i < 8; i++)
      std::printf(" %.7g", res.data(0)[i]);
    std::printf("\n");
  } catch (const ef::error &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
