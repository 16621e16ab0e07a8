#include "kernels/convolution_onednn.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "gradlab/error.h"
#include "kernels/blas.h"
#include "kernels/onednn.h"
#include "kernels/parallel.h"

namespace gradlab::kernels {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

// A chunk of fewer multiply-adds than this would spend a noticeable share of its time in the call
// itself (the lesson-sized products of kernels/blas.cc use the same bound).
constexpr int64_t kChunkMultiplyAdds = int64_t{1} << 22;
// At most this many chunks, so that the kernel gradient's partial sums stay few (16 kernels' worth
// of memory) and every chunk still has work for one thread of a small machine.
constexpr int64_t kMaxChunks = 16;
// Distinct convolution shapes kept; a program cycling through more rebuilds them.
constexpr std::size_t kMaxPlans = 256;

enum class Pass { forward, input_gradient, kernel_gradient };

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// oneDNN wants the padding after each axis too; "valid" windows that leave input over at the end
// have none (TensorFlow drops that input), and oneDNN's output formula rounds the same way.
int64_t pad_after(int64_t input, int64_t window, int64_t stride, int64_t dilation, int64_t before,
                  int64_t outputs) {
  return std::max<int64_t>(0, (outputs - 1) * stride + (window - 1) * dilation + 1 - input - before);
}

// The kernel (KH, KW, Cg, filters) as oneDNN's logical weights: [OC, IC, KH, KW], or
// [G, OC / G, IC / G, KH, KW] with groups, filter f = g * (OC / G) + o.
memory::desc user_weights(const ConvShape& s) {
  const ImageWindows& w = s.windows;
  const int64_t cg = s.group_channels(), f = s.filters, fg = s.group_filters();
  if (s.groups == 1) {
    return memory::desc({f, cg, w.window_h, w.window_w}, memory::data_type::f32,
                        memory::dims{1, f, w.window_w * cg * f, cg * f});
  }
  return memory::desc({s.groups, fg, cg, w.window_h, w.window_w}, memory::data_type::f32,
                      memory::dims{fg, 1, f, w.window_w * cg * f, cg * f});
}

memory::desc any_weights(const ConvShape& s) {
  const ImageWindows& w = s.windows;
  if (s.groups == 1)
    return memory::desc({s.filters, s.group_channels(), w.window_h, w.window_w}, memory::data_type::f32,
                        Tag::any);
  return memory::desc({s.groups, s.group_filters(), s.group_channels(), w.window_h, w.window_w},
                      memory::data_type::f32, Tag::any);
}

memory::desc images(const ConvShape& s, int64_t n) {
  const ImageWindows& w = s.windows;
  return memory::desc({n, w.channels, w.height, w.width}, memory::data_type::f32, Tag::nhwc);
}

memory::desc outputs(const ConvShape& s, int64_t n) {
  const ImageWindows& w = s.windows;
  return memory::desc({n, s.filters, w.out_h, w.out_w}, memory::data_type::f32, Tag::nhwc);
}

// One pass of one convolution shape: the primitive for a full chunk and, when the batch does not
// divide evenly, one for the last chunk, both with the same weights layout.
struct Plan {
  int64_t chunk = 0, chunks = 0, rest = 0;  // images per chunk, number of chunks, images in the last
  dnnl::primitive full, last;
  memory::desc weights;  // the primitives' (diff) weights layout
  memory::desc full_images, full_outputs, last_images, last_outputs, bias;
  std::size_t scratch_bytes = 0;
  dnnl::reorder to_primitive, to_user;  // kernel <-> the primitives' layout
};

struct Geometry {
  memory::dims strides, dilates, before, after;
};

Geometry geometry(const ConvShape& s) {
  const ImageWindows& w = s.windows;
  return {{w.stride_h, w.stride_w},
          {w.dilation_h - 1, w.dilation_w - 1},
          {w.pad_top, w.pad_left},
          {pad_after(w.height, w.window_h, w.stride_h, w.dilation_h, w.pad_top, w.out_h),
           pad_after(w.width, w.window_w, w.stride_w, w.dilation_w, w.pad_left, w.out_w)}};
}

// Builds the primitive descriptor of `pass` for n images, with the weights layout `weights` (or
// oneDNN's choice when it is `any`).
template <typename Call>
auto with_descriptors(const ConvShape& s, int64_t n, bool has_bias, const memory::desc& weights, Call call) {
  const Geometry g = geometry(s);
  const memory::desc src = images(s, n), dst = outputs(s, n);
  const memory::desc bias =
      has_bias ? memory::desc({s.filters}, memory::data_type::f32, Tag::x) : memory::desc();
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const dnnl::convolution_forward::primitive_desc forward(
      dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                      src, weights, bias, dst, g.strides, g.dilates, g.before, g.after),
      attr, onednn_engine());
  return call(g, src, dst, bias, attr, forward);
}

