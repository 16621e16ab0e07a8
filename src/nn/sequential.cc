#include <utility>

#include "gradlab/error.h"
#include "gradlab/nn/model.h"
#include "nn/containers.h"

namespace gradlab {

SequentialImpl::SequentialImpl(std::vector<Layer> layers, const std::string& name)
    : LayerImpl("sequential", name) {
  for (Layer& layer : layers) add(std::move(layer));
}

void SequentialImpl::add(Layer layer) {
  if (!layer.defined()) fail("{}: cannot add an undefined layer", name());
  if (layer.impl().min_inputs() > 1) {
    fail("{}: layer '{}' takes {} or more inputs but a Sequential passes one", name(), layer.name(),
         layer.impl().min_inputs());
  }
  if (!trainable()) layer.set_trainable(false);
  layers_.push_back(std::move(layer));
  output_shapes_.emplace_back();
}

Tensor SequentialImpl::forward(const std::vector<Tensor>& inputs, const CallOptions& options) {
  Tensor x = inputs.front();
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    x = layers_[i].impl().call({x}, options);
    if (x.rank() >= 1) {
      output_shapes_[i] = Shape(std::vector<int64_t>(x.shape().begin() + 1, x.shape().end()));
    }
  }
  return x;
}

void SequentialImpl::set_trainable(bool trainable) {
  LayerImpl::set_trainable(trainable);
  for (const Layer& layer : layers_) layer.set_trainable(trainable);
}

std::vector<Variable> SequentialImpl::variables() const { return detail::unique_variables(layers_); }

std::string SequentialImpl::summary() const {
  std::vector<detail::SummaryRow> rows;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    rows.push_back({fmt::format("{} ({})", layers_[i].name(), detail::display_type(layers_[i].type())),
                    output_shapes_[i] ? detail::batch_shape_string(*output_shapes_[i]) : "?",
                    layers_[i].count_params()});
  }
  return detail::summary_table(name(), rows, variables());
}

Sequential::Sequential(std::vector<Layer> layers, const std::string& name)
    : Layer(std::make_shared<SequentialImpl>(std::move(layers), name)) {}

}  // namespace gradlab
