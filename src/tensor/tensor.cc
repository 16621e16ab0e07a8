#include "gradlab/tensor/tensor.h"

#include <array>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include <fmt/format.h>
#include <sanitizer/asan_interface.h>

#include "tensor/tensor_impl.h"

namespace gradlab {
namespace {

std::atomic<uint64_t> next_tensor_id{1};

int64_t checked_numel(const Shape& shape) {
  // Multiply with an overflow check: a hostile shape must not wrap around to a small allocation.
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d != 0 && n > kMaxTensorElements / d) {
      fail("tensor of shape {} is too large to allocate (limit {} elements)", shape.to_string(),
           kMaxTensorElements);
    }
    n *= d;
  }
  if (n > kMaxTensorElements) {
    fail("tensor of shape {} is too large to allocate (limit {} elements)", shape.to_string(),
         kMaxTensorElements);
  }
  return n;
}

template <typename T>
void convert(const void* src, DType src_dtype, T* dst, int64_t n) {
  if (src_dtype == DType::float32) {
    const float* s = static_cast<const float*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(s[i]);
  } else {
    const double* s = static_cast<const double*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(s[i]);
  }
}

}  // namespace

namespace {

// Tensor buffers are recycled per thread: a training step or a probe allocates the same few sizes
// over and over, and buffers above glibc's tcache limit (about 1 KiB) take malloc's slow paths.
// Requests round up to a power of two from 64 B (class 0) to 256 MiB; larger ones bypass the cache.
// Large buffers (above 1 MiB) are recycled too: glibc maps each from the kernel and unmaps it when
// freed (or trims its heap at the end of a step), so every step would fault in and clear fresh pages
// again; on a CNN training step with 6 MiB activations (bench/conv_step.cc) that cost about 20% of
// the step. Only the pages a tensor writes become resident, so rounding a large request up costs
// address space, not memory. A buffer freed on another thread than the one that allocated it simply
// joins the freeing thread's cache: all buffers come from the same heap. The cache is bounded per
// class and per tier in bytes (small: 8 MiB, large: 256 MiB), and frees what it holds when its thread
// exits.
constexpr int kSmallClassCount = 15;  // 64 B .. 1 MiB
constexpr int kClassCount = 23;       // .. 256 MiB
constexpr std::size_t kMaxPerClass = 32;
constexpr std::array<std::size_t, 2> kMaxCachedBytes = {std::size_t{8} << 20, std::size_t{256} << 20};

std::size_t class_bytes(int size_class) { return std::size_t{64} << size_class; }

int tier_of(int size_class) { return size_class < kSmallClassCount ? 0 : 1; }

int size_class_of(std::size_t bytes) {
  return bytes <= 64 ? 0 : static_cast<int>(std::bit_width(bytes - 1)) - 6;
}

class BufferCache {
 public:
  ~BufferCache();
  void* take(int size_class);
  bool give(void* p, int size_class);

 private:
  std::array<std::array<void*, kMaxPerClass>, kClassCount> free_{};
  std::array<std::size_t, kClassCount> count_{};
  std::array<std::size_t, 2> bytes_{};  // held per tier
};

// Set when this thread's cache has been destroyed (thread exit): tensors released later, by other
// thread-local or static destructors, go straight back to the heap.
thread_local bool cache_destroyed = false;

BufferCache& buffer_cache() {
  thread_local BufferCache cache;
  return cache;
}

BufferCache::~BufferCache() {
  cache_destroyed = true;
  for (int c = 0; c < kClassCount; ++c) {
    for (std::size_t i = 0; i < count_[c]; ++i) {
      ASAN_UNPOISON_MEMORY_REGION(free_[c][i], class_bytes(c));
      std::free(free_[c][i]);
    }
  }
}

void* BufferCache::take(int size_class) {
  if (count_[size_class] == 0) return nullptr;
  void* p = free_[size_class][--count_[size_class]];
  bytes_[tier_of(size_class)] -= class_bytes(size_class);
  ASAN_UNPOISON_MEMORY_REGION(p, class_bytes(size_class));
  return p;
}

bool BufferCache::give(void* p, int size_class) {
  const int tier = tier_of(size_class);
  if (count_[size_class] == kMaxPerClass || bytes_[tier] + class_bytes(size_class) > kMaxCachedBytes[tier]) return false;
  free_[size_class][count_[size_class]++] = p;
  bytes_[tier] += class_bytes(size_class);
  // Under AddressSanitizer a cached buffer stays poisoned, so a use after free is still reported.
  ASAN_POISON_MEMORY_REGION(p, class_bytes(size_class));
  return true;
}

}  // namespace

Storage::Storage(std::size_t bytes) : bytes_(bytes) {
  const int size_class = size_class_of(bytes);
  if (size_class < kClassCount) {
    if (!cache_destroyed) data_ = buffer_cache().take(size_class);
    if (data_ == nullptr) data_ = std::aligned_alloc(64, class_bytes(size_class));
  } else {
    // aligned_alloc needs a size that is a multiple of the alignment.
    data_ = std::aligned_alloc(64, ((bytes + 63) / 64) * 64);
  }
  if (data_ == nullptr) fail("out of memory allocating {} bytes for a tensor", bytes);
}

Storage::~Storage() {
  const int size_class = size_class_of(bytes_);
  if (size_class < kClassCount && !cache_destroyed && buffer_cache().give(data_, size_class)) return;
  std::free(data_);
}

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  const int64_t n = checked_numel(shape);
  auto impl = std::make_shared<Impl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->storage.emplace(static_cast<std::size_t>(n) * dtype_size(dtype));
  impl->data = impl->storage->data();
  impl->id = next_tensor_id.fetch_add(1, std::memory_order_relaxed);
  return Tensor(std::move(impl));
}

