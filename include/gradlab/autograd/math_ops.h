#pragma once
/// Differentiable arithmetic: broadcasting element-wise ops, matmul, element-wise functions.
///
///   Tensor y = matmul(x, w) + b;            // [N, in] x [in, out] + [out] broadcasts
///   Tensor z = residual + y;                 // the lesson's residual connection
///   Tensor l = square(y - target);
///
/// Broadcasting follows NumPy/TensorFlow: shapes are aligned at the right; a dimension of 1 (or a
/// missing one) stretches. Each op's backward rule sums the gradient back to the input's shape.
/// Inputs of different dtypes are an Error (use cast()).

#include <vector>

#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// a + b, broadcasting.
Tensor add(const Tensor& a, const Tensor& b);
/// a - b, broadcasting.
Tensor sub(const Tensor& a, const Tensor& b);
/// a * b element-wise, broadcasting.
Tensor mul(const Tensor& a, const Tensor& b);
/// a / b element-wise, broadcasting.
Tensor div(const Tensor& a, const Tensor& b);
/// x + c, x * c for a constant c.
Tensor add(const Tensor& x, double c);
Tensor mul(const Tensor& x, double c);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& x, double c);
Tensor operator+(double c, const Tensor& x);
Tensor operator-(const Tensor& x, double c);
Tensor operator-(double c, const Tensor& x);
Tensor operator*(const Tensor& x, double c);
Tensor operator*(double c, const Tensor& x);
Tensor operator/(const Tensor& x, double c);
Tensor operator-(const Tensor& x);

/// -x.
Tensor neg(const Tensor& x);
/// e^x.
Tensor exp(const Tensor& x);
/// Natural logarithm.
Tensor log(const Tensor& x);
/// Square root. Its gradient at 0 is infinite, as in TensorFlow.
Tensor sqrt(const Tensor& x);
/// x^2.
Tensor square(const Tensor& x);
/// |x|; gradient sign(x) (0 at 0).
Tensor abs(const Tensor& x);
/// x^exponent for a constant exponent.
Tensor pow(const Tensor& x, double exponent);

/// Matrix product of rank-2 tensors, op(a) [m, k] x op(b) [k, n] -> [m, n], where op transposes
/// when asked (tf.linalg.matmul's transpose_a / transpose_b). Runs on CBLAS.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);

/// A copy converted to `dtype`; the gradient is converted back.
Tensor cast(const Tensor& x, DType dtype);
/// x itself for the forward pass; no gradient flows through it (tf.stop_gradient).
Tensor stop_gradient(const Tensor& x);

}  // namespace gradlab