dnnl::primitive_desc pass_descriptor(Pass pass, const ConvShape& s, int64_t n, bool has_bias,
                                     const memory::desc& weights) {
  return with_descriptors(
      s, n, has_bias, weights,
      [&](const Geometry& g, const memory::desc& src, const memory::desc& dst, const memory::desc& bias,
          const dnnl::primitive_attr& attr,
          const dnnl::convolution_forward::primitive_desc& forward) -> dnnl::primitive_desc {
        if (pass == Pass::forward) return forward;
        if (pass == Pass::input_gradient) {
          return dnnl::convolution_backward_data::primitive_desc(
              dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, src, weights, dst,
                                                    g.strides, g.dilates, g.before, g.after),
              attr, onednn_engine(), forward);
        }
        return dnnl::convolution_backward_weights::primitive_desc(
            dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, src, weights, bias,
                                                     dst, g.strides, g.dilates, g.before, g.after),
            attr, onednn_engine(), forward);
      });
}

memory::desc chosen_weights(Pass pass, const dnnl::primitive_desc& pd) {
  return pass == Pass::kernel_gradient ? pd.query_md(dnnl::query::diff_weights_md)
                                       : pd.query_md(dnnl::query::weights_md);
}

std::shared_ptr<const Plan> make_plan(Pass pass, const ConvShape& s, bool has_bias) {
  auto plan = std::make_shared<Plan>();
  const int64_t n = s.windows.batch;
  plan->chunk = conv_chunk_images(s);
  plan->chunks = ceil_div(n, plan->chunk);
  plan->rest = n - (plan->chunks - 1) * plan->chunk;
  const dnnl::primitive_desc full = pass_descriptor(pass, s, plan->chunk, has_bias, any_weights(s));
  plan->weights = chosen_weights(pass, full);
  plan->full = dnnl::primitive(full);
  plan->scratch_bytes = full.scratchpad_desc().get_size();
  plan->full_images = images(s, plan->chunk);
  plan->full_outputs = outputs(s, plan->chunk);
  plan->last_images = images(s, plan->rest);
  plan->last_outputs = outputs(s, plan->rest);
  if (has_bias) plan->bias = memory::desc({s.filters}, memory::data_type::f32, Tag::x);
  if (plan->rest != plan->chunk) {
    const dnnl::primitive_desc last = pass_descriptor(pass, s, plan->rest, has_bias, plan->weights);
    if (chosen_weights(pass, last) != plan->weights)
      fail("conv2d: oneDNN chose another weights layout for the last chunk");
    plan->last = dnnl::primitive(last);
    plan->scratch_bytes = std::max(plan->scratch_bytes, last.scratchpad_desc().get_size());
  }
  const memory::desc user = user_weights(s);
  if (pass == Pass::kernel_gradient) {
    plan->to_user =
        dnnl::reorder(dnnl::reorder::primitive_desc(onednn_engine(), plan->weights, onednn_engine(), user));
  } else {
    plan->to_primitive =
        dnnl::reorder(dnnl::reorder::primitive_desc(onednn_engine(), user, onednn_engine(), plan->weights));
  }
  return plan;
}

using PlanKey = std::array<int64_t, 18>;

// Plans are shared by every thread (oneDNN's primitives may run concurrently; each call brings its own
// scratchpad) and built once per shape, under a lock, by the thread that asks first.
std::shared_ptr<const Plan> plan_for(Pass pass, const ConvShape& s, bool has_bias) {
  const ImageWindows& w = s.windows;
  const PlanKey key{static_cast<int64_t>(pass),
                    has_bias ? 1 : 0,
                    w.batch,
                    w.height,
                    w.width,
                    w.channels,
                    w.window_h,
                    w.window_w,
                    w.stride_h,
                    w.stride_w,
                    w.dilation_h,
                    w.dilation_w,
                    w.pad_top,
                    w.pad_left,
                    w.out_h,
                    w.out_w,
                    s.filters,
                    s.groups};
  static std::mutex mutex;
  static std::map<PlanKey, std::shared_ptr<const Plan>> plans;
  std::lock_guard lock(mutex);
  auto found = plans.find(key);
  if (found != plans.end()) return found->second;
  if (plans.size() >= kMaxPlans) plans.clear();
  try {
    return plans.emplace(key, make_plan(pass, s, has_bias)).first->second;
  } catch (const dnnl::error& e) {
    fail(
        "conv2d: oneDNN could not build a convolution for input [{}, {}, {}, {}], kernel {} x {}, {} "
        "filters, {} groups: {}",
        w.batch, w.height, w.width, w.channels, w.window_h, w.window_w, s.filters, s.groups, e.what());
  }
}

