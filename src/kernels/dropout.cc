#include "kernels/dropout.h"

namespace gradlab::kernels {

template <typename T>
void dropout_mask(T* mask, int64_t n, double rate) {
  const T threshold = static_cast<T>(rate);
  const T scale = static_cast<T>(1.0 / (1.0 - rate));
  for (int64_t i = 0; i < n; ++i) mask[i] = mask[i] >= threshold ? scale : T(0);
}

template void dropout_mask<float>(float*, int64_t, double);
template void dropout_mask<double>(double*, int64_t, double);

}  // namespace gradlab::kernels
