#pragma once
// Scalar definitions of the activation functions and their derivatives, inlined into the loops of
// elementwise.h. Derivatives take whatever the forward result makes cheapest: the output y where it
// determines the slope (relu, sigmoid, tanh, exp), the input x otherwise.
#include <cmath>
#include <type_traits>

#include "kernels/fast_math.h"

namespace gradlab::kernels {

inline constexpr double kSeluAlpha = 1.6732632423543772;
inline constexpr double kSeluScale = 1.0507009873554805;
inline constexpr double kSqrtHalf = 0.70710678118654752440;        // 1 / sqrt(2)
inline constexpr double kInvSqrtTwoPi = 0.39894228040143267794;    // 1 / sqrt(2 pi)
inline constexpr double kSqrtTwoOverPi = 0.79788456080286535588;   // sqrt(2 / pi)
inline constexpr double kGeluCubic = 0.044715;

/// max(x, 0); NaN stays NaN so anomaly detection can see it.
template <typename T>
inline T relu(T x) {
  return x < T(0) ? T(0) : x;
}
/// relu's slope from its output: 1 where y > 0 (so relu'(0) = 0).
template <typename T>
inline T relu_grad(T g, T y) {
  return y > T(0) ? g : T(0);
}

/// 1 / (1 + e^-x); float32 through the vectorizable sigmoid_float (within 1 ulp), double from
/// e^-|x|, which never overflows.
template <typename T>
inline T sigmoid(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return sigmoid_float(x);
  } else {
    const T e = std::exp(-std::abs(x));
    const T r = T(1) / (T(1) + e);
    return x >= T(0) ? r : e * r;
  }
}
template <typename T>
inline T sigmoid_grad(T g, T y) {
  return g * y * (T(1) - y);
}

/// tanh(x), the one definition the fused Dense op and the tanh activation share (so the two agree
/// bit for bit); float32 through the vectorizable tanh_float (within 1 ulp), double std::tanh.
template <typename T>
inline T tanh(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return tanh_float(x);
  } else {
    return std::tanh(x);
  }
}
template <typename T>
inline T tanh_grad(T g, T y) {
  return g * (T(1) - y * y);
}

/// log(1 + e^x) = max(x, 0) + log1p(e^-|x|).
template <typename T>
inline T softplus(T x) {
  return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::abs(x)));
}

template <typename T>
inline T softsign(T x) {
  return x / (T(1) + std::abs(x));
}
template <typename T>
inline T softsign_grad(T g, T x) {
  const T d = T(1) + std::abs(x);
  return g / (d * d);
}

/// relu6(x + 3) / 6.
template <typename T>
inline T hard_sigmoid(T x) {
  const T v = (x + T(3)) / T(6);
  return v < T(0) ? T(0) : (v > T(1) ? T(1) : v);
}
template <typename T>
inline T hard_sigmoid_grad(T g, T x) {
  return x > T(-3) && x < T(3) ? g / T(6) : T(0);
}

template <typename T>
inline T leaky_relu(T x, T slope) {
  return x > T(0) ? x : slope * x;
}
template <typename T>
inline T leaky_relu_grad(T g, T x, T slope) {
  return x > T(0) ? g : slope * g;
}

template <typename T>
inline T elu(T x, T alpha) {
  return x > T(0) ? x : alpha * std::expm1(x);
}
/// For x <= 0, d/dx alpha (e^x - 1) = alpha e^x = y + alpha.
template <typename T>
inline T elu_grad(T g, T x, T y, T alpha) {
  return x > T(0) ? g : g * (y + alpha);
}

/// scale * elu(x, alpha) with the SELU constants.
template <typename T>
inline T selu(T x) {
  return T(kSeluScale) * elu(x, T(kSeluAlpha));
}
/// From the input: scale for x > 0, scale alpha e^x below.
template <typename T>
inline T selu_grad(T g, T x) {
  return T(kSeluScale) * (x > T(0) ? g : g * T(kSeluAlpha) * std::exp(x));
}

/// d/dx log(1 + e^x) = sigmoid(x).
template <typename T>
inline T softplus_grad(T g, T x) {
  return g * sigmoid(x);
}

/// x Phi(x) with Phi the standard normal CDF.
template <typename T>
inline T gelu(T x) {
  return T(0.5) * x * (T(1) + std::erf(x * T(kSqrtHalf)));
}
template <typename T>
inline T gelu_grad(T g, T x) {
  const T cdf = T(0.5) * (T(1) + std::erf(x * T(kSqrtHalf)));
  const T pdf = T(kInvSqrtTwoPi) * std::exp(T(-0.5) * x * x);
  return g * (cdf + x * pdf);
}

/// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
template <typename T>
inline T gelu_tanh(T x) {
  // kernels::tanh: the vectorizable float32 tanh of fast_math.h, as the tanh activation uses.
  const T t = tanh(T(kSqrtTwoOverPi) * (x + T(kGeluCubic) * x * x * x));
  return T(0.5) * x * (T(1) + t);
}
template <typename T>
inline T gelu_tanh_grad(T g, T x) {
  const T t = tanh(T(kSqrtTwoOverPi) * (x + T(kGeluCubic) * x * x * x));
  const T dt = (T(1) - t * t) * T(kSqrtTwoOverPi) * (T(1) + T(3 * kGeluCubic) * x * x);
  return g * (T(0.5) * (T(1) + t) + T(0.5) * x * dt);
}

/// x sigmoid(x).
template <typename T>
inline T swish(T x) {
  return x * sigmoid(x);
}
template <typename T>
inline T swish_grad(T g, T x) {
  const T s = sigmoid(x);
  return g * s * (T(1) + x * (T(1) - s));
}

}  // namespace gradlab::kernels