// A byte buffer aligned for oneDNN (64 bytes), grown but never shrunk: one per thread for scratchpads,
// and per call site on the calling thread for weights in the primitives' layout.
class Scratch {
 public:
  void* get(std::size_t bytes) {
    if (bytes > size_) {
      data_.reset(static_cast<std::byte*>(std::aligned_alloc(64, round_up(bytes))));
      if (!data_) fail("conv2d: out of memory for {} bytes of scratch", bytes);
      size_ = round_up(bytes);
    }
    return data_.get();
  }

 private:
  static std::size_t round_up(std::size_t bytes) { return (std::max<std::size_t>(bytes, 64) + 63) / 64 * 64; }
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::unique_ptr<std::byte, Free> data_;
  std::size_t size_ = 0;
};

void* thread_scratchpad(std::size_t bytes) {
  thread_local Scratch scratch;
  return scratch.get(bytes);
}

// Runs chunk(index, images, primitive, image_desc, output_desc, args) for every chunk on the pool,
// each chunk one single-threaded primitive call; reports a oneDNN failure on the calling thread.
template <typename Chunk>
void run_chunks(const Plan& plan, const char* what, Chunk chunk) {
  std::atomic<bool> failed{false};
  const auto task = [&](int64_t index) {
    try {
      onednn_on_this_thread_only();
      const bool last = index + 1 == plan.chunks;
      const bool other = last && plan.rest != plan.chunk;
      std::unordered_map<int, memory> args;
      if (plan.scratch_bytes > 0) {
        args.emplace(DNNL_ARG_SCRATCHPAD, memory(memory::desc({static_cast<int64_t>(plan.scratch_bytes)},
                                                              memory::data_type::u8, Tag::x),
                                                 onednn_engine(), thread_scratchpad(plan.scratch_bytes)));
      }
      chunk(index, other ? plan.last_images : plan.full_images, other ? plan.last_outputs : plan.full_outputs,
            args);
      (other ? plan.last : plan.full).execute(onednn_stream(), args);
      onednn_stream().wait();
    } catch (const dnnl::error&) {
      failed.store(true, std::memory_order_relaxed);
    }
  };
  if (plan.chunks == 1) {
    task(0);
  } else {
    parallel_for(plan.chunks, blas_threads(), task);
  }
  if (failed.load()) fail("conv2d: oneDNN's {} failed", what);
}

memory wrap(const memory::desc& desc, const void* data) {
  return memory(desc, onednn_engine(), const_cast<void*>(data));
}

// The kernel in the primitives' layout, in a buffer of the calling thread.
const void* primitive_weights(const Plan& plan, const ConvShape& s, const float* kernel) {
  thread_local Scratch buffer;
  void* out = buffer.get(plan.weights.get_size());
  onednn_on_this_thread_only();
  memory from = wrap(user_weights(s), kernel), to = wrap(plan.weights, out);
  plan.to_primitive.execute(onednn_stream(), from, to);
  onednn_stream().wait();
  return out;
}

}  // namespace

int64_t conv_chunk_images(const ConvShape& shape) {
  const ImageWindows& w = shape.windows;
  const int64_t per_image =
      std::max<int64_t>(1, w.out_h * w.out_w * shape.patch_size() * shape.group_filters() * shape.groups);
  const int64_t images = std::max(ceil_div(w.batch, kMaxChunks), ceil_div(kChunkMultiplyAdds, per_image));
  return std::clamp<int64_t>(images, 1, std::max<int64_t>(w.batch, 1));
}

