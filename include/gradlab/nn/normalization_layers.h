#pragma once
/// The normalization layers in one include; each rescales and shifts activations so that gradients
/// flow (the lesson's last section). docs/normalization-layers.md compares them and maps them to PyTorch.
///
///   BatchNormalization bn;           // per channel, batch statistics (Ioffe & Szegedy 2015)
///   LayerNormalization ln;           // per example, over the features (Ba et al. 2016)
///   GroupNormalization gn({.groups = 8});  // per example and channel group (Wu & He 2018)
///   InstanceNormalization in;        // per example and channel (Ulyanov et al. 2016)
///   Normalization norm; norm.adapt(data);  // input standardization from data
///   Tensor y = ln(bn(x, {.training = true}));

#include "gradlab/nn/batch_normalization.h"
#include "gradlab/nn/group_normalization.h"
#include "gradlab/nn/input_normalization.h"
#include "gradlab/nn/instance_normalization.h"
#include "gradlab/nn/layer_normalization.h"
