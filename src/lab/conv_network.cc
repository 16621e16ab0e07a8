#include "gradlab/lab/conv_network.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "gradlab/error.h"

namespace gradlab {
namespace {

using Json = nlohmann::ordered_json;

// The normalization layer of a block on `filters` channels, in spec form.
Json normalization_layer(SkipNormalization normalization, int64_t filters, int64_t groups, const std::string& name) {
  switch (normalization) {
    case SkipNormalization::batch: return {{"name", name}, {"type", "batch_normalization"}};
    case SkipNormalization::layer: return {{"name", name}, {"type", "layer_normalization"}, {"axis", {1, 2, 3}}};
    case SkipNormalization::group:
      return {{"name", name}, {"type", "group_normalization"}, {"groups", groups > 0 ? groups : group_normalization_groups(filters)}};
    case SkipNormalization::instance: return {{"name", name}, {"type", "instance_normalization"}};
    case SkipNormalization::none: break;
  }
  fail("conv network: no normalization layer for 'none'");
}

}  // namespace

std::string conv_network_name(const ConvNetworkOptions& o) {
  return fmt::format("conv{}_{}_{}", o.depth, skip_connection_name(o.skip), skip_normalization_name(o.normalization));
}

Json conv_network_json(const ConvNetworkOptions& o) {
  if (o.depth < 1) fail("conv network: depth must be at least 1, got {}", o.depth);
  if (o.filters < 1) fail("conv network: filters must be at least 1, got {}", o.filters);
  if (o.kernel_size < 1) fail("conv network: kernel_size must be at least 1, got {}", o.kernel_size);
  if (o.groups < 0 || (o.groups > 0 && o.filters % o.groups != 0)) {
    fail("conv network: {} groups do not divide {} filters", o.groups, o.filters);
  }
  if (o.classes < 1) fail("conv network: classes must be at least 1, got {}", o.classes);
  for (int64_t d : o.image) {
    if (d < 1) fail("conv network: image dimensions must be at least 1, got {}x{}x{}", o.image[0], o.image[1], o.image[2]);
  }
  Json layers = Json::array();
  // outs[k] is the name of l_k; outs[0] is the image.
  std::vector<std::string> outs{"image"};
  const bool normalized = o.normalization != SkipNormalization::none;
  for (int k = 1; k <= o.depth; ++k) {
    // The block's input, wired as SkipNetwork wires its layers.
    std::string in = outs[k - 1];
    if (o.skip == SkipConnection::residual && k >= 3) {
      in = fmt::format("sum{}", k);
      layers.push_back({{"name", in}, {"type", "add"}, {"inputs", {outs[k - 1], outs[k - 2]}}});
    } else if (o.skip == SkipConnection::concat && k >= 2) {
      Json parts = Json::array();
      for (int back = 1; back <= std::min(3, k); ++back) parts.push_back(outs[k - back]);
      in = fmt::format("cat{}", k);
      layers.push_back({{"name", in}, {"type", "concatenate"}, {"inputs", parts}});
    }
    const std::string conv = fmt::format("conv{}", k);
    layers.push_back({{"name", conv},
                      {"type", "conv2d"},
                      {"inputs", {in}},
                      {"filters", o.filters},
                      {"kernel_size", o.kernel_size},
                      {"padding", "same"},
                      {"activation", normalized ? "linear" : o.activation},
                      {"kernel_initializer", o.kernel_initializer}});
    std::string block = conv;
    if (normalized) {
      layers.push_back(normalization_layer(o.normalization, o.filters, o.groups, fmt::format("norm{}", k)));
      layers.push_back({{"name", fmt::format("act{}", k)}, {"type", "activation"}, {"activation", o.activation}});
      block = fmt::format("act{}", k);
    }
    if (o.skip == SkipConnection::identity && k >= 2) {
      const std::string sum = fmt::format("add{}", k);
      layers.push_back({{"name", sum}, {"type", "add"}, {"inputs", {outs[k - 1], block}}});
      block = sum;
    }
    outs.push_back(block);
  }
  layers.push_back({{"name", "gap"}, {"type", "global_average_pooling2d"}, {"inputs", {outs.back()}}});
  layers.push_back({{"name", "logits"},
                    {"type", "dense"},
                    {"units", o.classes},
                    {"kernel_initializer", o.kernel_initializer}});
  return {{"name", conv_network_name(o)},
          {"inputs", {{"image", {o.image[0], o.image[1], o.image[2]}}}},
          {"layers", layers},
          {"outputs", {"logits"}}};
}

ModelSpec conv_network_spec(const ConvNetworkOptions& options) {
  return parse_model_spec(conv_network_json(options).dump(), "inline --conv network");
}

std::string conv_network_label(const ConvNetworkOptions& o) {
  return fmt::format("{} x Conv2D({}, {}x{}, {}) on {}x{}x{}, {}, {}, norm {}", o.depth, o.filters, o.kernel_size,
                     o.kernel_size, o.activation, o.image[0], o.image[1], o.image[2], o.kernel_initializer,
                     skip_connection_label(o.skip), skip_normalization_name(o.normalization));
}

}  // namespace gradlab
