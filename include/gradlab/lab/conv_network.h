#pragma once
/// ConvNetwork: the inline convolutional network of `gradlab probe --conv` and `gradlab sweep --conv`,
/// written as a model spec, so that it runs, probes and sweeps exactly as a spec CNN does.
///
///   ConvNetworkOptions o{.depth = 20, .filters = 32, .skip = SkipConnection::identity,
///                        .normalization = SkipNormalization::group};
///   ModelSpec spec = conv_network_spec(o);     // input [28, 28, 1] -> 20 blocks -> GAP -> Dense(10)
///
/// Block k (k = 1..depth) is Conv2D(filters, kernel_size x kernel_size, padding "same") named
/// "conv<k>", with the activation inside it, or, with a normalization, a linear Conv2D, the
/// normalization "norm<k>" and Activation "act<k>" (SkipNetwork's order: the affine map, the
/// normalization, the non-linearity). The blocks are wired as a SkipNetwork's layers (skip_network.h):
///
///   none:      l_k = block_k(l_{k-1})
///   residual:  l_k = block_k(l_{k-1} + l_{k-2}) for k >= 3 (the lesson's sum-skip)
///   identity:  l_k = l_{k-1} + block_k(l_{k-1}) for k >= 2: a true identity shortcut x + F(x)
///              (He et al. 2016, "Identity Mappings in Deep Residual Networks")
///   concat:    l_k = block_k(concat[l_{k-1}, l_{k-2}, l_{k-3}] along the channels)
///
/// l_0, the image, is never added (its channels need not match the filters). "same" padding and
/// stride 1 keep every block's output [N, H, W, filters], so the sums are defined. After the last
/// block, GlobalAveragePooling2D "gap" and Dense(classes) "logits" (linear) make a classifier head.
///
/// Normalizations on the [N, H, W, filters] images: batch (BatchNormalization, Keras's defaults),
/// layer (LayerNormalization over axes [1, 2, 3]: all of a layer's hidden units, as Ba et al. 2016
/// define it and Wu & He 2018, Figure 2, draw it for images; Keras's default axis -1 would normalize
/// each position's channels alone), group (GroupNormalization with `groups` groups, by default
/// group_normalization_groups(filters), statistics over H, W and each group's channels) and instance (InstanceNormalization, over
/// H and W per example and channel; Ulyanov et al. 2016).

#include <array>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "gradlab/io/model_spec.h"
#include "gradlab/lab/skip_network.h"

namespace gradlab {

/// Options of the inline convolutional network.
struct ConvNetworkOptions {
  /// Convolution blocks, at least 1.
  int depth = 4;
  /// Filters of every convolution.
  int64_t filters = 32;
  /// Height and width of every (square) kernel; odd sizes keep "same" padding symmetric.
  int64_t kernel_size = 3;
  /// The input image (height, width, channels) without the batch; Fashion-MNIST's by default.
  std::array<int64_t, 3> image{28, 28, 1};
  /// Activation of every block (a name get_activation() accepts).
  std::string activation = "relu";
  /// Kernel initializer of every convolution (and of the head); Keras's default.
  std::string kernel_initializer = "glorot_uniform";
  SkipConnection skip = SkipConnection::none;
  SkipNormalization normalization = SkipNormalization::none;
  /// Groups of group normalization; 0: group_normalization_groups(filters). Must divide filters.
  int64_t groups = 0;
  /// Units of the Dense head (Fashion-MNIST's ten classes).
  int64_t classes = 10;
};

/// The spec's name: "conv20_identity_group" for depth 20, SkipConnection::identity and group
/// normalization (the axes a sweep of several networks varies, so each network's ids differ).
std::string conv_network_name(const ConvNetworkOptions& options);

/// The network as a spec object ({"name", "inputs": {"image": [H, W, C]}, "layers", "outputs"}), the
/// form a spec file takes. Throws Error for a depth, filters, kernel size, image size or class count
/// below 1, or groups that do not divide the filters.
nlohmann::ordered_json conv_network_json(const ConvNetworkOptions& options);

/// conv_network_json parsed as a spec (source "inline --conv network").
ModelSpec conv_network_spec(const ConvNetworkOptions& options);

/// "20 x Conv2D(32, 3x3, relu) on 28x28x1, glorot_uniform, identity skip, norm group".
std::string conv_network_label(const ConvNetworkOptions& options);

}  // namespace gradlab