void onednn_conv2d_forward(const float* x, const float* kernel, const float* bias, const ConvShape& shape,
                           float* y) {
  if (shape.windows.batch == 0) return;
  const std::shared_ptr<const Plan> plan = plan_for(Pass::forward, shape, bias != nullptr);
  const void* weights = primitive_weights(*plan, shape, kernel);
  const ImageWindows& w = shape.windows;
  run_chunks(*plan, "convolution",
             [&](int64_t i, const memory::desc& in, const memory::desc& out, auto& args) {
               const int64_t n0 = i * plan->chunk;
               args.emplace(DNNL_ARG_SRC, wrap(in, x + n0 * w.height * w.width * w.channels));
               args.emplace(DNNL_ARG_WEIGHTS, wrap(plan->weights, weights));
               if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, wrap(plan->bias, bias));
               args.emplace(DNNL_ARG_DST, wrap(out, y + n0 * w.out_h * w.out_w * shape.filters));
             });
}

void onednn_conv2d_input_gradient(const float* dy, const float* kernel, const ConvShape& shape, float* dx) {
  if (shape.windows.batch == 0) return;
  const std::shared_ptr<const Plan> plan = plan_for(Pass::input_gradient, shape, false);
  const void* weights = primitive_weights(*plan, shape, kernel);
  const ImageWindows& w = shape.windows;
  run_chunks(*plan, "convolution input gradient",
             [&](int64_t i, const memory::desc& in, const memory::desc& out, auto& args) {
               const int64_t n0 = i * plan->chunk;
               args.emplace(DNNL_ARG_DIFF_SRC, wrap(in, dx + n0 * w.height * w.width * w.channels));
               args.emplace(DNNL_ARG_WEIGHTS, wrap(plan->weights, weights));
               args.emplace(DNNL_ARG_DIFF_DST, wrap(out, dy + n0 * w.out_h * w.out_w * shape.filters));
             });
}

void onednn_conv2d_kernel_gradient(const float* x, const float* dy, const ConvShape& shape, float* dkernel,
                                   float* dbias) {
  const ImageWindows& w = shape.windows;
  const int64_t kernel_size = w.window_h * w.window_w * shape.group_channels() * shape.filters;
  if (w.batch == 0) {
    std::fill(dkernel, dkernel + kernel_size, 0.0f);
    if (dbias != nullptr) std::fill(dbias, dbias + shape.filters, 0.0f);
    return;
  }
  const std::shared_ptr<const Plan> plan = plan_for(Pass::kernel_gradient, shape, dbias != nullptr);
  // One partial gradient per chunk, summed below in chunk order whichever thread computed each.
  const std::size_t weights_floats = plan->weights.get_size() / sizeof(float);
  const auto partials = static_cast<std::size_t>(plan->chunks);
  thread_local Scratch buffer;
  auto* sums = static_cast<float*>(
      buffer.get((weights_floats + static_cast<std::size_t>(shape.filters)) * partials * sizeof(float)));
  float* bias_sums = sums + weights_floats * partials;
  run_chunks(*plan, "convolution kernel gradient",
             [&](int64_t i, const memory::desc& in, const memory::desc& out, auto& args) {
               const int64_t n0 = i * plan->chunk;
               const auto at = static_cast<std::size_t>(i);
               args.emplace(DNNL_ARG_SRC, wrap(in, x + n0 * w.height * w.width * w.channels));
               args.emplace(DNNL_ARG_DIFF_DST, wrap(out, dy + n0 * w.out_h * w.out_w * shape.filters));
               args.emplace(DNNL_ARG_DIFF_WEIGHTS, wrap(plan->weights, sums + at * weights_floats));
               if (dbias != nullptr) {
                 args.emplace(DNNL_ARG_DIFF_BIAS,
                              wrap(plan->bias, bias_sums + at * static_cast<std::size_t>(shape.filters)));
               }
             });
  for (std::size_t p = 1; p < partials; ++p) {
    const float* part = sums + p * weights_floats;
    for (std::size_t e = 0; e < weights_floats; ++e) sums[e] += part[e];
  }
  onednn_on_this_thread_only();
  memory from = wrap(plan->weights, sums), to = wrap(user_weights(shape), dkernel);
  plan->to_user.execute(onednn_stream(), from, to);
  onednn_stream().wait();
  if (dbias == nullptr) return;
  const auto filters = static_cast<std::size_t>(shape.filters);
  std::copy(bias_sums, bias_sums + filters, dbias);
  for (std::size_t p = 1; p < partials; ++p) {
    for (std::size_t f = 0; f < filters; ++f) dbias[f] += bias_sums[p * filters + f];
  }
}

}  // namespace gradlab::kernels
