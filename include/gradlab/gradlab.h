#pragma once
/// gradlab: a C++ deep-learning library and lab for vanishing and exploding gradients.
///
///   #include <gradlab/gradlab.h>
///   using namespace gradlab;
///
///   Rng rng(0);
///   Tensor inputs = uniform({32, 128}, rng);
///   Dense layer1(32, {.activation = "relu"}), layer2(32, {.activation = "relu"});
///   GradientTape tape;
///   tape.watch(inputs);
///   Tensor out = mean(layer2(layer1(inputs)));
///   double input_grad_norm = norm(tape.gradient(out, inputs)).item();

#include "gradlab/autograd/activation_facts.h"
#include "gradlab/autograd/dropout_op.h"
#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/loss_ops.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/autograd/record.h"
#include "gradlab/autograd/variable.h"
#include "gradlab/error.h"
#include "gradlab/nn/activation_layer.h"
#include "gradlab/nn/bidirectional.h"
#include "gradlab/nn/conv.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/depthwise_conv.h"
#include "gradlab/nn/dropout.h"
#include "gradlab/nn/flatten.h"
#include "gradlab/nn/gaussian_init.h"
#include "gradlab/nn/initializers.h"
#include "gradlab/nn/layer.h"
#include "gradlab/nn/losses.h"
#include "gradlab/nn/merge.h"
#include "gradlab/nn/metrics.h"
#include "gradlab/nn/model.h"
#include "gradlab/nn/normalization_layers.h"
#include "gradlab/nn/pooling.h"
#include "gradlab/nn/recurrent.h"
#include "gradlab/nn/reshape.h"
#include "gradlab/nn/zero_padding.h"
#include "gradlab/optim/factory.h"
#include "gradlab/optim/optimizers.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/dtype.h"
#include "gradlab/tensor/rng.h"
#include "gradlab/tensor/shape.h"
#include "gradlab/tensor/tensor.h"
#include "gradlab/theory/critical_line.h"
#include "gradlab/theory/gaussian_expectation.h"
#include "gradlab/theory/initializer_variances.h"
#include "gradlab/theory/mean_field.h"
#include "gradlab/theory/scalar_activation.h"
#include "gradlab/train/checkpoint.h"
#include "gradlab/train/dataset.h"
#include "gradlab/train/callbacks.h"
#include "gradlab/train/fit.h"
#include "gradlab/train/history.h"
