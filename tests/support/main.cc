// The one test main: seeds the default generator so every test starts from the same state.
#include <gtest/gtest.h>

#include "gradlab/tensor/rng.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  gradlab::set_seed(20261129);
  return RUN_ALL_TESTS();
}
