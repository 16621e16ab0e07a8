#pragma once
/// Every differentiable op: arithmetic, shapes, reductions, activations, convolution and pooling.
#include "gradlab/autograd/activations.h"
#include "gradlab/autograd/conv_ops.h"
#include "gradlab/autograd/math_ops.h"
#include "gradlab/autograd/reduce_ops.h"
#include "gradlab/autograd/shape_ops.h"
