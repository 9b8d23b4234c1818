#include "analysis/intents/vector_math.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace parley::analysis::intents {
namespace {

// Every implementation this CPU can run.
std::vector<void (*)(float*, size_t)> ExpImplementations() {
  std::vector<void (*)(float*, size_t)> out = {internal::FastExpPortable, FastExp};
  if (internal::CpuHasAvx2Fma()) out.push_back(internal::FastExpAvx2);
  return out;
}

TEST(VectorMathTest, ExpIsCloseToStdExp) {
  std::vector<float> x;
  for (float v = -86.0f; v <= 88.0f; v += 0.0137f) x.push_back(v);
  for (float v : {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 1e-8f, -1e-8f, 0.34657359f, -0.34657359f}) x.push_back(v);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-20.0f, 20.0f);
  for (int i = 0; i < 100000; ++i) x.push_back(u(rng));
  for (auto exp : ExpImplementations()) {
    // Odd sizes too: the tail of fewer than 8 goes through a padded block.
    for (size_t n : {x.size(), size_t{1}, size_t{7}, size_t{13}}) {
      std::vector<float> y(x.begin(), x.begin() + n);
      exp(y.data(), n);
      for (size_t i = 0; i < n; ++i) {
        const double want = std::exp(static_cast<double>(x[i]));
        ASSERT_NEAR(y[i] / want, 1.0, 4e-7) << "x = " << x[i];
      }
    }
  }
}

TEST(VectorMathTest, ExpClampsInsteadOfOverflowing) {
  for (auto exp : ExpImplementations()) {
    std::vector<float> y = {-1000.0f, -87.5f, 89.0f, 1000.0f, -INFINITY, INFINITY};
    exp(y.data(), y.size());
    for (float v : y) {
      EXPECT_TRUE(std::isnormal(v)) << v;
      EXPECT_GT(v, 0.0f);
    }
    EXPECT_NEAR(y[0] / std::exp(-86.0), 1.0, 4e-7);
    EXPECT_NEAR(y[3] / std::exp(88.0), 1.0, 4e-7);
  }
}

TEST(VectorMathTest, SoftmaxAndSigmoidMatchTheirDefinitions) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-30.0f, 30.0f);
  for (size_t n : {1, 2, 8, 77, 150}) {
    std::vector<float> z(n);
    for (float& v : z) v = u(rng);
    std::vector<float> soft = z, sig = z;
    FastSoftmax(soft.data(), n);
    FastSigmoid(sig.data(), n);
    double max = *std::max_element(z.begin(), z.end()), sum = 0, total = 0;
    for (float v : z) sum += std::exp(v - max);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_NEAR(soft[i], std::exp(z[i] - max) / sum, 1e-6) << i;
      EXPECT_NEAR(sig[i], 1 / (1 + std::exp(-static_cast<double>(z[i]))), 1e-6) << i;
      total += soft[i];
    }
    EXPECT_NEAR(total, 1.0, 1e-5);
  }
}

}  // namespace
}  // namespace parley::analysis::intents
