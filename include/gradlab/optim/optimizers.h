#pragma once
/// Every optimizer, schedule and clipping function: the optim room in one include.
///
///   #include <gradlab/optim/optimizers.h>
///   Adam adam({.learning_rate = cosine_decay({.initial_learning_rate = 1e-3, .decay_steps = 5000}),
///              .global_clipnorm = 1.0});
#include "gradlab/optim/adagrad.h"
#include "gradlab/optim/adam.h"
#include "gradlab/optim/adamw.h"
#include "gradlab/optim/clipping.h"
#include "gradlab/optim/optimizer.h"
#include "gradlab/optim/rmsprop.h"
#include "gradlab/optim/schedules.h"
#include "gradlab/optim/sgd.h"
