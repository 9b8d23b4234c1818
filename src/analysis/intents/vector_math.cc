#include "analysis/intents/vector_math.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

// The 32-byte vectors below are passed only between always-inline functions.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace parley::analysis::intents {
namespace {

typedef float Floats8 __attribute__((vector_size(32)));
typedef int32_t Ints8 __attribute__((vector_size(32)));

// exp of 8 floats: x = n ln2 + r with |r| <= ln2 / 2, exp(r) by the Cephes
// degree-6 polynomial, times 2^n put straight into the exponent bits. Plain
// GCC vector code: inlined into the AVX2/FMA function below it becomes
// 256-bit FMA code, into the portable one two SSE2 halves.
[[gnu::always_inline]] inline Floats8 Exp8(Floats8 x) {
  const Floats8 lo = Floats8{} + -86.0f, hi = Floats8{} + 88.0f;
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  // Round x / ln2 to the nearest integer (ties to even) by the float
  // magic-number trick: exact for |x / ln2| < 2^22.
  const Floats8 magic = Floats8{} + 12582912.0f;  // 1.5 * 2^23
  Floats8 n = (x * 1.44269504088896341f + magic) - magic;
  // r = x - n ln2, ln2 split in two so that n * ln2_hi is exact.
  Floats8 r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  Floats8 p = Floats8{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  Floats8 y = p * (r * r) + r + 1.0f;
  // n is in [-125, 127], so y * 2^n stays a normal float.
  Ints8 bits;
  std::memcpy(&bits, &y, sizeof bits);
  bits += __builtin_convertvector(n, Ints8) << 23;
  std::memcpy(&y, &bits, sizeof y);
  return y;
}

enum class Op { kExp, kSigmoid };

// Applies `op` to x[0..n), 8 at a time; the tail goes through a padded block.
template <Op op>
[[gnu::always_inline]] inline Floats8 One(Floats8 v) {
  if constexpr (op == Op::kExp) {
    return Exp8(v);
  } else {
    return 1.0f / (1.0f + Exp8(-v));
  }
}

template <Op op>
[[gnu::always_inline]] inline void Apply(float* x, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    Floats8 v;
    std::memcpy(&v, x + i, sizeof v);
    v = One<op>(v);
    std::memcpy(x + i, &v, sizeof v);
  }
  if (i < n) {
    Floats8 v = {};
    std::memcpy(&v, x + i, (n - i) * sizeof(float));
    v = One<op>(v);
    std::memcpy(x + i, &v, (n - i) * sizeof(float));
  }
}

// GCC at -O2 leaves loops of unknown length scalar: these are written 8 at
// a time, the tail (fewer than 8) on its own.
[[gnu::always_inline]] inline void SoftmaxBody(float* z, size_t n) {
  const size_t whole = n / 8 * 8;
  float max = z[0];
  if (whole > 0) {
    Floats8 m;
    std::memcpy(&m, z, sizeof m);
    for (size_t i = 8; i < whole; i += 8) {
      Floats8 v;
      std::memcpy(&v, z + i, sizeof v);
      m = v > m ? v : m;
    }
    for (int k = 0; k < 8; ++k) max = std::max(max, m[k]);
  }
  for (size_t i = whole; i < n; ++i) max = std::max(max, z[i]);
  // exp(z - max), summed in eight lanes added in a fixed order: the same
  // result on every call.
  Floats8 acc = {};
  for (size_t i = 0; i < whole; i += 8) {
    Floats8 v;
    std::memcpy(&v, z + i, sizeof v);
    v = Exp8(v - max);
    acc += v;
    std::memcpy(z + i, &v, sizeof v);
  }
  float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  if (whole < n) {
    Floats8 v = {};
    std::memcpy(&v, z + whole, (n - whole) * sizeof(float));
    v = Exp8(v - max);
    for (size_t i = whole; i < n; ++i) sum += (z[i] = v[i - whole]);
  }
  const float inv = 1.0f / sum;
  for (size_t i = 0; i < whole; i += 8) {
    Floats8 v;
    std::memcpy(&v, z + i, sizeof v);
    v *= inv;
    std::memcpy(z + i, &v, sizeof v);
  }
  for (size_t i = whole; i < n; ++i) z[i] *= inv;
}

[[gnu::target("avx2,fma")]] void SoftmaxAvx2(float* z, size_t n) { SoftmaxBody(z, n); }
void SoftmaxPortable(float* z, size_t n) { SoftmaxBody(z, n); }
[[gnu::target("avx2,fma")]] void SigmoidAvx2(float* z, size_t n) { Apply<Op::kSigmoid>(z, n); }
void SigmoidPortable(float* z, size_t n) { Apply<Op::kSigmoid>(z, n); }

bool UseAvx2() {
  static const bool avx2 = internal::CpuHasAvx2Fma();
  return avx2;
}

}  // namespace

namespace internal {
bool CpuHasAvx2Fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
[[gnu::target("avx2,fma")]] void FastExpAvx2(float* x, size_t n) { Apply<Op::kExp>(x, n); }
void FastExpPortable(float* x, size_t n) { Apply<Op::kExp>(x, n); }
}  // namespace internal

void FastExp(float* x, size_t n) {
  (UseAvx2() ? internal::FastExpAvx2 : internal::FastExpPortable)(x, n);
}

void FastSoftmax(float* z, size_t n) { (UseAvx2() ? SoftmaxAvx2 : SoftmaxPortable)(z, n); }

void FastSigmoid(float* z, size_t n) { (UseAvx2() ? SigmoidAvx2 : SigmoidPortable)(z, n); }

}  // namespace parley::analysis::intents