Tensor Tensor::wrap(void* data, const Shape& shape, DType dtype, std::shared_ptr<const void> owner) {
  checked_numel(shape);
  if (data == nullptr && shape.numel() > 0) fail("Tensor::wrap: null data for a tensor of shape {}", shape.to_string());
  if (reinterpret_cast<std::uintptr_t>(data) % dtype_size(dtype) != 0) {
    fail("Tensor::wrap: {} data at {} is not aligned to {} bytes", dtype_name(dtype), data, dtype_size(dtype));
  }
  auto impl = std::make_shared<Impl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->data = data;
  impl->owner = std::move(owner);
  impl->id = next_tensor_id.fetch_add(1, std::memory_order_relaxed);
  return Tensor(std::move(impl));
}

const Tensor::Impl& Tensor::impl() const {
  if (!impl_) fail("use of an undefined tensor (for example a gradient of an unconnected source)");
  return *impl_;
}

const Shape& Tensor::shape() const { return impl().shape; }
DType Tensor::dtype() const { return impl().dtype; }
void* Tensor::raw_data() const { return impl().data; }

bool Tensor::owns_storage_exclusively() const {
  // A view holds its base, so the base's count includes every view of it.
  return impl_ && impl_.use_count() == 1 && !impl_->owner &&
         (!impl_->base || (impl_->base.use_count() == 1 && !impl_->base->owner));
}
uint64_t Tensor::id() const { return impl().id; }
bool Tensor::is_trainable_variable() const { return impl_ && impl_->trainable_variable; }
void Tensor::set_trainable_variable(bool trainable) const { impl().trainable_variable = trainable; }

template <typename T>
T* Tensor::data() {
  if (dtype() != dtype_of<T>) {
    fail("tensor {} accessed as {}", description(), dtype_name(dtype_of<T>));
  }
  return static_cast<T*>(raw_data());
}

template <typename T>
const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}

template float* Tensor::data<float>();
template double* Tensor::data<double>();
template const float* Tensor::data<float>() const;
template const double* Tensor::data<double>() const;

double Tensor::at(std::initializer_list<int64_t> index) const {
  const Shape& s = shape();
  if (static_cast<int64_t>(index.size()) != s.rank()) {
    fail("tensor {}: index has {} coordinates, expected {}", description(), index.size(), s.rank());
  }
  int64_t flat = 0, axis = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= s[axis]) fail("tensor {}: index {} out of range on axis {}", description(), i, axis);
    flat = flat * s[axis] + i;
    ++axis;
  }
  return dtype() == DType::float32 ? static_cast<const float*>(raw_data())[flat]
                                   : static_cast<const double*>(raw_data())[flat];
}

double Tensor::item() const {
  if (numel() != 1) fail("item() needs a tensor with one element, got {}", description());
  return dtype() == DType::float32 ? *static_cast<const float*>(raw_data())
                                   : *static_cast<const double*>(raw_data());
}

std::vector<double> Tensor::to_vector() const {
  std::vector<double> out(static_cast<std::size_t>(numel()));
  convert(raw_data(), dtype(), out.data(), numel());
  return out;
}

Tensor Tensor::clone() const { return to(dtype()); }

Tensor Tensor::to(DType target) const {
  Tensor out = empty(shape(), target);
  if (target == dtype()) {
    std::memcpy(out.raw_data(), raw_data(), static_cast<std::size_t>(numel()) * dtype_size(target));
  } else {
    dispatch(target, [&](auto tag) {
      using T = decltype(tag);
      convert(raw_data(), dtype(), static_cast<T*>(out.raw_data()), numel());
    });
  }
  return out;
}

Tensor Tensor::view(const Shape& new_shape) const {
  if (new_shape.numel() != numel()) {
    fail("cannot view tensor {} as shape {}: element counts differ", description(), new_shape.to_string());
  }
  auto impl = std::make_shared<Impl>();
  impl->shape = new_shape;
  impl->dtype = dtype();
  impl->data = impl_->data;
  impl->base = impl_->base ? impl_->base : impl_;
  impl->id = next_tensor_id.fetch_add(1, std::memory_order_relaxed);
  return Tensor(std::move(impl));
}

void Tensor::copy_from(const Tensor& source) {
  check_same_shape(*this, source, "copy_from");
  check_same_dtype(*this, source, "copy_from");
  if (source.raw_data() != raw_data()) {
    std::memcpy(raw_data(), source.raw_data(), static_cast<std::size_t>(numel()) * dtype_size(dtype()));
  }
}

void Tensor::fill(double value) {
  dispatch(dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = data<T>();
    for (int64_t i = 0, n = numel(); i < n; ++i) p[i] = static_cast<T>(value);
  });
}

std::string Tensor::description() const {
  if (!impl_) return "<undefined>";
  return fmt::format("{}{}", dtype_name(dtype()), shape().to_string());
}

std::string Tensor::to_string(int64_t max_elements) const {
  if (!impl_) return "<undefined>";
  std::string s = description() + " {";
  const std::vector<double> v = to_vector();
  for (int64_t i = 0; i < numel() && i < max_elements; ++i) s += fmt::format("{}{:.6g}", i ? ", " : "", v[i]);
  if (numel() > max_elements) s += ", ...";
  return s + "}";
}

void check_same_shape(const Tensor& a, const Tensor& b, const std::string& what) {
  if (a.shape() != b.shape()) {
    fail("{}: shapes differ: {} vs {}", what, a.shape().to_string(), b.shape().to_string());
  }
}

void check_same_dtype(const Tensor& a, const Tensor& b, const std::string& what) {
  if (a.dtype() != b.dtype()) {
    fail("{}: dtypes differ: {} vs {}", what, dtype_name(a.dtype()), dtype_name(b.dtype()));
  }
}

}  // namespace gradlab
