// Vectorised exp and the confidences built on it, for prediction: the
// softmax and the sigmoids of 77 intents cost ~150 libm expf calls per
// utterance, more than a tenth of a prediction. AVX2/FMA where the CPU has it
// (chosen at run time), else the same polynomial on SSE2; the two may differ
// in the last bit. Training keeps std::exp (see intent_model.cc).
#pragma once

#include <cstddef>

namespace parley::analysis::intents {

// x[i] = exp(x[i]) for i in [0, n), in place. Inputs are clamped to
// [-86, 88] (exp(-86) ~ 4e-38; exp(88) ~ 1.7e38), so the result is always a
// finite, normal, positive float; inside that range the relative error is
// below 4e-7 (a few ulp). NaN inputs give an unspecified finite value.
void FastExp(float* x, size_t n);

// z[0..n) = softmax(z[0..n)) in place: exp(z - max) / sum. n >= 1.
void FastSoftmax(float* z, size_t n);

// z[i] = 1 / (1 + exp(-z[i])) in place, i in [0, n).
void FastSigmoid(float* z, size_t n);

namespace internal {
// The two implementations behind FastExp, for tests. FastExpAvx2 must only
// be called where the CPU has AVX2 and FMA.
void FastExpAvx2(float* x, size_t n);
void FastExpPortable(float* x, size_t n);
bool CpuHasAvx2Fma();
}  // namespace internal

}  // namespace parley::analysis::intents
