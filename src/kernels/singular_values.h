#pragma once
// Singular values of a small dense float64 matrix by one-sided Jacobi (Hestenes 1958), for the
// instruments' spectra (instrument/jacobian_spectrum.cc gives them their meaning).
//
//   std::vector<double> s = singular_values(a.data(), rows, cols);   // descending, min(rows, cols)
//
// The columns of A (of Aᵀ when A is wide) are made orthogonal by plane rotations, each the rotation
// that zeroes one off-diagonal entry of AᵀA: cyclic Jacobi on AᵀA without forming it, so small
// singular values keep their relative accuracy (Demmel & Veselić 1992) where forming AᵀA would lose
// everything below sqrt(machine epsilon) of the largest. The singular values are the final column
// norms.
#include <cstdint>
#include <vector>

namespace gradlab::kernels {

/// The min(rows, cols) singular values of the row-major rows x cols matrix `a`, in descending order.
/// Sweeps until every pair of columns is orthogonal to max(rows, cols) * 2^-52 relative (at most 100
/// sweeps; about ten suffice for the matrices gradlab measures). Columns whose norm falls below
/// max(rows, cols) * 2^-52 of A's Frobenius norm are rounding noise (A is numerically rank-deficient
/// there): they are left alone and their singular values reported as 0. Non-finite entries give NaN values.
std::vector<double> singular_values(const double* a, int64_t rows, int64_t cols);

}  // namespace gradlab::kernels
